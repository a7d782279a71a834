"""Real-looking learner notebooks of the classic course, every version (tests/data/learners/):
each function that is correct for its notebook's version gets full marks, each wrong one loses
points with a message that names its problem, no notebook loses points for review questions it
never had, and the course's own helper modules raise nothing."""

from pathlib import Path

import pytest
import yaml

from autograder.course import default_course
from autograder.grade import Options, Submission, grade_submission

LEARNERS = Path(__file__).resolve().parents[1] / "data" / "learners"
VERDICTS = yaml.safe_load((LEARNERS / "verdicts.yaml").read_text())
COURSE = default_course()
CATALOG = {m.id for e in COURSE.exercises.values() for m in e.mistakes} | {
    "uses_notebook_global"}
HELPERS = ("planar_utils", "testCases", "public_tests", "test_utils")


@pytest.fixture(scope="module")
def graded():
    results = {}
    for entry in VERDICTS:
        path = LEARNERS / entry["notebook"]
        results[entry["notebook"]] = grade_submission(
            Submission(str(path), "learner", "planar_classifier"), Options(seed=0))
    return results


def ids(entry):
    return entry["notebook"].removesuffix(".ipynb")


@pytest.mark.parametrize("entry", VERDICTS, ids=ids)
def test_each_function_gets_the_verdict_a_fair_grader_gives(graded, entry):
    result = graded[entry["notebook"]]
    assert result.status == "graded", result.reason
    assert result.version == entry["version"], result.notes
    points = result.exercise_points()
    for function, verdict in entry["functions"].items():
        got, top = points[function]
        cases = [c for c in result.cases if c.exercise == function and not c.passed]
        if verdict == "correct":
            assert got == top, (function, [(c.problems, [m.id for m in c.mistakes], c.note)
                                           for c in cases])
            continue
        assert got < top, f"{function} is wrong ({verdict['why']}) but kept its points"
        named = {m.id for c in cases for m in c.mistakes}
        if verdict["wrong"] in CATALOG:
            assert verdict["wrong"] in named, (function, verdict, named,
                                               [c.problems for c in cases])
        assert all(c.problems for c in cases)  # always a message, named mistake or not


@pytest.mark.parametrize("entry", VERDICTS, ids=ids)
def test_no_points_for_review_questions_the_notebook_never_had(graded, entry):
    result = graded[entry["notebook"]]
    assert result.review_policy == "not-in-notebook"
    assert not [c for c in result.cases if c.kind == "review"]
    assert result.max_points == sum(COURSE.exercises[e].points
                                    for e in COURSE.assignment("planar_classifier").exercises)


@pytest.mark.parametrize("entry", VERDICTS, ids=ids)
def test_the_course_s_helper_modules_raise_nothing(graded, entry):
    result = graded[entry["notebook"]]
    noisy = [e for e in result.errors if any(h in e for h in HELPERS)]
    assert noisy == [], noisy
    assert not [e for e in result.errors if "ModuleNotFoundError" in e]


def test_a_version_can_be_pinned_for_a_whole_batch():
    path = LEARNERS / "v2018_correct_plain.ipynb"
    pinned = grade_submission(Submission(str(path), "learner", "planar_classifier"),
                              Options(seed=0, version="course-2021"))
    assert pinned.version == "course-2021" and "as asked" in " ".join(pinned.notes)
    lost = {e for e, (g, t) in pinned.exercise_points().items() if g < t}
    assert "compute_cost" in lost  # a 2018 notebook judged by 2021 conventions loses points
