"""Who submitted what, and when: nbgrader's layout exactly, on real folders, with hostile names,
links, special files and stray notebooks, and a property test against a model of the record."""

import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.course import default_course
from autograder.submissions import SubmissionError, find_submissions, student_id_problem

COURSE = default_course()
NB = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'


def notebook(path, text=NB):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def keys(found):
    return sorted((s.student, s.assignment, Path(s.path).name) for s in found.submissions)


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    for student in ("alice", "bob"):
        for assignment in ("activations", "planar_classifier"):
            notebook(root / "submitted" / student / assignment / f"{assignment}.ipynb")
    notebook(root / "submitted" / "alice" / "planar_classifier" / "planar_classifier_old.ipynb")
    (root / "submitted" / "bob" / "planar_classifier" / "timestamp.txt").write_text(
        "2026-03-01 12:34:56.789012 UTC")
    return root


EXPECTED = [("alice", "activations", "activations.ipynb"),
            ("alice", "planar_classifier", "planar_classifier.ipynb"),
            ("bob", "activations", "activations.ipynb"),
            ("bob", "planar_classifier", "planar_classifier.ipynb")]


def test_the_course_folder_its_submitted_folder_or_a_copy_of_it_give_the_same(course, tmp_path):
    assert keys(find_submissions([course], course=COURSE)) == EXPECTED
    assert keys(find_submissions([course / "submitted"], course=COURSE)) == EXPECTED
    copy = tmp_path / "subs"
    os.rename(course / "submitted", copy)  # nbgrader's layout under another name
    assert keys(find_submissions([copy], course=COURSE)) == EXPECTED


def test_one_student_s_folder_and_one_submission_folder(course):
    alice = find_submissions([course / "submitted" / "alice"], course=COURSE)
    assert keys(alice) == EXPECTED[:2]
    one = find_submissions([course / "submitted" / "bob" / "planar_classifier"], course=COURSE)
    assert keys(one) == [EXPECTED[3]]


def test_files_named_one_by_one_take_their_student_from_the_folder_above(course):
    files = sorted((course / "submitted").glob("*/planar_classifier/*.ipynb"))
    found = find_submissions(files, course=COURSE)
    assert keys(found) == [EXPECTED[1], EXPECTED[3]]
    assert any("planar_classifier_old.ipynb: not the graded notebook" in p
               for p in found.problems)


def test_a_stray_notebook_beside_the_graded_one_is_listed_as_ignored_never_graded(course):
    found = find_submissions([course], course=COURSE)
    alice = next(s for s in found.submissions if s.student == "alice"
                 and s.assignment == "planar_classifier")
    assert alice.ignored == ("planar_classifier_old.ipynb",)
    assert any("planar_classifier_old.ipynb: ignored" in n for n in found.notes)


def test_the_submission_time_comes_from_timestamp_txt_else_the_file(course):
    found = {(s.student, s.assignment): s for s in find_submissions([course],
                                                                    course=COURSE).submissions}
    bob = found[("bob", "planar_classifier")]
    assert (bob.submitted_at, bob.submitted_at_source) == ("2026-03-01T12:34:56Z",
                                                           "timestamp.txt")
    assert found[("alice", "activations")].submitted_at_source == "file mtime"


def test_a_notebook_nested_in_one_s_own_folder_is_never_another_student(course):
    mine = course / "submitted" / "mallory" / "planar_classifier"
    notebook(mine / "planar_classifier.ipynb")
    notebook(mine / "submitted" / "alice" / "planar_classifier" / "planar_classifier.ipynb")
    notebook(course / "submitted" / "mallory" / "activations" / "deep" / "alice" /
             "activations" / "activations.ipynb")
    found = find_submissions([course], course=COURSE)
    mallory = [k for k in keys(found) if k[0] == "mallory"]
    assert mallory == [("mallory", "planar_classifier", "planar_classifier.ipynb")]
    assert sum(1 for k in keys(found) if k[0] == "alice") == 2  # alice's own, unchanged


@pytest.mark.parametrize("name", ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)",
                                  "<b onclick=alert(1)>x\x1b[2J", ".hidden", " bob",
                                  "\u202eevil", "a" * 101])
def test_student_names_that_are_formulas_markup_or_controls_are_refused(course, name):
    bad = course / "submitted" / name / "planar_classifier"
    try:
        notebook(bad / "planar_classifier.ipynb")
    except OSError:
        pytest.skip(f"this file system refuses the name {name!r} itself")
    found = find_submissions([course], course=COURSE)
    assert keys(found) == EXPECTED
    if not name.startswith("."):  # dot folders are nbgrader's own (checkpoints): skipped
        assert any("student id" in p for p in found.problems), found.problems


def test_links_are_refused_at_every_level(course, tmp_path):
    outside = notebook(tmp_path / "solution.ipynb")
    sub = course / "submitted"
    (sub / "linked").symlink_to(sub / "alice")  # a student folder that is a link
    os.makedirs(sub / "eve")
    (sub / "eve" / "planar_classifier").symlink_to(sub / "bob" / "planar_classifier")
    os.makedirs(sub / "mal" / "planar_classifier")
    (sub / "mal" / "planar_classifier" / "planar_classifier.ipynb").symlink_to(outside)
    found = find_submissions([course], course=COURSE)
    assert keys(found) == EXPECTED
    assert sum("symbolic link" in p for p in found.problems) == 3, found.problems


def test_a_fifo_is_refused_by_its_type_without_being_opened(course):
    fifo = course / "submitted" / "fay" / "planar_classifier" / "planar_classifier.ipynb"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    found = find_submissions([course], course=COURSE)  # would hang if it were opened
    assert keys(found) == EXPECTED
    assert any("not a regular file" in p for p in found.problems)
    found = find_submissions([fifo], course=COURSE)
    assert found.submissions == [] and found.problems


def test_an_unknown_assignment_is_refused_and_assignment_picks_its_own_folders(course):
    week3 = notebook(course / "submitted" / "cat" / "week3" / "week3.ipynb")
    found = find_submissions([course], course=COURSE)
    assert any("'week3' is not an assignment of this course" in p for p in found.problems)
    picked = find_submissions([course], course=COURSE, assignment="activations")
    assert keys(picked) == [EXPECTED[0], EXPECTED[2]] and not picked.problems
    mapped = find_submissions([week3], course=COURSE, student="cat",
                              assignment="planar_classifier")
    assert keys(mapped) == [("cat", "planar_classifier", "week3.ipynb")]
    with pytest.raises(SubmissionError, match="'nosuch' is not an assignment"):
        find_submissions([course], course=COURSE, assignment="nosuch")


def test_a_loose_file_needs_student_and_a_flat_folder_names_students_by_file(tmp_path):
    loose = notebook(tmp_path / "work" / "my_notebook.ipynb")
    found = find_submissions([loose], course=COURSE)
    assert found.submissions == [] and "give --student" in found.problems[0]
    named = find_submissions([loose], course=COURSE, student="zoe")
    assert [s.student for s in named.submissions] == ["zoe"]
    notebook(tmp_path / "flat" / "amy.ipynb")
    notebook(tmp_path / "flat" / "=cmd.ipynb")
    notebook(tmp_path / "flat" / ".ipynb_checkpoints" / "amy-checkpoint.ipynb")
    flat = find_submissions([tmp_path / "flat"], course=COURSE)
    assert [s.student for s in flat.submissions] == ["amy"] and len(flat.problems) == 1


def test_two_files_for_one_student_and_assignment_are_never_both_recorded(tmp_path):
    a = notebook(tmp_path / "a" / "x.ipynb")
    b = notebook(tmp_path / "b" / "x.ipynb")
    found = find_submissions([a, b], course=COURSE, student="x",
                             assignment="planar_classifier")
    assert len(found.submissions) == 1 and "would be recorded as x/planar_classifier" in \
        found.problems[0]


def test_student_id_rules():
    assert student_id_problem("alice") is None and student_id_problem("o'neil") is None
    assert student_id_problem("jane.doe@example.org") is None
    for bad in ("", "a/b", "a\\b", "x\x00", "=1", "\t1", ".x", "a\udcff"):
        assert student_id_problem(bad), bad


# -- the property: a model of what the record must be ------------------------------------------

ids = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=6)
hostile = st.sampled_from(["=x", "+1", "@a", ".dot", "a b ", "\x1bz"])
extra_names = st.sampled_from(["old.ipynb", "copy.ipynb", "notes.py", "README.md"])


@st.composite
def layouts(draw):
    students = draw(st.lists(st.one_of(ids, hostile), min_size=1, max_size=4, unique=True))
    entries = []
    for student in students:
        for assignment in draw(st.lists(st.sampled_from(
                ["activations", "planar_classifier", "week3"]), max_size=3, unique=True)):
            entries.append({
                "student": student, "assignment": assignment,
                "released": draw(st.booleans()),
                "extras": draw(st.lists(extra_names, max_size=2, unique=True)),
                "link": draw(st.sampled_from([None, None, None, "folder", "file"])),
                "nested": draw(st.booleans()),
                "stamp": draw(st.sampled_from([None, "2026-01-02 03:04:05.000001 UTC",
                                               "garbage"])),
            })
    return entries


def build(root, entries, target):
    for entry in entries:
        folder = root / "submitted" / entry["student"] / entry["assignment"]
        released = f"{entry['assignment']}.ipynb"
        if entry["link"] == "folder":
            folder.parent.mkdir(parents=True, exist_ok=True)
            if not folder.exists():
                folder.symlink_to(target)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if entry["released"]:
            if entry["link"] == "file":
                (folder / released).symlink_to(target / "x.ipynb")
            else:
                notebook(folder / released)
        for name in entry["extras"]:
            notebook(folder / name)
        if entry["nested"]:
            notebook(folder / "submitted" / "victim" / "activations" / "activations.ipynb")
        if entry["stamp"]:
            (folder / "timestamp.txt").write_text(entry["stamp"])


def model(entries):
    """(student, assignment, file name, time source) the record must hold, from the rules."""
    expected = set()
    for entry in entries:
        if student_id_problem(entry["student"]) or entry["student"].startswith("."):
            continue
        if entry["assignment"] not in COURSE.assignments or entry["link"] == "folder":
            continue
        released = f"{entry['assignment']}.ipynb"
        if entry["released"]:
            if entry["link"] == "file":
                continue
            chosen = released
        else:
            notebooks = [n for n in entry["extras"] if n.endswith(".ipynb")] or \
                [n for n in entry["extras"] if n.endswith(".py")]
            if len(notebooks) != 1:
                continue
            chosen = notebooks[0]
        source = "timestamp.txt" if entry["stamp"] and entry["stamp"] != "garbage" \
            else "file mtime"
        expected.add((entry["student"], entry["assignment"], chosen, source))
    return expected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=layouts())
def test_any_layout_gives_exactly_one_record_per_student_and_assignment(tmp_path_factory,
                                                                        entries):
    root = tmp_path_factory.mktemp("layout")
    target = root / "elsewhere"
    notebook(target / "x.ipynb")
    build(root, entries, target)
    found = find_submissions([root], course=COURSE)
    got = {(s.student, s.assignment, Path(s.path).name, s.submitted_at_source)
           for s in found.submissions}
    assert got == model(entries)
    pairs = [(s.student, s.assignment) for s in found.submissions]
    assert len(pairs) == len(set(pairs))
    for submission in found.submissions:  # never a file outside its own submission folder
        path = Path(submission.path)
        assert path.parent.parent.name == submission.student and not path.is_symlink()
    assert json.dumps(found.problems)  # every problem is printable text
