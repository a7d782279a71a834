"""Grade CSVs: a row per student (their latest attempt, overrides applied, late policy applied).

The columns follow ``nbgrader export`` (assignment, duedate, timestamp, student_id, last_name,
first_name, email, raw_score, late_submission_penalty, score, max_score), so spreadsheets made
for nbgrader keep working, then ``status`` (graded, late, unreadable, empty, failed, missing),
``reason``, one column per exercise and review question (points), and ``quiz`` when anyone
took the assignment's quiz. Every text cell a spreadsheet would evaluate is neutralised
(``safety.csv_cell``). Files are written atomically: a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
from fractions import Fraction
from pathlib import Path

from ..policy import Policy
from ..results import points_text
from ..safety import csv_cell

NBGRADER_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score")


def number(value) -> float:
    """Points for a spreadsheet: a float rounded to 4 decimals (exact sums are done before)."""
    return round(float(value), 4)


def status_of(result, lateness) -> str:
    if result.status != "graded":
        return result.status
    return "late" if lateness.late else "graded"


def rows(book, assignment, *, policy=None, roster=None, course=None):
    """(header, rows) of the grade table of ``assignment``."""
    policy = policy or Policy()
    latest = book.latest_per_student(assignment)
    quizzes = book.latest_quiz(assignment)
    order = list(course.assignment(assignment).exercises) if course is not None and \
        assignment in course.assignments else []
    exercises = list(order)
    for result in latest:
        for exercise in result.exercise_points():
            if exercise not in exercises:
                exercises.append(exercise)
    people = {p.id: p for p in (roster or [])}
    header = [*NBGRADER_COLUMNS, "status", "reason", *exercises, *(["quiz"] if quizzes else [])]
    by_student = {r.student: r for r in latest}
    students = sorted(by_student.keys() | quizzes.keys() | people.keys())
    table = []
    for student in students:
        person = people.get(student)
        names = [person.last_name, person.first_name, person.email] if person else ["", "", ""]
        result = by_student.get(student)
        due = policy.due_for(student, assignment)
        due_text = due.isoformat() if due else ""
        if result is None:
            cells = [assignment, due_text, "", student, *names, "", "", "", "",
                     "missing" if student in people else "no notebook",
                     "no graded notebook" if student in people else "", *[""] * len(exercises)]
        else:
            lateness = policy.lateness(student, assignment, result.submitted_at,
                                       result.max_points)
            raw = result.points
            score = max(Fraction(0), raw - lateness.penalty)
            earned = result.exercise_points()
            cells = [assignment, due_text, result.submitted_at, student, *names, number(raw),
                     number(lateness.penalty), number(score), number(result.max_points),
                     status_of(result, lateness), result.reason,
                     *[number(earned[e][0]) if e in earned else "" for e in exercises]]
        if quizzes:
            quiz = quizzes.get(student)
            cells.append(number(quiz["score"]) if quiz else "")
        table.append([csv_cell(c) for c in cells])
    return header, table


def write_csv(target, header, table) -> None:
    """Write atomically (a temporary file renamed into place)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(h) for h in header])
        writer.writerows(table)
    os.replace(partial, target)


def export_assignment(book, assignment, target, **options) -> int:
    """Write the grade CSV of ``assignment`` to ``target``; return the number of rows."""
    header, table = rows(book, assignment, **options)
    write_csv(target, header, table)
    return len(table)


__all__ = ["NBGRADER_COLUMNS", "export_assignment", "number", "points_text", "rows",
           "status_of", "write_csv"]
