"""The bundled example class that `make demo` grades: each student gets the diagnosis they
should, and the examples are built from the current release."""

from pathlib import Path

import pytest

from autograder.batch import grade_many
from autograder.course import default_course
from autograder.grade import Options
from autograder.submissions import find_submissions
from notebooks import full

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "examples" / "course"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    found = find_submissions([COURSE], course=default_course())
    graded = grade_many(found.submissions, gradebook=tmp_path_factory.mktemp("demo") / "g.db",
                        jobs=2, options=Options(seed=0, timeout=2))
    return {(r.student, r.assignment): r for r in graded}


def _lost(result):
    return {name: sorted({m.id for c in result.cases if c.exercise == name for m in c.mistakes})
            for name, (got, top) in result.exercise_points().items() if got < top}


def _full(name):
    from autograder.course import review
    from autograder.results import as_fraction

    course = default_course()
    record = course.assignment(name)
    return sum(course.exercises[e].points for e in record.exercises) + sum(
        as_fraction(q.points) for q in review.questions(record))


def test_the_class_is_complete(results):
    assert sorted(results) == [
        ("ada", "activations"), ("ada", "planar_classifier"), ("ben", "activations"),
        ("ben", "planar_classifier"), ("cleo", "planar_classifier"),
        ("dev", "planar_classifier"), ("emil", "planar_classifier")]
    assert full("all")  # the test course loads too


def test_ada_solved_everything(results):
    for name in ("activations", "planar_classifier"):
        assert results[("ada", name)].points == _full(name)
        assert results[("ada", name)].errors == []


def test_each_mistake_is_diagnosed(results):
    assert _lost(results[("ben", "activations")]) == {
        "tanh_derivative": ["tanh_derivative_one_minus_a"]}
    assert _lost(results[("ben", "planar_classifier")]) == {
        "backward_propagation": ["missing_keepdims"], "compute_cost": ["cost_returns_array"]}
    cleo = _lost(results[("cleo", "planar_classifier")])
    assert cleo == {"forward_propagation": ["sigmoid_hidden_layer"],
                    "initialize_parameters": ["zero_weights"], "q_keepdims_shape": []}
    review = next(c for c in results[("cleo", "planar_classifier")].cases
                  if c.exercise == "q_keepdims_shape")
    assert review.feedback.startswith("Without keepdims=True")


def test_a_hang_and_a_broken_file(results):
    dev = results[("dev", "planar_classifier")]
    assert set(_lost(dev)) == {"nn_model"}
    assert all("did not finish within its 2 s budget" in c.problem for c in dev.cases
               if c.exercise == "nn_model")
    emil = results[("emil", "planar_classifier")]
    assert emil.points == 0 and emil.status == "unreadable" and "not valid JSON" in emil.reason
