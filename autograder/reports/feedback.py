"""Feedback pages: one per student in nbgrader's feedback layout, built from the structured
result alone, so a page cannot contradict itself or the grade.

Each page: the score (the late penalty shown when there is one), each exercise's points, every
failed case with what was called (hidden cases by the shapes of their inputs only, exactly as
the result holds them), its problems and the mistakes named with the problems each explains,
the manual grades, and the review questions (notebook answers and the latest quiz attempt) as
the student saw them (a parametric question with their own numbers) with their answer's
status, the bank's feedback and its explanation.

``build_feedback`` is the Python API behind ``shallow feedback``; ``feedback_context`` and
``feedback_html`` turn one result into the page (no file is read or written there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..results import as_fraction
from . import aggregate, files, questions
from .render import render
from .source import ReportError, load_class

CASE_STATUS = {"failed": "wrong result", "error": "raised an error", "timeout": "ran out of time",
               "crashed": "crashed", "missing": "missing", "not-graded": "not graded"}


@dataclass
class FeedbackRun:
    """What ``build_feedback`` wrote."""

    assignment: str
    pages: list = field(default_factory=list)  # Path, by student
    problems: list = field(default_factory=list)  # one line each: files refused (not copied)
    unreleasable: list = field(default_factory=list)  # pages without submission_secret.txt


def explained(mistake, problems) -> tuple[list, list]:
    """(the problems ``mistake`` explains, its labels that match no problem). A mistake with no
    labels explains every problem of its case."""
    if not mistake.explains:
        return list(problems), []
    hits, unmatched = [], []
    for label in mistake.explains:
        found = [p for p in problems if p == label or p.startswith((f"{label} ", f"{label}:"))]
        hits += [p for p in found if p not in hits]
        if not found:
            unmatched.append(label)
    return hits, unmatched


def _case_view(case):
    return {
        "label": f"case {case.number}" + (f" ({case.visibility})" if case.kind == "code" else ""),
        "status": CASE_STATUS.get(case.status, case.status), "call": case.call,
        "problems": list(case.problems),
        "mistakes": [{"title": m.title, "id": m.id, "hint": m.hint,
                      "explains": explained(m, case.problems)[0],
                      "labels": explained(m, case.problems)[1]} for m in case.mistakes],
        "submitted": case.submitted if case.kind == "code" else "",
        "expected": case.expected, "note": case.note, "same_as": None, "same": "",
    }


def _state(cases, got, top):
    if cases and all(c.status == "not-graded" for c in cases):
        return "bad", "not graded"
    manual = any(c.kind == "manual" or c.note for c in cases)
    if top > 0 and got >= top:
        return "ok", "full marks" + (" (set by hand)" if manual else "")
    if got > 0:
        return "part", "partly" + (" (set by hand)" if manual else "")
    return "bad", "no points" + (" (set by hand)" if manual else "")


def _exercises(result, titles, order):
    by_exercise = {}
    for case in result.cases:
        if case.kind != "review":
            by_exercise.setdefault(case.exercise, []).append(case)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(by_exercise, key=lambda n: (rank.get(n, len(rank)), list(by_exercise).index(n)))
    rows, fixes, manual = [], [], []
    for name in names:
        cases = by_exercise[name]
        got = aggregate.exact_sum(c.points for c in cases)
        top = aggregate.exact_sum(c.max_points for c in cases)
        css, state = _state(cases, got, top)
        rows.append({"name": name, "title": titles.get(name, name), "points": got, "max": top,
                     "css": css, "state": state})
        for case in cases:
            if (case.kind == "manual" or case.note) and case.note not in [n for _, n in manual]:
                manual.append((name, case.note))
        failed = [c for c in cases if not c.passed and c.status != "not-graded"
                  and c.kind != "manual"]
        if not failed:
            continue
        views, shown = [], {}
        for case in failed:
            view = _case_view(case)
            key = tuple(m.id for m in case.mistakes) or tuple(case.problems)
            if key in shown:
                view["same_as"] = shown[key]
                view["same"] = "mistake" if case.mistakes else "problem"
            else:
                shown[key] = view["label"]
            views.append(view)
        fixes.append({"name": name, "title": titles.get(name, name), "points": got, "max": top,
                      "cases": views})
    return rows, fixes, manual


def _review(result, bank):
    by_id = {q.id: q for q in bank.questions} if bank is not None else {}
    by_variable = bank.by_variable() if bank is not None else {}
    seed = getattr(bank, "seed", 0)
    views = []
    for case in result.cases:
        if case.kind != "review":
            continue
        question = by_id.get(case.question) or by_variable.get(case.exercise)
        shown = questions.shown(question, result.student, seed) if question else None
        if case.passed:
            state = ("ok", "correct")
        elif case.status == "not-graded":
            state = ("bad", "not graded")
        elif case.status == "missing":
            state = ("bad", "not answered")
        elif case.points > 0:
            state = ("part", "partly right")
        else:
            state = ("bad", "not right")
        lecture = f"Question {question.lecture}" if question is not None and question.lecture \
            else "Question"
        views.append({
            "heading": f"{lecture}: {case.exercise}", "points": case.points,
            "max": case.max_points, "shown": shown, "css": state[0], "state": state[1],
            "answer": case.submitted if not case.passed else "",
            "why": [] if case.passed else list(case.problems),
            "feedback": questions.feedback(question, case.feedback,
                                           shown.variant if shown else None)
            if question is not None else case.feedback,
            "note": case.note})
    return views


def _quiz(quiz, bank, student):
    if not quiz or not quiz.get("answers"):
        return None
    by_id = {q.id: q for q in bank.questions} if bank is not None else {}
    seed = getattr(bank, "seed", 0)
    views = []
    for number, answer in enumerate(quiz["answers"], 1):
        question = by_id.get(answer["question_id"])
        shown = questions.shown(question, student, seed) if question is not None else None
        text = "" if answer.get("answer") is None else str(answer["answer"])
        if answer["correct"]:
            state = ("ok", "correct")
        elif not text.strip():
            state = ("bad", "not answered")
        elif answer.get("score", 0) > 0:
            state = ("part", "partly right")
        else:
            state = ("bad", "not right")
        feedback = questions.quiz_feedback(question, text, shown.variant) \
            if question is not None and text.strip() and not answer["correct"] else ""
        views.append({"heading": f"Quiz question {number}", "id": answer["question_id"],
                      "points": as_fraction(float(answer["score"])),
                      "max": as_fraction(float(answer["max_score"])), "shown": shown,
                      "css": state[0], "state": state[1],
                      "answer": text if not answer["correct"] else "", "why": [],
                      "feedback": feedback, "note": ""})
    return {"score": as_fraction(float(quiz["score"])),
            "max": as_fraction(float(quiz["max_score"])), "graded_at": quiz.get("graded_at"),
            "questions": views}


def feedback_context(result, *, quiz=None, bank=None, policy=None, titles=None, order=(),
                     assignment_title="") -> dict:
    """Everything one student's page shows, from their result (no file is read)."""
    added = aggregate.totals(result)
    raw, top = added.points, added.max_points
    lateness = None
    if policy is not None and result.status == "graded":
        lateness = aggregate.lateness_of(policy, result, top)
    late = lateness is not None and lateness.late
    penalty = lateness.penalty if late else Fraction(0)
    final = max(Fraction(0), raw - penalty)
    exercises, fixes, manual = _exercises(result, titles or {}, order)
    notebook = Path(result.path.replace("\\", "/")).name if result.path else ""
    return {
        "student": result.student, "assignment": result.assignment,
        "assignment_title": assignment_title, "notebook": notebook,
        "graded_at": result.graded_at, "submitted_at": result.submitted_at,
        "status": result.status, "reason": result.reason, "errors": list(result.errors),
        "ignored": list(result.ignored), "review_left_out": result.review_policy != "counted",
        "raw": raw, "penalty": penalty, "final": final, "max": top,
        "percent": aggregate.percent(final, top), "late": late,
        "late_by": lateness.by if late else None, "due": lateness.due if lateness else None,
        "exercises": exercises, "fixes": fixes, "manual": manual,
        "review": _review(result, bank), "quiz": _quiz(quiz, bank, result.student),
    }


def feedback_html(context: dict) -> str:
    """The page from ``feedback_context``'s dict."""
    return render("feedback.html", title=f"Feedback: {context['assignment']} · "
                  f"{context['student']}", kicker="shallow · feedback", script=False,
                  **context)


def build_feedback(gradebook, *, assignment=None, out="feedback", students=None,
                   course=None) -> FeedbackRun:
    """Write one page per student with a result; return what was written.

    The layout is nbgrader's, ``<out>/<student>/<assignment>/<notebook stem>.html``
    (``files.feedback_path``), so with ``out`` the course's ``feedback`` folder
    ``nbgrader release_feedback`` finds the pages; like nbgrader's ``generate_feedback``, the
    submission's ``timestamp.txt`` and ``submission_secret.txt`` are copied beside each page
    when the notebook came from nbgrader's ``submitted/<student>/<assignment>/`` folder (only
    regular files, at most 64 KiB: ``files.copy_nbgrader_files``). ``students``: only these
    (each must have a result). Raises ReportError.
    """
    data = load_class(gradebook, assignment, course=course)
    results = data.results
    if students is not None:
        wanted = list(dict.fromkeys(students))
        have = {r.student for r in results}
        unknown = [s for s in wanted if s not in have]
        if unknown:
            raise ReportError(f"no graded notebook for {', '.join(repr(s) for s in unknown)} "
                              f"in assignment {data.assignment!r}")
        results = [r for r in results if r.student in set(wanted)]
    if not results:
        raise ReportError(f"{data.gradebook}: no notebook of assignment {data.assignment!r} "
                          f"was graded (only quizzes or manual grades)")
    run = FeedbackRun(data.assignment)
    out = Path(out)
    try:
        for result in results:
            page = files.feedback_path(out, result.student, result.assignment, result.path)
            context = feedback_context(result, quiz=data.quizzes.get(result.student),
                                       bank=data.bank, policy=data.policy, titles=data.titles,
                                       order=data.order,
                                       assignment_title=data.assignment_title)
            files.make_folder(out, page.parent)
            files.write_text(page, feedback_html(context), make_parents=False)
            copied, problems = files.copy_nbgrader_files(result, page.parent)
            run.problems += [f"{result.student}: {problem}" for problem in problems]
            if "submission_secret.txt" not in copied and \
                    not (page.parent / "submission_secret.txt").is_file():
                run.unreleasable.append(page)
            run.pages.append(page)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the feedback ({exc.strerror or exc})") from None
    return run
