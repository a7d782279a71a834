"""Named tests and undoings of the symptoms of classic mistakes, as data the catalog refers to.

A symptom (``records.Symptom``) names its test and its undoing by a spec: ``("columns",
("db1", "db2"))`` means "make those 1-d arrays columns again". Being data, the specs travel
with the self-check a release ships to students, which runs this very module. Pure functions
of numpy values; a test that does not apply is False, an undoing that does not apply returns
the value unchanged.
"""

from __future__ import annotations

import numpy as np


def _dict(value):
    return value if type(value) is dict else None


def _keys(value, keys):
    data = _dict(value)
    return [] if data is None else [k for k in keys if type(data.get(k)) is np.ndarray]


# -- tests: (case_args, outcome, expected) -> bool -------------------------------------------

def _is_list(args, outcome, expected):
    return type(outcome.value) is list


def _swapped_pair(args, outcome, expected):
    value = outcome.value
    return type(value) is tuple and len(value) == 2 and type(value[0]) is dict


def _size1_array(args, outcome, expected):
    return type(outcome.value) is np.ndarray and outcome.value.size == 1


def _flat_keys(args, outcome, expected, keys):
    return any(outcome.value[k].ndim == 1 for k in _keys(outcome.value, keys))


def _transposed_keys(args, outcome, expected, keys):
    return any(outcome.value[k].shape == expected[k].shape[::-1]
               and expected[k].shape[0] != expected[k].shape[1]
               for k in _keys(outcome.value, keys) if k in expected)


def _nonzero_keys(args, outcome, expected, keys):
    return any(outcome.value[k].shape == expected[k].shape and outcome.value[k].any()
               for k in _keys(outcome.value, keys) if k in expected)


def _inputs_changed(args, outcome, expected):
    after = outcome.args_after
    if after is None:
        return False
    for before, now in zip(args, after, strict=False):
        if type(before) is dict:
            for key, array in before.items():
                got = now.get(key) if type(now) is dict else None
                if type(got) is not np.ndarray or got.shape != array.shape or \
                        not np.array_equal(got, array):
                    return True
    return False


TESTS = {"is_list": _is_list, "swapped_pair": _swapped_pair, "size1_array": _size1_array,
         "flat_keys": _flat_keys, "transposed_keys": _transposed_keys,
         "nonzero_keys": _nonzero_keys, "inputs_changed": _inputs_changed}


# -- undoings: (value, expected) -> value ---------------------------------------------------

def _to_tuple(value, expected):
    return tuple(value) if type(value) is list else value


def _swap(value, expected):
    return (value[1], value[0]) if type(value) is tuple and len(value) == 2 else value


def _squeeze(value, expected):
    return float(np.squeeze(value)) if type(value) is np.ndarray and value.size == 1 else value


def _columns(value, expected, keys):
    data = _dict(value)
    if data is None:
        return value
    return {k: v.reshape(-1, 1) if k in keys and type(v) is np.ndarray and v.ndim == 1 else v
            for k, v in data.items()}


def _transpose_back(value, expected, keys):
    data = _dict(value)
    if data is None:
        return value
    return {k: v.T if k in keys and type(v) is np.ndarray and k in expected
            and v.shape == expected[k].shape[::-1] else v for k, v in data.items()}


def _zero_keys(value, expected, keys):
    data = _dict(value)
    if data is None:
        return value
    return {k: np.zeros_like(v) if k in keys and type(v) is np.ndarray else v
            for k, v in data.items()}


UNDO = {"to_tuple": _to_tuple, "swap": _swap, "squeeze": _squeeze, "columns": _columns,
        "transpose_back": _transpose_back, "zero_keys": _zero_keys}

# -- injections: (value) -> value as the mistake would make it (for the self-check's table) --


def _inject_list(value):
    return list(value) if type(value) is tuple else value


def _inject_array(value):
    return np.array([[value]]) if isinstance(value, float) else value


def _inject_flat(value, keys):
    data = _dict(value)
    if data is None:
        return value
    return {k: v.ravel() if k in keys and type(v) is np.ndarray else v for k, v in data.items()}


def _inject_transpose(value, keys):
    data = _dict(value)
    if data is None:
        return value
    return {k: v.T if k in keys and type(v) is np.ndarray else v for k, v in data.items()}


def _inject_swap(value):
    return _swap(value, None)


INJECT = {"to_tuple": _inject_list, "swap": _inject_swap, "squeeze": _inject_array,
          "columns": _inject_flat, "transpose_back": _inject_transpose}
"""The forward form of an undoing (what the mistake does to a right value), where it has one."""


def run_test(spec, args, outcome, expected) -> bool:
    name, *params = spec
    try:
        return bool(TESTS[name](args, outcome, expected, *params))
    except Exception:  # noqa: BLE001 - a test that cannot apply does not match
        return False


def undo(spec, value, expected):
    name, *params = spec
    return UNDO[name](value, expected, *params)


def inject(spec, value):
    """``value`` as the mistake of ``spec`` would make it, or None when it has no such form."""
    name, *params = spec
    function = INJECT.get(name)
    return None if function is None else function(value, *params)
