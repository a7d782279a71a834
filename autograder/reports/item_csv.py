"""The item-analysis CSV an instructor takes to a spreadsheet: one row per submission status,
exercise, test case, review question and diagnosed mistake (per-student grades are
``shallow export``'s job). Every cell a spreadsheet would evaluate is neutralised.

Columns (``COLUMNS``); ``kind`` says what a row is and what ``count`` counts out of ``n``;
``rate`` is ``count / n``; ``status`` breaks the row's ``n`` down by outcome:

- ``submissions``: one row per status (graded, late, unreadable, empty, failed, missing,
  not-on-roster): ``n`` students in the report, ``count`` with that status (``item``);
- ``exercise``: ``n`` graded submissions, ``count`` with full marks, the mean and maximum
  points (an exercise graded out of two maxima has a row for each), the mistake diagnosed for
  the most students (``most_common``, ``most_common_count``) and its hint; ``status``:
  ``full 3; partial 1; none 1``;
- ``case``: one per test case: ``n`` graded submissions, ``count`` passed; ``status``: the
  cases' statuses (``passed 3; failed 1; error 1``);
- ``question``: one per review question (``item`` its bank id, ``exercise`` its notebook
  variable, ``title`` its prompt): ``n`` answered responses (notebooks and quizzes), ``count``
  correct, the most frequent wrong answer, ``unanswered``; ``status``: where the responses
  came from (``notebook 5; quiz 2``);
- ``mistake``: one per mistake and exercise: ``n`` graded submissions, ``count`` students who
  made it, its ``title`` and ``hint``.
"""

from __future__ import annotations

import csv
import io

from ..safety import csv_cell

COLUMNS = ("kind", "item", "exercise", "title", "status", "n", "count", "rate", "mean_points",
           "max_points", "most_common", "most_common_count", "unanswered", "hint")


def _number(value):
    return round(float(value), 4)


def _breakdown(pairs) -> str:
    return "; ".join(f"{name} {count}" for name, count in pairs if count)


def rows(*, statuses, exercises, cases, questions, mistakes) -> list[list]:
    """The CSV's rows (without the header), from ``aggregate``'s records."""
    out = []
    total = sum(count for status, count in statuses.items() if status != "not-on-roster")
    for status, count in statuses.items():
        out.append(["submissions", status, "", "", status, total, count,
                    _number(count / total) if total else "", "", "", "", "", "", ""])
    for item in exercises:
        top = item.mistakes[0] if item.mistakes else None
        out.append(["exercise", item.exercise, item.exercise, item.title,
                    _breakdown(item.outcomes), item.students, item.full, _number(item.rate),
                    _number(item.mean), _number(item.max_points), top[0].id if top else "",
                    top[1] if top else "", "", top[0].hint if top else ""])
    for item in cases:
        top = item.mistakes[0] if item.mistakes else None
        out.append(["case", item.name, item.exercise, "", _breakdown(item.statuses),
                    item.students, item.passed, _number(item.rate), _number(item.mean),
                    _number(item.max_points), top[0] if top else "", top[1] if top else "",
                    "", ""])
    for item in questions:
        wrong = item.wrong[0] if item.wrong and not item.parametric else None
        out.append(["question", item.id, item.variable or "", " ".join(item.prompt.split()),
                    _breakdown(item.sources), item.answered, item.correct,
                    _number(item.rate) if item.rate is not None else "", "", "",
                    wrong[0] if wrong else "", wrong[1] if wrong else "", item.unanswered,
                    ""])
    for item in mistakes:
        out.append(["mistake", item.id, item.exercise, item.title, "", item.of, item.count,
                    _number(item.rate), "", "", "", "", "", item.hint])
    return out


def csv_text(table) -> str:
    """The CSV file's text: the header and ``table``, every cell through ``csv_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in COLUMNS])
    writer.writerows([[csv_cell(c) for c in row] for row in table])
    return buffer.getvalue()
