"""The bundled example class that `make demo` grades: each student gets the diagnosis they
should, and the examples are built from the current release."""

from pathlib import Path

import pytest

from autograder.grade import find_submissions, grade_many
from autograder.rubric import exercises_for, review_questions

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "examples" / "course"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    submissions = find_submissions([COURSE])
    graded = grade_many(submissions, gradebook=tmp_path_factory.mktemp("demo") / "g.db",
                        jobs=2, timeout=2)
    return {(r.student, r.assignment): r for r in graded}


def _full(name):
    return sum(e.points for e in exercises_for(name)) + sum(
        q.points for q in review_questions(name))


def _lost(result):
    return {t.exercise: t.mistake for t in result.tests if t.status == "failed"}


def test_the_class_is_complete(results):
    assert sorted(results) == [
        ("ada", "activations"), ("ada", "planar_classifier"), ("ben", "activations"),
        ("ben", "planar_classifier"), ("cleo", "planar_classifier"),
        ("dev", "planar_classifier"), ("emil", "planar_classifier")]


def test_ada_solved_everything(results):
    for name in ("activations", "planar_classifier"):
        assert results[("ada", name)].score == _full(name)
        assert results[("ada", name)].errors == []


def test_each_mistake_is_diagnosed(results):
    assert _lost(results[("ben", "activations")]) == {
        "tanh_derivative": "tanh_derivative_one_minus_a"}
    assert _lost(results[("ben", "planar_classifier")]) == {
        "backward_propagation": "missing_keepdims", "compute_cost": "cost_returns_array"}
    cleo = _lost(results[("cleo", "planar_classifier")])
    assert cleo == {"forward_propagation": "sigmoid_hidden_layer",
                    "initialize_parameters": "zero_weights", "q_keepdims_shape": None}
    feedback = next(t.output for t in results[("cleo", "planar_classifier")].tests
                    if t.exercise == "q_keepdims_shape")
    assert "Hint: Without keepdims=True" in feedback


def test_a_hang_and_a_broken_file(results):
    dev = results[("dev", "planar_classifier")]
    assert set(_lost(dev)) == {"nn_model"}
    assert all("did not finish within its 2 s budget" in t.output for t in dev.tests
               if t.exercise == "nn_model")
    emil = results[("emil", "planar_classifier")]
    assert emil.score == 0 and "not valid JSON" in emil.errors[0]
