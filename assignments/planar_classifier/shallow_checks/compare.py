"""Comparing what a student's function returned with the right answer, and describing values.

Pure functions, no I/O: ``compare(got, expected, name)`` lists every problem (one per part of the
value: a dict's keys, a tuple's items), each a ``Problem`` with the part's label and one line of
text; an empty list means the value is right. ``describe`` shows a value by its shapes only
(for hidden cases), ``summary`` gives a short, safe description of a returned value (type,
shape, dtype; a few numbers for visible cases), never a long student-controlled string.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # inside the grader
    from ..isolation.wire import Foreign, clean_text
except ImportError:  # shipped in the self-check package: wire.py beside it
    from .wire import Foreign, clean_text

RTOL = 1e-5
ATOL = 1e-7

MAX_PROBLEMS = 6
SUMMARY_CHARS = 120


@dataclass(frozen=True)
class Problem:
    label: str  # "grads['db1']", "A2", "cost"
    text: str  # "grads['db1'] has shape (4,) but should be (4, 1)"
    kind: str  # "type", "shape", "values", "missing", "length", "dtype"


def describe(value) -> str:
    """Shapes, not values: 'array(2, 3)', 'array(1, 3, uint8)', '{W1: (4, 2), b1: (4, 1)}'."""
    if isinstance(value, np.ndarray):
        dims = ", ".join(str(n) for n in value.shape) + ("," if value.ndim == 1 else "")
        dtype = "" if value.dtype == np.float64 else f", {value.dtype}"
        return f"array({dims}{dtype})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v).removeprefix('array')}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (bool, int, np.integer)):
        return repr(value)
    return kind_of(value)


def kind_of(value) -> str:
    """'a numpy array of shape (4, 1)', 'a list', 'None', 'a Foo object'."""
    if isinstance(value, Foreign):
        return f"a {value.type_name}" + (f" {value.detail}" if value.detail else "")
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"a numpy {type(value).__name__}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def _kind(value, show):
    """kind_of, without the type name a student chose when ``show`` is off (a hidden case)."""
    if not show and isinstance(value, Foreign):
        return "an object that does not travel back to the grader"
    return kind_of(value)


def summary(value, *, show_values=False) -> str:
    """A short, safe description of a returned value for the feedback (at most 120 chars).
    Without ``show_values`` (a hidden case) nothing the student's code chose as text is shown:
    no dict keys, no type names of objects that do not travel."""
    if not show_values:
        if isinstance(value, dict):
            return f"dict with {len(value)} key{'s' * (len(value) != 1)}"
        if isinstance(value, Foreign):
            return "an object that does not travel back to the grader"
    if isinstance(value, np.ndarray):
        text = f"array of shape {value.shape}, dtype {value.dtype}"
        if show_values and value.size and value.dtype.kind in "biuf":
            flat = value.ravel()[:4]
            text += ": " + ", ".join(_number(v) for v in flat) + (", ..." if value.size > 4 else "")
        return _cut(text)
    if isinstance(value, dict):
        return _cut("dict with keys " + ", ".join(clean_text(k, 20) for k in list(value)[:8])
                    + (", ..." if len(value) > 8 else ""))
    if isinstance(value, (tuple, list)):
        inner = ", ".join(kind_of(v).removeprefix("a ") for v in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return _cut(f"{type(value).__name__} of {len(value)} ({inner}{more})")
    if isinstance(value, str):
        return _cut(f"a str of {len(value)} characters")
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _cut(f"{type(value).__name__} {_number(value)}" if show_values else
                    type(value).__name__)
    return _cut(kind_of(value))


def _number(value) -> str:
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError, OverflowError):
        return "?"


def _cut(text):
    text = clean_text(text, 1000)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


def is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def compare(got, expected, name, *, rtol=RTOL, atol=ATOL, show_values=False, names=()):
    """Every problem of ``got`` against ``expected`` (at most MAX_PROBLEMS), [] when right.

    ``names`` names the items of an expected tuple; ``show_values`` adds the first wrong number
    and the expected one (visible cases only).
    """
    problems: list[Problem] = []
    _compare(got, expected, name, rtol, atol, show_values, names, problems)
    return problems[:MAX_PROBLEMS]


def matches(got, expected, *, rtol=RTOL, atol=ATOL) -> bool:
    """Whether ``got`` is ``expected`` under the tolerances (types and shapes exact): the same
    verdict as ``not compare(...)``, without writing any problem down (stand-ins ask it often)."""
    if isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray or got.shape != expected.shape:
            return False
        if (got.dtype == expected.dtype and expected.dtype.kind in "biuf"
                and np.array_equal(got, expected)):
            return True
    elif isinstance(expected, tuple):
        return (type(got) is tuple and len(got) == len(expected)
                and all(matches(g, e, rtol=rtol, atol=atol)
                        for g, e in zip(got, expected, strict=True)))
    elif isinstance(expected, dict):
        return (type(got) is dict and all(key in got and matches(got[key], e, rtol=rtol, atol=atol)
                                          for key, e in expected.items()))
    problems: list[Problem] = []
    _compare(got, expected, "", rtol, atol, False, (), problems, stop=True)
    return not problems


def _compare(got, expected, name, rtol, atol, show, names, out, stop=False):
    if stop and out:
        return
    if isinstance(expected, np.ndarray):
        out.extend(_compare_array(got, expected, name, rtol, atol, show))
    elif isinstance(expected, float):
        if not is_number(got):
            out.append(Problem(name, f"{name} is {_kind(got, show)}, but should be a Python "
                                     f"float", "type"))
        else:
            out.extend(_compare_numbers(np.asarray(got, float), np.asarray(expected), name,
                                        rtol, atol, show))
    elif isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            out.append(Problem(name, f"{name} is {_kind(got, show)}, but should be a bool",
                               "type"))
        elif bool(got) != bool(expected):
            out.append(Problem(name, f"{name} is {bool(got)!r} but should be "
                                     f"{bool(expected)!r}", "values"))
    elif isinstance(expected, (int, np.integer)):
        if not isinstance(got, (int, np.integer)) or isinstance(got, (bool, np.bool_)):
            out.append(Problem(name, f"{name} is {_kind(got, show)}, but should be an int",
                               "type"))
        elif got != expected:
            out.append(Problem(name, f"{name} is {int(got)} but should be {int(expected)}",
                               "values"))
    elif isinstance(expected, tuple):
        if type(got) is not tuple:
            out.append(Problem(name, f"{name} is {_kind(got, show)}, but should be a tuple of "
                                     f"{len(expected)}", "type"))
        elif len(got) != len(expected):
            out.append(Problem(name, f"{name} has {len(got)} items but should have "
                                     f"{len(expected)}", "length"))
        else:
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                item = names[i] if i < len(names) else f"{name}[{i}]"
                _compare(g, e, item, rtol, atol, show, (), out, stop)
    elif isinstance(expected, dict):
        if type(got) is not dict:
            out.append(Problem(name, f"{name} is {_kind(got, show)}, but should be a dict with "
                                     f"keys "
                                     f"{', '.join(expected)}", "type"))
            return
        missing = [k for k in expected if k not in got]
        if missing:
            out.append(Problem(name, f"{name} is missing the key{'s' * (len(missing) > 1)} "
                                     f"{', '.join(repr(k) for k in missing)}", "missing"))
        for key, e in expected.items():
            if key in got:
                _compare(got[key], e, f"{name}[{key!r}]" if name else key, rtol, atol, show,
                         (), out, stop)
    elif not _plain_equal(got, expected):
        out.append(Problem(name, f"{name} is {_short_repr(got, show)} but should be "
                                 f"{_short_repr(expected)}", "values"))


def _plain_equal(got, expected):
    """``got == expected`` for plain values; False for anything that does not answer a bool."""
    if type(got) is not type(expected) and not (is_number(got) and is_number(expected)):
        return False
    try:
        equal = got == expected
    except Exception:  # noqa: BLE001 - a comparison that fails is not equality
        return False
    return equal if isinstance(equal, bool) else False


def _short_repr(value, show=True):
    if isinstance(value, (str, Foreign)) or not isinstance(value, (int, float, bool, type(None))):
        return _kind(value, show) if not isinstance(value, str) else \
            f"a str of {len(value)} characters"
    return repr(value)


def _compare_array(got, expected, name, rtol, atol, show):
    if type(got) is not np.ndarray:
        return [Problem(name, f"{name} is {_kind(got, show)}, but should be a numpy array of "
                              f"shape "
                              f"{expected.shape}", "type")]
    if got.shape != expected.shape:
        return [Problem(name, f"{name} has shape {got.shape} but should be {expected.shape}",
                        "shape")]
    if expected.dtype == bool:
        if got.dtype != bool and not np.isin(got, (0, 1)).all():
            return [Problem(name, f"{name} should hold True/False values, but holds other "
                                  f"values", "dtype")]
        wrong = got.astype(bool) != expected
        if wrong.any():
            return [Problem(name, f"{name} is wrong in {int(wrong.sum())} of {wrong.size} "
                                  f"entries", "values")]
        return []
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        return [Problem(name, f"{name} has dtype {got.dtype}, but should hold numbers", "dtype")]
    if got.dtype == expected.dtype and np.array_equal(got, expected):
        return []  # the same bits (a stand-in's value passed on, say): nothing to measure
    return _compare_numbers(got, expected, name, rtol, atol, show)


def _compare_numbers(got, expected, name, rtol, atol, show):
    got = got.astype(np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if np.isnan(got).any() and not np.isnan(expected).any():
        return [Problem(name, f"{name} contains NaN", "values")]
    if np.isinf(got).any() and not np.isinf(expected).any():
        return [Problem(name, f"{name} contains inf", "values")]
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return []
    if got.ndim == 0:
        text, g, e = f"{name} has the wrong value", got.item(), expected.item()
    else:
        index = np.unravel_index(np.argmax(~close), close.shape)
        wrong = int((~close).sum())
        entries = "entry" if close.size == 1 else "entries"
        text = (f"{name} has the right shape but wrong values in {wrong} of {close.size} "
                f"{entries} (first at index {tuple(int(i) for i in index)})")
        g, e = got[index], expected[index]
    if show:
        text += f": got {_number(g)}, expected {_number(e)}"
    return [Problem(name, text, "values")]
