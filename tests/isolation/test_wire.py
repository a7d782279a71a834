"""The wire codec on its own (pure): what may cross between the grader and a child."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autograder.isolation import wire
from autograder.isolation.wire import Foreign, WireError, decode, encode


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**62, 1.5, -0.0, "text", "",
                                   (1, 2), [1, [2, (3,)]], {"a": 1, "b": {"c": [None]}}])
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


def test_nan_and_infinities_travel_in_strict_json():
    back = roundtrip([math.nan, math.inf, -math.inf])
    assert math.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf


@settings(max_examples=60, deadline=None)
@given(arrays(st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
              st.tuples(st.integers(0, 4), st.integers(0, 5))))
def test_numeric_arrays_keep_shape_dtype_and_bits(array):
    back = roundtrip(array)
    assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()
    assert not back.flags.writeable and wire.writable(back).flags.writeable


def test_numpy_scalars_keep_their_type():
    for value in (np.float64(2.5), np.int32(-3), np.bool_(True)):
        back = roundtrip(value)
        assert type(back) is type(value) and back == value


class Liar(tuple):
    def __eq__(self, other):
        return True


class Sub(np.ndarray):
    pass


@pytest.mark.parametrize("value, type_name", [
    (Liar((1, 2)), "Liar"), (np.zeros(3).view(Sub), "Sub"), (lambda x: x, "function"),
    (np.array(["a"]), "numpy.ndarray"), (np.array([object()]), "numpy.ndarray"),
    ({1: "x"}, "dict"), (object(), "object"), (np.complex128(1j), "complex128"),
])
def test_anything_else_becomes_a_foreign_placeholder_without_being_read(value, type_name):
    back = roundtrip(value)
    assert isinstance(back, Foreign) and type_name in back.type_name
    assert back != value and back != back.type_name


def test_limits_depth_items_array_size():
    deep = []
    for _ in range(50):
        deep = [deep]
    assert "nested too deeply" in repr(roundtrip(deep))
    assert "of 1001 items" in repr(roundtrip(list(range(1001))))
    big = np.zeros(wire.MAX_ARRAY_BYTES // 8 + 1)
    assert "too large" in repr(roundtrip(big))
    assert roundtrip("x" * 20_000) == "x" * wire.MAX_STR


def test_invalid_unicode_is_made_storable_both_ways():
    assert roundtrip("bad \udcff end") == "bad \ufffd end"
    assert decode({"t": "str", "v": "\ud800"}) == "\ufffd"
    assert roundtrip({"k\udc80": 1}) == {"k\ufffd": 1}
    assert wire.clean_text("\udcff" * 3).encode("utf-8")  # storable


@pytest.mark.parametrize("message", [
    [], "x", {"t": "nope"}, {"t": "int", "v": "1"}, {"t": "int", "v": True},
    {"t": "int", "v": 2**70}, {"t": "float", "v": "NaN!"}, {"t": "bool", "v": 1},
    {"t": "str", "v": 5}, {"t": "nd", "dtype": "O", "shape": [1], "b64": ""},
    {"t": "nd", "dtype": "<f8", "shape": [2], "b64": "AAAA"},
    {"t": "nd", "dtype": "<f8", "shape": [-1], "b64": ""},
    {"t": "nd", "dtype": "<f8", "shape": [1] * 40, "b64": ""},
    {"t": "nd", "dtype": "<f8", "shape": [1], "b64": "!!"},
    {"t": "nd", "dtype": "[('a', '<i4')]", "shape": [1], "b64": "AAAAAA=="},
    {"t": "np", "dtype": "<f8", "b64": "AA=="}, {"t": "list", "items": "abc"},
    {"t": "list", "items": [{"t": "int", "v": 1}] * 1001},
    {"t": "dict", "items": [[1, {"t": "none"}]]}, {"t": "dict", "items": [["a"]]},
])
def test_malformed_values_are_refused_with_wire_error(message):
    with pytest.raises(WireError):
        decode(message)


def test_decode_refuses_nesting_beyond_its_depth():
    value = {"t": "none"}
    for _ in range(wire.MAX_DEPTH + 5):
        value = {"t": "list", "items": [value]}
    with pytest.raises(WireError):
        decode(value)


def test_messages_are_one_json_object_per_line_with_a_size_limit():
    line = wire.dumps({"event": "x", "v": [1, 2]})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert wire.loads(line.strip(), 100) == {"event": "x", "v": [1, 2]}
    for bad in (b"[1]", b"not json", b"{" * 100000, b'"s"'):
        with pytest.raises(WireError):
            wire.loads(bad, 10 ** 6)
    with pytest.raises(WireError, match="over the 10-byte limit"):
        wire.loads(b'{"a": 12345678}', 10)
