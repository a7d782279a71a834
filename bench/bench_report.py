"""Benchmark of `shallow report` and `shallow feedback` on a large synthetic class.

Run with `.venv/bin/python bench/bench_report.py [--students 2000] [--runs 3]`. It writes a
gradebook of N students straight through `Gradebook.record` (no grading: results are built the
way `shallow grade` builds them, with the course's cases, calls described by shapes, problems,
and the catalog's mistakes and hints), with a realistic mix: abilities spread over the class,
the catalog's mistakes, review answers right and wrong (the bank's tempting wrong answers),
a few unreadable files, 10 % second attempts, late students under a course late policy, a few
manual grades, weaker isolation for a few, quiz attempts for a third of the class, and a roster
with students who never submitted. Then it times `build_report` (roster, policy and links to
the feedback pages included) and `build_feedback` for everyone.

Target: the report of 2,000 students in about a second, their 2,000 feedback pages in about
two.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from autograder.course import default_course, review  # noqa: E402
from autograder.grade import call_text  # noqa: E402
from autograder.gradebook import open_gradebook  # noqa: E402
from autograder.results import CaseResult, MistakeNote, SubmissionResult  # noqa: E402

ASSIGNMENT = "planar_classifier"
LAYERS = ["rlimits", "session", "clean-env", "seccomp", "netns", "pidns", "bwrap"]
POLICY = f"""assignments:
  {ASSIGNMENT}:
    due: 2025-03-02T23:59:00Z
late:
  penalty: 10%
  per: day
  cap: 50%
"""
DIFFICULTY = {"layer_sizes": 0.3, "initialize_parameters": 0.8, "forward_propagation": 0.9,
              "compute_cost": 1.2, "backward_propagation": 2.2, "update_parameters": 0.5,
              "nn_model": 1.6, "predict": 0.7}  # how much more often than average it fails
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _code_cases(rng, course, ability, broken):
    cases = []
    for exercise in course.exercises_for(ASSIGNMENT):
        specs = exercise.cases(0)
        share = exercise.case_points(len(specs))
        catalog = list(exercise.mistakes)
        fails = not broken and rng.random() < (1 - ability) * DIFFICULTY[exercise.name]
        mistake = None
        if fails and catalog and rng.random() < 0.75:  # mostly a catalogued mistake, Zipf-like
            mistake = catalog[min(int(rng.paretovariate(1.2)) - 1, len(catalog) - 1)]
        failing = set(range(len(specs))) if mistake or rng.random() < 0.5 else \
            {rng.randrange(len(specs))}
        for i, spec in enumerate(specs):
            case = CaseResult(exercise.name, "code", spec.number,
                              "visible" if spec.visible else "hidden", share, share, "passed",
                              call=call_text(exercise, spec))
            if broken:
                case.points, case.status = Fraction(0), "not-graded"
                case.problems = ["not graded: not valid JSON (line 1, column 2)"]
            elif fails and i in failing:
                case.points, case.status = Fraction(0), "failed"
                case.problems = ["the result has the right shape but wrong values in 3 of 8 "
                                 "entries (first at index (0, 1))"]
                case.submitted = "array of shape (4, 1)"
                if spec.visible:
                    case.expected = "array of shape (4, 1)"
                if mistake:
                    case.mistakes = [MistakeNote(mistake.id, mistake.title, mistake.hint)]
            cases.append(case)
    return cases


def _wrong_answer(rng, question):
    tempting = [item["answer"] for item in question.feedback or []]
    if tempting and rng.random() < 0.8:
        answer = rng.choice(tempting)
        says = next(i["says"] for i in question.feedback if i["answer"] == answer)
        if question.type == "single_choice" and answer in question.choices:
            return LETTERS[question.choices.index(answer)], says
        return str(tuple(answer)) if isinstance(answer, list) else str(answer), says
    if question.type == "single_choice":
        wrong = [c for c in question.choices if c != question.answer]
        return LETTERS[question.choices.index(rng.choice(wrong))], ""
    if question.type == "true_false":
        return str(not question.answer).lower(), ""
    return "(4,)", ""


def _review_cases(rng, questions, ability, broken):
    cases = []
    for question in questions:
        top = Fraction(str(question.points))
        case = CaseResult(question.variable, "review", 1, "visible", top, top, "passed",
                          question=question.id)
        if broken:
            case.points, case.status = Fraction(0), "not-graded"
        elif rng.random() > 0.5 + ability / 2:
            case.points, case.status = Fraction(0), "failed"
            if rng.random() < 0.1:
                case.status = "missing"
                case.problems = [f"answer variable {question.variable} not found in the "
                                 f"notebook"]
            else:
                case.submitted, case.feedback = _wrong_answer(rng, question)
                case.problems = [f"{question.variable} is not the right answer"]
        cases.append(case)
    return cases


def make_gradebook(path, students, seed=0):
    """Write the synthetic class; return (roster ids, number of attempts)."""
    rng = random.Random(seed)
    course = default_course(None)
    bank = review.bank()
    questions = review.questions(course.assignment(ASSIGNMENT))
    quiz_questions = [q for q in bank.questions if q.lecture and not q.parametric]
    roster, attempts = [], 0
    with open_gradebook(path) as book:
        for i in range(students + students // 50):
            student = f"s{i:05d}"
            roster.append(student)
            if i >= students:  # on the roster, never submitted
                continue
            ability = rng.betavariate(5, 1.6)
            broken = rng.random() < 0.02
            late = rng.random() < 0.05
            layers = LAYERS if rng.random() > 0.01 else LAYERS[:3]
            tries = 2 if rng.random() < 0.1 else 1
            for attempt in range(tries):
                day = 3 if late else (1 if attempt == 0 else 2)
                path_text = f"submitted/{student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
                cases = _code_cases(rng, course, ability * (0.8 if attempt < tries - 1
                                                            else 1.0), broken) + \
                    _review_cases(rng, questions, ability, broken)
                result = SubmissionResult(
                    student=student, assignment=ASSIGNMENT, path=path_text,
                    sha256=f"{i:032x}{attempt:032x}", status="unreadable" if broken else
                    "graded", reason=f"{path_text}: not valid JSON (line 1, column 2)"
                    if broken else "", cases=cases, layers=list(layers), seed=0,
                    version="shallow",
                    submitted_at=f"2025-03-0{day}T{rng.randrange(8, 23):02d}:"
                                 f"{rng.randrange(60):02d}:00Z",
                    submitted_at_source="timestamp.txt",
                    graded_at=f"2025-03-04T{rng.randrange(8, 23):02d}:00:00Z",
                    duration_s=rng.uniform(0.02, 0.2), grader_version="0.1.0")
                book.record(result)
                attempts += 1
            if rng.random() < 0.005:
                book.override(student, ASSIGNMENT, "nn_model", 7, reason="checked by hand",
                              author="ta")
            if rng.random() < 0.33:
                answers = []
                for question in rng.sample(quiz_questions, 5):
                    right = rng.random() < 0.5 + ability / 2
                    answer = question.answer if right else _wrong_answer(rng, question)[0]
                    answers.append({"question_id": question.id, "answer": str(answer),
                                    "correct": right, "score": float(right) * question.points,
                                    "max_score": float(question.points)})
                book.record_quiz(student, ASSIGNMENT, bank.id, answers)
    return roster, attempts


def timed(function, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return value, times


def main():
    from autograder.reports.class_report import build_report
    from autograder.reports.feedback import build_feedback

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gradebook = tmp / "gradebook.db"
        (tmp / "shallow.yaml").write_text(POLICY)
        start = time.perf_counter()
        roster, attempts = make_gradebook(gradebook, args.students)
        (tmp / "roster.txt").write_text("\n".join(roster) + "\n")
        print(f"synthetic gradebook: {args.students} students, {attempts} attempts, "
              f"{gradebook.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - start:.1f} s")

        def report():
            return build_report(gradebook, assignment=ASSIGNMENT, out=tmp / "reports",
                                roster=tmp / "roster.txt", course=tmp,
                                feedback_dir=tmp / "feedback")

        def feedback():
            return build_feedback(gradebook, assignment=ASSIGNMENT, out=tmp / "feedback",
                                  course=tmp)

        # The first report in a process also imports matplotlib, jinja2 and numpy.
        written, first = timed(report, 1)
        _, warm = timed(report, args.runs)
        run, feedback_times = timed(feedback, args.runs)
        size = written.html.stat().st_size
        print(f"build_report   first in process {first[0]:.2f} s, then median "
              f"{statistics.median(warm):.2f} s of {len(warm)} (min {min(warm):.2f}, max "
              f"{max(warm):.2f}); page {size / 1e3:.0f} kB, {written.graded} graded, "
              f"{len(written.missing)} missing, {len(written.late)} late")
        median = statistics.median(feedback_times)
        print(f"build_feedback {len(run.pages)} pages: median {median:.2f} s of "
              f"{len(feedback_times)} (min {min(feedback_times):.2f}, max "
              f"{max(feedback_times):.2f}), {1e3 * median / len(run.pages):.2f} ms per student")


if __name__ == "__main__":
    main()
