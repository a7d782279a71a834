"""Read a student's submission without running it, and keep only the code that defines things.

A submission is a Jupyter notebook (``.ipynb``, nbformat 4 or 3) or a plain ``.py`` file. The
grader never starts a kernel: it reads the file as JSON (or text), takes the code cells, drops
IPython syntax (``%magic``, ``!shell``, ``x?``), parses each cell, and keeps only the top-level
statements that *define* things: imports, functions, classes, and assignments of simple values.
A child process can later ``exec`` the resulting chunks and call the student's functions without
also running the training loops, plots and prints that surround them.

Nothing here trusts the file. Every problem that makes the whole file ungradable becomes a
``NotebookError`` whose message is one line that starts with the file's path; problems with a
single cell (a syntax error, say) are listed in ``GradableSource.problems`` and the other cells
are still used, as they would be in Jupyter.

Only the standard library is imported, so that reading a notebook stays cheap and safe.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import os
import re
import stat
import warnings
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

__all__ = [
    "MAX_BYTES_DEFAULT",
    "Chunk",
    "GradableSource",
    "NotebookError",
    "extract_from_notebook_bytes",
    "extract_from_python_source",
    "find_function",
    "read_submission",
]

MAX_BYTES_DEFAULT = 20 * 1024 * 1024
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
    """What the grader may run from one submission."""

    path: str
    sha256: str  # hex sha256 of the file's raw bytes
    chunks: list[Chunk] = field(default_factory=list)  # notebook order; empty cells omitted
    problems: list[str] = field(default_factory=list)  # non-fatal problems, one line each
    defined: dict[str, int] = field(default_factory=dict)  # name -> last cell that defines it
    dropped_statements: int = 0  # top-level statements left out (loops, calls, prints, ...)


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
) -> GradableSource:
    """Read a ``.ipynb`` or ``.py`` submission from disk.

    ``keep="definitions"`` keeps only top-level statements that define things; ``keep="all"``
    keeps every statement (IPython syntax is dropped either way). An assignment to one of
    ``graded_names`` is kept whatever its value (``relu = np.vectorize(_relu)``).

    Raises ``NotebookError`` (and nothing else) for any problem with the file itself. Invalid
    arguments (an unknown ``keep``, a non-positive ``max_bytes``) are programming errors and raise
    ``ValueError``/``TypeError`` before the file is touched.
    """
    graded = _check_options(keep, graded_names)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
    name = _display_path(path)
    return _guarded(name, lambda: _read_submission(path, name, keep, max_bytes, graded))


def extract_from_notebook_bytes(
    data: bytes,
    path: str = "<notebook>",
    *,
    keep: str = "definitions",
    graded_names: Iterable[str] = frozenset(),
) -> GradableSource:
    """Extract the gradable code from the raw bytes of a notebook; ``path`` is for messages."""
    graded = _check_options(keep, graded_names)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    name = _display_path(path)
    return _guarded(name, lambda: _notebook_from_bytes(bytes(data), name, keep, graded))


def extract_from_python_source(
    text: str,
    path: str = "<source>",
    *,
    keep: str = "definitions",
    graded_names: Iterable[str] = frozenset(),
) -> GradableSource:
    """Extract the gradable code from the text of a ``.py`` file (one chunk, cell 0)."""
    graded = _check_options(keep, graded_names)
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    name = _display_path(path)
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _guarded(name, lambda: _python_from_text(text, name, sha, keep, graded))


# --------------------------------------------------------------------------------------------
# Reading the file


def _check_options(keep: str, graded_names: Iterable[str]) -> frozenset[str]:
    """Validate the keyword arguments shared by the entry points; return the graded names."""
    if keep not in _KEEP_MODES:
        raise ValueError(f"keep must be one of {_KEEP_MODES}, not {keep!r}")
    if isinstance(graded_names, (str, bytes)):
        raise TypeError("graded_names must be a collection of names, not a single string")
    graded = frozenset(graded_names)
    if not all(isinstance(n, str) for n in graded):
        raise TypeError("graded_names must contain only strings")
    return graded


def _guarded(name: str, work):
    """Run ``work()``, turning any unexpected failure into a one-line ``NotebookError``."""
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


def _read_submission(
    path: str | os.PathLike[str], name: str, keep: str, max_bytes: int, graded: frozenset[str]
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
        return _notebook_from_bytes(data, name, keep, graded)
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise NotebookError(name, "empty file")
    text = _decode(data)
    if text is None:
        raise NotebookError(name, "not a text file (binary or not UTF-8)")
    return _python_from_text(text, name, sha, keep, graded)


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


def _one_line(text: str) -> str:
    """``text`` with line breaks turned into spaces and unprintable surrogates escaped."""
    text = re.sub(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+", " ", str(text))
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------------------------
# Notebooks


def _notebook_from_bytes(
    data: bytes, name: str, keep: str, graded: frozenset[str]
) -> GradableSource:
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
    cells, source_key = _notebook_cells(notebook, name)

    extractor = _Extractor(name, sha, keep, graded)
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
            continue
        source = _join_source(cell[source_key])
        if source is None:
            extractor.problem(f"cell {index}: source is not text: cell skipped")
            continue
        extractor.add(index, source, prefix=f"cell {index}: ", skipped=": cell skipped")
    if code_cells == 0:
        extractor.problem("no code cells")
    return extractor.result


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


def _python_from_text(
    text: str, name: str, sha: str, keep: str, graded: frozenset[str]
) -> GradableSource:
    """A ``.py`` file is a single cell (index 0) whose problems carry no cell prefix."""
    extractor = _Extractor(name, sha, keep, graded)
    extractor.add(0, text, prefix="", skipped="")
    return extractor.result


# --------------------------------------------------------------------------------------------
# Per-cell processing


class _Extractor:
    """Accumulates chunks, problems and defined names over the cells of one submission."""

    def __init__(self, name: str, sha: str, keep: str, graded: frozenset[str]) -> None:
        self.result = GradableSource(path=name, sha256=sha)
        self.keep = keep
        self.graded = graded
        self.known: set[str] = set()  # names bound by statements kept so far

    def problem(self, text: str) -> None:
        """Record a non-fatal problem."""
        self.result.problems.append(_one_line(text))

    def add(self, cell: int, source: str, *, prefix: str, skipped: str) -> None:
        """Process one code cell; ``prefix``/``skipped`` frame its problem messages.

        A cell that cannot be processed becomes a problem; the other cells still count.
        """
        try:
            with warnings.catch_warnings():  # e.g. SyntaxWarning for "\d": not our business
                warnings.simplefilter("ignore")
                self._add(cell, source, prefix, skipped)
        except (RecursionError, MemoryError):
            self.problem(f"{prefix}code is nested too deeply to analyse{skipped}")
        except Exception as exc:  # a bug here must not cost the student the other cells
            self.problem(f"{prefix}could not be processed ({type(exc).__name__}: {exc}){skipped}")

    def _add(self, cell: int, source: str, prefix: str, skipped: str) -> None:
        """Strip IPython syntax, parse, select, rebuild, and record one cell."""
        text = source.replace("\r\n", "\n").replace("\r", "\n")
        text = _strip_magics(text)
        if text is None or not text.strip():
            return
        try:
            tree = ast.parse(text, filename=f"cell {cell}")
            # Catch the errors the compiler (not the parser) finds, e.g. 'return' outside a
            # function. IPython allows a top-level await, so the check does too.
            _compile_in_batches(tree.body, f"cell {cell}", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as exc:
            where = f" on line {exc.lineno}" if exc.lineno else ""
            self.problem(f"{prefix}syntax error{where} ({exc.msg}){skipped}")
            return
        except (RecursionError, MemoryError):
            self.problem(f"{prefix}code is nested too deeply to parse{skipped}")
            return
        except ValueError as exc:  # e.g. a lone surrogate in the source
            self.problem(f"{prefix}cannot be parsed ({exc}){skipped}")
            return

        kept = self._select(tree.body)
        chunk = _build_chunk(cell, text, tree.body, kept) if kept else None
        self.result.dropped_statements += len(tree.body) - len(kept)
        if kept and chunk is None:
            self.problem(f"{prefix}could not rebuild its definitions{skipped}")
            return
        for stmt in kept:
            for bound in _bound_names(stmt):
                self.result.defined[bound] = cell
                self.known.add(bound)
        if chunk is not None:
            self.result.chunks.append(chunk)

    def _select(self, body: list[ast.stmt]) -> list[ast.stmt]:
        """The top-level statements to keep, in order."""
        if self.keep == "all":
            return [stmt for stmt in body if not _calls_get_ipython(stmt)]
        kept = []
        # Later statements of the same cell may use the names earlier ones bind.
        known = _Names(self.known, set())
        for stmt in body:
            if _defines_something(stmt, known, self.graded):
                kept.append(stmt)
                known.sets[1].update(_bound_names(stmt))
        return kept


# --------------------------------------------------------------------------------------------
# IPython syntax


_MAGIC_CANDIDATE = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[%!]", re.MULTILINE)
_MAGIC_ASSIGN = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_HELP = re.compile(r"\?{1,2}[\w.*]+|[\w.*]+\?{1,2}")
_OUTSIDE_STRING = re.compile(r"[#'\"()\[\]{}]")


def _is_magic_line(stripped: str) -> bool:
    """Whether a logical line (stripped) is IPython syntax rather than Python."""
    return (
        stripped.startswith(("%", "!"))
        or _MAGIC_ASSIGN.match(stripped) is not None
        or _HELP.fullmatch(stripped) is not None
    )


def _strip_magics(text: str) -> str | None:
    """``text`` without IPython syntax, keeping its line numbers; None to drop the whole cell.

    A cell magic (``%%bash``) drops the cell, except ``%%time``/``%%capture`` whose body is
    Python. A line magic, shell escape or help request at the start of a logical line is blanked
    at top level and becomes ``pass`` when indented, so that an enclosing block stays valid; like
    IPython, a magic goes on over a backslash or an open bracket. Lines inside strings and
    brackets are never taken for magics (``(a\\n % b)`` is Python).
    """
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)
        if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
            return None
    if not _MAGIC_CANDIDATE.search(text):
        return text  # fast path: nothing that looks like IPython syntax

    out: list[str] = []
    quote: str | None = None  # the open string's delimiter, if a line ended inside one
    depth = 0  # open brackets
    continued = False  # the previous line ended with a backslash
    in_magic = False  # the current logical line is IPython syntax
    for line in text.split("\n"):
        if quote is None and depth == 0 and not continued:  # a new logical line
            in_magic = _is_magic_line(line.strip())
            if in_magic:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}pass" if indent else "")
        elif in_magic:  # a magic continued by a backslash, an open bracket or a string
            out.append("")
        if not in_magic:
            out.append(line)
        quote, depth, continued = _scan_line(line, quote, depth)
    return "\n".join(out)


def _scan_line(line: str, quote: str | None, depth: int) -> tuple[str | None, int, bool]:
    """Track strings and brackets over one line: (open quote, bracket depth, backslash-continued).

    An approximation of Python's tokenizer that is good enough to tell whether the next line
    starts a new logical line.
    """
    i, n = 0, len(line)
    while i < n:
        if quote is not None:
            # Inside a string: look for a backslash (escapes the next char) or the delimiter.
            j = line.find(quote, i)
            k = line.find("\\", i)
            if k != -1 and (j == -1 or k < j):
                i = k + 2
                continue
            if j == -1:
                i = n
                break
            i = j + len(quote)
            quote = None
            continue
        match = _OUTSIDE_STRING.search(line, i)
        if match is None:
            break
        ch = match.group()
        i = match.end()
        if ch == "#":
            return None, depth, False
        if ch in "'\"":
            if line.startswith(ch * 3, i - 1):
                quote = ch * 3
                i += 2
            else:
                quote = ch
        elif ch in "([{":
            depth += 1
        else:
            depth = max(0, depth - 1)
    if quote is not None:
        escaped_newline = i > n
        if len(quote) == 1 and not escaped_newline:
            quote = None  # an unterminated one-line string ends with its line
        return quote, depth, False
    return None, depth, line.endswith("\\")


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


class _Names:
    """Membership in any of several sets of names, without copying them."""

    def __init__(self, *sets: Container[str]) -> None:
        self.sets = sets

    def __contains__(self, name: object) -> bool:
        return any(name in names for names in self.sets)


def _is_safe_value(node: ast.AST, known: Container[str], *, annotation: bool = False) -> bool:
    """Whether evaluating ``node`` runs no code of note: constants, known names, attributes,
    operators, literals of safe values, lambdas. Subscripts are allowed in annotations only.

    A name must be bound by an earlier kept statement (or be a builtin): ``y = x`` is left out
    when ``x = load()`` was, since running it would only raise NameError.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Constant) or isinstance(current, _OPERATOR_NODES):
            continue
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
    return True


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


def _defines_something(stmt: ast.stmt, known: Container[str], graded: frozenset[str]) -> bool:
    """Whether to keep a top-level statement in ``keep="definitions"`` mode."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import)):
        return True
    if isinstance(stmt, ast.ImportFrom):
        return not _is_future_import(stmt)
    if isinstance(stmt, ast.Assign):
        if not all(_is_simple_target(target) for target in stmt.targets):
            return False
        return _is_safe_value(stmt.value, known) or bool(graded & set(_bound_names(stmt)))
    if isinstance(stmt, ast.AnnAssign):
        if stmt.value is None or not isinstance(stmt.target, ast.Name):
            return False
        if not _is_safe_value(stmt.annotation, known, annotation=True):
            return False
        return _is_safe_value(stmt.value, known) or stmt.target.id in graded
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


_NEW_SCOPES = (
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _bound_names(stmt: ast.stmt) -> list[str]:
    """The module-level names a top-level statement binds (not those of nested scopes)."""
    names: list[str] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        if isinstance(node, _NEW_SCOPES):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, ast.Import):
            names.extend(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.extend(alias.asname or alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.append(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.append(node.rest)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return names


# --------------------------------------------------------------------------------------------
# Rebuilding the kept source


def _build_chunk(cell: int, text: str, body: list[ast.stmt], kept: list[ast.stmt]) -> Chunk | None:
    """The chunk for the kept statements, or None if no compilable source could be made."""
    label = f"cell {cell}"
    if len(kept) == len(body):
        source = text  # nothing dropped: keep the cell as it is, comments and all
    else:
        source = _keep_lines(text.split("\n"), kept)
    source = source.rstrip() + "\n"
    if _compiles(source, label):
        return Chunk(cell=cell, source=source, first_line=1)
    fallback = ast.unparse(ast.Module(body=kept, type_ignores=[])) + "\n"
    if _compiles(fallback, label):
        return Chunk(cell=cell, source=fallback, first_line=_first_line(kept[0]))
    return None


def _compiles(source: str, label: str) -> bool:
    """Whether ``source`` compiles as a module of its own."""
    try:
        _compile_in_batches(ast.parse(source, filename=label).body, label)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


_COMPILE_BATCH = 100


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


def _first_line(stmt: ast.stmt) -> int:
    """The line a statement starts on, counting its decorators."""
    decorators = getattr(stmt, "decorator_list", None)
    return min([stmt.lineno, *(d.lineno for d in decorators)]) if decorators else stmt.lineno


def _keep_lines(lines: list[str], kept: list[ast.stmt]) -> str:
    """The original text of the kept statements, every other line blank.

    Statements keep their own lines, so line numbers match the cell. Where several statements
    share a line (``import numpy as np; train()``) only the kept ones' columns are copied, joined
    by ``"; "``. A comment after a kept statement's last line is kept.
    """
    out = [""] * len(lines)
    for stmt in kept:
        first, last = _first_line(stmt) - 1, stmt.end_lineno - 1
        start_col = 0 if getattr(stmt, "decorator_list", None) else stmt.col_offset
        for index in range(first, last + 1):
            line = lines[index]
            lo = _char_col(line, start_col) if index == first else 0
            hi = _char_col(line, stmt.end_col_offset) if index == last else len(line)
            piece = line[lo:hi]
            if index == last and line[hi:].lstrip().startswith("#"):
                piece += line[hi:]
            if index == first and out[index].strip():
                out[index] = f"{out[index]}; {piece}"
            else:
                out[index] = piece
    return "\n".join(out)


def _char_col(line: str, byte_col: int) -> int:
    """Convert an ``ast`` column (a UTF-8 byte offset) into a character index of ``line``."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
