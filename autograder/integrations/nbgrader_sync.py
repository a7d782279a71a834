"""Keep nbgrader's gradebook and shallow's as one: scores in, formgrader's manual grades back.

An nbgrader course is a folder with ``nbgrader_config.py`` whose nbgrader gradebook exists
(``gradebook.db``, or the configured ``CourseDirectory.db_url``): its assignments were generated
with nbgrader (``shallow release``). There:

- **scores in** (``sync_after_grading``, run by ``shallow grade``): each student's latest attempt
  (the gradebook's rule: submitted last) is written with nbgrader's own API
  (``nbgrader.api.Gradebook``): the student and the submission are created when missing, the
  submission's timestamp is the attempt's submission time (read from nbgrader's
  ``timestamp.txt`` as nbgrader reads it; written there from the result when the folder has
  none), and every grade cell's ``auto_score`` is the points of its exercise: code exercise
  ``E`` is graded by cell ``E_test``, review question ``N`` by ``review_N_test``. A manual
  score already entered in formgrader is kept, and the cell stays marked for review, as
  ``nbgrader autograde`` does. The graded notebook is written to nbgrader's
  ``autograded/<student>/<assignment>/`` (outputs cleared, locked cells restored and missing
  grade cells put back by nbgrader's own preprocessors) unless ``nbgrader autograde`` made one
  there, so formgrader shows it and ``nbgrader generate_feedback`` renders it, all with the
  same numbers as ``nbgrader export``.
- **manual grades back** (``import_manual_grades``, run before export, report and feedback):
  each grade cell with a ``manual_score`` (plus its extra credit), and each formgrader comment
  on an exercise's cells (``E_solution``, ``review_N_answer``), becomes a shallow override of
  that exercise by author ``formgrader``, whose reason names the cell and carries the comment.
  A comment without a manual score keeps the autograded points; a manual grade removed in
  formgrader gives the autograded points back. Idempotent: an override is added only when
  formgrader's state of an exercise differs from the last one imported, so the same one is
  never imported twice, and a later ``shallow override`` stands until formgrader changes.

nbgrader is imported only in an nbgrader course. Every problem is one line naming the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..safety import one_line, storable

CONFIG_FILE = "nbgrader_config.py"
AUTHOR = "formgrader"
REMOVED = "the manual grade was removed in formgrader; the autograded points apply"
SHALLOW_MARK = "autograded_from"  # notebook metadata: an autograded copy that shallow wrote
MAX_NOTEBOOK_BYTES = 20 << 20


class SyncError(Exception):
    """nbgrader's course settings or gradebook cannot be used (one line naming the file)."""


@dataclass(frozen=True)
class NbgraderCourse:
    """What shallow needs of an nbgrader course: where its gradebook and folders are."""

    root: Path
    db_url: str
    course_id: str = ""
    autograded: str = "autograded"
    structure: str = "{nbgrader_step}/{student_id}/{assignment_id}"
    submitted: str = "submitted"

    @property
    def label(self) -> str:
        """The gradebook for messages (a file path, or a database URL without its password)."""
        if self.db_url.startswith("sqlite:///"):
            return self.db_url[len("sqlite:///"):]
        scheme, _, rest = self.db_url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"

    def folder(self, step: str, student: str, assignment: str) -> Path:
        return self.root / self.structure.format(nbgrader_step=step, student_id=student,
                                                 assignment_id=assignment)


def _settings(config_path: Path) -> dict:
    """``CourseDirectory`` settings of an nbgrader_config.py, read as nbgrader reads it."""
    from traitlets.config.loader import PyFileConfigLoader

    loader = PyFileConfigLoader(config_path.name, path=str(config_path.parent))
    try:
        config = loader.load_config()
    except Exception as exc:  # the instructor's own Python file: any error it raises
        raise SyncError(f"{storable(config_path)}: cannot be read as nbgrader's settings "
                        f"({one_line(exc, 200)})") from None
    section = config["CourseDirectory"] if "CourseDirectory" in config else {}
    return {key: section[key] for key in ("db_url", "course_id", "autograded_directory",
                                          "directory_structure", "submitted_directory")
            if key in section}


def find_course(root) -> NbgraderCourse | None:
    """The nbgrader course at ``root``, or None when ``root`` is not one (cheap: without an
    ``nbgrader_config.py`` nothing is read)."""
    root = Path(root)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        return None
    settings = _settings(config_path)
    db_url = str(settings.get("db_url") or f"sqlite:///{(root / 'gradebook.db').absolute()}")
    if db_url.startswith("sqlite:///"):
        path = Path(db_url[len("sqlite:///"):])
        if not path.is_absolute():  # relative to the course folder, where nbgrader runs
            path = root / path
        if not path.is_file():
            return None  # nothing generated with nbgrader yet
        db_url = f"sqlite:///{path.absolute()}"
    return NbgraderCourse(root, db_url, str(settings.get("course_id", "")),
                          str(settings.get("autograded_directory", "autograded")),
                          str(settings.get("directory_structure",
                                           "{nbgrader_step}/{student_id}/{assignment_id}")),
                          str(settings.get("submitted_directory", "submitted")))


def cell_items(course, assignment: str) -> tuple[dict, dict]:
    """``({grade cell: item}, {answer cell: item})`` of one assignment of the shallow course.

    An item is what the results name: an exercise, or a review question's answer variable.
    Exercise ``E`` is answered in ``E_solution`` and graded by ``E_test``; review question
    ``N`` is answered in ``review_N_answer`` and graded by ``review_N_test``.
    """
    from ..course import review

    record = course.assignment(assignment)
    grades = {f"{name}_test": name for name in record.exercises}
    answers = {f"{name}_solution": name for name in record.exercises}
    for question in review.questions(record):
        grades[f"review_{question.lecture}_test"] = question.variable
        answers[f"review_{question.lecture}_answer"] = question.variable
    return grades, answers


def latest_attempt(attempts):
    """The attempt that counts (the gradebook's rule: submitted last, then recorded last)."""
    best, best_key = None, None
    for order, attempt in enumerate(attempts):
        key = (attempt.submitted_at or attempt.graded_at, order)
        if best_key is None or key >= best_key:
            best, best_key = attempt, key
    return best


@contextlib.contextmanager
def _quiet():
    """nbgrader's own API warns (SQLAlchemy's autoflush notes) where nothing is wrong."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _quiet_log():
    """A logger for nbgrader's preprocessors: their warnings are not the grader's output."""
    import logging

    log = logging.getLogger("autograder.integrations.nbgrader")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


# -- scores in ---------------------------------------------------------------------------------


def sync_after_grading(root, results, gradebook=None) -> list[str]:
    """Write the latest attempt of every (student, assignment) in ``results`` into nbgrader's
    gradebook when ``root`` is an nbgrader course; return one line per thing to tell."""
    if not results:
        return []
    try:
        course = find_course(root)
    except SyncError as exc:
        return [f"{exc}: nbgrader's gradebook was not updated"]
    if course is None:
        return []
    keys = list(dict.fromkeys((r.student, r.assignment) for r in results if r.assignment))
    chosen = {}
    for result in results:  # without a gradebook: the run's own latest
        key = (result.student, result.assignment)
        chosen[key] = latest_attempt([a for a in (chosen.get(key), result) if a is not None])
    if gradebook is not None:
        from ..gradebook import GradebookError, open_gradebook

        try:
            with open_gradebook(gradebook) as book:
                for key in keys:
                    chosen[key] = latest_attempt(book.attempts(*key)) or chosen[key]
        except GradebookError as exc:
            return [f"{exc}: nbgrader's gradebook was not updated"]
    return write_results(course, [chosen[key] for key in keys])


def write_results(course: NbgraderCourse, results) -> list[str]:
    """Write ``results`` (one per student and assignment) into nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    from ..course import default_course

    loaded = default_course(str(course.root))
    notes, written, copies = [], {}, []
    try:
        with _quiet(), Gradebook(course.db_url, course.course_id) as nb:
            for result in results:
                problem, notebook = _write_one(nb, course, loaded, result)
                if problem:
                    notes.append(problem)
                    continue
                written[result.assignment] = written.get(result.assignment, 0) + 1
                if notebook:
                    copies.append((result, notebook))
    except Exception as exc:  # nbgrader's and SQLAlchemy's errors, whatever their class
        return notes + [f"{course.label}: nbgrader's gradebook was not updated "
                        f"({one_line(exc, 300)})"]
    for result, notebook in copies:
        with _quiet():
            problem = write_autograded(course, result, notebook)
        if problem:
            notes.append(problem)
    for assignment, count in written.items():
        notes.append(f"{course.label}: {count} submission(s) of {assignment} written to "
                     f"nbgrader's gradebook")
    return notes


def _write_one(nb, course, loaded, result):
    """(problem, nbgrader notebook name to copy) after writing one result's scores."""
    from nbgrader import utils
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

    who = f"{storable(result.student)}/{storable(result.assignment)}"
    if result.status == "failed":
        return f"{course.label}: {who} not written (the grader failed on it: " \
               f"{one_line(result.reason, 200)})", None
    if result.assignment not in loaded.assignments:
        return f"{course.label}: {who} not written ({result.assignment} is not an " \
               f"assignment of the course)", None
    try:
        assignment = nb.find_assignment(result.assignment)
    except MissingEntry:
        return f"{course.label}: {who} not written ({result.assignment} is not in nbgrader's " \
               f"gradebook: generate it with `shallow release {result.assignment}`)", None
    grade_cells, _ = cell_items(loaded, result.assignment)
    points = result.exercise_points()
    nb.update_or_create_student(result.student)
    try:
        submission = nb.find_submission(result.assignment, result.student)
    except MissingEntry:
        submission = nb.add_submission(result.assignment, result.student)
    stamp = submission_stamp(course, result)
    if stamp:
        submission.timestamp = utils.parse_utc(stamp)
    existing = {snb.name: snb for snb in submission.notebooks}
    mismatched = []
    for notebook in assignment.notebooks:
        snb = existing.get(notebook.name)
        if snb is None:  # a notebook added to the assignment after this submission was made
            snb = SubmittedNotebook(notebook=notebook, assignment=submission)
            nb.db.add(snb)
        grades = {grade.name: grade for grade in snb.grades}
        for cell in notebook.grade_cells:
            item = grade_cells.get(cell.name)
            if item is None:
                continue  # a cell graded by hand (a written answer): formgrader's alone
            grade = grades.get(cell.name)
            if grade is None:
                grade = Grade(cell_id=cell.id, notebook=snb)
                nb.db.add(grade)
            got, top = points.get(item, (Fraction(0), Fraction(0)))
            grade.auto_score = float(got)
            grade.needs_manual_grade = grade.manual_score is not None
            if top and float(top) != float(cell.max_score):
                mismatched.append(f"{cell.name} ({float(cell.max_score):g} points in nbgrader, "
                                  f"{float(top):g} in the course)")
    nb.db.commit()
    wanted = Path(loaded.assignment(result.assignment).notebook_name).stem
    names = [notebook.name for notebook in assignment.notebooks]
    notebook = wanted if wanted in names else (names[0] if len(names) == 1 else None)
    if mismatched:
        return f"{course.label}: {who}: points differ for {', '.join(mismatched[:3])}: " \
               f"release the assignment again (`shallow release`)", notebook
    return None, notebook


def submission_stamp(course: NbgraderCourse, result) -> str:
    """The submission time as nbgrader reads it: the text of ``timestamp.txt`` in nbgrader's
    ``submitted/<student>/<assignment>/``. When the graded notebook is there without one (a
    folder not made by ``nbgrader collect``), one is written from the result's submission time,
    so formgrader counts the submission as graded (it compares that file with the gradebook)."""
    from ..policy import PolicyError, parse_time
    from ..safety import UnsafeFileError, read_regular_file

    folder = course.folder(course.submitted, result.student, result.assignment)
    path = folder / "timestamp.txt"
    try:
        return read_regular_file(path, 1024).decode("utf-8", "replace").strip()
    except UnsafeFileError:
        pass
    if not result.submitted_at:
        return ""
    try:
        text = parse_time(result.submitted_at).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    except PolicyError:
        return ""
    try:
        if not path.exists() and Path(result.path).resolve().parent == folder.resolve():
            path.write_text(text + "\n", encoding="utf-8")
    except OSError:
        pass
    return text


def write_autograded(course: NbgraderCourse, result, notebook: str) -> str | None:
    """Put the graded notebook where formgrader and ``generate_feedback`` read it; a problem
    line, or None. A copy made by ``nbgrader autograde`` (with outputs) is left as it is."""
    import nbformat

    from ..safety import UnsafeFileError, read_regular_file

    who = f"{storable(result.student)}/{storable(result.assignment)}"
    source = Path(result.path)
    if source.suffix != ".ipynb":
        return f"{course.label}: {who}: a .py file, so formgrader has no notebook to show"
    folder = course.folder(course.autograded, result.student, result.assignment)
    target = folder / f"{notebook}.ipynb"
    if target.is_symlink():
        return f"{storable(target)}: a symbolic link: not replaced"
    if target.exists():
        try:
            mark = json.loads(target.read_text(encoding="utf-8"))["metadata"]["shallow"]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # nbgrader autograde's own copy: keep it
        if not isinstance(mark, dict) or SHALLOW_MARK not in mark:
            return None
        if mark.get(SHALLOW_MARK) == result.sha256:
            return None
    try:
        data = read_regular_file(source, MAX_NOTEBOOK_BYTES)
    except UnsafeFileError as exc:
        return f"{exc}: formgrader has no notebook to show for {who}"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError,
            RecursionError):
        return f"{storable(source)}: not a readable notebook, so formgrader has none to show " \
               f"for {who}"
    try:
        nb = _sanitize(course, nb, result, notebook)
    except Exception as exc:  # nbgrader's preprocessors on a student's odd notebook
        return f"{storable(target)}: not written ({one_line(exc, 200)})"
    nb.metadata["shallow"] = {SHALLOW_MARK: result.sha256, "graded_at": result.graded_at}
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{notebook}.ipynb.partial"
    nbformat.write(nb, str(partial))
    os.replace(partial, target)
    stamp = submission_stamp(course, result)
    if stamp:  # as nbgrader autograde copies it
        (folder / "timestamp.txt").write_text(stamp + "\n", encoding="utf-8")
    return None


def _sanitize(course, nb, result, notebook):
    """nbgrader autograde's sanitising steps: outputs cleared, duplicate ids dropped, locked
    cells and metadata restored from the gradebook, deleted grade cells put back."""
    from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteCells

    resources = {"nbgrader": {"notebook": notebook, "assignment": result.assignment,
                              "student": result.student, "db_url": course.db_url}}
    log = _quiet_log()
    nb, resources = ClearOutput(log=log).preprocess(nb, resources)
    nb, resources = DeduplicateIds(log=log).preprocess(nb, resources)
    try:
        nb, resources = OverwriteCells(add_missing_cells=True, log=log).preprocess(
            nb, resources)
    except (KeyError, ValueError, IndexError):  # a deleted cell with no neighbour to go after
        nb, resources = OverwriteCells(log=log).preprocess(nb, resources)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is not None and "grade_id" not in meta:  # an id nbgrader does not know
            del cell.metadata["nbgrader"]
    return nb


# -- manual grades back ------------------------------------------------------------------------


@dataclass
class Imported:
    """What an import did: the overrides added (their ids) and what to tell (one line each)."""

    added: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def import_manual_grades(root, book, assignments=None) -> Imported:
    """Bring formgrader's manual grades and comments of ``assignments`` (default: the
    gradebook's) into ``book`` as overrides (see the module docstring). SyncError if
    nbgrader's gradebook cannot be read."""
    out = Imported()
    course = find_course(root)
    if course is None:
        return out
    from ..course import default_course

    loaded = default_course(str(root))
    names = [a for a in (assignments or book.assignments()) if a in loaded.assignments]
    if not names:
        return out
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with _locked(book), _quiet(), Gradebook(course.db_url, course.course_id) as nb:
            for name in names:
                try:
                    found = nb.find_assignment(name)
                except MissingEntry:
                    continue
                _import_assignment(course, loaded, book, found, name, out)
    except SyncError:
        raise
    except Exception as exc:  # nbgrader's and SQLAlchemy's errors, whatever their class
        from ..gradebook import GradebookError

        if isinstance(exc, GradebookError):
            raise SyncError(str(exc)) from None
        raise SyncError(f"{course.label}: cannot read nbgrader's gradebook "
                        f"({one_line(exc, 300)})") from None
    return out


@contextlib.contextmanager
def _locked(book):
    """One import at a time per gradebook file (so two exports cannot add the same one)."""
    path = getattr(book, "path", None)
    if path is None or not Path(path).is_file():
        yield
        return
    import fcntl

    with open(path, "rb") as handle:  # flock: independent of SQLite's own fcntl locks
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _import_assignment(course, loaded, book, found, name, out):
    grade_cells, answer_cells = cell_items(loaded, name)
    order = list(dict.fromkeys(grade_cells.values()))
    cell_of = {item: cell for cell, item in grade_cells.items()}
    students = set(book.students(name))
    for submission in found.submissions:
        student = submission.student.id
        if student not in students:
            continue
        state = _formgrader_state(course, submission, grade_cells, answer_cells, name, out)
        previous = {}
        for override in book.overrides(student, name):
            if override.author == AUTHOR:
                previous[override.exercise] = override
        if not state and not previous:
            continue
        base = None
        for item in order:
            if item not in state and item not in previous:
                continue
            if base is None:
                latest = latest_attempt(book.attempts(student, name))
                base = latest.exercise_points() if latest is not None else {}
            wanted = _wanted(state.get(item, {}), previous.get(item), base.get(item),
                             cell_of.get(item, item))
            if wanted is None:
                continue
            points, reason = wanted
            if points < 0:
                out.notes.append(f"{course.label}: {storable(student)}/{name}: a negative manual "
                                 f"grade for {item} ({float(points):g}): not imported")
                continue
            last = previous.get(item)
            if last is not None and last.points == points and last.reason == storable(reason):
                continue
            out.added.append(book.override(student, name, item, points, reason=reason,
                                           author=AUTHOR))


def _formgrader_state(course, submission, grade_cells, answer_cells, name, out) -> dict:
    """{item: {cell, manual, extra, auto, max, comments}} of one nbgrader submission."""
    state = {}

    def entry(item):
        return state.setdefault(item, {"comments": []})

    who = f"{storable(submission.student.id)}/{name}"
    for snb in submission.notebooks:
        for grade in snb.grades:
            item = grade_cells.get(grade.name)
            if item is None:
                if grade.manual_score is not None:
                    out.notes.append(f"{course.label}: {who}: the manual grade of cell "
                                     f"{grade.name} is not an exercise of {name}: not imported")
                continue
            if grade.manual_score is None and not grade.extra_credit:
                continue
            entry(item).update(cell=grade.name, manual=grade.manual_score,
                               extra=grade.extra_credit, max=grade.max_score)
        for comment in snb.comments:
            text = " ".join(str(comment.manual_comment or "").split())
            if not text:
                continue
            item = answer_cells.get(comment.name) or grade_cells.get(comment.name)
            if item is None:
                out.notes.append(f"{course.label}: {who}: the comment on cell {comment.name} "
                                 f"is not about an exercise of {name}: not imported")
                continue
            entry(item)["comments"].append((comment.name, text))
    return state


def _wanted(state, last, base, cell):
    """(points, reason) formgrader's state of one item (graded by ``cell``) asks for, or None:
    nothing to import."""
    from ..results import as_fraction, points_text

    base_points = base[0] if base else Fraction(0)
    cell = state.get("cell") or cell
    extra = as_fraction(state["extra"]) if state.get("extra") else Fraction(0)
    said = [f"comment on {c}: {text}" for c, text in state.get("comments", [])]
    if state.get("manual") is not None:
        manual = as_fraction(state["manual"])
        top = f" of {points_text(as_fraction(state['max']))}" if state.get("max") is not None \
            else ""
        parts = [f"{cell} graded by hand: {points_text(manual)}{top}"]
        if extra:
            parts[0] += f" plus {points_text(extra)} extra credit"
        return manual + extra, "formgrader: " + "; ".join(parts + said)
    if extra or said:
        parts = [f"{cell}: {points_text(extra)} extra credit"] if extra else []
        return base_points + extra, "formgrader: " + "; ".join(parts + said)
    if last is not None:  # formgrader's manual grade or comment is gone
        return base_points, f"formgrader: {cell}: {REMOVED}"
    return None


# -- the commands ------------------------------------------------------------------------------


def _course_or_error(root) -> NbgraderCourse:
    course = find_course(root)
    if course is None:
        raise SyncError(f"{storable(root)}: not an nbgrader course (no {CONFIG_FILE} with an "
                        f"existing gradebook: generate the assignments with `shallow release`)")
    return course


def push(root, gradebook, assignments=None) -> list[str]:
    """Write every student's latest attempt (of ``assignments``, default all) into nbgrader's
    gradebook, as ``shallow grade`` does after grading; return what to tell."""
    from ..gradebook import GradebookError, exists, open_gradebook

    course = _course_or_error(root)
    if not exists(gradebook):
        raise SyncError(f"{storable(gradebook)}: no such gradebook (grade something first)")
    chosen = []
    try:
        with open_gradebook(gradebook) as book:
            for name in assignments or book.assignments():
                for student in book.students(name):
                    attempt = latest_attempt(book.attempts(student, name))
                    if attempt is not None:
                        chosen.append(attempt)
    except GradebookError as exc:
        raise SyncError(str(exc)) from None
    if not chosen:
        return [f"{storable(gradebook)}: no graded attempt to write"]
    return write_results(course, chosen)


def pull(root, gradebook, assignments=None) -> Imported:
    """Import formgrader's manual grades and comments now (export and report do it too)."""
    from ..gradebook import GradebookError, exists, open_gradebook

    _course_or_error(root)
    if not exists(gradebook):
        raise SyncError(f"{storable(gradebook)}: no such gradebook (grade something first)")
    try:
        with open_gradebook(gradebook) as book:
            return import_manual_grades(root, book, assignments)
    except GradebookError as exc:
        raise SyncError(str(exc)) from None
