"""The plain functions behind the ``shallow`` commands: the Python API the CLI wraps.

Each takes its inputs as arguments, returns what it did (or raises ``CommandError`` with one
line), and prints nothing: ``cli.py`` turns the results into text and exit codes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


class CommandError(Exception):
    """A command that cannot do its job (one line naming the file and the problem)."""


COURSE_MARKERS = ("nbgrader_config.py", "shallow.yaml")


def course_root(option=None) -> Path:
    """The course folder: ``option``, else the nearest folder up from here with
    ``nbgrader_config.py`` or ``shallow.yaml``, else the current folder."""
    if option:
        path = Path(option)
        if not path.is_dir():
            raise CommandError(f"{option}: no such course folder")
        return path
    here = Path.cwd()
    for folder in (here, *here.parents):
        if any((folder / marker).is_file() for marker in COURSE_MARKERS):
            return folder
    return here


def load_course(root):
    from .course import CourseError, default_course

    try:
        return default_course(str(root))
    except CourseError as exc:
        raise CommandError(str(exc)) from None


@dataclass
class GradeRun:
    results: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # refused paths, one line each
    notes: list = field(default_factory=list)  # what was assumed or ignored, one line each
    missing_layers: tuple = ()


def grade_paths(paths, *, student=None, assignment=None, gradebook=None, jobs=1, resume=False,
                seed=None, timeout=None, course=None, version=None, review="auto",
                on_result=None, results_dir=None, hidden_visibility="visible") -> GradeRun:
    """Find the submissions in ``paths``, grade them, record them in ``gradebook``."""
    from .batch import grade_many
    from .grade import Options, default_sandbox
    from .gradebook import GradebookError
    from .seeds import SecretError, load_secret
    from .submissions import SubmissionError, find_submissions

    sandbox = default_sandbox()
    sandbox.warm()  # the zygote starts while the rest of the grader loads
    root = course_root(course)
    loaded = load_course(root)
    try:
        found = find_submissions(paths, course=loaded, student=student, assignment=assignment)
    except SubmissionError as exc:
        raise CommandError(str(exc)) from None
    run = GradeRun(problems=list(found.problems), notes=list(found.notes))
    if not found.submissions:
        if run.problems:
            return run
        raise CommandError(f"no notebooks found in {', '.join(map(str, paths))}")
    secret = None
    if seed is None:
        try:
            secret = load_secret(root)
        except SecretError as exc:
            raise CommandError(str(exc)) from None
    options = Options(seed=seed, secret=secret, timeout=timeout, version=version,
                      review=review, course_root=str(root))

    def handle(kind, item):
        if kind == "skipped":
            run.skipped.append(item)
        elif results_dir:
            write_results_json(results_dir, item, hidden_visibility)
        if on_result:
            on_result(kind, item)

    try:
        run.results = grade_many(found.submissions, gradebook=gradebook, jobs=jobs,
                                 options=options, resume=resume, on_result=handle)
    except GradebookError as exc:
        raise CommandError(str(exc)) from None
    run.missing_layers = tuple(default_sandbox().missing)
    return run


def safe_component(name: str) -> str:
    """``name`` as one harmless file-name component (percent-encoded when it is not)."""
    import hashlib
    import re
    from urllib.parse import quote

    if re.fullmatch(r"[\w@+=,-][\w.@+=,-]*", name) and len(name.encode()) <= 200:
        return name
    encoded = quote(name, safe="") or "_"
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded) > 200:
        encoded = encoded[:180] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return encoded


def write_results_json(results_dir, result, hidden_visibility="visible"):
    folder = Path(results_dir) / safe_component(result.student or "unknown") / \
        safe_component(result.assignment or "unknown")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "results.json"
    partial = folder / "results.json.partial"
    partial.write_text(json.dumps(result.to_gradescope(hidden_visibility=hidden_visibility),
                                  indent=1), encoding="utf-8")
    os.replace(partial, target)


def check_notebook(path, *, assignment=None, course=None):
    """The student's check: the visible cases only, nothing recorded."""
    from .grade import Options, Submission, grade_submission
    from .submissions import SubmissionError, find_submissions

    root = course_root(course)
    loaded = load_course(root)
    try:
        found = find_submissions([path], course=loaded, student="you", assignment=assignment)
    except SubmissionError as exc:
        raise CommandError(str(exc)) from None
    if found.problems:
        raise CommandError(found.problems[0])
    submission = found.submissions[0] if found.submissions else Submission(str(path), "you",
                                                                           assignment)
    return grade_submission(submission, Options(visible_only=True, seed=0, review="form",
                                                course_root=str(root)))


def open_book(gradebook, *, must_exist=True):
    from .gradebook import GradebookError, exists, open_gradebook

    if must_exist and not exists(gradebook):
        raise CommandError(f"{gradebook}: no such gradebook (grade something first)")
    try:
        return open_gradebook(gradebook)
    except GradebookError as exc:
        raise CommandError(str(exc)) from None


def export_grades(gradebook, *, assignment=None, output=None, roster=None, course=None,
                  policy_file=None) -> list:
    """Write one grade CSV per assignment; return [(path, rows)]."""
    from .gradebook import GradebookError
    from .gradebook.export import export_assignment
    from .policy import PolicyError, load_policy
    from .roster import RosterError, read_roster

    root = course_root(course)
    try:
        policy = load_policy(root, policy_file)
        people = read_roster(roster) if roster else None
    except (PolicyError, RosterError) as exc:
        raise CommandError(str(exc)) from None
    loaded = load_course(root)
    written = []
    with open_book(gradebook) as book:
        try:
            names = [assignment] if assignment else book.assignments()
            if not names:
                raise CommandError(f"{gradebook}: the gradebook is empty")
            if assignment and assignment not in book.assignments():
                raise CommandError(f"{gradebook}: no attempts at assignment {assignment!r} "
                                   f"(it holds {', '.join(book.assignments())})")
            if output and len(names) > 1:
                raise CommandError("--output needs --assignment when the gradebook holds "
                                   f"several assignments ({', '.join(names)})")
            for name in names:
                target = output or f"grades-{safe_component(name)}.csv"
                count = export_assignment(book, name, target, policy=policy, roster=people,
                                          course=loaded)
                written.append((target, count))
        except GradebookError as exc:
            raise CommandError(str(exc)) from None
    return written


def override(gradebook, student, assignment, exercise, points, *, reason, author=None,
             course=None):
    """Set one exercise's points by hand, with the reason; return the override's id."""
    from .gradebook import GradebookError
    from .results import as_fraction

    try:
        value = as_fraction(points)
    except (ValueError, ZeroDivisionError, TypeError):
        raise CommandError(f"points {points!r} is not a number") from None
    loaded = load_course(course_root(course))
    if assignment in loaded.assignments:
        known = set(loaded.assignment(assignment).exercises)
        from .course import review

        known |= {q.variable for q in review.questions(loaded.assignment(assignment))}
        if exercise not in known:
            raise CommandError(f"{exercise!r} is not an exercise or review question of "
                               f"{assignment} ({', '.join(sorted(known))})")
    author = author or os.environ.get("USER") or "unknown"
    with open_book(gradebook, must_exist=False) as book:
        try:
            return book.override(student, assignment, exercise, value, reason=reason,
                                 author=author)
        except GradebookError as exc:
            raise CommandError(str(exc)) from None
