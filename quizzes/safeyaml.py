"""Read a YAML (or JSON) file safely: bounded size and depth, no aliases, one-line errors.

Banks and answers files come from people (an answers file from a student), so reading one must
never run code, exhaust memory or end in a traceback:

- the file is refused past ``max_bytes`` (1 MB for answers files, 10 MB for banks);
- aliases (``*name``, and so ``<<: *name`` merges) are refused: a tiny file with nested aliases
  would otherwise expand into an enormous structure;
- collections may nest at most ``max_depth`` levels;
- only plain data is built (PyYAML's safe constructors), with YAML 1.2's core scalars:
  ``true``/``false`` (not ``yes``/``no``/``on``/``off``), decimal integers (``012`` is 12, never
  octal; no ``1:20`` sexagesimals), floats including ``1e-5``, ``.inf``, ``.nan``, ``null``;
  dates stay strings; a duplicate key is an error;
- every mapping is a :class:`Mapping` (a dict) that knows its line and the line of each key.

Every problem is a :class:`YamlError` whose message is one line, ``FILE:LINE: problem``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

MAX_DEPTH = 20
ANSWERS_MAX_BYTES = 1_000_000
BANK_MAX_BYTES = 10_000_000


class YamlError(ValueError):
    """A file that cannot be read as plain YAML data; the message is ``FILE:LINE: problem``."""

    def __init__(self, where, problem, line=None):
        self.path, self.line, self.problem = str(where), line, problem
        super().__init__(f"{where}:{line}: {problem}" if line else f"{where}: {problem}")


class Mapping(dict):
    """A YAML mapping: a dict with ``line`` (where it starts) and ``key_lines`` (per key)."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key):
        """The line of ``key`` (or of the mapping when the key is absent)."""
        return self.key_lines.get(key, self.line)


_loader_class = None


def _loader():
    global _loader_class
    if _loader_class is not None:
        return _loader_class
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        yaml_implicit_resolvers = {}  # replaced below: YAML 1.2 core scalars only
        yaml_constructors = dict(base.yaml_constructors)

    def resolver(tag, pattern, first):
        Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))

    resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
    resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
    resolver("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789")
    resolver("tag:yaml.org,2002:float",
             r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789.")

    def scalar(loader, node):
        return loader.construct_scalar(node)

    def construct_bool(loader, node):
        return scalar(loader, node).lower() == "true"

    def construct_int(loader, node):
        text = scalar(loader, node)
        if len(text.lstrip("+-")) > 100:  # Python refuses long ones anyway (int_max_str_digits)
            raise _Located(node.start_mark.line + 1, f"a number of {len(text)} digits")
        try:
            return int(text)
        except ValueError:
            raise _Located(node.start_mark.line + 1, f"not a whole number: {text[:40]!r}") \
                from None

    def construct_float(loader, node):
        text = scalar(loader, node).lower()
        if text.endswith("inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text.endswith("nan"):
            return math.nan
        return float(text)

    def construct_mapping(loader, node):
        mapping = Mapping()
        mapping.line = node.start_mark.line + 1
        yield mapping
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise _Located(line, "a mapping key must be a plain value") from None
            if key in mapping:
                raise _Located(line, f"duplicate key {key!r} (first at line "
                                     f"{mapping.key_lines[key]})")
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.key_lines[key] = line

    Loader.add_constructor("tag:yaml.org,2002:bool", construct_bool)
    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", scalar)
    _loader_class = Loader
    return Loader


class _Located(Exception):
    def __init__(self, line, problem):
        super().__init__(problem)
        self.line, self.problem = line, problem


def _check_events(text, loader, max_depth):
    """Refuse aliases and deep nesting from the event stream, before anything is built."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _Located(event.start_mark.line + 1,
                           f"YAML aliases (*{event.anchor}) are not allowed")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > max_depth:
                raise _Located(event.start_mark.line + 1,
                               f"nested more than {max_depth} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def loads(text, where="<text>", *, max_depth=MAX_DEPTH):
    """Parse YAML text into plain data (see the module docstring); raise YamlError."""
    import yaml

    loader = _loader()
    try:
        _check_events(text, loader, max_depth)
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader, plain data only
    except _Located as exc:
        raise YamlError(where, exc.problem, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        kind = "YAML syntax error" if isinstance(exc, (yaml.scanner.ScannerError,
                                                       yaml.parser.ParserError)) \
            else "not plain data" if isinstance(exc, yaml.constructor.ConstructorError) \
            else "YAML"
        raise YamlError(where, f"{kind}: {problem}", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        raise YamlError(where, f"not text: unacceptable character #x{exc.character:04x}"
                        if isinstance(exc.character, int) else "not text", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(where, "YAML error: " + " ".join(str(exc).split())) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise YamlError(where, f"unreadable value ({exc.__class__.__name__}: "
                        f"{' '.join(str(exc).split())[:120]})") from None


def load_file(path, *, max_bytes, max_depth=MAX_DEPTH):
    """Read and parse one file at most ``max_bytes`` long; raise YamlError."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlError(path, "no such file") from None
    except IsADirectoryError:
        raise YamlError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise YamlError(path, f"cannot read ({exc.strerror or exc.__class__.__name__})") from None
    return load_bytes(raw, path, max_bytes=max_bytes, max_depth=max_depth)


def load_bytes(raw, path, *, max_bytes, max_depth=MAX_DEPTH):
    """Parse the bytes of ``path`` as read (``load_file`` without the read); raise YamlError."""
    if len(raw) > max_bytes:
        raise YamlError(path, f"larger than {_size(max_bytes)}: not read")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise YamlError(path, "not UTF-8 text", line) from None
    return loads(text, path, max_depth=max_depth)


def _size(n):
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


def plain(data):
    """The same data with every Mapping turned into a plain dict (for dumping and hashing)."""
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(item) for item in data]
    return data
