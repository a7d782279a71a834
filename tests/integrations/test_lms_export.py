"""`shallow export --format canvas|moodle`: the files Canvas's and Moodle's gradebook imports
read, round-tripped through Python's csv module against the default export's numbers (late
policy and manual grades applied), with every text cell neutralised."""

import csv
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.gradebook import Gradebook
from autograder.integrations.lms import CANVAS_COLUMNS, MOODLE_COLUMNS, read_lms_roster
from autograder.results import CaseResult, SubmissionResult


def result(student, assignment, points, *, submitted_at="2026-03-01T10:00:00Z", top=(2, 2, 2)):
    names = ["layer_sizes", "forward_propagation", "compute_cost"]
    cases = [CaseResult(names[i], "code", 1, "hidden", Fraction(p), Fraction(t),
                        "passed" if p == t else "failed")
             for i, (p, t) in enumerate(zip(points, top, strict=True))]
    return SubmissionResult(student=student, assignment=assignment, sha256="a" * 64,
                            cases=cases, graded_at="2026-03-02T00:00:00Z",
                            submitted_at=submitted_at, grader_version="t")


SETTINGS = """assignments:
  week3:
    due: 2026-03-01T23:59:00Z
late:
  penalty: 10%
  per: day
"""


@pytest.fixture
def course(tmp_path):
    """A course folder with a late policy, and a gradebook: ann on time, bob two started days
    late, cat with a manual grade, a student whose id looks like a formula, and a quiz."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "shallow.yaml").write_text(SETTINGS)
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record(result("ann", "week3", (2, 2, 1)))
        book.record(result("bob", "week3", (2, 2, 2), submitted_at="2026-03-03T12:00:00Z"))
        book.record(result("cat", "week3", (0, 0, 0)))
        book.override("cat", "week3", "compute_cost", 2, reason="=regraded by hand", author="t")
        book.record(result("@eve", "week3", (1, 0, 0)))
        book.record(result("ann", "week4", (1, 1, 1), top=(1, 1, 1)))
        book.record_quiz("ann", "week3", "bank", [{"question_id": "q1", "answer": "a",
                                                   "correct": True, "score": 1,
                                                   "max_score": 2}])
    return folder, db


def export(db, folder, *args):
    out = CliRunner().invoke(main, ["export", "--gradebook", str(db), "--course", str(folder),
                                    *args])
    assert out.exit_code == 0, out.output
    return out


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def default_scores(db, folder, tmp_path, assignment):
    target = tmp_path / f"default-{assignment}.csv"
    export(db, folder, "--assignment", assignment, "-o", str(target))
    with open(target, newline="", encoding="utf-8") as handle:
        return {row["student_id"].lstrip("'"): row for row in csv.DictReader(handle)}


def assert_never_a_formula(rows):
    assert not any(isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r")
                   for row in rows for c in row)


def test_canvas_layout_points_possible_and_the_default_exports_numbers(course, tmp_path):
    folder, db = course
    target = tmp_path / "canvas.csv"
    out = export(db, folder, "--format", "canvas", "-o", str(target))
    assert f"{target}: 4 student(s)" in out.output
    rows = read(target)
    header, possible, body = rows[0], rows[1], rows[2:]
    assert tuple(header[:5]) == CANVAS_COLUMNS == ("Student", "ID", "SIS User ID",
                                                   "SIS Login ID", "Section")
    assert header[5:] == ["week3", "week3 quiz", "week4"]
    assert possible == ["Points Possible", "", "", "", "", "6", "2", "3"]
    by = {row[3].lstrip("'"): row for row in body}  # SIS Login ID: the shallow student id
    assert set(by) == {"ann", "bob", "cat", "@eve"}
    week3 = default_scores(db, folder, tmp_path, "week3")
    week4 = default_scores(db, folder, tmp_path, "week4")
    for student, row in by.items():
        assert float(row[5]) == float(week3[student]["score"])
        if student in week4:
            assert float(row[7]) == float(week4[student]["score"])
        else:
            assert row[7] == ""
    assert float(by["bob"][5]) == 6 - 1.2  # two started days late: 20 % of 6 points
    assert float(by["cat"][5]) == 2  # the manual grade
    assert by["ann"][6] == "1" and by["bob"][6] == ""  # the quiz column
    assert by["@eve"][0] == "'@eve" and by["@eve"][3] == "'@eve"
    assert_never_a_formula(rows)


def test_moodle_layout_one_identifying_column_then_one_per_grade_item(course, tmp_path,
                                                                        monkeypatch):
    folder, db = course
    monkeypatch.chdir(tmp_path)
    out = export(db, folder, "--format", "moodle", "--assignment", "week3")
    assert "grades-moodle.csv: 4 student(s)" in out.output  # the default file name
    rows = read(tmp_path / "grades-moodle.csv")
    assert tuple(rows[0]) == (*MOODLE_COLUMNS, "week3", "week3 quiz")
    assert MOODLE_COLUMNS == ("First name", "Last name", "ID number", "Email address",
                              "Username")
    week3 = default_scores(db, folder, tmp_path, "week3")
    by = {row[4].lstrip("'"): row for row in rows[1:]}
    assert set(by) == set(week3)
    for student, row in by.items():
        assert float(row[5]) == float(week3[student]["score"])
    assert_never_a_formula(rows)


def test_a_canvas_export_as_roster_fills_ids_sections_and_reuses_its_columns(course, tmp_path):
    folder, db = course
    roster = tmp_path / "canvas-export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,week3 (4711),Current Score\n"
        "    Points Possible,,,,,6,(read only)\n"
        '"Lee, Ann",101,S-1,ann,Tue 10:00,,\n'
        '"Ng, Bob",102,bob,,Tue 10:00,,\n'  # matched by the SIS User ID
        '"Zed, Zoe",103,S-3,zoe,Wed 14:00,,\n'  # on the roster, nothing handed in
        '"=cmd|\' /C calc\'!A0",104,S-4,mal,Wed 14:00,,\n')
    target = tmp_path / "canvas.csv"
    export(db, folder, "--format", "canvas", "--assignment", "week3", "--roster", str(roster),
           "-o", str(target))
    rows = read(target)
    assert rows[0] == [*CANVAS_COLUMNS, "week3 (4711)", "week3 (4711) quiz"]
    assert rows[1][:6] == ["Points Possible", "", "", "", "", "6"]
    students = [row[0] for row in rows[2:]]
    assert students[:4] == ["Lee, Ann", "Ng, Bob", "Zed, Zoe", "'=cmd|' /C calc'!A0"]
    by = {row[0]: row for row in rows[2:]}
    assert by["Lee, Ann"][1:5] == ["101", "S-1", "ann", "Tue 10:00"]
    assert by["Ng, Bob"][1:4] == ["102", "bob", ""] and float(by["Ng, Bob"][5]) == 4.8
    assert by["Zed, Zoe"][5] == "" and by["'=cmd|' /C calc'!A0"][5] == ""  # nothing handed in
    assert "cat" in [row[3] for row in rows[2:]]  # graded, not on the roster: still exported
    assert_never_a_formula(rows)


def test_a_moodle_export_as_roster_is_matched_by_email(course, tmp_path):
    folder, db = course
    roster = tmp_path / "moodle-export.csv"
    roster.write_text("First name,Last name,ID number,Institution,Department,Email address\n"
                      "Ann,Lee,20261,Uni,CS,ann@uni.example\n"
                      "Bob,Ng,20262,Uni,CS,bob@uni.example\n")
    people = read_lms_roster(roster)
    assert [p.kind for p in people] == ["moodle", "moodle"]
    target = tmp_path / "moodle.csv"
    export(db, folder, "--format", "moodle", "--assignment", "week3", "--roster", str(roster),
           "-o", str(target))
    rows = read(target)
    by = {row[3]: row for row in rows[1:] if row[3]}
    assert by["ann@uni.example"][:5] == ["Ann", "Lee", "20261", "ann@uni.example", ""]
    assert float(by["bob@uni.example"][5]) == 4.8  # late policy applied
    assert {row[4] for row in rows[1:] if not row[3]} == {"cat", "'@eve"}


def test_a_plain_roster_gives_names_and_the_missing_students(course, tmp_path):
    folder, db = course
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nann,Ann,Lee,ann@x.org\n"
                      "dan,Dan,Oh,dan@x.org\n")
    target = tmp_path / "canvas.csv"
    export(db, folder, "--format", "canvas", "--assignment", "week4", "--roster", str(roster),
           "-o", str(target))
    rows = read(target)
    assert rows[2][:5] == ["Lee, Ann", "", "", "ann", ""] and rows[2][5] == "3"
    assert rows[3][:6] == ["Oh, Dan", "", "", "dan", "", ""]


def test_export_errors_are_one_line(course, tmp_path):
    folder, db = course
    out = CliRunner().invoke(main, ["export", "--gradebook", str(db), "--course", str(folder),
                                    "--format", "canvas", "--roster", str(tmp_path / "no.csv")])
    assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1
    assert "no.csv: no such file" in out.output
    out = CliRunner().invoke(main, ["export", "--gradebook", str(db), "--format", "blackboard"])
    assert out.exit_code == 2 and "Traceback" not in out.output


def test_a_plain_folder_of_notebooks_to_a_canvas_import_end_to_end(tmp_path, monkeypatch):
    """The README's plain-folders way, from an empty folder: a flat folder of <student>.ipynb,
    `shallow grade`, then `shallow export --format canvas` with Canvas's own export as the
    roster."""
    root = Path(__file__).resolve().parents[2]
    course = tmp_path / "course"
    (course / "class").mkdir(parents=True)
    shutil.copy(root / "solutions" / "planar_classifier" / "planar_classifier.ipynb",
                course / "class" / "ann.ipynb")
    shutil.copy(root / "assignments" / "planar_classifier" / "planar_classifier.ipynb",
                course / "class" / "bob.ipynb")
    (course / "canvas-export.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,planar_classifier (4711)\n"
        "    Points Possible,,,,,91\n"
        '"Lee, Ann",101,S-1,ann,Tue,\n"Ng, Bob",102,S-2,bob,Tue,\n"Oh, Cy",103,S-3,cy,Tue,\n')
    monkeypatch.chdir(course)
    runner = CliRunner()
    out = runner.invoke(main, ["grade", "class", "--course", ".", "--assignment",
                               "planar_classifier", "--gradebook", "shallow.db"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(main, ["export", "--course", ".", "--gradebook", "shallow.db",
                               "--format", "canvas", "--roster", "canvas-export.csv",
                               "-o", "grades-canvas.csv"])
    assert out.exit_code == 0, out.output
    rows = read(course / "grades-canvas.csv")
    assert rows == [
        [*CANVAS_COLUMNS, "planar_classifier (4711)"],
        ["Points Possible", "", "", "", "", "91"],
        ["Lee, Ann", "101", "S-1", "ann", "Tue", "91"],
        ["Ng, Bob", "102", "S-2", "bob", "Tue", "0"],
        ["Oh, Cy", "103", "S-3", "cy", "Tue", ""],
    ]
