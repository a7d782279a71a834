"""Grade one submission, or a whole class: notebook -> sandboxed child -> rubric -> result.

This is the natural way through the house:

1. ``notebook.read_submission`` parses the file as JSON (no kernel) and keeps its definitions;
2. the rubric's seeded cases become calls, run by ``sandbox.Sandbox`` in an isolated child;
3. the parent computes every expected value with ``shallow_ref`` and checks each returned value;
4. ``diagnose`` names the classic mistake behind a failed case, with a hint;
5. the ``SubmissionResult`` goes to the gradebook, ``results.json`` and the terminal.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from . import __version__
from .result import SubmissionResult, TestResult

SUFFIXES = (".ipynb", ".py")


@dataclass(frozen=True)
class Submission:
    """One file to grade, with who submitted it and for which assignment (None: guess)."""

    path: str
    student: str
    assignment: str | None = None


class SubmissionError(Exception):
    """A path that cannot be turned into submissions (one line, names the path)."""


# -- finding submissions ----------------------------------------------------------------------

def find_submissions(paths, *, student=None, assignment=None):
    """Expand files and folders into Submissions.

    A file is one submission; its student is ``student``, the student folder of nbgrader's layout
    (``submitted/<student>/<assignment>/file.ipynb``) or the file's stem. A folder is searched
    for notebooks: nbgrader's ``submitted/<student>/<assignment>/*.ipynb`` layout (given the course
    folder, its ``submitted`` folder or any folder laid out like it), ``<student>/*.ipynb``, or a
    flat folder of ``<student>.ipynb``.
    """
    from .rubric import ASSIGNMENTS

    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() or not path.exists():
            if not path.exists():
                raise SubmissionError(f"{raw}: no such file or folder")
            who, which = path.stem, _assignment_from_name(path, ASSIGNMENTS)
            if len(path.parts) >= 4 and path.parts[-4] == "submitted":  # nbgrader's layout
                who, which = path.parts[-3], path.parts[-2]
            found.append(Submission(str(path), student or who, assignment or which))
            continue
        root = path / "submitted" if (path / "submitted").is_dir() else path
        for notebook in sorted(root.rglob("*.ipynb")):
            parts = notebook.relative_to(root).parts
            if any(p.startswith(".") for p in parts):  # .ipynb_checkpoints and the like
                continue
            if len(parts) >= 3:
                who, which = parts[-3], parts[-2]
            elif len(parts) == 2:
                who, which = parts[0], None
            else:
                who, which = notebook.stem, None
            found.append(Submission(str(notebook), student or who,
                                    assignment or which
                                    or _assignment_from_name(notebook, ASSIGNMENTS)))
    return found


def _assignment_from_name(path, assignments):
    for candidate in (path.parent.name, path.stem):
        if candidate in assignments:
            return candidate
    return None


# -- grading one --------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def expected_cases(assignment, seed, visible_only):
    """[(exercise, [(case, expected)])] for an assignment: computed once per process."""
    from .rubric import exercises_for

    table = []
    for exercise in exercises_for(assignment):
        cases = exercise.cases(seed)
        if visible_only:
            cases = [c for c in cases if c.visible]
        table.append((exercise, [(case, exercise.expected(case)) for case in cases]))
    return tuple(table)


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SANDBOX = None


def default_sandbox():
    """One Sandbox per process (layer detection runs once)."""
    global _SANDBOX
    if _SANDBOX is None:
        from .sandbox import Sandbox

        _SANDBOX = Sandbox(oracle=_oracle)
    return _SANDBOX


def _oracle(*args):
    from .rubric import oracle  # imported on first use: the sandbox starts before numpy loads

    return oracle(*args)


def rubric_for(submission, source):
    """The rubric to apply: the assignment's own when its name is known, else the one whose
    functions the notebook defines (an nbgrader course may call its folder "week3")."""
    from .rubric import ASSIGNMENTS, guess_assignment

    if submission.assignment in ASSIGNMENTS:
        return submission.assignment
    return guess_assignment(source.defined) if source is not None else "all"


def grade_submission(submission, *, seed=0, visible_only=False, sandbox=None, timeout=None):
    """Grade one Submission and return its SubmissionResult. Never raises for a bad file.

    ``timeout`` caps every exercise's time budget (seconds); the rubric sets each budget.
    """
    from .notebook import NotebookError, read_submission
    from .rubric import EXERCISES, answer_variables, review_questions

    start = time.perf_counter()
    sandbox = sandbox or default_sandbox()
    sandbox.warm()  # the zygote imports numpy while this process reads the notebook
    result = SubmissionResult(
        student=submission.student, assignment=submission.assignment or "", path=submission.path,
        sha256="", score=0.0, max_score=0.0, seed=seed, graded_at=_now(),
        grader_version=__version__, layers=list(sandbox.layers))

    try:
        source = read_submission(submission.path,
                                 graded_names=frozenset(EXERCISES) | answer_variables())
        failure = None
        result.sha256 = source.sha256
        result.errors += [f"{submission.path}: {p}" for p in source.problems]
    except NotebookError as exc:
        source, failure = None, str(exc)
        result.errors.append(failure)
        try:
            result.sha256 = file_sha256(submission.path)
        except OSError:
            pass

    rubric_name = rubric_for(submission, source)
    result.assignment = submission.assignment or rubric_name
    table = expected_cases(rubric_name, seed, visible_only)
    questions = review_questions(rubric_name)

    outcomes = {}
    if source is not None:
        calls, budgets = _calls(table, questions, source.defined, timeout)
        if calls:
            run = sandbox.run([(c.cell, c.source) for c in source.chunks], calls, budgets)
            outcomes = run.calls
            result.layers = run.layers
            result.errors += [f"{submission.path}: {e}" for e in run.cell_errors + run.notes]

    not_graded = f"not graded: {failure}" if source is None else None
    defined = source.defined if source is not None else {}
    result.tests = _exercise_tests(table, outcomes, defined, not_graded) + _review_tests(
        questions, outcomes, defined, not_graded)
    result.score = round(sum(t.score for t in result.tests), 6)
    result.max_score = round(sum(t.max_score for t in result.tests), 6)
    result.duration_s = time.perf_counter() - start
    return result


def _calls(table, questions, defined, timeout):
    """The child's calls (one per case of each defined function, one per answer variable) and
    each exercise's time budget."""
    from .child import encode
    from .rubric import DEPENDS

    calls, budgets = [], {}
    for exercise, cases in table:
        budgets[exercise.name] = min(exercise.budget_s, timeout or exercise.budget_s)
        if exercise.name not in defined:
            continue
        for case, _ in cases:
            calls.append({
                "id": case.id, "exercise": exercise.name, "function": exercise.name,
                "args": [encode(a) for a in case.args],
                "kwargs": {k: encode(v) for k, v in case.kwargs.items()},
                "seed": case.seed, "mutation": exercise.mutation,
                "oracles": list(DEPENDS.get(exercise.name, ())),
            })
    for question in questions:
        if question.variable in defined:
            calls.append({"id": f"review/{question.variable}", "exercise": "review",
                          "variable": question.variable})
    return calls, budgets


def _exercise_tests(table, outcomes, defined, not_graded):
    """One TestResult per case: partial credit per case, the problem, the diagnosed mistake."""
    from .diagnose import diagnose
    from .rubric import check

    tests = []
    for exercise, cases in table:
        share = exercise.points / len(cases) if cases else 0.0
        for case, expected in cases:
            test = TestResult(
                name=f"{exercise.name}: case {case.number}"
                     f"{' (visible)' if case.visible else ''}",
                exercise=exercise.name, score=0.0, max_score=share, status="failed")
            if not_graded:
                test.output = not_graded
            elif exercise.name not in defined:
                test.output = f"function {exercise.name} not found in the notebook"
            else:
                outcome = outcomes.get(case.id)
                verdict = check(exercise, case, outcome, expected)
                if verdict.passed:
                    test.score, test.status = share, "passed"
                    test.output = f"Called {case.call_text()}: correct"
                else:
                    mistake = diagnose(exercise.name, case, outcome, expected)
                    lines = [f"Called {case.call_text()}", f"Problem: {verdict.problem}"]
                    if mistake is not None:
                        test.mistake = mistake.id
                        lines += [f"Likely mistake: {mistake.title}", f"Hint: {mistake.hint}"]
                    test.output = "\n".join(lines)
            tests.append(test)
    return tests


def _review_tests(questions, outcomes, defined, not_graded):
    """One TestResult per review question answered as a notebook variable."""
    from .rubric import check_review

    tests = []
    for question in questions:
        test = TestResult(name=f"review question {question.lecture}: {question.variable}",
                          exercise=question.variable, score=0.0, max_score=question.points,
                          status="failed")
        if not_graded:
            test.output = not_graded
        elif question.variable not in defined:
            test.output = f"answer variable {question.variable} not found in the notebook"
        else:
            passed, problem, feedback = check_review(
                question, outcomes.get(f"review/{question.variable}"))
            if passed:
                test.score, test.status = question.points, "passed"
                test.output = f"{question.variable}: correct. {question.explanation.strip()}"
            else:
                test.output = "\n".join(filter(None, [
                    f"Question: {' '.join(question.prompt.split())}", f"Problem: {problem}",
                    f"Hint: {feedback}" if feedback else ""]))
        tests.append(test)
    return tests


# -- grading many -----------------------------------------------------------------------------

def _worker_grade(submission, seed, resume_db, timeout):
    """Runs in a worker process: returns ("skipped", submission) or ("graded", result)."""
    if resume_db and os.path.exists(resume_db):
        from .gradebook import Gradebook
        from .notebook import NotebookError, read_submission

        try:
            sha = file_sha256(submission.path)
        except OSError:
            sha = None
        assignment = submission.assignment
        if assignment is None:  # the same rule as grade_submission, from the definitions
            try:
                assignment = rubric_for(submission, read_submission(submission.path))
            except NotebookError:
                assignment = "all"
        with Gradebook(resume_db) as book:
            if sha and book.is_graded(submission.student, assignment, sha, __version__, seed):
                return "skipped", submission
    try:
        return "graded", grade_submission(submission, seed=seed, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
        failure = f"{submission.path}: the grader failed on this submission " \
                  f"({type(exc).__name__}: {exc}); it is recorded with no score, grade it again"
        return "graded", SubmissionResult(
            student=submission.student, assignment=submission.assignment or "",
            path=submission.path, sha256="", score=0.0, max_score=0.0, errors=[failure],
            seed=seed, graded_at=_now(), grader_version=__version__)


def grade_many(submissions, *, gradebook=None, jobs=1, seed=0, resume=False, on_result=None,
               timeout=None):
    """Grade submissions with ``jobs`` worker processes, recording each result as it arrives.

    Each result is committed to the gradebook (its own transaction) before the next is taken, so
    an interrupted run loses nothing already recorded, and ``resume`` skips every submission
    already graded unchanged (same file hash, grader version and seed). ``on_result(kind, item)``
    is called for each ("graded", result) or ("skipped", submission).
    Returns the list of results graded in this run.
    """
    from .gradebook import Gradebook

    book = Gradebook(gradebook) if gradebook else None
    resume_db = str(gradebook) if (resume and gradebook) else None
    results = []

    def handle(kind, item):
        if kind == "graded":
            if book is not None:
                book.record(item)
            results.append(item)
        if on_result:
            on_result(kind, item)

    try:
        if jobs <= 1 or len(submissions) <= 1:
            for submission in submissions:
                handle(*_worker_grade(submission, seed, resume_db, timeout))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                futures = [pool.submit(_worker_grade, s, seed, resume_db, timeout)
                           for s in submissions]
                try:
                    for future in as_completed(futures):
                        handle(*future.result())
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
    finally:
        if book is not None:
            book.close()
    return results
