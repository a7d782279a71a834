"""The wire codec: the only form in which values cross between the grader and its children.

Shared by both sides: the child imports this file from its sandbox (standard library and numpy
only, no package imports), the grader as ``autograder.isolation.wire``. Values travel as tagged
JSON: ``None``, exact ``bool``/``int``/``float``/``str``, tuples, lists, dicts with string keys,
and numeric or boolean numpy arrays and scalars as base64 bytes. Nothing is pickled, no
attribute a student defined is ever read on the way out (only exact built-in types are looked
at), and ``decode`` builds nothing but those types: anything else becomes a ``Foreign``
placeholder that names its type and compares equal to nothing the reference returns.

The whitelist, in numbers: nesting depth ``MAX_DEPTH``, ``MAX_ITEMS`` items per container,
``MAX_CONTAINERS`` containers per message,
``MAX_ARRAY_BYTES`` per array, ``MAX_STR`` characters per string (longer ones are cut), array
dtypes of kinds bool, int, uint and float, at most 32 dimensions. Strings are made storable on
the way in: lone surrogates (invalid Unicode from a file name or an exception message) become
U+FFFD.
"""

from __future__ import annotations

import base64
import json
import math
import re

MAX_DEPTH = 8
MAX_ITEMS = 1000
MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_STR = 10_000
MAX_DIMS = 32
ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_SURROGATE = re.compile("[\ud800-\udfff]")


class WireError(ValueError):
    """A message or value that breaks the codec's rules."""


class Foreign:
    """A value of a kind that does not travel (an object, an ndarray subclass, a lambda...)."""

    __slots__ = ("type_name", "detail")

    def __init__(self, type_name, detail=""):
        self.type_name = str(type_name)[:200]
        self.detail = str(detail)[:200]

    def __repr__(self):
        return f"<{self.type_name}{' ' + self.detail if self.detail else ''}>"

    def __eq__(self, other):
        return (isinstance(other, Foreign) and other.type_name == self.type_name
                and other.detail == self.detail)

    __hash__ = None


def clean_text(text, limit=MAX_STR):
    """``text`` cut to ``limit`` characters with lone surrogates replaced (storable, printable
    by any UTF-8 writer)."""
    text = str(text)[:limit]
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _type_name(value):
    kind = type(value)
    module = getattr(kind, "__module__", "?")
    name = getattr(kind, "__qualname__", "?")
    return name if module == "builtins" else f"{module}.{name}"


def encode(value, depth=0):
    """A JSON-ready description of ``value`` (see the module docstring)."""
    import numpy as np

    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": value} if abs(value) < 2**63 else {"t": "float", "v": float(value)}
    if kind is float:
        return {"t": "float", "v": _json_float(value)}
    if kind is str:
        return {"t": "str", "v": clean_text(value)}
    if kind is np.ndarray:
        if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
            return {"t": "foreign", "type": "numpy.ndarray", "detail": f"of dtype {value.dtype}"}
        if value.nbytes > MAX_ARRAY_BYTES or value.ndim > MAX_DIMS:
            return {"t": "foreign", "type": "numpy.ndarray",
                    "detail": f"too large ({value.nbytes} bytes, shape {value.shape})"}
        data = np.ascontiguousarray(value)
        return {"t": "nd", "dtype": data.dtype.str, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.kind not in ARRAY_KINDS:
            return {"t": "foreign", "type": _type_name(value)}
        return {"t": "np", "dtype": value.dtype.str,
                "b64": base64.b64encode(value.tobytes()).decode("ascii")}
    if depth >= MAX_DEPTH:
        return {"t": "foreign", "type": _type_name(value), "detail": "nested too deeply"}
    if kind in (tuple, list):
        if len(value) > MAX_ITEMS:
            return {"t": "foreign", "type": kind.__name__, "detail": f"of {len(value)} items"}
        return {"t": kind.__name__, "items": [encode(v, depth + 1) for v in value]}
    if kind is dict:
        if len(value) > MAX_ITEMS:
            return {"t": "foreign", "type": "dict", "detail": f"of {len(value)} items"}
        items = []
        for key, item in dict.items(value):
            if type(key) is not str:
                return {"t": "foreign", "type": "dict", "detail": "with a key that is not a str"}
            items.append([clean_text(key, 200), encode(item, depth + 1)])
        return {"t": "dict", "items": items}
    if isinstance(value, np.ndarray):
        shape = tuple(np.ndarray.__dict__["shape"].__get__(value))
        return {"t": "foreign", "type": _type_name(value),
                "detail": f"(an ndarray subclass) of shape {shape}"}
    return {"t": "foreign", "type": _type_name(value)}


def _json_float(value):
    """JSON has no NaN or infinity: they travel as strings the decoder knows."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def decode(obj, depth=0):
    """Inverse of ``encode``; raises WireError for anything malformed.

    Builds only plain numbers, strings, containers, read-only numeric arrays and ``Foreign``.
    """
    import numpy as np

    if depth > MAX_DEPTH + 1 or type(obj) is not dict:
        raise WireError("malformed value")
    tag = obj.get("t")
    if tag == "none":
        return None
    if tag == "bool":
        if type(obj.get("v")) is not bool:
            raise WireError("malformed bool")
        return obj["v"]
    if tag == "int":
        value = obj.get("v")
        if type(value) is not int or abs(value) >= 2**63:
            raise WireError("malformed int")
        return value
    if tag == "float":
        value = obj.get("v")
        if type(value) is str and value in _FLOAT_WORDS:
            return _FLOAT_WORDS[value]
        if type(value) not in (int, float):
            raise WireError("malformed float")
        return float(value)
    if tag == "str":
        if type(obj.get("v")) is not str:
            raise WireError("malformed str")
        return clean_text(obj["v"])
    if tag in ("nd", "np"):
        try:
            dtype = np.dtype(str(obj.get("dtype"))[:16])
        except TypeError:
            raise WireError("array of an unknown dtype") from None
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
            raise WireError("array of a forbidden dtype")
        text = obj.get("b64", "")
        if type(text) is not str or len(text) > MAX_ARRAY_BYTES * 4 // 3 + 4:
            raise WireError("array too large")
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            raise WireError("malformed array bytes") from None
        if tag == "np":
            if len(raw) != dtype.itemsize:
                raise WireError("malformed numpy scalar")
            return np.frombuffer(raw, dtype=dtype)[0]
        shape = obj.get("shape")
        if type(shape) is not list or len(shape) > MAX_DIMS or any(
                type(n) is not int or n < 0 for n in shape):
            raise WireError("malformed shape")
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != len(raw):
            raise WireError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape)
    if tag in ("tuple", "list"):
        items = obj.get("items")
        if type(items) is not list or len(items) > MAX_ITEMS:
            raise WireError("malformed container")
        decoded = [decode(v, depth + 1) for v in items]
        return tuple(decoded) if tag == "tuple" else decoded
    if tag == "dict":
        items = obj.get("items")
        if type(items) is not list or len(items) > MAX_ITEMS:
            raise WireError("malformed dict")
        result = {}
        for pair in items:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("malformed dict item")
            result[clean_text(pair[0], 200)] = decode(pair[1], depth + 1)
        return result
    if tag == "foreign":
        return Foreign(clean_text(obj.get("type", "?"), 200),
                       clean_text(obj.get("detail", ""), 200))
    raise WireError(f"unknown value tag {str(tag)[:20]!r}")


def dumps(message):
    """One message as a line of JSON (bytes, newline-terminated)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


MAX_CONTAINERS = 200_000
"""The most JSON objects and arrays one message may hold: each costs the decoder ~100 bytes of
the grader's memory, whatever its size on the wire ('{},' is three bytes)."""


def loads(line, limit):
    """A message from one line: a dict, or WireError (too long, too many containers for the
    grader to build, not JSON, not an object)."""
    if len(line) > limit:
        raise WireError(f"a message of {len(line)} bytes, over the {limit}-byte limit")
    opened = line.count(b"{" if isinstance(line, (bytes, bytearray)) else "{") + \
        line.count(b"[" if isinstance(line, (bytes, bytearray)) else "[")
    if opened > MAX_CONTAINERS:  # counted in the raw line: braces in strings count too
        raise WireError(f"a message of {opened} objects and lists, over the limit of "
                        f"{MAX_CONTAINERS}")
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        raise WireError("a message that is not JSON") from None
    if type(message) is not dict:
        raise WireError("a message that is not a JSON object")
    return message


def writable(value):
    """Decoded arrays are read-only views of the message; students get ordinary arrays."""
    import numpy as np

    if type(value) is np.ndarray:
        return value.copy()
    if type(value) is dict:
        return {k: writable(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(writable(v) for v in value)
    return value
