"""Grade many submissions with worker processes, recording each result as it arrives.

Each worker process has its own sandbox (its own zygote and range of uids). The batch never
crashes on one submission: a submission whose worker dies (killed, out of memory) is retried
once on a fresh worker, then recorded as failed with the reason; a grader error on one
submission is recorded as failed too. Each result is committed to the gradebook in its own
transaction before the next is taken, so an interrupted batch loses nothing recorded, and
``resume`` skips every submission already graded unchanged (same file, grader version, seed).
"""

from __future__ import annotations

import multiprocessing
import select
import traceback
from dataclasses import dataclass

from . import __version__
from .grade import Options, Submission, file_sha256, grade_submission, now_utc, seed_for
from .results import SubmissionResult
from .safety import one_line

RETRIES = 1


def failed_result(submission: Submission, why: str, options: Options) -> SubmissionResult:
    """The record of a submission the grader could not grade (no points, the reason)."""
    seed, source = seed_for(options, submission.student, submission.assignment or "")
    return SubmissionResult(
        student=submission.student, assignment=submission.assignment or "",
        path=submission.path, status="failed",
        reason=one_line(f"{submission.path}: {why}; it is recorded with no score: grade it "
                        f"again"), seed=seed, seed_source=source,
        submitted_at=submission.submitted_at, submitted_at_source=submission.submitted_at_source,
        graded_at=now_utc(), grader_version=__version__)


def _grade_safely(submission, options, sandbox=None):
    try:
        return grade_submission(submission, options, sandbox=sandbox)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return failed_result(submission, f"the grader failed on this submission ({detail})",
                             options)


def _worker(connection, slot, options):
    """A worker process: grade each submission it is sent, answer with the result's dict."""
    from .isolation.sandbox import Sandbox, pin_to_cpu

    pin_to_cpu(slot)  # this worker, its zygote and children take turns on one CPU
    sandbox = Sandbox(slot=slot)
    sandbox.warm()
    try:
        while True:
            try:
                message = connection.recv()
            except EOFError:
                return
            if message is None:
                return
            result = _grade_safely(message, options, sandbox)
            connection.send(result.to_dict())
    finally:
        sandbox.close()


@dataclass
class _Slot:
    process: object
    connection: object
    job: object = None  # (submission, tries) being graded


def grade_many(submissions, *, gradebook=None, jobs=1, options=None, resume=False,
               on_result=None):
    """Grade ``submissions``; return the results graded in this run (in submission order).

    ``gradebook``: a path or an open gradebook to record into. ``on_result(kind, item)`` is
    called for each ("graded", result) or ("skipped", submission).
    """
    from .gradebook import open_gradebook

    options = options or Options()
    own = gradebook is not None and not hasattr(gradebook, "record")
    book = open_gradebook(gradebook) if own else gradebook
    results = []

    def handle(kind, item):
        if kind == "graded":
            if book is not None:
                book.record(item)
            results.append(item)
        if on_result:
            on_result(kind, item)

    spent = {}  # student -> grading seconds of their notebooks so far

    def graded(result):
        spent[result.student] = spent.get(result.student, 0.0) + (result.duration_s or 0.0)
        handle("graded", result)

    def over_budget(submission):
        """The record of a notebook whose student used up the batch's budget, else None."""
        used = spent.get(submission.student, 0.0)
        if used < options.student_budget_s:
            return None
        return failed_result(submission, f"not graded: {submission.student}'s notebooks used "
                             f"up their {options.student_budget_s:g} s grading budget for this "
                             f"batch ({used:.0f} s)", options)

    try:
        todo = []
        for submission in submissions:
            if resume and book is not None and _unchanged(book, submission, options):
                handle("skipped", submission)
            else:
                todo.append(submission)
        if jobs <= 1 or len(todo) <= 1:
            for submission in todo:
                refused = over_budget(submission)
                graded(refused or _grade_safely(submission, options))
        else:
            _pool(todo, min(jobs, len(todo)), options, graded, over_budget)
    finally:
        if own and book is not None:
            book.close()
    order = {s.path: i for i, s in enumerate(submissions)}
    results.sort(key=lambda r: order.get(r.path, 0))
    return results


def _unchanged(book, submission, options):
    try:
        sha = file_sha256(submission.path)
    except OSError:
        return False
    if submission.assignment is None:
        return False
    seed, _ = seed_for(options, submission.student, submission.assignment, sha)
    return book.is_graded(submission.student, submission.assignment, sha, __version__, seed)


def _pool(todo, jobs, options, graded, over_budget):
    """Grade ``todo`` on ``jobs`` worker processes; ``graded(result)`` records each result,
    ``over_budget(submission)`` refuses a notebook whose student has used up the budget (a
    student's notebooks already being graded on other workers still finish)."""
    context = multiprocessing.get_context("fork")
    queue = [(submission, 0) for submission in reversed(todo)]
    slots = {}

    def start(index):
        ours, theirs = context.Pipe()
        process = context.Process(target=_worker, args=(theirs, index, options), daemon=True)
        process.start()
        theirs.close()
        slots[index] = _Slot(process, ours)

    def feed(slot):
        while queue and slot.job is None:
            refused = over_budget(queue[-1][0])
            if refused is not None:
                queue.pop()
                graded(refused)
                continue
            slot.job = queue.pop()
            try:
                slot.connection.send(slot.job[0])
            except (OSError, EOFError):
                pass  # the worker is gone: the next read says so

    try:
        for index in range(jobs):
            start(index)
            feed(slots[index])
        while any(slot.job is not None for slot in slots.values()):
            waiting = {slot.connection.fileno(): index for index, slot in slots.items()
                       if slot.job is not None}
            ready, _, _ = select.select(list(waiting), [], [], 1.0)
            for fd in ready:
                index = waiting[fd]
                slot = slots[index]
                try:
                    data = slot.connection.recv()
                except (EOFError, OSError):
                    data = None
                submission, tries = slot.job
                slot.job = None
                if data is not None:
                    graded(SubmissionResult.from_dict(data))
                else:  # the worker died while grading this one
                    slot.process.join(1)
                    code = slot.process.exitcode
                    if tries < RETRIES:
                        queue.append((submission, tries + 1))
                    else:
                        graded(failed_result(
                            submission, f"its grading process died twice (exit code {code})",
                            options))
                    slot.connection.close()
                    start(index)
                    slot = slots[index]
                feed(slot)
            for index, slot in list(slots.items()):  # a worker that died without a word
                if slot.job is not None and not slot.process.is_alive() and \
                        not slot.connection.poll():
                    submission, tries = slot.job
                    slot.job = None
                    if tries < RETRIES:
                        queue.append((submission, tries + 1))
                    else:
                        graded(failed_result(
                            submission, "its grading process died twice", options))
                    slot.connection.close()
                    start(index)
                    feed(slots[index])
    finally:
        for slot in slots.values():
            try:
                slot.connection.send(None)
            except (OSError, EOFError, BrokenPipeError):
                pass
        for slot in slots.values():
            slot.process.join(5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(1)
