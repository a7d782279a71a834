"""Grade CSVs in nbgrader export's columns, with the late policy, the roster and statuses, and
never a live formula; the course settings file and the roster, read safely."""

import csv
from fractions import Fraction

import pytest
from test_gradebook import make_result

from autograder.gradebook import Gradebook
from autograder.gradebook.export import NBGRADER_COLUMNS, export_assignment, rows
from autograder.policy import PolicyError, load_policy
from autograder.roster import Person, RosterError, read_roster
from autograder.safety import csv_cell


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path / "g.db") as gradebook:
        gradebook.record(make_result("ann", "week3", points=(2, 2, 2),
                                     submitted_at="2026-03-01T10:00:00Z"))
        gradebook.record(make_result("bob", "week3", points=(2, 2, 0),
                                     submitted_at="2026-03-03T12:30:00Z"))
        gradebook.record(make_result("=HYPERLINK(\"x\")", "week3", points=(0, 0, 0),
                                     status="unreadable", reason="+SUM(1): not valid JSON"))
        yield gradebook


def write(path, text):
    path.write_text(text)
    return path


def test_columns_follow_nbgrader_export_then_status_then_exercises(book):
    header, table = rows(book, "week3")
    assert tuple(header[:11]) == NBGRADER_COLUMNS
    assert header[11:] == ["status", "reason", "layer_sizes", "forward_propagation",
                           "compute_cost"]
    ann = next(r for r in table if r[3] == "ann")
    assert ann[7] == ann[9] == 2.0 and ann[10] == 2.0 and ann[11] == "graded"


def test_late_policy_from_the_course_settings_with_cap_and_extensions(book, tmp_path):
    settings = write(tmp_path / "shallow.yaml", """
assignments:
  week3:
    due: 2026-03-01T23:59:00+00:00
late:
  penalty: 10%
  per: day
  cap: 25%
extensions:
  ann:
    week3: 2026-02-20T00:00:00Z
""")
    policy = load_policy(tmp_path)
    header, table = rows(book, "week3", policy=policy)
    by = {r[3]: r for r in table}
    bob = by["bob"]  # 1 day 12.5 hours late: 2 started days, 20 % of 2 points
    assert bob[1] == "2026-03-01T23:59:00+00:00" and bob[2] == "2026-03-03T12:30:00Z"
    assert bob[8] == 0.4 and bob[9] == round(float(Fraction(4, 3) - Fraction(2, 5)), 4)
    assert bob[11] == "late"
    ann = by["ann"]  # her extension ended before she submitted: late, capped
    assert ann[11] == "late" and ann[8] == 0.5 and settings.exists()


def test_every_text_cell_a_spreadsheet_would_evaluate_is_neutralised(book, tmp_path):
    target = tmp_path / "out" / "grades.csv"
    assert export_assignment(book, "week3", target) == 3
    cells = [cell for row in csv.reader(target.open()) for cell in row]
    assert "'=HYPERLINK(\"x\")" in cells and "'+SUM(1): not valid JSON" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert not (tmp_path / "out" / "grades.csv.partial").exists()
    assert csv_cell(-3.5) == -3.5 and csv_cell("-1") == "'-1" and csv_cell("\tx") == "'\tx"


def test_the_roster_adds_names_and_the_students_who_handed_nothing_in(book, tmp_path):
    roster = write(tmp_path / "roster.csv", "id,first_name,last_name,email\n"
                   "ann,Ann,Lee,ann@x.org\ncat,Cat,Ng,cat@x.org\n")
    people = read_roster(roster)
    assert people[0] == Person("ann", "Ann", "Lee", "ann@x.org")
    _, table = rows(book, "week3", roster=people)
    by = {r[3]: r for r in table}
    assert by["ann"][4:7] == ["Lee", "Ann", "ann@x.org"]
    assert by["cat"][11] == "missing" and by["cat"][7] == ""


def test_a_plain_roster_and_bad_rosters(tmp_path):
    assert [p.id for p in read_roster(write(tmp_path / "r.txt", "# class\nann\n\nbob\nann\n"))] \
        == ["ann", "bob"]
    with pytest.raises(RosterError, match="no such file"):
        read_roster(tmp_path / "none.txt")
    (tmp_path / "fifo").mkdir()
    with pytest.raises(RosterError, match="not a regular file"):
        read_roster(tmp_path / "fifo")


@pytest.mark.parametrize("text, words", [
    ("late: [1, 2]", "late must be a mapping"),
    ("late:\n  per: week", "late.per must be hour or day"),
    ("late:\n  penalty: ten", "not a number or a percent"),
    ("assignments:\n  week3:\n    due: yesterday", "assignments.week3.due"),
    ("colour: blue", "unknown setting"),
    ("a: &x [1]\nb: *x", "aliases"),
    ("[unclosed", "shallow.yaml:1"),
])
def test_bad_course_settings_are_one_line_naming_the_file(tmp_path, text, words):
    write(tmp_path / "shallow.yaml", text)
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    assert words in str(info.value) and "shallow.yaml" in str(info.value)
    assert "\n" not in str(info.value)


def test_no_settings_file_means_no_policy(tmp_path):
    policy = load_policy(tmp_path)
    lateness = policy.lateness("a", "w", "2030-01-01T00:00:00Z", 10)
    assert not lateness.late and lateness.penalty == 0
