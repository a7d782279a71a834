"""Grade CSVs in the layouts Canvas's and Moodle's gradebook imports read.

**Canvas** ("Importing grades in the Gradebook"): the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment, and a second row
``Points Possible`` with each assignment's maximum. Canvas finds each student by ``ID``,
``SIS User ID`` or ``SIS Login ID``; without a Canvas roster the shallow student id goes in
``SIS Login ID``. A new column creates an assignment in Canvas; a column named as in Canvas's own
export (``planar_classifier (4711)``) updates that assignment, so with a Canvas export as the
roster the existing columns are reused.

**Moodle** ("Import grades from CSV"): identifying columns (``First name``, ``Last name``,
``ID number``, ``Email address``, ``Username``; at import, map one of them, say
``Email address`` to "Email address" or ``Username`` to "username"), then one column per grade
item (map each to a grade item, or to a new one).

Each assignment's number is its score as in the default export: each student's latest attempt,
manual grades applied, then the course's late policy; ``<assignment> quiz`` columns follow when
anyone took an assignment's quiz. A student on the roster without a submission gets an empty cell
(an LMS leaves an empty cell alone). The roster may be a plain one (``roster.read_roster``) or an
LMS's own gradebook export: Canvas's (``Student, ID, SIS User ID, SIS Login ID, Section``) or
Moodle's (``First name, Last name, ID number, ..., Email address``); each of its rows is matched
to the shallow student whose id is its SIS login, SIS user id, Canvas id, username, ID number,
email address or the email's local part, in that order. Every text cell a spreadsheet would
evaluate is neutralised (``safety.csv_cell``); files are written atomically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ..gradebook.export import number, write_csv
from ..policy import Policy
from ..roster import csv_rows, read_roster
from ..safety import csv_cell

LAYOUTS = ("canvas", "moodle")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Email address", "Username")
POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True)
class LmsPerson:
    """A roster row with what an LMS knows of the student (empty when unknown)."""

    keys: tuple  # the values a shallow student id may equal, in matching order
    strong: int = -1  # how many of ``keys`` identify the person (the rest: email); -1: all
    name: str = ""  # Canvas's "Student" ("Last, First")
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    id_number: str = ""
    username: str = ""
    kind: str = "plain"  # "canvas", "moodle" or "plain"
    columns: tuple = ()  # the header of the LMS export it came from

    @property
    def fallback_id(self) -> str:
        return next((k for k in self.keys if k), "")


def score(value):
    """A number for an LMS cell: ``6``, ``4.8``, ``3.3333`` (4 decimals at most)."""
    value = number(value)
    return int(value) if value.is_integer() else value


def _key_list(*values):
    out = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return tuple(out)


def read_lms_roster(path) -> list[LmsPerson]:
    """The students of a roster file: an LMS gradebook export, or a plain roster."""
    rows = [row for row in csv_rows(path) if any(cell.strip() for cell in row)]
    header = [cell.strip() for cell in rows[0]] if rows else []
    lower = [cell.lower() for cell in header]
    if "sis login id" in lower or ("student" in lower and "section" in lower):
        return _canvas_people(header, lower, rows[1:])
    if "email address" in lower or "id number" in lower:
        return _moodle_people(header, lower, rows[1:])
    return [LmsPerson(_key_list(p.id), first_name=p.first_name, last_name=p.last_name,
                      email=p.email) for p in read_roster(path)]


def _getter(lower, row):
    def get(name):
        if name in lower:
            index = lower.index(name)
            return row[index].strip() if index < len(row) else ""
        return ""
    return get


def _canvas_people(header, lower, rows):
    people = []
    for row in rows:
        get = _getter(lower, row)
        name = get("student")
        if name.lower() == POINTS_POSSIBLE.lower():
            continue  # Canvas's own second row
        email = get("email")
        login, user, canvas_id = get("sis login id"), get("sis user id"), get("id")
        keys = _key_list(login, user, canvas_id, email, email.partition("@")[0])
        strong = len(_key_list(login, user, canvas_id))
        if not keys:
            continue
        last, _, first = name.partition(",")
        people.append(LmsPerson(keys, strong, name=name, first_name=first.strip(),
                                last_name=last.strip() if first else "", email=email,
                                canvas_id=canvas_id, sis_user_id=user, sis_login_id=login,
                                section=get("section"), kind="canvas", columns=tuple(header)))
    return people


def _moodle_people(header, lower, rows):
    people = []
    for row in rows:
        get = _getter(lower, row)
        email, username, id_number = get("email address"), get("username"), get("id number")
        keys = _key_list(username, id_number, email, email.partition("@")[0])
        strong = len(_key_list(username, id_number))
        if not keys:
            continue
        people.append(LmsPerson(keys, strong, first_name=get("first name"),
                                last_name=get("last name"),
                                email=email, id_number=id_number, username=username,
                                kind="moodle", columns=tuple(header)))
    return people


def _match(roster, students):
    """[(student id, LmsPerson or None)]: every roster row in roster order, then the students
    no row names. A row takes a student by its identifying keys (login, SIS or LMS id,
    username, id number) first; by email, then the email's local part, only a student no row
    identifies. A student two rows claim at the same level goes to neither (an email cannot
    take somebody else's grade); a row that matches nobody is kept, with no grade."""
    known = set(students)
    matched = {}  # id(person) -> student
    taken, contested = set(), set()
    rows = list(roster or [])
    levels = max((len(p.keys) for p in rows), default=0)
    for strong in (True, False):
        for level in range(levels):
            claims = {}
            for person in rows:
                if id(person) in matched or level >= len(person.keys):
                    continue
                is_strong = person.strong < 0 or level < person.strong
                key = person.keys[level]
                if is_strong == strong and key in known and key not in taken | contested:
                    claims.setdefault(key, []).append(person)
            for student, people in claims.items():
                if len(people) == 1:
                    matched[id(people[0])] = student
                    taken.add(student)
                else:
                    contested.add(student)  # ambiguous: no row gets it; it gets its own
    out = []
    for person in rows:
        student = matched.get(id(person))
        if student is None:
            fallback = person.fallback_id
            student = "" if fallback in known else fallback  # never another's grade
        out.append((student, person))
    out += [(student, None) for student in sorted(known - taken)]
    return out


def _full_marks(course, assignment, results) -> Fraction | None:
    """An assignment's maximum: the course's (exercises and review questions), else the
    largest maximum any attempt was graded out of."""
    if course is not None and assignment in course.assignments:
        from ..course import review
        from ..results import as_fraction

        record = course.assignment(assignment)
        return sum((as_fraction(course.exercises[e].points) for e in record.exercises),
                   Fraction(0)) + sum((as_fraction(q.points) for q in review.questions(record)),
                                      Fraction(0))
    return max((r.max_points for r in results), default=None)


def _header_for(assignment, roster):
    """The column of ``assignment``: as named in a Canvas export roster, else its name."""
    pattern = re.compile(rf"{re.escape(assignment)} \(\d+\)")
    for person in roster or []:
        for column in person.columns:
            if pattern.fullmatch(column):
                return column
    return assignment


def table(book, assignments, *, layout, policy=None, roster=None, course=None):
    """(header, rows) of the ``layout`` ("canvas" or "moodle") grade table."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    policy = policy or Policy()
    columns, possible, scores, students = [], [], {}, set()
    for assignment in assignments:
        latest = book.latest_per_student(assignment)
        quizzes = book.latest_quiz(assignment)
        columns.append(_header_for(assignment, roster) if layout == "canvas" else assignment)
        top = _full_marks(course, assignment, latest)
        possible.append(score(top) if top is not None else "")
        for result in latest:
            lateness = policy.lateness(result.student, assignment, result.submitted_at,
                                       result.max_points)
            scores[(result.student, columns[-1])] = score(
                max(Fraction(0), result.points - lateness.penalty))
            students.add(result.student)
        if quizzes:
            columns.append(f"{columns[-1]} quiz")
            possible.append(score(max(q["max_score"] for q in quizzes.values())))
            for student, quiz in quizzes.items():
                scores[(student, columns[-1])] = score(quiz["score"])
                students.add(student)
    if layout == "canvas":
        header = [*CANVAS_COLUMNS, *columns]
        rows = [[POINTS_POSSIBLE, "", "", "", "", *possible]]
    else:
        header = [*MOODLE_COLUMNS, *columns]
        rows = []
    for student, person in _match(roster, students):
        person = person or LmsPerson((student,))
        if layout == "canvas":
            name = person.name or (f"{person.last_name}, {person.first_name}"
                                   if person.last_name and person.first_name
                                   else person.last_name or person.first_name or student)
            identity = [name, person.canvas_id, person.sis_user_id,
                        person.sis_login_id or (student if person.kind != "canvas" else ""),
                        person.section]
        else:
            identity = [person.first_name, person.last_name, person.id_number, person.email,
                        person.username or (student if person.kind != "moodle" else "")]
        cells = [*identity, *[scores.get((student, column), "") for column in columns]]
        rows.append([csv_cell(cell) for cell in cells])
    return header, rows


def export_lms(book, assignments, target, *, layout, **options) -> int:
    """Write the ``layout`` grade CSV of ``assignments`` to ``target``; return the students."""
    header, rows = table(book, assignments, layout=layout, **options)
    write_csv(target, header, rows)
    return len(rows) - (1 if layout == "canvas" else 0)  # Canvas's Points Possible row
