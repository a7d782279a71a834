"""Benchmark of `shallow report` and `shallow feedback` on a large synthetic class.

Run with `.venv/bin/python bench/bench_report.py [--students 2000] [--runs 3]`. It writes a
gradebook of N students straight through `Gradebook.record` (no grading: results are built the
way `shallow grade` builds them, with the rubric's case names, the grader's messages and the
diagnosis catalog's mistakes and hints), with a realistic mix: abilities spread over the class,
the catalog's mistakes, review answers right and wrong (the bank's tempting wrong answers),
a few broken files, 10 % second attempts, late students, weaker isolation for a few, quiz
attempts for a third of the class, and a roster with students who never submitted. Then it
times `build_report` (roster and due date included) and `build_feedback` for everyone.

Target: the report of 2,000 students in a few seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from autograder.diagnose import MISTAKES  # noqa: E402
from autograder.gradebook import Gradebook  # noqa: E402
from autograder.result import SubmissionResult, TestResult  # noqa: E402
from autograder.rubric import exercises_for, review_questions  # noqa: E402
from quizzes.bank import load_bank  # noqa: E402
from quizzes.checking import LETTERS  # noqa: E402

ASSIGNMENT = "planar_classifier"
LAYERS = ["rlimits", "session", "clean-env", "netns", "pidns"]
DUE = "2025-03-02T23:59:00Z"
DIFFICULTY = {"layer_sizes": 0.3, "initialize_parameters": 0.8, "forward_propagation": 0.9,
              "compute_cost": 1.2, "backward_propagation": 2.2, "update_parameters": 0.5,
              "nn_model": 1.6, "predict": 0.7}  # how much more often than average it fails


def _code_tests(rng, ability, broken):
    tests = []
    for exercise in exercises_for(ASSIGNMENT):
        cases = exercise.cases(0)
        share = exercise.points / len(cases)
        catalog = [m for m in MISTAKES if m.exercise == exercise.name]
        fails = not broken and rng.random() < (1 - ability) * DIFFICULTY[exercise.name]
        mistake = None
        if fails and catalog and rng.random() < 0.75:  # mostly a catalogued mistake, Zipf-like
            mistake = catalog[min(int(rng.paretovariate(1.2)) - 1, len(catalog) - 1)]
        failing = set(range(len(cases))) if mistake or rng.random() < 0.5 else \
            {rng.randrange(len(cases))}
        for i, case in enumerate(cases):
            name = f"{exercise.name}: case {case.number}{' (visible)' if case.visible else ''}"
            test = TestResult(name=name, exercise=exercise.name, score=share, max_score=share,
                              status="passed", output=f"Called {case.call_text()}: correct")
            if broken:
                test.score, test.status = 0.0, "failed"
                test.output = "not graded: not valid JSON (line 1, column 2)"
            elif fails and i in failing:
                test.score, test.status = 0.0, "failed"
                lines = [f"Called {case.call_text()}",
                         "Problem: the result has the right shape but wrong values in 3 of 8 "
                         "entries (first at index (0, 1))"]
                if mistake:
                    test.mistake = mistake.id
                    lines += [f"Likely mistake: {mistake.title}", f"Hint: {mistake.hint}"]
                test.output = "\n".join(lines)
            tests.append(test)
    return tests


def _wrong_answer(rng, question):
    tempting = [item["answer"] for item in question.feedback or []]
    if tempting and rng.random() < 0.8:
        answer = rng.choice(tempting)
        if question.type == "single_choice" and answer in question.choices:
            return LETTERS[question.choices.index(answer)], answer
        return answer, next(i["says"] for i in question.feedback if i["answer"] == answer)
    if question.type == "single_choice":
        wrong = [c for c in question.choices if c != question.answer]
        return LETTERS[question.choices.index(rng.choice(wrong))], ""
    if question.type == "true_false":
        return (not question.answer), ""
    return (4,), ""


def _review_tests(rng, ability, broken):
    tests = []
    for question in review_questions(ASSIGNMENT):
        test = TestResult(name=f"review question {question.lecture}: {question.variable}",
                          exercise=question.variable, score=question.points,
                          max_score=question.points, status="passed",
                          output=f"{question.variable}: correct. {question.explanation}")
        if broken or rng.random() > 0.5 + ability / 2:
            test.score, test.status = 0.0, "failed"
            if broken:
                test.output = "not graded: not valid JSON (line 1, column 2)"
            elif rng.random() < 0.1:
                test.output = (f"Question: {question.prompt}\n"
                               f"Problem: {question.variable} is not answered yet")
            else:
                value, says = _wrong_answer(rng, question)
                test.output = "\n".join(filter(None, [
                    f"Question: {question.prompt}",
                    f"Problem: {question.variable} = {value!r} is not right",
                    f"Hint: {says}" if says else ""]))
        tests.append(test)
    return tests


def make_gradebook(path, students, seed=0):
    """Write the synthetic class; return (roster ids, number of attempts)."""
    rng = random.Random(seed)
    bank = load_bank()
    quiz_questions = [q for q in bank.questions if q.lecture and not q.parametric]
    roster, attempts = [], 0
    with Gradebook(path) as book:
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
                tests = _code_tests(rng, ability * (0.8 if attempt < tries - 1 else 1.0),
                                    broken) + _review_tests(rng, ability, broken)
                path_text = f"submitted/{student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
                result = SubmissionResult(
                    student=student, assignment=ASSIGNMENT, path=path_text,
                    sha256=f"{i:032x}{attempt:032x}",
                    score=round(sum(t.score for t in tests), 6),
                    max_score=round(sum(t.max_score for t in tests), 6), tests=tests,
                    errors=[f"{path_text}: not valid JSON (line 1, column 2)"] if broken else [],
                    layers=list(layers), seed=0,
                    graded_at=f"2025-03-0{day}T{rng.randrange(8, 23):02d}:{rng.randrange(60):02d}"
                              f":00Z",
                    duration_s=rng.uniform(0.6, 2.0), grader_version="0.1.0")
                book.record(result)
                attempts += 1
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
    from autograder.report import build_feedback, build_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gradebook = tmp / "gradebook.db"
        start = time.perf_counter()
        roster, attempts = make_gradebook(gradebook, args.students)
        (tmp / "roster.txt").write_text("\n".join(roster) + "\n")
        print(f"synthetic gradebook: {args.students} students, {attempts} attempts, "
              f"{gradebook.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - start:.1f} s")

        def report():
            return build_report(gradebook, ASSIGNMENT, tmp / "reports",
                                roster=tmp / "roster.txt", due=DUE)

        def feedback():
            return build_feedback(gradebook, ASSIGNMENT, tmp / "feedback")

        # The first report in a process also imports matplotlib and numpy.
        paths, first = timed(report, 1)
        _, warm = timed(report, args.runs)
        pages, feedback_times = timed(feedback, args.runs)
        size = paths.html.stat().st_size
        print(f"build_report   first in process {first[0]:.2f} s, then median "
              f"{statistics.median(warm):.2f} s of {len(warm)} (min {min(warm):.2f}, max "
              f"{max(warm):.2f}); page {size / 1e3:.0f} kB, {paths.graded} graded, "
              f"{len(paths.missing)} missing, {len(paths.late)} late")
        median = statistics.median(feedback_times)
        print(f"build_feedback {len(pages)} pages: median {median:.2f} s of "
              f"{len(feedback_times)} (min {min(feedback_times):.2f}, max "
              f"{max(feedback_times):.2f}), {1e3 * median / len(pages):.2f} ms per student")


if __name__ == "__main__":
    main()
