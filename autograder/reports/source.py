"""Reading what the views need, once: the gradebook's latest attempts (manual grades applied),
latest quiz attempts and manual grades of one assignment, the course, its late policy, the
roster and the quiz bank. Every failure is a ``ReportError`` of one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..commands import CommandError


class ReportError(CommandError):
    """A report or feedback that cannot be made (one line: the file and the problem)."""


@dataclass
class ClassData:
    gradebook: str
    assignment: str
    results: list  # SubmissionResult: each student's latest attempt, overrides applied
    quizzes: dict  # student -> latest quiz attempt
    overrides: list  # gradebook Override records (every manual grade, oldest first)
    course: object
    policy: object
    bank: object
    roster: list | None = None  # roster Person records, when a roster was given
    order: list = field(default_factory=list)  # the assignment's exercises, teaching order
    titles: dict = field(default_factory=dict)  # exercise -> title
    assignment_title: str = ""


def _pick(book, gradebook, assignment):
    known = book.assignments()
    if not known:
        raise ReportError(f"{gradebook}: the gradebook is empty")
    if assignment is None:
        if len(known) > 1:
            raise ReportError(f"{gradebook} holds {len(known)} assignments "
                              f"({', '.join(known)}): choose one with --assignment")
        return known[0]
    if assignment not in known:
        raise ReportError(f"{gradebook}: no attempts at assignment {assignment!r} (it holds "
                          f"{', '.join(known)})")
    return assignment


def load_class(gradebook, assignment=None, *, roster=None, course=None) -> ClassData:
    """Everything about ``assignment`` (None: the gradebook's only one)."""
    from ..commands import course_root, load_course, open_book
    from ..gradebook import GradebookError
    from ..policy import PolicyError, load_policy
    from ..roster import RosterError, read_roster

    try:
        root = course_root(course)
        people = read_roster(roster) if roster is not None else None
        policy = load_policy(root)
        loaded = load_course(root)
    except (PolicyError, RosterError) as exc:
        raise ReportError(str(exc)) from None
    except CommandError as exc:
        raise ReportError(str(exc)) from None
    bank = load_bank()
    name = str(gradebook)
    try:
        with open_book(gradebook) as book:
            chosen = _pick(book, name, assignment)
            results = book.latest_per_student(chosen)
            quizzes = book.latest_quiz(chosen)
            overrides = book.overrides(assignment=chosen)
    except GradebookError as exc:
        raise ReportError(str(exc)) from None
    except CommandError as exc:
        raise ReportError(str(exc)) from None
    order, titles, title = [], {}, ""
    if chosen in loaded.assignments:
        record = loaded.assignment(chosen)
        order, title = list(record.exercises), record.title
    titles = {n: e.title for n, e in loaded.exercises.items()}
    return ClassData(name, chosen, results, quizzes, overrides, loaded, policy, bank, people,
                     order, titles, title)


def load_bank():
    from quizzes.bank import BankError

    from ..course import review

    try:
        return review.bank()
    except BankError as exc:
        raise ReportError(f"the quiz bank is invalid: {exc}") from None
