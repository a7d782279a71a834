"""Read a student's submission without running it, and keep only the code that defines things.

A submission is a Jupyter notebook (``.ipynb``, nbformat 4 or 3) or a plain ``.py`` file. The
grader never starts a kernel: it reads the file as JSON (or text), takes the code cells, and turns
each cell into Python exactly as Jupyter does before running it (IPython's input transformations:
leading blank lines, common indentation, ``>>>`` and ``In [1]:`` prompts, cell magics, line
magics, shell escapes, ``x?`` help), except that the IPython commands themselves are dropped: the
grader never runs them. It then parses each cell and keeps only the top-level statements that
*define* things: imports, functions, classes, assignments of simple values, and the module-level
constants that a kept function reads when they are cheap and safe to compute (``SCALE =
np.sqrt(1e-4)``). A child process can later ``exec`` the resulting chunks and call the student's
functions without also running the training loops, plots and prints that surround them.

Nothing here trusts the file. Every problem that makes the whole file ungradable becomes a
``NotebookError`` whose message is one line that starts with the file's path; problems with a
single cell (a syntax error, say) are listed in ``GradableSource.problems`` and the other cells
are still used, as they would be in Jupyter. Reading takes time linear in the size of the file,
and at most ``max_code_chars`` characters of code are parsed (512 KB by default).

Only the standard library is imported, so that reading a notebook stays cheap and safe.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import collections
import gc
import hashlib
import json
import math
import os
import re
import stat
import textwrap
import warnings
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

__all__ = [
    "MAX_BYTES_DEFAULT",
    "MAX_CODE_CHARS_DEFAULT",
    "MAX_ARRAY_ELEMENTS",
    "CELL_COST_CHARS",
    "Chunk",
    "GradableSource",
    "NotebookError",
    "extract_from_notebook_bytes",
    "extract_from_python_source",
    "find_function",
    "read_submission",
]

MAX_BYTES_DEFAULT = 20 * 1024 * 1024
MAX_CODE_CHARS_DEFAULT = 512 * 1024  # the most code parsed (characters of code cells)
CELL_COST_CHARS = 256  # each cell counts this much more against that limit (reading it costs)
MAX_ARRAY_ELEMENTS = 1_000_000  # the largest array a kept constant may be
_MAX_TOTAL_ELEMENTS = 4_000_000  # the elements of all the kept numpy constants together
_MB = 1024 * 1024
_KEEP_MODES = ("definitions", "all")
# Cell magics whose body is ordinary Python run in the user's namespace: the body is kept.
_PYTHON_CELL_MAGICS = frozenset({"time", "capture"})
_BUILTIN_NAMES = frozenset(dir(builtins))


class NotebookError(Exception):
    """The whole file cannot be graded.

    ``str(e)`` is one line that names the file and the problem, for example
    ``"sub/alice.ipynb: not valid JSON (line 3, column 5: Expecting ',' delimiter)"``.
    ``e.path`` and ``e.problem`` hold the two parts.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = _one_line(path)
        self.problem = _one_line(problem)
        super().__init__(f"{self.path}: {self.problem}")


@dataclass
class Chunk:
    """The definitions kept from one code cell.

    ``source`` keeps the cell's own line numbering (line N of ``source`` is line N of the cell;
    lines that were dropped are blank), so ``first_line`` is normally 1. Only when the kept
    statements had to be regenerated with ``ast.unparse`` (which should not happen) do the line
    numbers differ; ``first_line`` is then the cell line of the first kept statement.
    """

    cell: int  # index of the code cell among ALL cells (0-based), or 0 for a .py file
    source: str  # definitions-only source of that cell; compiles
    first_line: int = 1  # cell line that line 1 of ``source`` corresponds to


@dataclass
class GradableSource:
    """What the grader may run from one submission, and what it should know about the rest.

    Every string in ``problems``, ``unparsed`` and ``unrun_globals`` is one line, with invalid
    Unicode replaced and control characters escaped, so it can be stored and printed as it is.
    """

    path: str
    sha256: str  # hex sha256 of the file's raw bytes
    chunks: list[Chunk] = field(default_factory=list)  # notebook order; empty cells omitted
    problems: list[str] = field(default_factory=list)  # non-fatal problems, one line each
    defined: dict[str, int] = field(default_factory=dict)  # name -> last cell that defines it
    dropped_statements: int = 0  # top-level statements left out (loops, calls, prints, ...)
    # cell -> why it could not be parsed, e.g. "invalid syntax (line 3)"
    unparsed: dict[int, str] = field(default_factory=dict)
    # function name -> the (last) cell that could not be parsed and appears to define it
    broken_defs: dict[str, int] = field(default_factory=dict)
    # kept function (class, lambda) -> [(a global it reads, the cell of that global's last
    # assignment, why that is not run while grading)], sorted by name, e.g.
    # {"init": [("SCALE", 4, "its value calls load_data(), which is not run while grading")]}
    unrun_globals: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    # kept top-level function -> its parameters ("*args" and "**kwargs" marked so)
    signatures: dict[str, list[str]] = field(default_factory=dict)
    # top-level names of the modules imported anywhere in the notebook ({"numpy", ...})
    imported_modules: set[str] = field(default_factory=set)
    # the names in the notebook's "# GRADED FUNCTION: name" comments
    markers: set[str] = field(default_factory=set)


def find_function(gs: GradableSource, name: str) -> bool:
    """Whether the submission defines ``name`` at top level (in a kept statement)."""
    return name in gs.defined


# --------------------------------------------------------------------------------------------
# Public entry points


def read_submission(
    path: str | os.PathLike[str],
    *,
    keep: str = "definitions",
    max_bytes: int = MAX_BYTES_DEFAULT,
    graded_names: Iterable[str] = frozenset(),
    max_code_chars: int = MAX_CODE_CHARS_DEFAULT,
) -> GradableSource:
    """Read a ``.ipynb`` or ``.py`` submission from disk.

    ``keep="definitions"`` keeps only top-level statements that define things; ``keep="all"``
    keeps every statement (IPython syntax is dropped either way). An assignment to one of
    ``graded_names`` is kept whatever its value (``relu = np.vectorize(_relu)``). A cell that
    would take the code parsed over ``max_code_chars`` characters (each cell counting
    ``CELL_COST_CHARS`` more than its length) is not parsed, and listed in ``unparsed``: this
    bounds the time a huge notebook costs (the course's notebooks have about 15 000 characters
    of code).

    Raises ``NotebookError`` (and nothing else) for any problem with the file itself. Invalid
    arguments (an unknown ``keep``, a non-positive ``max_bytes``) are programming errors and raise
    ``ValueError``/``TypeError`` before the file is touched.
    """
    options = _check_options(keep, graded_names, max_code_chars)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
    name = _display_path(path)
    return _guarded(name, lambda: _read_submission(path, name, max_bytes, options))


def extract_from_notebook_bytes(
    data: bytes,
    path: str = "<notebook>",
    *,
    keep: str = "definitions",
    graded_names: Iterable[str] = frozenset(),
    max_code_chars: int = MAX_CODE_CHARS_DEFAULT,
) -> GradableSource:
    """Extract the gradable code from the raw bytes of a notebook; ``path`` is for messages."""
    options = _check_options(keep, graded_names, max_code_chars)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    name = _display_path(path)
    return _guarded(name, lambda: _notebook_from_bytes(bytes(data), name, options))


def extract_from_python_source(
    text: str,
    path: str = "<source>",
    *,
    keep: str = "definitions",
    graded_names: Iterable[str] = frozenset(),
    max_code_chars: int = MAX_CODE_CHARS_DEFAULT,
) -> GradableSource:
    """Extract the gradable code from the text of a ``.py`` file (one chunk, cell 0)."""
    options = _check_options(keep, graded_names, max_code_chars)
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    name = _display_path(path)
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _guarded(name, lambda: _python_from_text(text, name, sha, options))


# --------------------------------------------------------------------------------------------
# Reading the file


@dataclass(frozen=True)
class _Options:
    keep: str
    graded: frozenset[str]
    max_code: int


def _check_options(keep: str, graded_names: Iterable[str], max_code_chars: int) -> _Options:
    """Validate the keyword arguments shared by the entry points."""
    if keep not in _KEEP_MODES:
        raise ValueError(f"keep must be one of {_KEEP_MODES}, not {keep!r}")
    if isinstance(graded_names, (str, bytes)):
        raise TypeError("graded_names must be a collection of names, not a single string")
    graded = frozenset(graded_names)
    if not all(isinstance(n, str) for n in graded):
        raise TypeError("graded_names must contain only strings")
    if (
        isinstance(max_code_chars, bool)
        or not isinstance(max_code_chars, int)
        or max_code_chars <= 0
    ):
        raise ValueError(f"max_code_chars must be a positive integer, not {max_code_chars!r}")
    return _Options(keep, graded, max_code_chars)


def _guarded(name: str, work):
    """Run ``work()``, turning any unexpected failure into a one-line ``NotebookError``.

    The garbage collector is paused meanwhile: parsing makes millions of objects that only
    reference counting frees, and the collector's passes over them cost more than the parse.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return work()
    except NotebookError:
        raise
    except RecursionError:
        raise NotebookError(name, "too deeply nested to read") from None
    except MemoryError:
        raise NotebookError(name, "too large to read (out of memory)") from None
    except Exception as exc:  # the grader must never crash on a submission
        raise NotebookError(name, f"could not be read ({type(exc).__name__}: {exc})") from None
    finally:
        if collecting:
            gc.enable()


def _read_submission(
    path: str | os.PathLike[str], name: str, max_bytes: int, options: _Options
) -> GradableSource:
    """Check the suffix and size, read the bytes, and dispatch on the kind of file."""
    lowered = name.lower()
    if lowered.endswith(".ipynb"):
        kind = "notebook"
    elif lowered.endswith(".py"):
        kind = "python"
    else:
        suffix = os.path.splitext(name)[1] or "(no suffix)"
        raise NotebookError(
            name, f"unsupported file type {suffix}: expected a .ipynb notebook or a .py file"
        )
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise NotebookError(name, _os_problem(exc)) from None
    except ValueError:  # e.g. a NUL character in the path
        raise NotebookError(name, "invalid file name") from None
    if stat.S_ISLNK(info.st_mode):  # a link could point at the solution or a classmate's work
        raise NotebookError(name, "is a symbolic link, not a submitted file")
    if stat.S_ISDIR(info.st_mode):
        raise NotebookError(name, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise NotebookError(name, "is not a regular file")
    if info.st_size > max_bytes:
        raise NotebookError(name, _size_problem(info.st_size, max_bytes))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise NotebookError(name, _os_problem(exc)) from None
    if len(data) > max_bytes:  # the file grew after os.stat
        raise NotebookError(name, _size_problem(len(data), max_bytes))
    if kind == "notebook":
        return _notebook_from_bytes(data, name, options)
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise NotebookError(name, "empty file")
    text = _decode(data)
    if text is None:
        raise NotebookError(name, "not a text file (binary or not UTF-8)")
    return _python_from_text(text, name, sha, options)


def _os_problem(exc: OSError) -> str:
    """A short description of why the file could not be opened."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read the file ({exc.strerror or exc})"


def _size_problem(size: int, limit: int) -> str:
    """``"file is 100.0 MB, over the 20.0 MB limit"`` (in bytes when MB would look equal)."""
    size_mb, limit_mb = f"{size / _MB:.1f}", f"{limit / _MB:.1f}"
    if size_mb == limit_mb:
        return f"file is {size} bytes, over the {limit}-byte limit"
    return f"file is {size_mb} MB, over the {limit_mb} MB limit"


def _decode(data: bytes) -> str | None:
    """The UTF-8 text of ``data`` (a leading BOM is allowed), or None if it is not text."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _display_path(path: object) -> str:
    """The path as text for messages."""
    try:
        return os.fsdecode(path)  # type: ignore[arg-type]
    except TypeError:
        return str(path)


_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# C0 and C1 controls, DEL, and the invisible marks that reorder text (bidirectional controls)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _one_line(text: object) -> str:
    """``text`` as one line that is safe to store and print.

    Line breaks become spaces, lone surrogates (invalid Unicode) become U+FFFD, and the other
    control characters are escaped (``\\x1b``); ordinary printable text is left as it is.
    """
    text = _LINE_BREAKS.sub(" ", str(text))
    text = _SURROGATES.sub("\ufffd", text)
    return _CONTROLS.sub(_escape_control, text)


def _escape_control(match: re.Match) -> str:
    code = ord(match.group())
    if code == 9:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# --------------------------------------------------------------------------------------------
# Notebooks


def _notebook_from_bytes(data: bytes, name: str, options: _Options) -> GradableSource:
    """Parse the notebook JSON and extract every code cell."""
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise NotebookError(name, "empty file")
    text = _decode(data)
    if text is None:
        raise NotebookError(name, "not a text notebook (binary or not UTF-8)")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            name, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise NotebookError(name, "not a Jupyter notebook (JSON nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise NotebookError(name, f"not valid JSON ({exc})") from None
    del text
    cells, source_key = _notebook_cells(notebook, name)

    extractor = _Extractor(name, sha, options, in_notebook=True)
    code_cells = 0
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            extractor.problem(f"cell {index}: not a cell (a JSON {_json_kind(cell)}): skipped")
            continue
        if cell.get("cell_type") != "code":
            continue
        code_cells += 1
        if source_key not in cell:
            extractor.problem(f"cell {index}: code cell has no source: cell skipped")
            extractor.result.unparsed[index] = "the code cell has no source"
            continue
        source = _join_source(cell[source_key])
        if source is None:
            extractor.problem(f"cell {index}: source is not text: cell skipped")
            extractor.result.unparsed[index] = "its source is not text"
            continue
        extractor.add(index, source)
    if code_cells == 0:
        extractor.problem("no code cells")
    return extractor.finish()


def _notebook_cells(notebook: object, name: str) -> tuple[list, str]:
    """The notebook's cells (all kinds, in order) and the key that holds a code cell's source."""
    if not isinstance(notebook, dict) or not ({"cells", "worksheets"} & notebook.keys()):
        raise NotebookError(name, "not a Jupyter notebook (no cells)")
    version = notebook.get("nbformat")
    if version == 4 and not isinstance(version, bool):
        cells = notebook.get("cells")
        if not isinstance(cells, list):
            raise NotebookError(name, "not a Jupyter notebook (no cells)")
        return cells, "source"
    if version == 3 and not isinstance(version, bool):
        worksheets = notebook.get("worksheets")
        if not isinstance(worksheets, list):
            raise NotebookError(name, "not a Jupyter notebook (no cells)")
        cells = []
        for sheet in worksheets:
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list):
                cells.extend(sheet["cells"])
        return cells, "input"
    if isinstance(version, int) and not isinstance(version, bool) and version > 4:
        raise NotebookError(name, f"nbformat {version} is not supported (save it as nbformat 4)")
    if version is None:
        shown = "(missing)"
    elif isinstance(version, int) and not isinstance(version, bool):
        shown = str(version)
    else:
        shown = repr(version)[:30]
    raise NotebookError(
        name, f"nbformat {shown} is not supported (open and save it in Jupyter to upgrade it)"
    )


def _join_source(source: object) -> str | None:
    """A cell's source as one string (Jupyter stores a string or a list of lines), or None."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        return "".join(source)
    return None


def _json_kind(value: object) -> str:
    """The JSON type name of a decoded value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# --------------------------------------------------------------------------------------------
# Python files


def _python_from_text(text: str, name: str, sha: str, options: _Options) -> GradableSource:
    """A ``.py`` file is a single cell (index 0) whose problems carry no cell prefix."""
    extractor = _Extractor(name, sha, options, in_notebook=False)
    extractor.add(0, text)
    return extractor.finish()


# --------------------------------------------------------------------------------------------
# Jupyter's input transformations
#
# Jupyter runs a cell through IPython's TransformerManager.transform_cell (IPython >= 7,
# IPython.core.inputtransformer2) before compiling it. The same steps are applied here, in the
# same order, with the same rules: leading blank lines, the common indentation (textwrap.dedent),
# ">>>"/"..." prompts, "In [1]:"/"...:" prompts, a cell magic on the first line, then, one at a
# time and earliest first, "x = %magic", "x = !cmd", escaped lines ("%magic", "!cmd", "!!cmd",
# "?x", ",f a b", ";f a b", "/f a b") and "x?" help. IPython finds each of those with Python's
# (3.11) tokenizer and tokenizes the cell again after each one, which takes time quadratic in the
# number of commands; here a single pass emulates that tokenizer and gives the same result. The
# differences: past its leading blank lines, a cell is split into lines at "\n" (and "\r\n",
# "\r") as Python splits it, not also at the other line ends str.splitlines knows (a form feed,
# "\x85"... in the middle of a line, where IPython warns that its behaviour is unspecified);
# IPython's limit of 500 transformations per cell is not applied; more than 16 escapes in a row
# (",,,f") and IPython commands in brackets left open over the rest of a long cell, which would
# need more than a linear amount of work, are refused.
#
# IPython turns each command into a get_ipython() call; the grader never runs them, so a command
# becomes a blank line ("pass" where a statement is needed) and "x = %magic" becomes "x = None".
# Line numbers stay those of the cell.


class _Unparsable(Exception):
    """A cell that Jupyter could not run either: ``reason`` and the cell line (or None)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class _CellText:
    """A cell after Jupyter's transformations."""

    text: str = ""  # the Python source, with the cell's line numbers
    magic: str | None = None  # the cell is a cell magic whose body is not Python: its name
    # line (1-based) of "x = None" put in for "x = %magic" / "x = !cmd" -> what it was
    values: dict[int, str] = field(default_factory=dict)


# Lines that are empty or only whitespace, ended by any of str.splitlines' line ends, as
# IPython's leading_empty_lines sees them.
_LINE_ENDS = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BLANK_LINES = re.compile(rf"(?:[^\S{_LINE_ENDS}]*[{_LINE_ENDS}])*")
_BLANK_ONLY = re.compile(r"[^\S\n]*\Z")
_SPACE_ONLY_LINE = re.compile(r"^[ \t]+$", re.M)
_HELP_CELL_MAGIC = re.compile(r"%%\w+\?")
_CLASSIC_PS1 = re.compile(r"^\s*>>>[ \t]?")
_CLASSIC_PS2 = re.compile(r"^\s*\.\.\.[ \t]?")
_CLASSIC_START = re.compile(r"^\s*>>>")
_TRIPLE_QUOTE = re.compile(r"(?<!\\)(\"\"\"|''')")
_PREFIX_ONLY = re.compile(r"(?i)^[rubf]*$")
_IPYTHON_PROMPT = re.compile(r"^(?:(?:(?:\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
# Whether a cell may hold anything the token transformations change (a quick, loose test).
_MAYBE_COMMAND = re.compile(r"^[ \t\f]*[!?%,;/]|=[ \t\f]*[!%]|=[ \t\f]*\\$|\?[ \t\f]*\\?$", re.M)


def _jupyter_source(text: str) -> _CellText:
    """The Python that Jupyter would compile for a cell whose ``text`` uses "\\n" line ends.

    Raises ``_Unparsable`` for a cell that Jupyter would refuse before compiling it.
    """
    if not text.endswith("\n"):
        text += "\n"  # as transform_cell does
    result = _CellText()
    pieces: list[str] = []
    offset = 0  # cell lines before ``text``
    while True:
        blank = _BLANK_LINES.match(text).end()
        skipped = text.count("\n", 0, blank)
        body = text[blank:]
        if _BLANK_ONLY.match(body):  # only blank lines: dedent empties them
            pieces.append("\n" * text.count("\n"))
            break
        pieces.append("\n" * skipped)
        if body[0] in " \t":
            body = textwrap.dedent(body)  # IPython's leading_indent
        else:  # no common indentation: dedent only empties the lines of spaces
            body = _SPACE_ONLY_LINE.sub("", body)
        if ">>>" in body:
            body = "\n".join(_strip_classic_prompts(body.split("\n")))
        body = _strip_ipython_prompts(body)
        if body.startswith("%%") and not _HELP_CELL_MAGIC.match(body):
            first, _, text = body.partition("\n")
            magic = first[2:].rstrip().partition(" ")[0]
            if magic not in _PYTHON_CELL_MAGICS:
                result.magic = magic
                return result
            # %%time and %%capture run their body, itself transformed as a cell of its own.
            pieces.append("\n")
            offset += skipped + 1
            continue
        if _MAYBE_COMMAND.search(body):
            lines = body.split("\n")
            ends_line = len(lines) > 1 and lines[-1] == ""
            if ends_line:
                lines.pop()
            _TokenTransformer(lines, result, offset + skipped).run()
            body = "\n".join(lines) + ("\n" if ends_line else "")
        pieces.append(body)
        break
    result.text = "".join(pieces)
    return result


def _dedent(lines: list[str]) -> list[str]:
    """IPython's leading_indent: textwrap.dedent of the lines (blank lines become empty)."""
    return textwrap.dedent("\n".join(lines) + "\n").split("\n")[:-1]


def _strip_classic_prompts(lines: list[str]) -> list[str]:
    """IPython's classic_prompt: strip ">>> " and "... " prompts, as a pasted doctest has them.

    Prompts are looked for only outside triple-quoted strings (by IPython's own heuristic), and
    only if some line outside them starts with ">>>"; each run of lines that lost a prompt is then
    dedented.
    """
    mask: list[bool] = []  # whether the line is inside a triple-quoted string to keep as it is
    in_triple: str | None = None
    preserve = seen_prompt = False
    for line in lines:
        mask.append(in_triple is not None and preserve)
        first = True
        for match in _TRIPLE_QUOTE.finditer(line):
            quote = match.group(1)
            if in_triple is None:
                in_triple = quote
                if first:  # text before a later quote holds a quote: never a bare prefix
                    before = line[: match.start()]
                    stripped = _CLASSIC_PS2.sub("", _CLASSIC_PS1.sub("", before, count=1), count=1)
                    prompted_code = stripped != before and seen_prompt
                    preserve = not prompted_code and bool(_PREFIX_ONLY.match(stripped.strip()))
                else:
                    preserve = False
                mask[-1] = preserve
            elif in_triple == quote:
                in_triple, preserve = None, False
            first = False
        seen_prompt = seen_prompt or bool(_CLASSIC_START.match(line))
    outside = (line for line, inside in zip(lines, mask, strict=True) if not inside)
    if not any(_CLASSIC_START.match(line) for line in outside):
        return lines
    out, changed = [], []
    for line, inside in zip(lines, mask, strict=True):
        new = line
        if not inside:
            if _CLASSIC_PS1.match(line):
                new = _CLASSIC_PS1.sub("", line, count=1)
            elif _CLASSIC_PS2.match(line):
                new = _CLASSIC_PS2.sub("", line, count=1)
        out.append(new)
        changed.append(new != line)
    result: list[str] = []
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and mask[j] == mask[i]:
            j += 1
        segment = out[i:j]
        if not mask[i] and any(changed[i:j]):
            segment = _dedent(segment)
        result.extend(segment)
        i = j
    return result


def _strip_ipython_prompts(body: str) -> str:
    """IPython's ipython_prompt: strip "In [1]: " and "...: " prompts from every line, if the
    first line has the first kind or the second line either kind."""
    first, _, rest = body.partition("\n")
    second = rest.partition("\n")[0] if rest else None
    if _IPYTHON_PROMPT.match(first) or (second is not None and _IPYTHON_PROMPT.match(second)):
        return "\n".join(_IPYTHON_PROMPT.sub("", line, count=1) for line in body.split("\n"))
    return body


# The tokens of Python 3.11's tokenize module (the pure Python one IPython relies on there).
_STRING_PREFIX = r"(?:[bB][rR]?|[rR][bBfF]?|[uU]|[fF][rR]?)?"
_DIGITS = r"[0-9](?:_?[0-9])*"
_EXPONENT = rf"[eE][-+]?{_DIGITS}"
_POINT_FLOAT = rf"(?:{_DIGITS}\.(?:{_DIGITS})?|\.{_DIGITS})(?:{_EXPONENT})?"
_FLOAT = rf"(?:{_POINT_FLOAT}|{_DIGITS}{_EXPONENT})"
_INT = (
    r"(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+"
    r"|0(?:_?0)*|[1-9](?:_?[0-9])*)"
)
_NUMBER = rf"(?:{_DIGITS}[jJ]|{_FLOAT}[jJ]|{_FLOAT}|{_INT})"
_OPERATORS = (
    "**= ... //= <<= >>= != %= &= ** *= += -= -> // /= := << <= == >= >> @= ^= |= "
    "% & ( ) * + , - . / : ; < = > @ [ ] ^ { | } ~"
).split()
_PSEUDO_TOKEN = re.compile(
    r"[ \f\t]*(?:(?P<cont>\\\Z)|(?P<end>\Z)|(?P<comment>#.*)"
    rf"|(?P<triple>{_STRING_PREFIX}(?:'''|\"\"\"))|(?P<number>{_NUMBER})"
    rf"|(?P<op>{'|'.join(map(re.escape, _OPERATORS))})"
    rf"|(?P<string>{_STRING_PREFIX}(?:'[^'\\]*(?:\\.[^'\\]*)*(?:'|\\\Z)"
    r"|\"[^\"\\]*(?:\\.[^\"\\]*)*(?:\"|\\\Z)))"
    r"|(?P<name>\w+))"
)
# The rest of a string, from just after its opening quote(s) or from the start of a line.
_STRING_END = {
    "'": re.compile(r"[^'\\]*(?:\\.[^'\\]*)*'"),
    '"': re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"'),
    "'''": re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"),
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'),
}
# A one-quote string that goes on to the next line: its line ends with an escaping backslash.
_STRING_GOES_ON = {
    "'": re.compile(r"[^'\\]*(?:\\.[^'\\]*)*\\\Z"),
    '"': re.compile(r'[^"\\]*(?:\\.[^"\\]*)*\\\Z'),
}
_SPECIAL = re.compile(r"[#'\"\\()\[\]{}]")
_ASSIGN_HINT = re.compile(r"=[ \t\f]*(?:[!%]|\\\Z)")
_ESCAPES = frozenset("!?%,;/")
_NOT_ESCAPES = ("!=", "%=", "/=", "//")  # operators that start like an escape
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_MAX_CHAIN = 16  # ",f" can make code that starts with another escape: at most this many in a row


_BACKSLASH, _NO_NEWLINE = 1, 2  # how a line can go on: see _shape


def _shape(line: str, mode: str | None, depth: int) -> tuple[str | None, int, int, str]:
    """How one physical line leaves the tokenizer: ``(mode, depth, continued, last)``.

    ``mode`` is the quote of a string still open at the end of the line (None if none), ``depth``
    the number of open brackets (below 0 if more were closed), ``continued`` 0, or _BACKSLASH if
    the line ends with a backslash that continues it, or _NO_NEWLINE if it ends an unterminated
    string that started on an earlier line (3.11's tokenizer then makes no NEWLINE: the logical
    line goes on, although the next line's indentation is read as if it started one), ``last``
    the last character of the line's last token ("" if the line has none). Jumps from one quote,
    bracket, comment or backslash to the next.
    """
    pos, n, last = 0, len(line), ""
    if mode is not None:
        match = _STRING_END[mode].match(line)
        if match is None:
            if len(mode) == 3 or line.endswith("\\"):
                return mode, depth, 0, ""
            return None, depth, _NO_NEWLINE, mode  # an unterminated string ends with its line
        pos, last = match.end(), mode
    while True:
        match = _SPECIAL.search(line, pos)
        stop = n if match is None else match.start()
        if stop > pos:
            code = line[pos:stop].rstrip(" \t\f")
            if code:
                last = code[-1]
        if match is None:
            return None, depth, 0, last
        char, at = match.group(), match.start()
        pos = at + 1
        if char == "#":
            return None, depth, 0, "#"
        if char == "\\":
            if pos == n:
                return None, depth, _BACKSLASH, last
            last = char
        elif char in _OPENING:
            depth += 1
            last = char
        elif char in _CLOSING:
            depth -= 1
            last = char
        elif line.startswith(char * 3, at):
            quote = char * 3
            end = _STRING_END[quote].match(line, at + 3)
            if end is None:
                return quote, depth, 0, last
            pos, last = end.end(), char
        else:
            end = _STRING_END[char].match(line, pos)
            if end is not None:
                pos, last = end.end(), char
            elif _STRING_GOES_ON[char].match(line, pos):
                return char, depth, 0, last
            else:
                last = char  # an unterminated quote is an error token; the rest is code


def _line_tokens(
    line: str, row: int, pos: int, mode: str | None, depth: int, out: list
) -> tuple[str | None, int, int]:
    """Append the tokens of one physical line to ``out``, as Python 3.11's tokenizer makes them.

    A token is ``(kind, text, row, column)``; kinds: op, name, number, string, comment, error,
    newline, nl. Tokenizing starts at column ``pos``; ``mode`` and ``depth`` are as in
    ``_shape``, which also gives the returned ``(mode, depth, continued)``.
    """
    if mode is not None:  # its token was put in where it started
        match = _STRING_END[mode].match(line)
        if match is None:
            if len(mode) == 3 or line.endswith("\\"):
                return mode, depth, 0
            return None, depth, _NO_NEWLINE  # an unterminated string ends with its line
        pos = match.end()
    while True:
        match = _PSEUDO_TOKEN.match(line, pos)
        if match is None:  # the tokenizer gives up on one character (even a space)
            out.append(("error", line[pos], row, pos))
            pos += 1
            continue
        kind = match.lastgroup
        start, pos = match.start(kind), match.end()
        text = match.group(kind)
        if kind == "end":
            out.append(("nl" if depth > 0 else "newline", "", row, start))
            return None, depth, 0
        if kind == "cont":
            return None, depth, _BACKSLASH
        if kind == "triple":
            quote = text[-3:]
            end = _STRING_END[quote].match(line, pos)
            if end is None:
                out.append(("string", line[start:], row, start))
                return quote, depth, 0
            text, pos = line[start : end.end()], end.end()
            kind = "string"
        elif kind == "string":
            if text.endswith("\\"):  # a one-quote string continued by a backslash
                out.append(("string", text, row, start))
                return text.lstrip("bBrRuUfF")[0], depth, 0
        elif kind == "op":
            if text in _OPENING:
                depth += 1
            elif text in _CLOSING:
                depth -= 1
        elif kind == "name" and not text[0].isidentifier():
            kind = "op"  # \w characters that cannot start a name (3.11 calls them OP)
        out.append((kind, text, row, start))


# "obj.attr?" alone on its line: HelpEnd replaces it, whatever else could apply.
_HELP_LINE = re.compile(r"%{0,2}[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\?\??\Z")
# "a, b = %magic args" / "x = !cmd" on one line that no bracket, string or comment prolongs.
_VALUE_COMMAND = re.compile(
    r"([ \t\f]*[A-Za-z_]\w*(?:[ \t\f]*,[ \t\f]*[A-Za-z_]\w*)*[ \t\f]*=[ \t\f]*)"
    r"(%(?=[A-Za-z_])|!(?!=))[^'\"#\\()\[\]{}?]*\Z"
)
# ",f a b" / ";f a b" / "/f a b" whose call (f("a", "b"), f("a b"), f(a, b)) is plain code.
_AUTOCALL_LINE = re.compile(r"[ \t\f]*([,;/])([A-Za-z_][\w.]*)(?: ([^'\"#\\()\[\]{}?=!%]*))?\Z")
_PLAIN_LINE = re.compile(r"(?![ \t\f]*[,;/])[^'\"#\\!?%]*\Z")


def _autocall(escape: str, name: str, args: str) -> str:
    """The call IPython makes of ",name args", ";name args" or "/name args"."""
    if escape == ",":
        quoted = '", "'.join(args.split())
        return f'{name}("{quoted}")'
    if escape == ";":
        return f'{name}("{args}")'
    return f"{name}({', '.join(args.split())})"


def _balanced(line: str) -> bool:
    """Whether a line opens as many brackets as it closes."""
    return (line.count("(") + line.count("[") + line.count("{")
            == line.count(")") + line.count("]") + line.count("}"))


def _indent_column(line: str, width: int) -> int:
    """The column of the first token, counting tabs to multiples of 8 (form feeds reset)."""
    column = 0
    for char in line[:width]:
        if char == " ":
            column += 1
        elif char == "\t":
            column = (column // 8 + 1) * 8
        else:  # a form feed
            column = 0
    return column


def _leading_space(line: str) -> int:
    """The length of the run of spaces, tabs and form feeds that starts the line."""
    return len(line) - len(line.lstrip(" \t\f"))


class _TokenTransformer:
    """IPython's token transformations of one cell, in a single pass over its logical lines."""

    def __init__(self, lines: list[str], result: _CellText, offset: int) -> None:
        self.lines = lines
        self.result = result
        self.offset = offset  # cell lines before lines[0]
        self.help_blocked = False  # a "x?" that IPython could not read stops all later help
        self.escape_blocked = False  # likewise a "/" without a name stops all later escapes
        self.work = 0
        self.budget = 8 * sum(len(line) + 1 for line in lines) + 100_000
        self.chain = 0

    def spend(self, amount: int) -> None:
        """Count work; refuse the cell once it exceeds a fixed multiple of the cell's size."""
        self.work += amount
        if self.work > self.budget:
            raise _Unparsable(
                "too complex to read: its IPython commands are inside long unclosed brackets or"
                " strings"
            )

    def run(self) -> None:
        """Transform the cell's lines in place."""
        indents = [0]
        lines = self.lines
        row = 0
        while row < len(lines):
            line = lines[row]
            if _PLAIN_LINE.match(line) and _balanced(line):
                # A logical line of its own that holds no IPython syntax: only its indentation
                # matters (for INDENT and DEDENT tokens, and for IndentationError).
                self.spend(len(line) + 1)
                width = _leading_space(line)
                if width < len(line):
                    self.indent(line, width, indents, row)
                self.chain = 0
                row += 1
                continue
            row = self.group(row, indents)

    def group(self, row: int, indents: list[int]) -> int:
        """Transform the logical line that starts at ``row``; return the row to go on from."""
        lines = self.lines
        line = lines[row]
        width = _leading_space(line)
        if width == len(line) or line[width] == "#":
            return row + 1  # a blank or comment line is a logical line of its own
        saved = list(indents) if line[width] in ",;/\\" else None
        dents = self.indent(line, width, indents, row)
        # Two common lines, quickly: "obj.attr?" and "x = %magic args" / "x = !cmd".
        if not self.help_blocked and _HELP_LINE.match(line, width):
            self.chain = 0
            self.blank(row, row, width, row)
            return row + 1
        call = _AUTOCALL_LINE.match(line) if not self.escape_blocked else None
        if call is not None:  # its call is code with no IPython syntax left in it
            self.chain = 0
            escape, name, args = call.group(1), call.group(2), call.group(3) or ""
            lines[row] = line[:width] + _autocall(escape, name, args)
            return row + 1
        simple = _VALUE_COMMAND.match(line)
        if simple is not None:
            self.chain = 0
            kind = "magic" if simple.group(2) == "%" else "system"
            return self.replace_value(("op", simple.group(2), row, simple.end(1)), kind)
        # Find where the logical line ends, its first token, and whether its last token is "?".
        first = None  # (row, column, is an escape)
        last, end, mode, depth = "", row, None, 0
        assign_hint = False
        fresh: dict[int, int] = {}  # rows read as new lines inside this one -> dents made
        while True:
            text = lines[end]
            self.spend(len(text) + 1)
            if first is None and mode is None:
                first = self.first_token(text, width if end == row else None, end)
            if not assign_hint and "=" in text and _ASSIGN_HINT.search(text):
                assign_hint = True
            mode, depth, continued, tail = _shape(text, mode, depth)
            if tail:
                last = tail
            end += 1
            if (mode is None and not continued and depth <= 0) or end == len(lines):
                break
            if continued == _NO_NEWLINE and depth == 0:
                text = lines[end]
                at = _leading_space(text)
                if at == len(text) or text[at] == "#":  # its NL ends the logical line
                    last = "#" if at < len(text) else last
                    end += 1
                    break
                fresh[end] = self.indent(text, at, indents, end)
        escape = first is not None and first[2] and not self.escape_blocked
        # At the end of the cell, inside a string or brackets, the tokenizer stops without a
        # NEWLINE: the token before the last is then "?" in other ways.
        unterminated = end == len(lines) and (mode is not None or continued or depth > 0)
        helpish = (last == "?" or unterminated) and not self.help_blocked
        if not (escape or helpish or assign_hint):
            self.chain = 0
            return end
        if escape and not helpish and lines[first[0]][first[1]] in "%!?":
            self.chain = 0
            return self.replace_escape(row, first[0], first[1])
        return self.exact(row, end, dents, fresh, saved, indents)

    def indent(self, line: str, width: int, indents: list[int], row: int) -> int:
        """Track the indentation as the tokenizer does; return the INDENT/DEDENT tokens made."""
        column = _indent_column(line, width)  # a backslash-only line counts too
        if column > indents[-1]:
            indents.append(column)
            return 1
        dedents = 0
        while column < indents[-1]:
            if column not in indents:
                raise _Unparsable("unindent does not match any outer indentation level",
                                  self.offset + row + 1)
            indents.pop()
            dedents += 1
        return dedents

    def first_token(self, text: str, width: int | None, row: int):
        """``(row, column, is an escape)`` of the first token on a line, None if it has none.

        ``width`` is the indentation on the line that starts the logical line; a continuation
        line (after a backslash) is tokenized from its first column, where 3.11's tokenizer makes
        an error token of a space that comes before a character it cannot read ("!" or "?").
        """
        start = _leading_space(text) if width is None else width
        if start == len(text) or (text[start] == "\\" and start == len(text) - 1):
            return None
        if width is None and start and _PSEUDO_TOKEN.match(text, start) is None:
            return (row, 0, False)  # the space is the first token
        char = text[start]
        return (row, start, char in _ESCAPES and not text.startswith(_NOT_ESCAPES, start))

    def continued_end(self, row: int) -> int:
        """The last row of a command continued by backslashes (IPython's rule: any line that
        ends with a backslash goes on, whatever is before it)."""
        lines = self.lines
        end = row
        while lines[end].endswith("\\") and end + 1 < len(lines):
            end += 1
        self.spend(end - row)
        return end

    def assembled(self, row: int, column: int, end: int) -> str:
        """The command from (row, column) to ``end``, its backslashed lines joined by spaces."""
        parts = [self.lines[row][column:], *self.lines[row + 1 : end + 1]]
        self.spend(sum(len(part) for part in parts))
        return " ".join([part.rstrip()[:-1] for part in parts[:-1]] + [parts[-1].rstrip()])

    def blank(self, row: int, end: int, column: int, group_row: int) -> None:
        """Replace rows ``row..end`` by one statement that does nothing, keeping line numbers."""
        lines = self.lines
        indent = lines[row][:column]
        lines[row] = indent + "pass" if indent or row > group_row else ""
        for k in range(row + 1, end + 1):
            lines[k] = ""

    def replace_escape(self, group_row: int, row: int, column: int) -> int:
        """A "%magic", "!cmd" or "?x" line: drop it (and its backslashed lines)."""
        end = self.continued_end(row)
        self.blank(row, end, column, group_row)
        return end + 1

    def exact(self, row: int, stop: int, dents: int, fresh: dict, saved, indents: list) -> int:
        """Tokenize the logical line at ``row`` (ending before ``stop``) and apply IPython's
        earliest transformation that succeeds, as do_one_token_transform does."""
        lines = self.lines
        tokens: list = [("dent", "", row, 0)] * dents
        mode, depth, r = None, 0, row
        while r < stop:
            self.spend(len(lines[r]) + 1)
            pos = _leading_space(lines[r]) if r == row or r in fresh else 0
            tokens.extend([("dent", "", r, 0)] * fresh.get(r, 0))
            mode, depth, _ = _line_tokens(lines[r], r, pos, mode, depth, tokens)
            r += 1
        if mode is not None:  # the cell ends inside a string, whose token never comes
            tokens.pop()
        candidates = self.candidates(tokens)
        help_failed = escape_failed = False
        for _line, _column, _priority, kind, extra in sorted(candidates):
            if kind == "help":
                first, question = extra
                piece = "\n".join(lines[first[2] : question[2] + 1]) + "\n"
                self.spend(len(piece))
                if _help_target(piece[first[3] :]) is None:
                    help_failed = True
                    continue
                self.chain = 0
                self.blank(first[2], question[2], first[3], row)
                return question[2] + 1
            if kind == "escape":
                outcome = self.escape(row, extra, saved, indents)
                if outcome is None:
                    escape_failed = True
                    continue
                return outcome
            # "x = %magic" or "x = !cmd"
            self.chain = 0
            if escape_failed:
                self.escape_blocked = True  # the failing escape is still there
            return self.replace_value(extra, kind)
        self.chain = 0
        self.help_blocked = self.help_blocked or help_failed
        self.escape_blocked = self.escape_blocked or escape_failed
        return stop

    def candidates(self, tokens: list) -> list:
        """IPython's four finders, on one logical line: [(row, column, priority, kind, data)]."""
        found = []
        real = next((t for t in tokens if t[0] != "dent"), None)
        if real is None:
            return found
        if not self.escape_blocked and real[1] in _ESCAPES:
            found.append((real[2], real[3], 10, "escape", real))
        if not self.help_blocked and len(tokens) > 2 and tokens[-2][1] == "?":
            found.append((real[2], real[3], 5, "help", (real, tokens[-2])))
        level, assign = 0, None
        for index, token in enumerate(tokens):
            text = token[1]
            if token[0] == "op":
                if text == "=" and not level:
                    assign = index
                    break
                if text in _OPENING:
                    level += 1
                elif text in _CLOSING and level:
                    level -= 1
        if assign is not None and len(tokens) > assign + 2:
            after, then = tokens[assign + 1], tokens[assign + 2]
            if after[0] == "op" and after[1] == "%" and then[0] == "name":
                found.append((after[2], after[3], 10, "magic", after))
        if assign is not None and len(tokens) > assign + 1:
            if not self.lines[tokens[assign][2]].strip().startswith("="):
                for token in tokens[assign + 1 :]:
                    if token[0] != "error":
                        break
                    if token[1] == "!":
                        found.append((token[2], token[3], 10, "system", token))
                        break
                    if not token[1].isspace():
                        break
        return found

    def escape(self, group_row: int, token, saved, indents: list[int]) -> int | None:
        """Apply an escaped line; None if IPython could not ("/" without a name)."""
        lines = self.lines
        row, column = token[2], token[3]
        end = self.continued_end(row)
        command = self.assembled(row, column, end)
        escape = command[:2] if command[:2] in ("!!", "??") else command[:1]
        if escape not in (",", ";", "/"):
            self.chain = 0
            self.blank(row, end, column, group_row)
            return end + 1
        name, _, args = command[1:].partition(" ")
        if escape == "/" and not name:
            return None
        code = _autocall(escape, name, args)
        # The call is code: it is tokenized again, and may itself start with an escape.
        self.chain += 1
        if self.chain > _MAX_CHAIN or saved is None:
            raise _Unparsable("too many IPython escapes in a row", self.offset + row + 1)
        new = lines[row][:column] + code
        mode, depth, continued, _ = _shape(new, None, 0)
        if mode is None and depth == 0 and not continued:
            lines[row] = new
            for k in range(row + 1, end + 1):
                lines[k] = ""
        else:  # blank lines would change what follows: the lines are joined as IPython does
            self.spend(len(lines))
            lines[row : end + 1] = [new]
        indents[:] = saved
        return group_row

    def replace_value(self, token, kind: str) -> int:
        """``x = %magic args`` or ``x = !cmd``: the value becomes None."""
        lines = self.lines
        row, column = token[2], token[3]
        end = self.continued_end(row)
        command = self.assembled(row, column, end)
        if kind == "magic":
            what = f"the IPython magic %{command[1:].partition(' ')[0][:40]}"
        else:
            what = f"the shell command {command[:40]}"
        self.result.values[self.offset + row + 1] = what
        lines[row] = lines[row][:column] + "None"
        for k in range(row + 1, end + 1):
            lines[k] = ""
        return end + 1


_HELP_TAIL = re.compile(r"[\w*.\[\]%-]*")


def _help_target(content: str) -> str | None:
    """What IPython's HelpEnd would look up in ``content`` ("obj.attr?" -> "obj.attr"), or None
    where it finds nothing (and the line is left as it is).

    The same as ``_help_end_re.search`` (a name, ".name" and "[0]" parts, up to two "%" before,
    then "?" or "??" at the very end), leftmost match first, but in linear time: the regular
    expression search takes quadratic time on long words.
    """
    text = content[:-1] if content.endswith("\n") else content
    if text.endswith("??"):
        body = text[:-2]
    elif text.endswith("?"):
        body = text[:-1]
    else:
        return None
    tail = body[len(body) - _HELP_TAIL.match(body[::-1]).end() :]
    best = None
    i = len(tail)
    while i:
        if tail[i - 1] == "]":  # "[-12]"
            k = i - 1
            while k and tail[k - 1] in "0123456789":
                k -= 1
            if k == i - 1:
                break
            if k and tail[k - 1] == "-":
                k -= 1
            if not k or tail[k - 1] != "[":
                break
            i = k - 1
            continue
        j = i
        while j and (tail[j - 1] == "*" or tail[j - 1] == "_" or tail[j - 1].isalnum()):
            j -= 1
        if j == i:
            break
        head = next((q for q in range(j, i) if not tail[q].isdecimal()), None)
        if head is not None:
            best = head
            if head == j:
                for _ in range(2):
                    if best and tail[best - 1] == "%":
                        best -= 1
        if j and tail[j - 1] == "." and not tail[j].isdecimal():
            i = j - 1
            continue
        break
    return None if best is None else tail[best:]


# --------------------------------------------------------------------------------------------
# Per-cell processing


_DEF_LINE = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+([^\W\d]\w*)[ \t]*\(", re.M)
_MARKER = re.compile(r"^[ \t]*#[ \t]*GRADED[ \t]+FUNCTION[ \t]*:[ \t]*([^\W\d]\w*)", re.M | re.I)
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([^\W\d][\w.]*)[ \t]+import\b|import[ \t]+(.*))",
                          re.M)
_SURROGATE_OR_NUL = re.compile(r"[\ud800-\udfff\x00]")


@dataclass(eq=False, slots=True)
class _Binding:
    """A top-level statement that binds names: what the grader needs to know about it."""

    cell: int
    order: int  # position of the statement in the whole notebook
    index: int  # position of the statement in its cell
    names: list[str]
    kind: str  # "def", "class", "import", "assign" (names only), "other"
    kept: bool
    where: tuple  # (first line, start column, last line, end column, decorated)
    reason: str = ""  # why it is not run while grading ("" if kept)
    value: ast.expr | None = None  # the value of a short simple assignment
    targets: list | None = None  # and its targets
    stmt: ast.stmt | None = None  # a kept def, class or lambda assignment: its reads count
    module: dict | None = None  # for an import: name -> the dotted thing it binds
    stmt_kind: str = ""  # for an import: "Import" or "ImportFrom"


@dataclass
class _Cell:
    """What is kept of one parsed cell until the chunks are built."""

    index: int
    text: str  # the Python text of the cell, after Jupyter's transformations
    statements: int  # how many top-level statements it has
    kept: list  # [(index in cell, where)] of the kept statements


_SHORT_VALUE = 10_000  # characters: longer dropped values are not considered for keeping


class _Extractor:
    """Accumulates chunks, problems, definitions and facts over the cells of one submission."""

    def __init__(self, name: str, sha: str, options: _Options, *, in_notebook: bool) -> None:
        self.result = GradableSource(path=name, sha256=sha)
        self.keep = options.keep
        self.graded = options.graded
        self.code_left = options.max_code
        self.max_code = options.max_code
        self.in_notebook = in_notebook
        self.known: set[str] = set()  # names bound by statements kept so far
        self.constants: dict[str, object] = {}  # of those, the ones whose value is folded
        self.order = 0
        self.cells: list[_Cell] = []
        self.bindings: dict[str, list[_Binding]] = {}  # name -> its top-level bindings, in order
        self.statements: list[_Binding] = []  # every binding statement, in order
        self.rescued: dict[int, list[_Binding]] = {}  # cell -> assignments kept for functions
        self.statement_count = 0
        self.over_budget: list[int] = []  # cells not read: the notebook has too much code
        where = "notebook" if in_notebook else "file"
        limit = f"{options.max_code / _MB:.1f} MB"
        self.budget_reason = (f"the {where}'s code is over the {limit} limit of what is read "
                              f"(each cell counting {CELL_COST_CHARS} characters more)")
        self.lambdas = False  # whether the cell being read has a lambda

    def problem(self, text: str) -> None:
        """Record a non-fatal problem."""
        self.result.problems.append(_one_line(text))

    def add(self, cell: int, source: str) -> None:
        """Process one code cell. A cell that cannot be processed becomes a problem; the other
        cells still count."""
        self.result.markers.update(_MARKER.findall(source))
        cost = len(source) + CELL_COST_CHARS
        if cost > self.code_left:  # not read, only looked at
            self.over_budget.append(cell)
            self.result.unparsed[cell] = self.budget_reason
            self.apparent(cell, source)
            return
        self.code_left -= cost
        text = source.replace("\r\n", "\n").replace("\r", "\n") if "\r" in source else source
        try:
            with warnings.catch_warnings():  # e.g. SyntaxWarning for "\d": not our business
                warnings.simplefilter("ignore")
                self._add(cell, text)
        except _Unparsable as exc:
            self.unparsed(cell, text, exc.reason, exc.line)
        except (RecursionError, MemoryError):
            self.unparsed(cell, text, "the code is nested too deeply to read", None)
        except Exception as exc:  # a bug here must not cost the student the other cells
            label = f"cell {cell}: " if self.in_notebook else ""
            skipped = ": cell skipped" if self.in_notebook else ""
            self.problem(f"{label}could not be processed ({type(exc).__name__}: {exc}){skipped}")

    def unparsed(self, cell: int, text: str, reason: str, line: int | None) -> None:
        """Record a cell that could not be parsed, and the functions it appears to define."""
        detail = _one_line(f"{reason} (line {line})" if line else reason)
        self.result.unparsed[cell] = detail
        self.problem(f"cell {cell} could not be parsed: {detail}" if self.in_notebook
                     else f"could not be parsed: {detail}")
        self.apparent(cell, text)

    def apparent(self, cell: int, text: str) -> None:
        """The functions a cell that was not parsed appears to define (its least indented
        ``def`` lines), and the modules it appears to import."""
        defs = _DEF_LINE.findall(text)
        if defs:
            least = min(len(indent) for indent, _ in defs)
            for indent, name in defs:
                if len(indent) == least:
                    self.result.broken_defs[name] = cell
        if "import" in text:
            for module, names in _IMPORT_LINE.findall(text):
                if module:
                    self.result.imported_modules.add(module.split(".")[0])
                for part in names.split(","):
                    word = part.strip().split(" ")[0].split(".")[0]
                    if word.isidentifier():
                        self.result.imported_modules.add(word)

    def _add(self, cell: int, text: str) -> None:
        """Transform, parse, select and record one cell."""
        transformed = _transformed(text)
        if isinstance(transformed, _Unparsable):
            raise _Unparsable(transformed.reason, transformed.line)
        if transformed.magic is not None:
            return  # %%bash, %%writefile...: not Python
        python = transformed.text
        if not python.strip():
            return
        tree = _parsed(python)
        if isinstance(tree, _Unparsable):
            raise _Unparsable(tree.reason, tree.line)
        if "import" in python:
            self._imports(tree.body)
        self._select(cell, python, tree.body, transformed)

    def _imports(self, body: list[ast.stmt]) -> None:
        """The top-level modules imported by any statement, however deeply nested."""
        stack = list(body)
        modules = self.result.imported_modules
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                if not stmt.level and stmt.module:
                    modules.add(stmt.module.split(".")[0])
            else:
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(stmt, name, None)
                    if inner:
                        stack.extend(inner)

    def _select(self, cell: int, python: str, body: list[ast.stmt], transformed) -> None:
        """Decide which top-level statements to keep; record the bindings of all of them."""
        kept_here: list = []
        known = _Names(self.known, set())
        walrus = ":=" in python
        self.lambdas = "lambda" in python
        constants, bindings, statements = self.constants, self.bindings, self.statements
        for index, stmt in enumerate(body):
            order = self.order
            self.order += 1
            kind = type(stmt)
            magic = _magic_value(stmt, transformed) if transformed.values else None
            if (kind is ast.Assign and magic is None and len(stmt.targets) == 1
                    and type(stmt.targets[0]) is ast.Name and type(stmt.value) is ast.Constant):
                # The commonest definition, NAME = constant, quickly.
                name = stmt.targets[0].id
                where = (stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset,
                         False)
                kept_here.append((index, where))
                known.sets[1].add(name)
                constants[name] = _fold(stmt.value, 0, None, constants)
                binding = _Binding(cell, order, index, [name], "assign", True, where, "",
                                   stmt.value, stmt.targets,
                                   stmt if name in self.graded else None)
                statements.append(binding)
                bindings.setdefault(name, []).append(binding)
                continue
            names = _bound_names(stmt, walrus)
            if self.keep == "all":
                keep = not _calls_get_ipython(stmt) and magic is None
            elif kind is ast.Expr:
                keep = False
            else:
                keep = magic is None and _defines_something(stmt, known, self.graded,
                                                             self.constants, names)
            if not keep and not names:
                continue
            where = _where(stmt)
            if keep:
                kept_here.append((index, where))
                known.sets[1].update(names)
                _remember_constants(stmt, names, self.constants)
            if names:
                binding = self._binding(cell, order, index, stmt, names, keep, where, magic)
                statements.append(binding)
                for name in names:
                    bindings.setdefault(name, []).append(binding)
        self.known.update(known.sets[1])
        self.statement_count += len(body)
        self.cells.append(_Cell(cell, python, len(body), kept_here))

    def _binding(self, cell, order, index, stmt, names, keep, where, magic) -> _Binding:
        """The record of one top-level statement that binds ``names``."""
        binding = _Binding(cell, order, index, names, "other", keep, where)
        kind = type(stmt)
        if kind is ast.Assign and keep and type(stmt.value) is ast.Constant:
            binding.kind, binding.value, binding.targets = "assign", stmt.value, stmt.targets
            if self.graded and self.graded.intersection(names):
                binding.stmt = stmt
            return binding
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            binding.kind, binding.stmt = "def", stmt
        elif kind is ast.ClassDef:
            binding.kind, binding.stmt = "class", stmt
        elif kind in (ast.Import, ast.ImportFrom):
            binding.kind = "import"
            binding.module = {name: _import_target(stmt, name) for name in names}
            binding.stmt_kind = type(stmt).__name__
        elif _simple_assignment(stmt) and stmt.value is not None:
            binding.kind = "assign"
            short = where[2] - where[0] < 200 and (
                where[0] != where[2] or where[3] - where[1] < _SHORT_VALUE)
            if magic is not None:
                binding.reason = f"its value comes from {magic}, which is not run while grading"
            elif short:
                binding.value = stmt.value
                binding.targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            elif not keep:
                binding.reason = "its value is too long to compute while grading"
            if keep and (self.graded.intersection(names)
                         or (self.lambdas and _has_lambda(stmt.value))):
                binding.stmt = stmt
        else:
            binding.reason = _statement_reason(stmt)
            if keep and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                binding.stmt = stmt
        if not keep and not binding.reason and binding.value is None:
            binding.reason = "it is not run while grading"
        return binding

    # ----------------------------------------------------------------------------------------
    # After the last cell

    def finish(self) -> GradableSource:
        """Keep the globals that kept functions need, build the chunks, and return the result."""
        result = self.result
        if self.over_budget:
            first, more = self.over_budget[0], len(self.over_budget) - 1
            why = self.budget_reason
            if not self.in_notebook:
                self.problem(f"not read: {why}")
            elif more:
                self.problem(f"cell {first} and {more} later cell{'s' if more > 1 else ''} were "
                             f"not read: {why}")
            else:
                self.problem(f"cell {first} was not read: {why}")
        _Globals(self).resolve()
        kept_total = 0
        for cell in self.cells:
            kept = cell.kept + [(b.index, b.where) for b in self.rescued.get(cell.index, [])]
            kept.sort()
            kept_total += len(kept)
            if not kept:
                continue
            chunk = _build_chunk(cell.index, cell.text, cell.statements, kept)
            if chunk is None:
                label = f"cell {cell.index}: " if self.in_notebook else ""
                skipped = ": cell skipped" if self.in_notebook else ""
                self.problem(f"{label}could not rebuild its definitions{skipped}")
                continue
            result.chunks.append(chunk)
        result.dropped_statements = self.statement_count - kept_total
        built = {chunk.cell for chunk in result.chunks}
        last: dict[str, _Binding] = {}
        for binding in self.statements:
            if binding.kept and binding.cell in built:
                for name in binding.names:
                    result.defined[name] = binding.cell
                    last[name] = binding
        for name, binding in last.items():
            if binding.kind == "def":
                result.signatures[name] = _parameters(binding.stmt)
        return result


def _has_lambda(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Lambda) for sub in ast.walk(node))


def _where(stmt: ast.stmt) -> tuple:
    """(first line, start column, last line, end column, decorated) of a statement."""
    decorators = getattr(stmt, "decorator_list", None)
    first = min([stmt.lineno, *(d.lineno for d in decorators)]) if decorators else stmt.lineno
    return (first, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset, bool(decorators))


def _magic_value(stmt: ast.stmt, transformed: _CellText) -> str | None:
    """What "x = %magic" was, if ``stmt`` is such an assignment (its value is now None)."""
    if not transformed.values or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return None
    value = stmt.value
    if isinstance(value, ast.Constant) and value.value is None:
        return transformed.values.get(value.lineno)
    return None


def _simple_assignment(stmt: ast.stmt) -> bool:
    """``a = ...``, ``a, b = ...`` or ``a: T = ...``: an assignment that only binds names."""
    if isinstance(stmt, ast.Assign):
        return all(_is_simple_target(target) for target in stmt.targets)
    return isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)


def _import_target(stmt: ast.Import | ast.ImportFrom, name: str) -> str:
    """The dotted thing a name is bound to by an import ("numpy", "numpy.sqrt"), "" if none."""
    for alias in stmt.names:
        if isinstance(stmt, ast.Import):
            if (alias.asname or alias.name.split(".")[0]) == name:
                return alias.name if alias.asname else alias.name.split(".")[0]
        elif (alias.asname or alias.name) == name:
            if stmt.level or not stmt.module:
                return ""
            return f"{stmt.module}.{alias.name}"
    return ""


_STATEMENT_KINDS = {
    "For": "a for loop",
    "AsyncFor": "a for loop",
    "While": "a while loop",
    "If": "an if statement",
    "With": "a with statement",
    "AsyncWith": "a with statement",
    "Try": "a try statement",
    "TryStar": "a try statement",
    "Match": "a match statement",
    "AugAssign": "an augmented assignment",
    "Assign": "an assignment",
    "AnnAssign": "an assignment",
    "Expr": "an expression",
    "Delete": "a del statement",
}


def _statement_reason(stmt: ast.stmt) -> str:
    """Why a dropped statement (not a simple assignment) does not bind its names."""
    kind = _STATEMENT_KINDS.get(type(stmt).__name__, "a statement")
    return f"it is set by {kind}, which is not run while grading"


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The names of a function's parameters, in order, "*args" and "**kwargs" marked so."""
    args = fn.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg is not None:
        names.append("*" + args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg is not None:
        names.append("**" + args.kwarg.arg)
    return names


# --------------------------------------------------------------------------------------------
# IPython syntax that reached Python (nbconvert's get_ipython() calls)


def _calls_get_ipython(stmt: ast.stmt) -> bool:
    """Whether a top-level expression or assignment calls ``get_ipython()`` (nbconvert output)."""
    if not isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) or stmt.value is None:
        return False
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
        for node in ast.walk(stmt.value)
    )


# --------------------------------------------------------------------------------------------
# Which statements define things


_SAFE_EXPRESSIONS = (
    ast.Attribute,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.Starred,
    ast.JoinedStr,
    ast.FormattedValue,
)
_OPERATOR_NODES = (ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context)
# Expressions that may run code of the object they apply to (``__add__``, ``__bool__``...).
_ACTIVE_EXPRESSIONS = (
    ast.Set,
    ast.Dict,
    ast.Attribute,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.FormattedValue,
)


class _Names:
    """Membership in any of several sets of names, without copying them."""

    def __init__(self, *sets: Container[str]) -> None:
        self.sets = sets

    def __contains__(self, name: object) -> bool:
        return any(name in names for names in self.sets)


def _is_safe_value(
    node: ast.AST, known: Container[str], *, annotation: bool = False, constants=None
) -> bool:
    """Whether evaluating ``node`` runs no code of note: constants, known names, attributes of
    modules, operators on plain data, literals of safe values, lambdas. Subscripts are allowed
    in annotations only.

    A name must be bound by an earlier kept statement (or be a builtin): ``y = x`` is left out
    when ``x = load()`` was, since running it would only raise NameError. An operator is applied
    only to numbers, text and literals (``N * 2``, not ``helper + 1``, which would run the
    notebook's code or fail), and not where the result would be huge (``"a" * 10**10``,
    ``10**10**10``) or an error (``1 // 0``). ``constants`` holds what the kept names hold.
    """
    stack = [node]
    active = False
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Constant) or isinstance(current, _OPERATOR_NODES):
            continue
        if isinstance(current, _ACTIVE_EXPRESSIONS):
            active = True
        if isinstance(current, ast.Name):
            if not _is_known(current.id, known):
                return False
        elif isinstance(current, ast.Lambda):  # only the defaults are evaluated now
            args = current.args
            stack.extend(d for d in [*args.defaults, *args.kw_defaults] if d is not None)
        elif isinstance(current, _SAFE_EXPRESSIONS) or (
            annotation and isinstance(current, (ast.Subscript, ast.Slice))
        ):
            stack.extend(ast.iter_child_nodes(current))
        else:
            return False
    return annotation or not active or not _runs_code_or_fails(node, constants or {})


def _is_known(name: str, known: Container[str]) -> bool:
    """A name that exists when the chunks run: bound earlier, a builtin, or a module dunder."""
    return (
        name in known or name in _BUILTIN_NAMES or (name.startswith("__") and name.endswith("__"))
    )


def _is_simple_target(target: ast.expr) -> bool:
    """A name, or a tuple/list of names (``a, *b = ...``)."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _is_simple_target(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_is_simple_target(elt) for elt in target.elts)
    return False


def _is_future_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__" and stmt.level == 0


def _defines_something(
    stmt: ast.stmt, known: Container[str], graded: frozenset[str], constants=None, names=None
) -> bool:
    """Whether to keep a top-level statement in ``keep="definitions"`` mode (``names``: those
    it binds, if known)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import)):
        return True
    if isinstance(stmt, ast.ImportFrom):
        return not _is_future_import(stmt)
    if isinstance(stmt, ast.Assign):
        if not all(_is_simple_target(target) for target in stmt.targets):
            return False
        return _is_safe_value(stmt.value, known, constants=constants) or not graded.isdisjoint(
            _bound_names(stmt) if names is None else names)
    if isinstance(stmt, ast.AnnAssign):
        if stmt.value is None or not isinstance(stmt.target, ast.Name):
            return False
        if not _is_safe_value(stmt.annotation, known, annotation=True):
            return False
        return _is_safe_value(stmt.value, known, constants=constants) or stmt.target.id in graded
    if isinstance(stmt, ast.Try):
        return _is_import_guard(stmt, known)
    return False


def _is_import_guard(stmt: ast.Try, known: Container[str]) -> bool:
    """``try: import x`` / ``except ImportError: x = None``: only imports, pass, safe assigns."""
    scope = _Names(known, set(_bound_names(stmt)))

    def harmless(body: list[ast.stmt]) -> bool:
        for inner in body:
            if isinstance(inner, (ast.Import, ast.Pass)):
                continue
            if isinstance(inner, ast.ImportFrom) and not _is_future_import(inner):
                continue
            if isinstance(inner, ast.Expr) and isinstance(inner.value, ast.Constant):
                continue
            if (
                isinstance(inner, ast.Assign)
                and all(_is_simple_target(t) for t in inner.targets)
                and _is_safe_value(inner.value, scope)
            ):
                continue
            return False
        return True

    handlers_ok = all(
        (handler.type is None or _is_safe_value(handler.type, scope)) and harmless(handler.body)
        for handler in stmt.handlers
    )
    return (
        harmless(stmt.body) and handlers_ok and harmless(stmt.orelse) and harmless(stmt.finalbody)
    )


def _bound_names(stmt: ast.stmt, walrus: bool = True) -> list[str]:
    """The module-level names a top-level statement binds (not those of nested scopes).

    Walks statements, not expressions: only assignment targets bind names, and ``:=`` (looked
    for in expressions only when ``walrus``: the cell's text has ":=").
    """
    kind = type(stmt)
    if not walrus:  # the common statements, quickly
        if kind is ast.Expr:
            return []
        if kind is ast.Assign:
            targets = stmt.targets
            if len(targets) == 1 and type(targets[0]) is ast.Name:
                return [targets[0].id]
            if all(type(target) is ast.Name for target in targets):
                return list(dict.fromkeys(target.id for target in targets))
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            return [stmt.name]
    names: list[str] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            names.append(node.name)
            if walrus:
                stack.extend(getattr(node, "decorator_list", ()))
            continue
        if kind is ast.Import:
            names.extend(alias.asname or alias.name.split(".")[0] for alias in node.names)
            continue
        if kind is ast.ImportFrom:
            names.extend(alias.asname or alias.name for alias in node.names if alias.name != "*")
            continue
        targets: list = []
        if kind is ast.Assign:
            targets = node.targets
        elif kind in (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor):
            targets = [node.target]
        elif kind in (ast.With, ast.AsyncWith):
            targets = [item.optional_vars for item in node.items if item.optional_vars]
        elif kind is ast.ExceptHandler and node.name:
            names.append(node.name)
        elif kind is ast.match_case:
            for pattern in ast.walk(node.pattern):
                if isinstance(pattern, (ast.MatchAs, ast.MatchStar)) and pattern.name:
                    names.append(pattern.name)
                elif isinstance(pattern, ast.MatchMapping) and pattern.rest:
                    names.append(pattern.rest)
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.append(sub.id)
        for field_name in ("handlers", "cases"):
            stack.extend(reversed(getattr(node, field_name, ())))
        for field_name in ("finalbody", "orelse", "body"):
            inner = getattr(node, field_name, None)
            if isinstance(inner, list):
                stack.extend(reversed(inner))
        if walrus:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    for sub in ast.walk(child):
                        if isinstance(sub, ast.NamedExpr):
                            names.append(sub.target.id)
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------------------------
# Globals that kept functions read


class _NotSafe(Exception):
    """A value the grader will not compute: the message says why, in one line."""


_NUMPY_ELEMENTWISE = frozenset(
    "sqrt exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos arctan sinh cosh tanh "
    "arcsinh arccosh arctanh abs absolute fabs sign square cbrt floor ceil trunc rint negative "
    "positive reciprocal deg2rad rad2deg degrees radians isnan isinf isfinite logical_not "
    "float64 float32 float16 int64 int32 int16 int8 uint8 uint16 uint32 uint64 bool_ "
    "complex64 complex128 double single intp".split()
)
_NUMPY_BINARY = frozenset(
    "maximum minimum fmax fmin add subtract multiply divide true_divide floor_divide power "
    "mod remainder arctan2 hypot logaddexp greater less equal not_equal greater_equal "
    "less_equal logical_and logical_or".split()
)
_NUMPY_REDUCTIONS = frozenset("sum mean max min amax amin prod std var median".split())
_NUMPY_MAKERS = frozenset(
    "zeros ones full eye identity arange linspace array asarray zeros_like ones_like full_like "
    "reshape transpose ravel".split()
)
_NUMPY_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
                    "euler_gamma": 0.5772156649015329, "newaxis": None}
_MATH_FUNCTIONS = frozenset(
    "sqrt exp log log2 log10 log1p expm1 sin cos tan asin acos atan atan2 sinh cosh tanh "
    "floor ceil fabs pow hypot trunc degrees radians isnan isinf isfinite".split()
)
_MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf,
                   "nan": math.nan}
_BUILTIN_FUNCTIONS = frozenset(
    "abs min max round int float bool complex len tuple list".split()
)
_SUBMODULES = frozenset("numpy.random numpy.linalg numpy.fft numpy.ma numpy.testing os.path "
                        "matplotlib.pyplot".split())
_RANDOM = ("numpy.random.", "random.", "secrets.")
_FILES = frozenset(
    "numpy.load numpy.loadtxt numpy.genfromtxt numpy.fromfile numpy.memmap numpy.save "
    "numpy.savetxt numpy.savez builtins.open builtins.input".split()
)
_ARRAY_METHODS = frozenset(
    "reshape astype copy flatten ravel transpose sum mean max min item tolist".split()
)
_MAX_INT_BITS = 4096
_MAX_DEPTH = 60  # expressions nested deeper than this are not evaluated
_MAX_CHAIN_OF_VALUES = 40  # a value that needs this many others in a chain is not computed


@dataclass(frozen=True)
class _Value:
    """What is known of a value without computing it.

    kind: "num" (``value`` the number, None if not known), "str" / "bytes" (``size`` its length),
    "none", "seq" (a tuple or list: ``size`` its length, ``items`` if short, ``shape`` if it is a
    regular block of numbers), "dict", "array" (``shape``, ``size``), "module" / "func"
    (``value`` the dotted name), "method" (an array's method: ``value`` its name), "opaque" (a
    kept function, class or object: it may be passed around, not computed with).
    """

    kind: str
    value: object = None
    size: int = 0
    shape: tuple | None = None
    items: tuple | None = None


_OPAQUE = _Value("opaque")
_NONE = _Value("none")
_NUMBER = _Value("num")


def _elements(shape: tuple) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


class _Globals:
    """Keep the dropped module-level assignments that kept functions read, when they are safe
    and cheap to compute; say, per function, why the others are not run."""

    def __init__(self, extractor: _Extractor) -> None:
        self.x = extractor
        self.memo: dict[int, _Value | str] = {}  # id(binding) -> its value, or why not run
        self.deps: dict[int, list[_Binding]] = {}  # id(binding) -> the bindings its value reads
        self.sizes: dict[int, int] = {}  # id(binding) -> the array elements its value makes
        self.busy: set[int] = set()
        self.elements = 0
        self.lines: dict[int, list[str]] = {}  # cell -> its lines, when needed
        self.texts: dict[int, str] = {}  # cell -> its Python text

    def resolve(self) -> None:
        """Keep what kept statements need, and record ``unrun_globals``."""
        final: dict[str, _Binding] = {}
        for binding in self.x.statements:
            if binding.kept:
                for name in binding.names:
                    final[name] = binding
        # Only names whose last assignment is not kept can be missing when a function is
        # called: a function whose text names none of them needs no closer look.
        risky = {name for name, bindings in self.x.bindings.items() if not bindings[-1].kept}
        reads: dict[int, tuple[set[str], set[str]]] = {}
        for owner, binding in final.items():
            if binding.stmt is None:
                continue
            if id(binding) not in reads:
                deep = bool(risky) and not risky.isdisjoint(self.identifiers(binding))
                reads[id(binding)] = _statement_reads(binding.stmt, deep)
            define_time, call_time = reads[id(binding)]
            problems: dict[str, tuple[str, int, str]] = {}
            for name in sorted(define_time):
                self.need(name, binding.order, problems)
            for name in sorted(call_time - define_time):
                self.need(name, None, problems)
            if problems:
                self.x.result.unrun_globals[owner] = [problems[name] for name in sorted(problems)]

    def identifiers(self, binding: _Binding) -> list[str]:
        """The words in the text of a statement."""
        lines = self.lines.get(binding.cell)
        if lines is None:
            if not self.texts:
                self.texts.update((cell.index, cell.text) for cell in self.x.cells)
            lines = self.lines[binding.cell] = self.texts[binding.cell].split("\n")
        first, _, last, _, _ = binding.where
        return _WORD.findall("\n".join(lines[first - 1 : last]))

    def need(self, name: str, before: int | None, problems: dict) -> None:
        """A kept statement reads ``name`` (when it runs: ``before`` is its order)."""
        binding = self.last_binding(name, before)
        if binding is None and before is not None:
            later = self.last_binding(name, None)
            if later is not None:  # the definition itself will fail with a NameError
                problems[name] = (name, later.cell, "it is assigned only later in the "
                                  "notebook, after the definition that needs it")
            return
        if binding is None or binding.kept:
            return
        outcome = self.value_of(binding)
        if not isinstance(outcome, str):
            outcome = self.commit(binding)
        if isinstance(outcome, str):
            problems[name] = (name, binding.cell, _one_line(outcome))

    def commit(self, binding: _Binding) -> str | None:
        """Keep a binding found safe, and those its value reads; or say why not (too large)."""
        closure, stack, seen = [], [binding], set()
        while stack:
            current = stack.pop()
            if current.kept or id(current) in seen:
                continue
            seen.add(id(current))
            closure.append(current)
            stack.extend(self.deps.get(id(current), ()))
        size = sum(self.sizes.get(id(b), 0) for b in closure)
        if self.elements + size > _MAX_TOTAL_ELEMENTS:
            reason = "its value would make the kept arrays too large to compute while grading"
            self.memo[id(binding)] = reason
            return reason
        self.elements += size
        for current in closure:
            current.kept, current.reason = True, ""
            self.x.rescued.setdefault(current.cell, []).append(current)
        return None

    def last_binding(self, name: str, before: int | None) -> _Binding | None:
        """The last top-level binding of ``name`` (before the statement of order ``before``)."""
        bindings = self.x.bindings.get(name)
        if not bindings:
            return None
        if before is None:
            return bindings[-1]
        if bindings[-1].order < before:
            return bindings[-1]
        at = bisect.bisect_left(bindings, before, key=_order)
        return bindings[at - 1] if at else None

    def value_of(self, binding: _Binding) -> _Value | str:
        """What a binding gives a name (if it is safe to compute), or why it is not run."""
        key = id(binding)
        if key in self.memo:
            return self.memo[key]
        if key in self.busy or len(self.busy) >= _MAX_CHAIN_OF_VALUES:
            return "its value depends on too many other values to compute while grading"
        self.busy.add(key)
        try:
            outcome = self._value_of(binding)
        finally:
            self.busy.discard(key)
        self.memo[key] = outcome
        return outcome

    def _value_of(self, binding: _Binding) -> _Value | str:
        if binding.kind == "import":
            return _OPAQUE if binding.kept else (binding.reason or "it is not run while grading")
        if binding.kind != "assign" or binding.value is None:
            return _OPAQUE if binding.kept else binding.reason
        evaluator = _Evaluator(self, binding.order)
        try:
            value = evaluator.eval(binding.value)
        except _NotSafe as exc:
            return _OPAQUE if binding.kept else str(exc)
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError):
            return _OPAQUE if binding.kept else "its value is too complex to compute while grading"
        self.deps[id(binding)] = evaluator.read
        self.sizes[id(binding)] = evaluator.elements
        return value

    def name_value(self, name: str, order: int) -> _Value:
        """The value of a name read by a value computed at position ``order``."""
        binding = self.last_binding(name, order)
        if binding is None:
            if name in _BUILTIN_FUNCTIONS:
                return _Value("func", f"builtins.{name}")
            raise _NotSafe(f"its value uses {name}, which is not defined before it")
        outcome = self.value_of(binding)
        if isinstance(outcome, str):
            raise _NotSafe(f"its value uses {name}, which is not run while grading")
        return self.part(binding, name, outcome)

    def part(self, binding: _Binding, name: str, outcome: _Value) -> _Value:
        """The value ``name`` gets from a binding's value."""
        if binding.kind == "import":
            target = binding.module.get(name, "") if binding.module else ""
            return _Value("module", target) if binding.stmt_kind == "Import" and target \
                else _imported(target)
        if binding.kind == "assign" and binding.targets is not None:
            return _target_value(binding.targets, name, outcome)
        return outcome


def _imported(path: str) -> _Value:
    """What a dotted name of a module gives: "numpy" a module, "numpy.pi" a number,
    "numpy.sqrt" a function (whether it may be called is decided when it is)."""
    if not path:
        return _OPAQUE
    module, _, attr = path.rpartition(".")
    if module == "numpy" and attr in _NUMPY_CONSTANTS:
        constant = _NUMPY_CONSTANTS[attr]
        return _NONE if constant is None else _Value("num", constant)
    if module == "math" and attr in _MATH_CONSTANTS:
        return _Value("num", _MATH_CONSTANTS[attr])
    if not module or path in _SUBMODULES:
        return _Value("module", path)
    return _Value("func", path)


def _order(binding: _Binding) -> int:
    return binding.order


def _target_value(targets: list, name: str, value: _Value) -> _Value:
    """The part of an assigned value that ``name`` receives (``a, b = 1, 2``)."""
    for target in targets:
        if isinstance(target, ast.Name) and target.id == name:
            return value
        if isinstance(target, (ast.Tuple, ast.List)) and value.kind == "seq" and value.items \
                and all(isinstance(elt, ast.Name) for elt in target.elts) \
                and len(target.elts) == len(value.items):
            for elt, item in zip(target.elts, value.items, strict=True):
                if elt.id == name:
                    return item
    return _OPAQUE


class _Evaluator:
    """Decides, without running anything, whether a value is safe and cheap to compute."""

    def __init__(self, owner: _Globals, order: int) -> None:
        self.owner = owner
        self.order = order
        self.depth = 0
        self.elements = 0  # array elements the value makes
        self.read: list[_Binding] = []  # the bindings of the names it reads

    def eval(self, node: ast.expr) -> _Value:
        """The abstract value of ``node``; raises _NotSafe with the reason it is not safe."""
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise _NotSafe("its value is too complex to compute while grading")
            method = getattr(self, "eval_" + type(node).__name__, None)
            if method is None:
                raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")
            value = method(node)
            if value.kind == "array":
                self.elements += value.size
            return value
        finally:
            self.depth -= 1

    # -- leaves

    def eval_Constant(self, node: ast.Constant) -> _Value:
        value = node.value
        if value is None or value is Ellipsis:
            return _NONE
        if isinstance(value, (bool, int, float, complex)):
            return _Value("num", value)
        if isinstance(value, str):
            return _Value("str", size=len(value))
        return _Value("bytes", size=len(value))

    def eval_Name(self, node: ast.Name) -> _Value:
        binding = self.owner.last_binding(node.id, self.order)
        if binding is not None:
            self.read.append(binding)
        return self.owner.name_value(node.id, self.order)

    def eval_Attribute(self, node: ast.Attribute) -> _Value:
        base = self.eval(node.value)
        attr = node.attr
        if base.kind == "module":
            return _imported(f"{base.value}.{attr}")
        if base.kind == "array":
            shape = base.shape
            if attr == "T":
                return _array(tuple(reversed(shape)))
            if attr == "shape":
                return _sequence([_Value("num", d) for d in shape])
            if attr in ("size", "ndim"):
                return _Value("num", base.size if attr == "size" else len(shape))
            if attr in _ARRAY_METHODS:
                return _Value("method", attr, size=base.size, shape=shape)
        raise _NotSafe(f"its value uses {_describe(node)}, which is not computed while grading")

    # -- operators

    def eval_UnaryOp(self, node: ast.UnaryOp) -> _Value:
        operand = self.eval(node.operand)
        if operand.kind == "num":
            value = operand.value
            if value is None:
                return _NUMBER
            if isinstance(node.op, ast.Not):
                return _Value("num", not value)
            if isinstance(node.op, ast.USub):
                return _Value("num", -value)
            if isinstance(node.op, ast.UAdd):
                return _Value("num", +value)
            if isinstance(value, int):
                return _Value("num", ~value)
            raise _NotSafe("its value would raise an error")
        if operand.kind == "array" and not isinstance(node.op, ast.Not):
            return operand
        if isinstance(node.op, ast.Not) and operand.kind in ("str", "bytes", "seq", "none"):
            return _NUMBER
        raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")

    def eval_BinOp(self, node: ast.BinOp) -> _Value:
        left, right = self.eval(node.left), self.eval(node.right)
        op = node.op
        if left.kind == "num" and right.kind == "num":
            return _Value("num", _arithmetic(op, left.value, right.value))
        if "array" in (left.kind, right.kind):
            return _matmul(left, right) if isinstance(op, ast.MatMult) else \
                _broadcast(left, right)
        if isinstance(op, ast.Add) and left.kind == right.kind and left.kind in (
                "str", "bytes", "seq"):
            size = left.size + right.size
            _check_length(size)
            if left.kind == "seq":
                both = left.items is not None and right.items is not None
                return _sequence(list(left.items + right.items) if both else None, size)
            return _Value(left.kind, size=size)
        if isinstance(op, ast.Mult):
            sequence, count = (left, right) if right.kind == "num" else (right, left)
            if sequence.kind in ("str", "bytes", "seq") and count.kind == "num":
                if not isinstance(count.value, int):
                    raise _NotSafe("its value repeats a sequence a number of times not known "
                                   "before running")
                size = sequence.size * max(count.value, 0)
                _check_length(size)
                return _Value(sequence.kind, size=size) if sequence.kind != "seq" else \
                    _sequence(None, size)
        raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")

    def eval_BoolOp(self, node: ast.BoolOp) -> _Value:
        values = [self.eval(v) for v in node.values]
        if any(v.kind not in ("num", "str", "bytes", "none", "seq") for v in values):
            raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")
        return values[-1] if all(v.kind == values[0].kind for v in values) else _NUMBER

    def eval_Compare(self, node: ast.Compare) -> _Value:
        values = [self.eval(node.left), *(self.eval(c) for c in node.comparators)]
        if any(v.kind not in ("num", "str", "bytes", "none", "seq", "array")
               or (v.kind == "seq" and v.shape is None) for v in values):
            # comparing sequences compares their items, which may be the notebook's objects
            raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")
        if any(v.kind == "array" for v in values):
            result = values[0]
            for value in values[1:]:
                result = _broadcast(result, value)
            return result
        return _NUMBER

    def eval_IfExp(self, node: ast.IfExp) -> _Value:
        test = self.eval(node.test)
        if test.kind not in ("num", "str", "bytes", "none", "seq"):
            raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")
        body, orelse = self.eval(node.body), self.eval(node.orelse)
        if test.kind == "num" and test.value is not None:
            return body if test.value else orelse
        return body if body == orelse else _OPAQUE

    # -- containers

    def eval_Tuple(self, node: ast.Tuple) -> _Value:
        return self.eval_List(node)

    def eval_List(self, node: ast.List | ast.Tuple) -> _Value:
        items = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                inner = self.eval(elt.value)
                if inner.kind != "seq" or inner.items is None:
                    raise _NotSafe("its value unpacks something that is not a short sequence")
                items.extend(inner.items)
            else:
                items.append(self.eval(elt))
            if len(items) > MAX_ARRAY_ELEMENTS:
                raise _NotSafe("its value is too long to compute while grading")
        return _sequence(items)

    def eval_Set(self, node: ast.Set) -> _Value:
        for elt in node.elts:
            self.key(elt)
        return _Value("seq", size=len(node.elts))

    def eval_Dict(self, node: ast.Dict) -> _Value:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                self.key(key)
            elif self.eval(value).kind != "dict":
                raise _NotSafe("its value unpacks something that is not a dictionary")
            self.eval(value)
        return _Value("dict", size=len(node.keys))

    def key(self, node: ast.expr) -> None:
        """A set item or dictionary key: hashed, so it must not be one of the notebook's
        objects."""
        if self.eval(node).kind not in ("num", "str", "bytes", "none"):
            raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")

    def eval_Subscript(self, node: ast.Subscript) -> _Value:
        base = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")
        index = self.eval(node.slice)
        if base.kind == "seq" and base.items is not None and index.kind == "num" \
                and isinstance(index.value, int):
            if -len(base.items) <= index.value < len(base.items):
                return base.items[index.value]
            raise _NotSafe("its value indexes past the end of a sequence")
        if base.kind == "array" and index.kind == "num" and isinstance(index.value, int):
            if not base.shape or not -base.shape[0] <= index.value < base.shape[0]:
                raise _NotSafe("its value indexes past the end of an array")
            return _array(base.shape[1:]) if len(base.shape) > 1 else _NUMBER
        raise _NotSafe(f"its value ({_describe(node)}) is not a simple constant")

    def eval_JoinedStr(self, node: ast.JoinedStr) -> _Value:
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None:
                    raise _NotSafe("its value formats text with a format specification")
                if self.eval(part.value).kind not in ("num", "str", "none"):
                    raise _NotSafe("its value formats something that is not a number or text")
        return _Value("str")

    def eval_Lambda(self, node: ast.Lambda) -> _Value:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.eval(default)
        return _OPAQUE

    # -- calls

    def eval_Call(self, node: ast.Call) -> _Value:
        shown = _describe(node.func)
        func = self.callee(node.func, shown)
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _NotSafe(f"its value calls {shown}() with *arguments")
            args.append(self.eval(arg))
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise _NotSafe(f"its value calls {shown}() with **arguments")
            kwargs[keyword.arg] = self.eval(keyword.value)
        return _call(func, args, kwargs, shown)

    def callee(self, node: ast.expr, shown: str) -> _Value:
        """The function a call calls; _NotSafe saying why if it will not be called."""
        if isinstance(node, ast.Attribute):
            self.eval(node.value)  # its own reason if that part is not safe (a call, a name)
        try:
            func = self.eval(node)
        except _NotSafe:
            func = None
        if func is None or func.kind == "opaque":
            if isinstance(node, ast.Name):
                binding = self.owner.last_binding(node.id, self.order)
                if binding is not None and binding.kind in ("def", "class"):
                    raise _NotSafe(f"its value calls {shown}(), a function of the notebook, "
                                   "which is not run while grading")
            raise _NotSafe(f"its value calls {shown}(), which is not run while grading")
        path = func.value if func.kind == "func" and isinstance(func.value, str) else ""
        if path.startswith(_RANDOM) or path == "random":
            raise _NotSafe(f"its value calls {shown}(), which draws random numbers and is not "
                           "run while grading")
        if path in _FILES or ".read_" in path:
            raise _NotSafe(f"its value calls {shown}(), which reads a file and is not run while "
                           "grading")
        return func


def _sequence(items: list | None, size: int | None = None) -> _Value:
    """A tuple or list value; its ``shape`` if it is a regular block of numbers."""
    if items is None:
        return _Value("seq", size=size or 0)
    shape = None
    if all(item.kind == "num" for item in items):
        shape = (len(items),)
    elif items and all(item.kind in ("seq", "array") and item.shape is not None
                       for item in items):
        inner = items[0].shape
        if all(item.shape == inner for item in items):
            shape = (len(items), *inner)
    return _Value("seq", size=len(items), shape=shape,
                  items=tuple(items) if len(items) <= 64 else None)


def _check_length(size: int) -> None:
    if size > 10 * MAX_ARRAY_ELEMENTS:
        raise _NotSafe("its value is too long to compute while grading")


_ARITHMETIC = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b, ast.Pow: lambda a, b: a**b, ast.LShift: lambda a, b: a << b,
    ast.RShift: lambda a, b: a >> b, ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b,
}


def _arithmetic(op: ast.operator, a, b):
    """``a op b`` for two numbers (None: not known), refusing results too large to compute."""
    compute = _ARITHMETIC.get(type(op))
    if compute is None:
        raise _NotSafe("its value is not a simple constant")
    if a is None or b is None:
        return None
    too_large = _NotSafe("its value is a number too large to compute while grading")
    if isinstance(a, int) and isinstance(b, int):
        if isinstance(op, ast.Pow) and b > 0 and abs(a) > 1 and a.bit_length() * b > _MAX_INT_BITS:
            raise too_large
        if isinstance(op, ast.LShift) and b > _MAX_INT_BITS:
            raise too_large
    try:
        result = compute(a, b)
    except ZeroDivisionError:
        raise _NotSafe("its value divides by zero") from None
    except (OverflowError, TypeError, ValueError):
        raise _NotSafe("its value would raise an error") from None
    if isinstance(result, int) and result.bit_length() > 4 * _MAX_INT_BITS:
        raise too_large
    return result


def _shape_of(value: _Value) -> tuple:
    """The array shape of a number, array or regular sequence of numbers."""
    if value.kind == "num":
        return ()
    if value.kind in ("array", "seq") and value.shape is not None:
        return value.shape
    raise _NotSafe("its value computes with something that is not a number or an array")


def _broadcast(left: _Value, right: _Value) -> _Value:
    """The array that an element-wise operation on two values makes (numpy's broadcasting)."""
    a, b = _shape_of(left), _shape_of(right)
    width = max(len(a), len(b))
    a, b = (1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b
    shape = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            raise _NotSafe("its value combines arrays whose shapes do not broadcast")
        shape.append(y if x == 1 else x)
    return _array(tuple(shape))


def _matmul(left: _Value, right: _Value) -> _Value:
    a, b = _shape_of(left), _shape_of(right)
    if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
        raise _NotSafe("its value multiplies matrices whose shapes do not match")
    if a[0] * a[1] * b[1] > 10 * MAX_ARRAY_ELEMENTS:
        raise _NotSafe("its value is a matrix product too large to compute while grading")
    return _array((a[0], b[1]))


def _array(shape: tuple) -> _Value:
    size = _elements(shape)
    if size > MAX_ARRAY_ELEMENTS:
        raise _NotSafe(f"its value is an array of {size} elements, over the "
                       f"{MAX_ARRAY_ELEMENTS}-element limit for values computed while grading")
    return _Value("array", shape=shape, size=size)


def _int_argument(value: _Value, what: str) -> int:
    if value.kind == "num" and isinstance(value.value, int) and not isinstance(value.value, bool):
        if value.value < 0:
            raise _NotSafe(f"its value asks for a negative {what}")
        return value.value
    raise _NotSafe(f"its value makes an array whose {what} is not known before running")


def _shape_argument(value: _Value) -> tuple:
    if value.kind == "num":
        return (_int_argument(value, "size"),)
    if value.kind == "seq" and value.items is not None:
        return tuple(_int_argument(item, "size") for item in value.items)
    raise _NotSafe("its value makes an array whose size is not known before running")


_CALL_KEYWORDS = frozenset({"dtype", "num", "endpoint", "M", "k"})


def _call(func: _Value, args: list, kwargs: dict, shown: str) -> _Value:
    """The value an allowed call makes, or _NotSafe."""
    if func.kind == "method":
        return _array_method(func, args, kwargs, shown)
    path = func.value if func.kind == "func" and isinstance(func.value, str) else ""
    module, _, name = path.rpartition(".")
    if set(kwargs) - _CALL_KEYWORDS:
        raise _NotSafe(f"its value calls {shown}() with arguments that are not computed while "
                       "grading")
    if "dtype" in kwargs and not _is_dtype(kwargs["dtype"]):
        raise _NotSafe(f"its value calls {shown}() with a dtype that is not numpy's")
    if module == "numpy":
        if name in _NUMPY_ELEMENTWISE and len(args) == 1:
            return _NUMBER if args[0].kind == "num" else _array(_shape_of(args[0]))
        if name in _NUMPY_BINARY and len(args) == 2:
            if all(arg.kind == "num" for arg in args):
                return _NUMBER
            return _broadcast(args[0], args[1])
        if name in _NUMPY_REDUCTIONS and len(args) == 1:
            _shape_of(args[0])
            return _NUMBER
        if name in _NUMPY_MAKERS:
            return _numpy_maker(name, args, kwargs, shown)
    elif module == "math" and name in _MATH_FUNCTIONS:
        if args and all(arg.kind == "num" for arg in args) and not kwargs:
            numbers = [arg.value for arg in args]
            if any(number is None for number in numbers):
                return _NUMBER
            try:  # math raises where numpy would warn: compute it, to know
                return _Value("num", getattr(math, name)(*numbers))
            except (ValueError, TypeError, OverflowError, ZeroDivisionError):
                raise _NotSafe(f"its value calls {shown}(), which would raise an error") \
                    from None
    elif module == "builtins" and name in _BUILTIN_FUNCTIONS and not kwargs:
        return _builtin_call(name, args, shown)
    raise _NotSafe(f"its value calls {shown}(), which is not run while grading")


def _is_dtype(value: _Value) -> bool:
    """numpy's or Python's number types, or a type's name: never the notebook's objects (numpy
    would look into them)."""
    if value.kind == "str" or value.kind == "none":
        return True
    return value.kind == "func" and isinstance(value.value, str) and (
        value.value.startswith("numpy.") or value.value in (
            "builtins.float", "builtins.int", "builtins.bool", "builtins.complex"))


def _builtin_call(name: str, args: list, shown: str) -> _Value:
    if name == "len" and len(args) == 1 and args[0].kind in ("seq", "str", "bytes", "dict"):
        return _Value("num", args[0].size)
    if name in ("tuple", "list") and len(args) == 1 and args[0].kind == "seq":
        return args[0]
    if name in ("tuple", "list") and not args:
        return _sequence([])
    if args and all(arg.kind == "num" for arg in args):
        value = args[0].value
        if name == "int" and len(args) == 1 and isinstance(value, (int, float)) \
                and math.isfinite(value):
            return _Value("num", int(value))
        if name == "float" and len(args) == 1 and isinstance(value, (int, float)):
            return _Value("num", float(value)) if abs(value) < 1e300 else _NUMBER
        return _NUMBER
    if name in ("min", "max") and len(args) == 1 and args[0].kind == "seq" \
            and args[0].shape is not None and len(args[0].shape) == 1 and args[0].size:
        return _NUMBER
    raise _NotSafe(f"its value calls {shown}() in a way that is not computed while grading")


def _numpy_maker(name: str, args: list, kwargs: dict, shown: str) -> _Value:
    """np.zeros, np.arange, np.array...: the array they make, if its size is known and small."""
    if name in ("zeros", "ones") and len(args) == 1:
        return _array(_shape_argument(args[0]))
    if name == "full" and len(args) == 2:
        return _array(_shape_argument(args[0]))
    if name == "identity" and len(args) == 1:
        n = _int_argument(args[0], "size")
        return _array((n, n))
    if name == "eye" and 1 <= len(args) <= 2:
        n = _int_argument(args[0], "size")
        m = _int_argument(args[1], "size") if len(args) == 2 else n
        if "M" in kwargs:
            m = _int_argument(kwargs["M"], "size")
        return _array((n, m))
    if name == "linspace" and 2 <= len(args) <= 3:
        count = args[2] if len(args) == 3 else kwargs.get("num", _Value("num", 50))
        return _array((_int_argument(count, "size"),))
    if name == "arange" and 1 <= len(args) <= 3:
        numbers = [arg.value for arg in args]
        if any(arg.kind != "num" or not isinstance(arg.value, (int, float)) for arg in args):
            raise _NotSafe("its value makes an array whose size is not known before running")
        start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (
            numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 1)
        if not step or not all(math.isfinite(x) for x in (start, stop, step)):
            raise _NotSafe("its value makes an array whose size is not known before running")
        count = (stop - start) / step
        if count > 10 * MAX_ARRAY_ELEMENTS:
            raise _NotSafe("its value is an array too large to compute while grading")
        return _array((max(0, math.ceil(count)),))
    if name in ("array", "asarray", "zeros_like", "ones_like") and len(args) == 1:
        return _array(_shape_of(args[0]))
    if name == "full_like" and len(args) == 2:
        return _array(_shape_of(args[0]))
    if name == "reshape" and len(args) == 2:
        return _reshape(_shape_of(args[0]), args[1:])
    if name == "transpose" and len(args) == 1:
        return _array(tuple(reversed(_shape_of(args[0]))))
    if name == "ravel" and len(args) == 1:
        return _array((_elements(_shape_of(args[0])),))
    raise _NotSafe(f"its value calls {shown}() in a way that is not computed while grading")


def _reshape(shape: tuple, args: list) -> _Value:
    wanted = list(args[0].items or ()) if len(args) == 1 and args[0].kind == "seq" else args
    dims = []
    for item in wanted:
        if item.kind != "num" or not isinstance(item.value, int):
            raise _NotSafe("its value reshapes an array to a shape not known before running")
        dims.append(item.value)
    size = _elements(shape)
    if dims.count(-1) == 1:
        rest = _elements(tuple(d for d in dims if d != -1))
        if rest <= 0 or size % rest:
            raise _NotSafe("its value reshapes an array to a shape that does not fit")
        dims = [size // rest if d == -1 else d for d in dims]
    if any(d < 0 for d in dims) or _elements(tuple(dims)) != size:
        raise _NotSafe("its value reshapes an array to a shape that does not fit")
    return _array(tuple(dims))


def _array_method(method: _Value, args: list, kwargs: dict, shown: str) -> _Value:
    name, shape = method.value, method.shape
    if name == "astype" and len(args) == 1 and _is_dtype(args[0]) or name == "copy" and not args:
        return _array(shape)
    if name in ("flatten", "ravel") and not args:
        return _array((_elements(shape),))
    if name == "transpose" and not args:
        return _array(tuple(reversed(shape)))
    if name == "reshape":
        return _reshape(shape, args)
    if name in ("sum", "mean", "max", "min", "item") and not args:
        return _NUMBER
    if name == "tolist" and not args:
        return _Value("seq", size=shape[0] if shape else 0, shape=shape)
    raise _NotSafe(f"its value calls {shown}() in a way that is not computed while grading")


def _describe(node: ast.AST) -> str:
    """Short source text of an expression, for messages."""
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError, AttributeError, TypeError):
        return "an expression"
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _runs_code_or_fails(node: ast.AST, constants: dict) -> bool:
    """Whether the operators and attributes in ``node`` (not in its lambdas' bodies) may run
    other code than numbers', text's and literals' own, or fail, or make something huge."""
    folded: set[int] = set()
    stack = [node]
    try:
        while stack:
            sub = stack.pop()
            kind = type(sub)
            if kind is ast.Lambda:
                args = sub.args
                stack.extend(d for d in [*args.defaults, *args.kw_defaults] if d is not None)
                continue
            if kind in (ast.BinOp, ast.UnaryOp) and id(sub) not in folded:
                if _fold(sub, 0, folded, constants) is None:
                    return True
            elif kind is ast.Attribute:
                base = _fold(sub.value, 0, folded, constants)
                if not (isinstance(base, tuple) and base[0] == "module"):
                    return True
            elif kind is ast.Compare:
                if not _plain_comparison(sub, folded, constants):
                    return True
            elif kind is ast.BoolOp:
                if not all(_is_plain(_fold(v, 0, folded, constants)) for v in sub.values):
                    return True
            elif kind is ast.IfExp:
                if not _is_plain(_fold(sub.test, 0, folded, constants)):
                    return True
            elif kind in (ast.Set, ast.Dict):
                if _fold(sub, 0, folded, constants) is None:
                    return True
            elif kind is ast.FormattedValue:
                value = _fold(sub.value, 0, folded, constants)
                if not (_is_number(value) or (isinstance(value, tuple) and value[0] in
                                              ("str", "none"))):
                    return True
                if sub.format_spec is not None and any(
                    isinstance(part, ast.Constant) and isinstance(part.value, str)
                    and any(len(width) > 4 for width in re.findall(r"\d+", part.value))
                    for part in ast.walk(sub.format_spec)
                ):
                    return True
            stack.extend(ast.iter_child_nodes(sub))
    except _NotSafe:
        return True
    return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float, complex))


def _hashable(value) -> bool:
    """Plain data that can be hashed (a set item, a dictionary key) without running code."""
    return _is_number(value) or (isinstance(value, tuple) and value[2]
                                 and value[0] not in ("List", "Set", "Dict"))


def _is_plain(value) -> bool:
    """A folded value that is plain data: a number, or text, bytes, None, or a tuple or list of
    plain data."""
    return _is_number(value) or (isinstance(value, tuple) and value[2])


def _plain_comparison(node: ast.Compare, folded: set[int], constants: dict) -> bool:
    """Whether a comparison compares plain data, in a way that cannot fail."""
    values = [_fold(v, 0, folded, constants) for v in (node.left, *node.comparators)]
    if not all(_is_plain(value) for value in values):
        return False
    for op, left, right in zip(node.ops, values, values[1:], strict=False):
        if isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            continue
        if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
            if _is_number(left) and _is_number(right) and not isinstance(left, complex) \
                    and not isinstance(right, complex):
                continue
            if isinstance(left, tuple) and isinstance(right, tuple) \
                    and left[0] == right[0] in ("str", "bytes"):
                continue
        return False
    return True


def _remember_constants(stmt: ast.stmt, names: list[str], constants: dict) -> None:
    """After a kept statement: what its names hold when the chunks run, where it is known (a
    number, ("str", length, True)..., ("module", "numpy", False) for a module or a library's
    object, ("object", 0, False) for the notebook's own functions and classes)."""
    kind = type(stmt)
    if kind is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
        value = stmt.value
        if type(value) is ast.Constant:  # the commonest, quickly
            constants[names[0]] = _fold(value, 0, None, constants)
            return
    for name in names:
        constants.pop(name, None)
    if kind is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
        if isinstance(stmt.value, ast.Lambda):
            constants[names[0]] = ("object", 0, False)
            return
        try:
            value = _fold(stmt.value, 0, set(), constants)
        except _NotSafe:
            value = None
        if value is not None:
            constants[names[0]] = value
    elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        constants[stmt.name] = ("object", 0, False)
    elif kind in (ast.Import, ast.ImportFrom):
        for name in names:
            target = _import_target(stmt, name)
            value = None if kind is ast.Import else _imported(target)
            if value is not None and value.kind == "num":
                constants[name] = value.value
            elif target:  # a module, or a library's object
                constants[name] = ("module", target, False)


_MAX_ITEMS_FOLDED = 64


def _fold(node: ast.AST, depth: int, folded: set[int] | None, constants: dict):
    """What a constant expression's value is, without computing anything of note: a number,
    (kind, length, plain) for text, bytes, tuples, lists and None, ("module", path, False),
    ("object", 0, False), or None if not known. Raises _NotSafe if computing it would fail or
    make something too large. ``constants`` holds the values of names; the operations met are
    added to ``folded``."""
    if depth > _MAX_DEPTH:
        return None
    kind = type(node)
    if kind is ast.Constant:
        value = node.value
        if isinstance(value, (str, bytes)):  # the text itself too, if short
            return (type(value).__name__, len(value), True, value if len(value) < 1000 else None)
        if value is None or value is Ellipsis:
            return ("none", 0, True)
        return value
    if kind is ast.Name:
        return constants.get(node.id)
    if kind is ast.Attribute:
        base = _fold(node.value, depth + 1, folded, constants)
        if isinstance(base, tuple) and base[0] == "module":
            value = _imported(f"{base[1]}.{node.attr}")
            if value.kind == "num":
                return value.value
            return ("none", 0, True) if value.kind == "none" else ("module", value.value, False)
        return None
    if kind in (ast.Tuple, ast.List):
        elts = node.elts
        plain = len(elts) <= _MAX_ITEMS_FOLDED and all(
            _is_plain(_fold(elt, depth + 1, folded, constants)) for elt in elts)
        return (kind.__name__, len(elts), plain)
    if kind is ast.UnaryOp:
        value = _fold(node.operand, depth + 1, folded, constants)
        if value is None:
            return None
        if isinstance(node.op, ast.Not):
            return False if _is_plain(value) else None
        if not _is_number(value):
            raise _NotSafe("its value would raise an error")
        if isinstance(node.op, ast.Invert):
            if not isinstance(value, int):
                raise _NotSafe("its value would raise an error")
            return ~value
        return -value if isinstance(node.op, ast.USub) else value
    if kind is ast.Compare:
        return ("plain", 0, True) if _plain_comparison(node, folded, constants) else None
    if kind is ast.BoolOp:
        values = [_fold(v, depth + 1, folded, constants) for v in node.values]
        return ("plain", 0, True) if all(_is_plain(v) for v in values) else None
    if kind is ast.IfExp:
        values = [_fold(v, depth + 1, folded, constants)
                  for v in (node.test, node.body, node.orelse)]
        return ("plain", 0, True) if all(_is_plain(v) for v in values) else None
    if kind is ast.JoinedStr:
        return ("str", 0, True)  # its parts are checked where they are met
    if kind in (ast.Set, ast.Dict):
        keys = node.elts if kind is ast.Set else [k for k in node.keys if k is not None]
        if len(keys) > _MAX_ITEMS_FOLDED or not all(
                _hashable(_fold(k, depth + 1, folded, constants)) for k in keys):
            return None
        values = [] if kind is ast.Set else node.values
        plain = len(values) <= _MAX_ITEMS_FOLDED and None not in node.keys if values else True
        plain = plain and all(_is_plain(_fold(v, depth + 1, folded, constants)) for v in values)
        return (kind.__name__, len(keys), plain)
    if kind is not ast.BinOp:
        return None
    if folded is not None:
        folded.add(id(node))
    left = _fold(node.left, depth + 1, folded, constants)
    right = _fold(node.right, depth + 1, folded, constants)
    if left is None or right is None:
        return None
    if isinstance(left, tuple) or isinstance(right, tuple):
        return _fold_sequences(node.op, left, right)
    return _arithmetic(node.op, left, right)


_FORMAT_SPEC = re.compile(r"%(?:%|[#0 +-]*(\d{0,4})(?:\.\d{0,4})?([diouxXeEfFgGrsa]))")


def _formats_one(text: str, right) -> bool:
    """Whether ``text % right`` surely works: one simple conversion of a number or text."""
    specs = [m for m in _FORMAT_SPEC.finditer(text) if m.group() != "%%"]
    if text.count("%") != 2 * text.count("%%") + len(specs) or len(specs) != 1:
        return False
    conversion = specs[0].group(2)
    if _is_number(right) and not isinstance(right, complex):
        return isinstance(right, int) or conversion not in "oxX"
    return isinstance(right, tuple) and right[0] in ("str", "none") and conversion in "rsa"


def _fold_sequences(op: ast.operator, left, right):
    """``left op right`` where one side is text, bytes, a tuple, a list, None, a module or an
    object of the notebook."""
    fails = _NotSafe("its value would raise an error")
    sequences = ("str", "bytes", "Tuple", "List")
    if isinstance(op, ast.Mod) and isinstance(left, tuple) and left[0] in ("str", "bytes"):
        if len(left) > 3 and isinstance(left[3], str) and _formats_one(left[3], right):
            return ("str", 0, True)
        raise fails
    if isinstance(op, ast.Add):
        if isinstance(left, tuple) and isinstance(right, tuple) and left[0] == right[0] \
                and left[0] in sequences:
            _check_length(left[1] + right[1])
            return (left[0], left[1] + right[1], left[2] and right[2])
        raise fails
    if isinstance(op, ast.Mult):
        sequence, count = (left, right) if isinstance(left, tuple) else (right, left)
        if sequence[0] in sequences and isinstance(count, int):
            _check_length(sequence[1] * max(count, 0))
            return (sequence[0], sequence[1] * max(count, 0), sequence[2])
    raise fails


_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment"})


_WORD = re.compile(r"[^\W\d]\w*")


def _statement_reads(stmt: ast.stmt, deep: bool = True) -> tuple[set[str], set[str]]:
    """The module-level names a kept top-level statement reads: (when it runs, when the
    functions it defines are called; the latter only if ``deep``). Kept on the statement's
    node: parsed trees are shared by the notebooks that have the same cell."""
    key = "_shallow_reads_deep" if deep else "_shallow_reads"
    found = stmt.__dict__.get(key)
    if found is None:
        define_time, call_time = _statement_reads_of(stmt, deep)
        found = (frozenset(define_time), frozenset(call_time))
        setattr(stmt, key, found)
    return set(found[0]), set(found[1])


def _statement_reads_of(stmt: ast.stmt, deep: bool) -> tuple[set[str], set[str]]:
    module = _Scope("module", None)
    scopes = [module]
    pending: list[tuple[ast.AST, _Scope]] = [(stmt, module)]
    while pending:
        node, scope = pending.pop()
        kind = type(node)
        if kind is ast.Name:
            (scope.loads if isinstance(node.ctx, ast.Load) else scope.bound).add(node.id)
            continue
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            args = node.args
            if kind is not ast.Lambda:
                scope.bound.add(node.name)
                pending.extend((d, scope) for d in node.decorator_list)
                if node.returns is not None:
                    pending.append((node.returns, scope))
            pending.extend((d, scope) for d in [*args.defaults, *args.kw_defaults] if d)
            inner = _Scope("function", scope)
            scopes.append(inner)
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if arg is not None:
                    inner.bound.add(arg.arg)
                    if arg.annotation is not None:
                        pending.append((arg.annotation, scope))
            if deep:
                pending.extend((b, inner) for b in (node.body if kind is not ast.Lambda
                                                    else [node.body]))
            continue
        if kind is ast.ClassDef:
            scope.bound.add(node.name)
            pending.extend((d, scope) for d in [*node.decorator_list, *node.bases,
                                                 *(k.value for k in node.keywords)])
            inner = _Scope("class", scope)
            scopes.append(inner)
            pending.extend((b, inner) for b in node.body)
            continue
        if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            inner = _Scope("comprehension", scope)
            scopes.append(inner)
            for position, generator in enumerate(node.generators):
                pending.append((generator.iter, scope if position == 0 else inner))
                pending.append((generator.target, inner))
                pending.extend((condition, inner) for condition in generator.ifs)
            if kind is ast.DictComp:
                pending.extend([(node.key, inner), (node.value, inner)])
            else:
                pending.append((node.elt, inner))
            continue
        if kind is ast.Global:
            scope.globals.update(node.names)
            continue
        if kind is ast.Nonlocal:
            scope.bound.update(node.names)
            continue
        if kind is ast.NamedExpr:
            target = scope
            while target.kind == "comprehension":
                target = target.parent
            target.bound.add(node.target.id)
            pending.append((node.value, scope))
            continue
        if kind in (ast.Import, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    scope.bound.add(alias.asname or alias.name.split(".")[0])
            continue
        if kind is ast.Constant:
            continue
        if kind is ast.ExceptHandler and node.name:
            scope.bound.add(node.name)
        elif kind in (ast.MatchAs, ast.MatchStar) and node.name:
            scope.bound.add(node.name)
        elif kind is ast.MatchMapping and node.rest:
            scope.bound.add(node.rest)
        for name in node._fields:
            if name in _NOT_CHILDREN:
                continue
            value = getattr(node, name, None)
            if type(value) is list:
                pending.extend((item, scope) for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                pending.append((value, scope))
    define_time: set[str] = set()
    call_time: set[str] = set()
    for scope in scopes:
        deferred = scope.deferred()
        for name in scope.loads:
            if scope.kind == "module" or scope.resolves_to_module(name):
                (call_time if deferred else define_time).add(name)
    return define_time, call_time


class _Scope:
    """A scope met while reading a statement: what it binds, declares global, and reads."""

    __slots__ = ("kind", "parent", "bound", "globals", "loads")

    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind
        self.parent = parent
        self.bound: set[str] = set()
        self.globals: set[str] = set()
        self.loads: set[str] = set()

    def deferred(self) -> bool:
        """Whether this scope runs only when a function is called."""
        scope: _Scope | None = self
        while scope is not None:
            if scope.kind == "function":
                return True
            scope = scope.parent
        return False

    def resolves_to_module(self, name: str) -> bool:
        """Whether a read of ``name`` here finds a module-level name (Python's scoping)."""
        scope: _Scope | None = self
        while scope is not None and scope.kind != "module":
            if name in scope.globals:
                return True
            if name in scope.bound and (scope is self or scope.kind != "class"):
                return False
            scope = scope.parent
        return True


# --------------------------------------------------------------------------------------------
# Rebuilding the kept source


def _build_chunk(cell: int, text: str, statements: int, kept: list) -> Chunk | None:
    """The chunk for the kept statements ``[(index, where)]``, or None if no compilable source
    could be made."""
    label = f"cell {cell}"
    if len(kept) == statements:
        source = text  # nothing dropped: keep the cell as it is, comments and all
        exact = True
    else:
        source, exact = _keep_lines(text.split("\n"), [where for _, where in kept])
    source = source.rstrip()
    source += "\n\n" if source.endswith("\\") else "\n"  # a final backslash needs a line
    if exact or _compiles(source, label):
        return Chunk(cell=cell, source=source, first_line=1)
    try:
        tree = ast.parse(text, filename=label)
        body = [tree.body[index] for index, _ in kept]
        fallback = ast.unparse(ast.Module(body=body, type_ignores=[])) + "\n"
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return None
    if _compiles(fallback, label):
        return Chunk(cell=cell, source=fallback, first_line=kept[0][1][0])
    return None


def _compiles(source: str, label: str) -> bool:
    """Whether ``source`` compiles as a module of its own."""
    try:
        _compile_in_batches(ast.parse(source, filename=label).body, label)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


_COMPILE_BATCH = 100


class _Kept:
    """The last results of a function of a cell's text, at most ``chars`` characters of text
    kept (a class's notebooks share most cells, the released ones: each is read once)."""

    def __init__(self, chars: int) -> None:
        self.chars = chars
        self.size = 0
        self.items: collections.OrderedDict = collections.OrderedDict()

    def get(self, text: str, compute):
        found = self.items.get(text)
        if found is not None:
            self.items.move_to_end(text)
            return found
        found = compute(text)
        if len(text) <= self.chars // 8:
            self.items[text] = found
            self.size += len(text)
            while self.size > self.chars:
                old, _ = self.items.popitem(last=False)
                self.size -= len(old)
        return found


_PARSED = _Kept(8 * _MB)  # Python code -> its tree (never changed by the reader) or the error
_TRANSFORMED = _Kept(8 * _MB)  # cell text -> what Jupyter compiles, or why it would not


def _parsed(python: str):
    """The tree of a cell's Python, or the _Unparsable it raises."""
    return _PARSED.get(python, _parse)


def _parse(python: str):
    try:
        tree = ast.parse(python, filename="<cell>")
        # Catch the errors the compiler (not the parser) finds, e.g. 'return' outside a
        # function. IPython allows a top-level await, so the check does too.
        _compile_in_batches(tree.body, "<cell>", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        return tree
    except SyntaxError as exc:
        return _Unparsable(exc.msg or "invalid syntax", exc.lineno)
    except ValueError as exc:  # a lone surrogate or a NUL character
        bad = _SURROGATE_OR_NUL.search(python)
        line = python.count("\n", 0, bad.start()) + 1 if bad else None
        what = "a NUL character" if bad and bad.group() == "\x00" else "invalid Unicode"
        return _Unparsable(f"the code contains {what} ({exc})", line)


def _transformed(text: str):
    """``_jupyter_source(text)``, or the _Unparsable it raises."""
    return _TRANSFORMED.get(text, _transform)


def _transform(text: str):
    try:
        return _jupyter_source(text)
    except _Unparsable as exc:
        return exc


def _compile_in_batches(body: list[ast.stmt], label: str, flags: int = 0) -> None:
    """Compile top-level statements a hundred at a time; raise SyntaxError as compile() does.

    CPython's compiler takes time quadratic in the length of a module that mixes functions and
    loops (minutes for a 15 MB file); small batches find the same errors in linear time. Only
    errors that span far-apart statements (a ``global`` declared after a hundred statements)
    could be missed, and running the chunk would then report them.
    """
    for start in range(0, len(body), _COMPILE_BATCH):
        module = ast.Module(body=body[start : start + _COMPILE_BATCH], type_ignores=[])
        compile(module, label, "exec", flags, True)


_REST_IS_COMMENT = re.compile(r"[ \t\f]*(?:#.*)?\Z")
_COMMENT_AFTER = re.compile(r"[ \t\f]*#")


class _Columns:
    """Converts ``ast`` columns (UTF-8 byte offsets) into character indexes of one line, in
    time linear in the line however many statements share it (offsets asked in order)."""

    __slots__ = ("line", "data", "byte", "char")

    def __init__(self, line: str) -> None:
        self.line = line
        self.data = None if line.isascii() else line.encode("utf-8", "surrogatepass")
        self.byte = self.char = 0

    def char_col(self, byte_col: int) -> int:
        if self.data is None:
            return byte_col
        if byte_col < self.byte:
            self.byte = self.char = 0
        self.char += len(self.data[self.byte : byte_col].decode("utf-8", "ignore"))
        self.byte = byte_col
        return self.char


def _keep_lines(lines: list[str], kept: list[tuple]) -> tuple[str, bool]:
    """The original text of the kept statements, every other line blank; and whether that text
    is certainly the kept statements (no statement shares a line with another).

    Statements keep their own lines, so line numbers match the cell. Where several statements
    share a line (``import numpy as np; train()``) only the kept ones' columns are copied, joined
    by ``"; "``. A comment after a kept statement's last line is kept.
    """
    out: dict[int, list[str]] = {}
    columns: dict[int, _Columns] = {}
    exact = True
    for first, start_col, last, end_col, decorated in kept:
        first, last = first - 1, last - 1
        start_col = 0 if decorated else start_col
        if start_col:
            exact = False
        for index in range(first, last + 1):
            line = lines[index]
            if index == first or index == last:
                cols = columns.get(index)
                if cols is None:
                    cols = columns[index] = _Columns(line)
                lo = cols.char_col(start_col) if index == first else 0
                hi = cols.char_col(end_col) if index == last else len(line)
            else:
                lo, hi = 0, len(line)
            piece = line[lo:hi]
            if index == last:
                if _COMMENT_AFTER.match(line, hi):
                    piece += line[hi:]
                elif not _REST_IS_COMMENT.match(line, hi):
                    exact = False
            out.setdefault(index, []).append(piece)
    text_lines = [""] * len(lines)
    for index, pieces in out.items():
        text_lines[index] = "; ".join(pieces)
        if len(pieces) > 1:
            exact = False
    return "\n".join(text_lines), exact
