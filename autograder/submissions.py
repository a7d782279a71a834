"""Who submitted what, and when: submissions found exactly as nbgrader lays them out.

In a course folder a submission is ``submitted/<student>/<assignment>/`` at exactly that depth
(nbgrader's layout; ``--assignment`` picks one assignment's folders, as ``nbgrader autograde``
does), and the file graded is the assignment's released notebook
(``<assignment>.ipynb`` or the name its record gives); other notebooks beside it are listed as
ignored, never graded. The graded folder may be given as the course folder, its ``submitted``
folder (or any folder laid out like it), one student's folder, or one submission folder. A file
given on its own takes its student from the folder above when its own folder is an assignment
(``.../<student>/<assignment>/file.ipynb``); a file outside that layout needs ``--student``,
except in a flat folder of ``<student>.ipynb`` files, where the file name is the student.

Nothing is followed that could lie: a link (to a classmate's folder, to the solution) or a
special file (a FIFO, a device) is refused by its type before anything opens it, at every level.
Student ids follow nbgrader's rules: no path separator, no control character, not empty, not
starting with a dot or with a character a spreadsheet takes for a formula.

The submission time comes from nbgrader's ``timestamp.txt`` in the submission folder, else the
notebook's modification time (said so in the result).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .grade import Submission
from .safety import FORMULA_START, read_regular_file, storable

SUFFIXES = (".ipynb", ".py")
MAX_STUDENT_ID = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class SubmissionError(Exception):
    """A path that cannot be turned into submissions at all (one line, names the path)."""


@dataclass
class Found:
    submissions: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # one line each: refused, never graded
    notes: list = field(default_factory=list)  # one line each: what was assumed


def student_id_problem(name: str) -> str | None:
    """Why ``name`` cannot be a student id (nbgrader's rules), or None when it can."""
    if not name:
        return "an empty student id"
    if len(name) > MAX_STUDENT_ID:
        return f"a student id longer than {MAX_STUDENT_ID} characters"
    if "/" in name or "\\" in name:
        return "a student id with a path separator"
    if _CONTROL.search(name) or "\ufffd" in name or re.search("[\ud800-\udfff]", name):
        return "a student id with a control character or invalid text"
    if name.startswith("."):
        return "a student id that starts with a dot"
    if name.startswith(FORMULA_START):
        return "a student id that starts with a formula character (= + - @)"
    if name != name.strip():
        return "a student id with leading or trailing spaces"
    return None


def _kind(path: Path) -> str:
    """'dir', 'file', 'link', 'special' or 'missing', without following anything."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "special"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "special"


def _entries(folder: Path):
    try:
        with os.scandir(folder) as scan:
            return sorted((entry.name for entry in scan), key=str)
    except OSError:
        return []


def _show(path) -> str:
    return storable(os.fsdecode(path))


def submission_time(folder: Path, notebook: Path) -> tuple[str, str]:
    """(ISO UTC time, source): nbgrader's timestamp.txt, else the file's modification time."""
    from .policy import PolicyError, iso_utc, parse_time

    stamp = folder / "timestamp.txt"
    if _kind(stamp) == "file":
        try:
            text = read_regular_file(stamp, 1024).decode("utf-8", "replace").strip()
            return iso_utc(parse_time(text, "timestamp.txt")), "timestamp.txt"
        except (PolicyError, ValueError, OSError):
            pass
    try:
        moment = datetime.fromtimestamp(os.lstat(notebook).st_mtime, timezone.utc)
        return iso_utc(moment), "file mtime"
    except OSError:
        return "", ""


class Finder:
    """Finds submissions for one command (see the module docstring)."""

    def __init__(self, course, *, student=None, assignment=None):
        self.course = course
        self.assignments = set(course.assignments)
        self.student = student
        self.assignment = assignment
        self.found = Found()
        self._keys = {}  # (student, assignment) -> path, to refuse two files for one key

    # -- entry point --------------------------------------------------------------------

    def find(self, paths) -> Found:
        if self.assignment is not None and self.assignment not in self.assignments:
            raise SubmissionError(f"--assignment {self.assignment!r} is not an assignment of "
                                  f"this course ({', '.join(sorted(self.assignments))})")
        if self.student is not None:
            problem = student_id_problem(self.student)
            if problem:
                raise SubmissionError(f"--student {storable(self.student)!r}: {problem}")
        for raw in paths:
            path = Path(raw)
            kind = _kind(path)
            if kind == "missing":
                raise SubmissionError(f"{_show(raw)}: no such file or folder")
            if kind == "link":
                self.refuse(path, "is a symbolic link: links are never followed")
            elif kind == "special":
                self.refuse(path, "is not a regular file or folder")
            elif kind == "file":
                self.file(path, explicit=True)
            else:
                self.folder(path)
        return self.found

    def refuse(self, path, why):
        self.found.problems.append(f"{_show(path)}: {why}")

    # -- folders ------------------------------------------------------------------------

    def folder(self, path: Path):
        name = path.resolve().name if path.name in ("", ".", "..") else path.name
        if _kind(path / "submitted") == "dir":
            return self.root(path / "submitted")
        if self._is_assignment_folder(path, name):
            return self.submission(path.parent.name if self.student is None else self.student,
                                   self.assignment or name, path)
        children = [c for c in _entries(path) if _kind(path / c) == "dir"
                    and not c.startswith(".")]
        if any(self._is_assignment_name(c) for c in children):
            return self.student_folder(path, name)
        if children and any(_kind(path / c / g) == "dir" for c in children
                            for g in _entries(path / c)):
            return self.root(path)
        return self.flat(path)

    def _is_assignment_name(self, name):
        return name in self.assignments

    def _is_assignment_folder(self, path, name):
        if self._is_assignment_name(name):
            return any(n.endswith(SUFFIXES) for n in _entries(path))
        return False

    def root(self, root: Path):
        """``submitted/``: <student>/<assignment>/ at exactly that depth."""
        for student in _entries(root):
            if student.startswith("."):
                continue
            folder = root / student
            kind = _kind(folder)
            if kind == "link":
                self.refuse(folder, "is a symbolic link: a student folder must be a folder")
                continue
            if kind != "dir":
                continue
            self.student_folder(folder, student)

    def student_folder(self, folder: Path, student: str):
        for assignment in _entries(folder):
            if assignment.startswith("."):
                continue
            path = folder / assignment
            kind = _kind(path)
            if kind == "link":
                self.refuse(path, "is a symbolic link: an assignment folder must be a folder")
                continue
            if kind != "dir":
                continue
            if self.assignment is not None:
                if assignment == self.assignment:  # --assignment picks its own folders
                    self.submission(self.student or student, assignment, path)
                continue
            if not self._is_assignment_name(assignment):
                self.refuse(path, f"{assignment!r} is not an assignment of this course "
                                  f"({', '.join(sorted(self.assignments))}); define it in the "
                                  f"course folder (solutions/{assignment}/exercises.py)")
                continue
            self.submission(self.student or student, assignment, path)

    def submission(self, student: str, assignment: str, folder: Path):
        """One ``<student>/<assignment>/`` folder: its released notebook, the rest ignored."""
        problem = student_id_problem(student)
        if problem:
            return self.refuse(folder, f"{problem}: not graded")
        wanted = self.course.assignment(assignment).notebook_name
        names = [n for n in _entries(folder) if n.endswith(SUFFIXES)
                 and not n.startswith(".")]
        chosen = None
        if wanted in names:
            chosen = wanted
        else:
            candidates = [n for n in names if n.endswith(".ipynb")] or names
            if len(candidates) == 1:
                chosen = candidates[0]
                self.found.notes.append(f"{_show(folder / chosen)}: graded as {assignment} "
                                        f"(no {wanted} in its folder)")
            elif candidates:
                return self.refuse(folder, f"several notebooks and none named {wanted}: "
                                           f"{', '.join(candidates[:5])}; not graded")
            else:
                return self.refuse(folder, f"no notebook for {assignment} in it")
        ignored = tuple(n for n in names if n != chosen)
        self.add(student, assignment, folder / chosen, folder, ignored)

    def flat(self, folder: Path):
        """A flat folder of ``<student>.ipynb`` files: the file name is the student."""
        for name in _entries(folder):
            path = folder / name
            if name.startswith(".") or not name.endswith(SUFFIXES):
                continue
            kind = _kind(path)
            if kind == "link":
                self.refuse(path, "is a symbolic link: links are never followed")
                continue
            if kind != "file":
                if kind == "special":
                    self.refuse(path, "is not a regular file")
                continue
            self.loose(path, from_name=True)

    # -- files --------------------------------------------------------------------------

    def file(self, path: Path, *, explicit=False):
        if not path.name.endswith(SUFFIXES):
            return self.refuse(path, "not a .ipynb notebook or a .py file")
        parent = path.parent
        parent_name = parent.resolve().name if parent.name in ("", ".", "..") else parent.name
        if self._is_assignment_name(parent_name) and self.student is None:
            student = parent.resolve().parent.name
            problem = student_id_problem(student)
            if problem is None:
                return self.submission_file(student, self.assignment or parent_name, path)
        self.loose(path, from_name=False)

    def submission_file(self, student, assignment, path):
        """A file named on the command line inside <student>/<assignment>/."""
        wanted = self.course.assignment(assignment).notebook_name
        folder = path.parent
        if path.name != wanted and _kind(folder / wanted) == "file":
            return self.refuse(path, f"not the graded notebook of {storable(student)}/"
                                     f"{assignment} ({wanted} is): not graded")
        self.add(student, assignment, path, folder, ())

    def loose(self, path: Path, *, from_name: bool):
        student = self.student
        if student is None:
            if not from_name:
                return self.refuse(path, "cannot tell whose notebook this is: give --student, "
                                         "or lay it out as submitted/<student>/<assignment>/")
            student = path.stem
            problem = student_id_problem(student)
            if problem:
                return self.refuse(path, f"{problem} (from the file name): not graded")
        self.add(student, self.assignment, path, path.parent, ())

    def add(self, student, assignment, path, folder, ignored):
        kind = _kind(path)
        if kind == "link":
            return self.refuse(path, "is a symbolic link: links are never followed")
        if kind != "file":
            return self.refuse(path, "is not a regular file")
        key = (student, assignment or "?")
        if key in self._keys:
            return self.refuse(path, f"would be recorded as {storable(student)}/"
                                     f"{assignment or 'its assignment'} like "
                                     f"{_show(self._keys[key])}: not graded")
        self._keys[key] = path
        when, source = submission_time(folder, path)
        self.found.submissions.append(Submission(
            str(path), student, assignment, when, source, tuple(ignored)))
        for name in ignored:
            self.found.notes.append(f"{_show(folder / name)}: ignored (only "
                                    f"{path.name} is graded)")


def find_submissions(paths, *, course, student=None, assignment=None) -> Found:
    """Submissions in ``paths`` (files or folders); see the module docstring."""
    return Finder(course, student=student, assignment=assignment).find(paths)
