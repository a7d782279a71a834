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


_RESOLVED = []  # the course folder this command resolved last (the views import into it)


def course_root(option=None) -> Path:
    """The course folder: ``option``, else the nearest folder up from here with
    ``nbgrader_config.py`` or ``shallow.yaml``, else the current folder."""
    _RESOLVED[:] = [_find_root(option)]
    return _RESOLVED[0]


def _find_root(option) -> Path:
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


def _check_settings(root):
    """A course settings file that export and report would refuse stops grading now too."""
    from .policy import CONFIG_FILE, PolicyError, load_policy

    if (Path(root) / CONFIG_FILE).is_file():
        try:
            load_policy(root)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None


def grade_paths(paths, *, student=None, assignment=None, gradebook=None, jobs=1, resume=False,
                seed=None, timeout=None, course=None, version=None, review="auto",
                on_result=None, results_dir=None, hidden_visibility="visible", cluster=None,
                require_layers=False, student_budget=None) -> GradeRun:
    """Find the submissions in ``paths``, grade them, record them in ``gradebook``.

    ``cluster``: a Dask address (``tcp://host:8786``, ``local:N``) to grade on instead of local
    worker processes (``cluster.py``); ``require_layers``: refuse a worker that lacks an
    isolation layer this machine has; ``student_budget``: seconds of grading for all of one
    student's notebooks (``Options.student_budget_s`` by default)."""
    from .batch import grade_many
    from .grade import Options
    from .gradebook import GradebookError
    from .seeds import SecretError, load_secret
    from .submissions import SubmissionError, find_submissions

    if cluster is not None:
        from .cluster import ClusterError, parse_address

        try:
            parse_address(cluster)
        except ClusterError as exc:
            raise CommandError(str(exc)) from None
    if cluster is None and jobs <= 1:
        from .isolation.sandbox import default_sandbox

        default_sandbox().warm()  # the zygote starts while the rest of the grader loads
    root = course_root(course)
    _check_settings(root)
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
                      review=review, course_root=str(root),
                      student_budget_s=student_budget or Options.student_budget_s)

    def handle(kind, item):
        if kind == "skipped":
            run.skipped.append(item)
        elif results_dir:
            write_results_json(results_dir, item, hidden_visibility)
        if on_result:
            on_result(kind, item)

    if cluster is not None:
        from .cluster import ClusterError, grade_on_cluster

        try:
            done = grade_on_cluster(found.submissions, address=cluster, gradebook=gradebook,
                                    options=options, resume=resume, on_result=handle,
                                    require_layers=require_layers)
        except (ClusterError, GradebookError) as exc:
            raise CommandError(str(exc)) from None
        run.results, run.missing_layers = done.results, done.missing_layers
    else:
        try:
            run.results = grade_many(found.submissions, gradebook=gradebook, jobs=jobs,
                                     options=options, resume=resume, on_result=handle)
        except GradebookError as exc:
            raise CommandError(str(exc)) from None
        run.missing_layers = _missing_layers(run.results)
    if gradebook is not None and run.results:  # an nbgrader course: nbgrader's gradebook too
        from .integrations.nbgrader_sync import sync_after_grading

        run.notes += sync_after_grading(root, run.results, gradebook)
    return run


def _missing_layers(results):
    """The isolation layers missing where these results were graded: this process's sandbox
    says why when it graded; worker processes' results say which layers they had."""
    from .isolation import layers as L
    from .isolation.sandbox import default_sandbox

    sandbox = default_sandbox()
    if sandbox._zygote is not None or sandbox._confirmed:
        return tuple(sandbox.missing)
    strongest = L.optimistic() or ()
    graded = [r for r in results if r.layers]
    if not graded:
        return ()
    active = set().union(*(set(r.layers) for r in graded))
    return tuple(f"{layer}: not active in the worker processes" for layer in strongest
                 if layer not in active)


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


def open_book(gradebook, *, must_exist=True, on_note=None):
    """The gradebook for a command. For the views (``must_exist``: export, report, feedback),
    in an nbgrader course, formgrader's manual grades are imported first as overrides."""
    from .gradebook import GradebookError, exists, open_gradebook

    if must_exist and not exists(gradebook):
        raise CommandError(f"{gradebook}: no such gradebook (grade something first)")
    try:
        book = open_gradebook(gradebook)
    except GradebookError as exc:
        raise CommandError(str(exc)) from None
    if must_exist and _RESOLVED:
        from .integrations.nbgrader_sync import SyncError, import_manual_grades

        try:
            imported = import_manual_grades(_RESOLVED[0], book)
        except SyncError as exc:
            book.close()
            raise CommandError(str(exc)) from None
        if on_note is not None:
            for note in imported.notes:
                on_note(note)
            if imported.added:
                on_note(f"{gradebook}: {len(imported.added)} manual grade(s) imported from "
                        f"formgrader")
    return book


EXPORT_FORMATS = ("nbgrader", "canvas", "moodle")


def export_grades(gradebook, *, assignment=None, output=None, roster=None, course=None,
                  policy_file=None, fmt="nbgrader", on_note=None) -> list:
    """Write the grade CSVs; return [(path, rows)]. ``fmt`` "nbgrader": one file per assignment
    in nbgrader export's columns; "canvas" or "moodle": one file for the LMS's gradebook import,
    a column per assignment."""
    from .gradebook import GradebookError
    from .gradebook.export import export_assignment
    from .policy import PolicyError, load_policy
    from .roster import RosterError, read_roster

    if fmt not in EXPORT_FORMATS:
        raise CommandError(f"--format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    root = course_root(course)
    try:
        policy = load_policy(root, policy_file)
        if fmt == "nbgrader":
            people = read_roster(roster) if roster else None
        else:
            from .integrations.lms import read_lms_roster

            people = read_lms_roster(roster) if roster else None
    except (PolicyError, RosterError) as exc:
        raise CommandError(str(exc)) from None
    loaded = load_course(root)
    written = []
    with open_book(gradebook, on_note=on_note) as book:
        try:
            names = [assignment] if assignment else book.assignments()
            if not names:
                raise CommandError(f"{gradebook}: the gradebook is empty")
            if assignment and assignment not in book.assignments():
                raise CommandError(f"{gradebook}: no attempts at assignment {assignment!r} "
                                   f"(it holds {', '.join(book.assignments())})")
            if fmt != "nbgrader":
                from .integrations.lms import export_lms

                target = output or f"grades-{fmt}.csv"
                count = export_lms(book, names, target, layout=fmt, policy=policy,
                                   roster=people, course=loaded)
                return [(target, count)]
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
