"""Comparing returned values with the expected ones, and describing values (pure)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.course.compare import compare, describe, matches, summary
from autograder.isolation.wire import Foreign


def texts(got, expected, name="x", **kw):
    return [p.text for p in compare(got, expected, name, **kw)]


def test_right_values_have_no_problem_within_the_tolerances():
    a = np.array([[1.0, 2.0]])
    assert compare(a + 1e-9, a, "a") == []
    assert compare({"W": a, "b": 3}, {"W": a, "b": 3}, "p") == []
    assert compare((1, 4, 2), (1, 4, 2), "t") == []
    assert compare(0.5, 0.5, "cost") == [] and compare(np.float64(0.5), 0.5, "c") == []


def test_every_part_gets_its_own_problem_with_its_label():
    expected = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1)), "db2": np.zeros((1, 1))}
    got = {"dW1": np.ones((2, 2)), "db1": np.zeros(2), "db2": np.zeros((1, 1))}
    problems = compare(got, expected, "grads")
    assert [p.label for p in problems] == ["grads['dW1']", "grads['db1']"]
    assert [p.kind for p in problems] == ["values", "shape"]
    assert problems[1].text == "grads['db1'] has shape (2,) but should be (2, 1)"


def test_values_shown_only_when_asked_and_where_they_differ():
    [hidden] = texts(np.array([1.0, 5.0]), np.array([1.0, 2.0]))
    assert hidden == "x has the right shape but wrong values in 1 of 2 entries " \
                     "(first at index (1,))"
    [shown] = texts(np.array([1.0, 5.0]), np.array([1.0, 2.0]), show_values=True)
    assert shown.endswith(": got 5, expected 2")


@pytest.mark.parametrize("got, expected, words", [
    (np.zeros((1, 2)), 0.5, "should be a Python float"),
    ([1, 2], (1, 2), "is a list, but should be a tuple of 2"),
    ((1, 2), (1, 2, 3), "has 2 items but should have 3"),
    ({"a": 1}, {"a": 1, "b": 2}, "is missing the key 'b'"),
    (np.array(["a"]), np.zeros(1), "has dtype <U1, but should hold numbers"),
    (np.array([np.nan]), np.zeros(1), "contains NaN"),
    (np.array([np.inf]), np.zeros(1), "contains inf"),
    (np.array([[0.3, 0.7]]), np.array([[False, True]]), "True/False values"),
    (np.array([[1, 1]]), np.array([[False, True]]), "wrong in 1 of 2 entries"),
    (Foreign("Liar"), (1, 2), "is a Liar, but should be a tuple"),
    (np.zeros(2), True, "should be a bool"),
    (True, 3, "should be an int"),
    ("text", None, "is a str of 4 characters but should be None"),
])
def test_each_kind_of_problem_is_named(got, expected, words):
    [text] = texts(got, expected, show_values=True)
    assert words in text, text


def test_a_hidden_case_never_shows_text_the_students_code_chose():
    """A type name or dict keys the code picked could carry a hidden case's inputs out."""
    [text] = texts(Foreign("leak_0123456789abcdef"), (1, 2))
    assert "leak" not in text and "does not travel" in text
    assert "leak" not in summary({"leak_0.25": 1}) and "1 key" in summary({"leak_0.25": 1})
    assert "leak" in summary({"leak_0.25": 1}, show_values=True)


def test_a_value_that_answers_comparisons_oddly_is_never_equal():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError

    assert texts(Weird(), "x") and not matches(Weird(), "x")
    assert not matches(np.zeros(2), None)


def test_bool_arrays_accept_zeros_and_ones_as_the_course_allows():
    assert compare(np.array([[0, 1]]), np.array([[False, True]]), "p") == []
    assert compare(np.array([[0.0, 1.0]]), np.array([[False, True]]), "p") == []


def test_describe_shows_shapes_never_values():
    text = describe({"W1": np.full((4, 2), 7.25), "b1": np.zeros((4, 1))})
    assert text == "{W1: (4, 2), b1: (4, 1)}" and "7.25" not in text
    assert describe(np.zeros((1, 3), dtype=np.uint8)) == "array(1, 3, uint8)"
    assert describe(np.zeros(3)) == "array(3,)"


def test_summary_is_short_and_safe_whatever_comes_back():
    assert summary("x" * 10_000) == "a str of 10000 characters"
    assert len(summary(list(range(1000)))) <= 120
    assert summary(np.arange(10.0), show_values=True).startswith(
        "array of shape (10,), dtype float64: 0, 1, 2, 3, ...")
    assert "9" not in summary(np.arange(10.0))
    assert summary({"\udcff" * 3: 1}).encode("utf-8")


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
              st.text(max_size=2),
              st.builds(lambda v, s, d: np.full(s, v if d in (np.float64, np.float32) or v == v
                                                else 0, dtype=d),
                        st.floats(-2, 2) | st.just(np.nan),
                        st.sampled_from([(2,), (1, 2), ()]),
                        st.sampled_from([np.float64, np.float32, np.int64, bool]))),
    lambda inner: st.tuples(inner, inner) | st.dictionaries(st.sampled_from("ab"), inner,
                                                            max_size=2),
    max_leaves=4)


@given(_values, _values)
@settings(max_examples=300, deadline=None)
def test_the_quick_verdict_is_the_full_comparisons_verdict(got, expected):
    assert matches(got, expected) == (not compare(got, expected, "x"))
    assert matches(expected, expected) == (not compare(expected, expected, "x"))


def test_a_hidden_case_error_says_its_type_and_place_not_its_message():
    from autograder.course.judge import hidden_error

    assert hidden_error("ValueError: LEAK 3ff0 (cell 4, line 9)") == \
        "ValueError (cell 4, line 9); the message is shown for visible cases only"
    assert "LEAK" not in hidden_error("LEAK_3ff0: x (cell 4, line 9)")
    assert "abc" not in hidden_error("the code called sys.exit('abc') (cell 2, line 1)")
    assert hidden_error("function f not found") == "function f not found"
