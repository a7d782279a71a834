"""Reading submissions without a kernel: real files, bad files, and what survives the filter."""

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import notebook
from autograder.notebook import (
    MAX_BYTES_DEFAULT,
    GradableSource,
    NotebookError,
    extract_from_notebook_bytes,
    extract_from_python_source,
    find_function,
    read_submission,
)

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# Helpers


def code(source, **extra):
    """A nbformat-4 code cell; ``source`` is a string or a list of lines, as Jupyter writes."""
    if isinstance(source, str):
        source = textwrap.dedent(source).lstrip("\n")
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    cell["source"] = source
    cell.update(extra)
    return cell


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def notebook_dict(*cells):
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "cells": list(cells),
    }


def write(tmp_path, content, name="alice.ipynb"):
    """Write a notebook dict (as JSON), a str (UTF-8) or bytes to ``tmp_path / name``."""
    path = tmp_path / name
    if isinstance(content, dict | list):
        content = json.dumps(content, indent=1)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def read(path, **kwargs):
    """read_submission with a 1 MB limit, to keep every test fast."""
    kwargs.setdefault("max_bytes", MB)
    return read_submission(path, **kwargs)


def expect_error(path, fragment, **kwargs):
    """read_submission must fail with a one-line message that starts with the path."""
    with pytest.raises(NotebookError) as info:
        read(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message and "\r" not in message
    assert fragment in message, message
    return message


def run_chunks(gs):
    """Exec every chunk, in order, in one fresh namespace (as the child process will)."""
    namespace = {}
    for chunk in gs.chunks:
        exec(compile(chunk.source, f"cell {chunk.cell}", "exec", dont_inherit=True), namespace)
    return namespace


# --------------------------------------------------------------------------------------------
# Well-formed notebooks


def course_notebook():
    return notebook_dict(
        md("# Week 3: a shallow network\nRun every cell."),
        code("import numpy as np\nimport math\n"),
        code(
            """
            LEARNING_RATE = 1.2
            LAYERS = (2, 4, 1)
            X = np.random.randn(2, 400)  # a call: dropped
            n_x = X.shape[0]  # depends on a dropped name: dropped


            def sigmoid(z):
                return 1 / (1 + np.exp(-z))


            def layer_sizes(X, Y):
                return X.shape[0], 4, Y.shape[0]
            """
        ),
        md("## Training"),
        code(
            """
            for i in range(10000):
                raise RuntimeError("the training loop ran")
            print("cost after training", 0.1)
            """
        ),
        code("plt.scatter(X[0], X[1]); plt.show()\n"),
    )


def test_a_normal_notebook_keeps_only_definitions(tmp_path):
    path = write(tmp_path, course_notebook())
    gs = read(path)

    assert isinstance(gs, GradableSource)
    assert gs.path == str(path)
    assert gs.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert gs.problems == []
    assert [chunk.cell for chunk in gs.chunks] == [1, 2]  # cells 4 and 5 had nothing to keep
    assert gs.defined == {
        "np": 1,
        "math": 1,
        "LEARNING_RATE": 2,
        "LAYERS": 2,
        "sigmoid": 2,
        "layer_sizes": 2,
    }
    assert gs.dropped_statements == 6  # X =, n_x =, the loop, the print, the two plot calls
    source = gs.chunks[1].source
    assert "def sigmoid(z):" in source and "LEARNING_RATE = 1.2" in source
    assert "random" not in source and "n_x" not in source
    # Line numbers are the cell's own: def sigmoid is on line 7 of the cell.
    assert source.splitlines()[6] == "def sigmoid(z):"
    for chunk in gs.chunks:
        compile(chunk.source, "chunk", "exec")
        assert chunk.first_line == 1

    namespace = run_chunks(gs)  # the loop would raise if it ran; plt is never touched
    assert namespace["sigmoid"](0.0) == 0.5
    assert namespace["LAYERS"] == (2, 4, 1)
    assert "X" not in namespace and "i" not in namespace
    assert find_function(gs, "sigmoid") and not find_function(gs, "X")


def test_comments_and_decorators_survive(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(
                """
                import functools
                # a helper the student wrote
                @functools.lru_cache(maxsize=None)
                def fib(n):  # memoised
                    # the recursion
                    return n if n < 2 else fib(n - 1) + fib(n - 2)
                print(fib(30))
                """
            )
        ),
    )
    source = read(path).chunks[0].source
    assert "@functools.lru_cache(maxsize=None)\ndef fib(n):  # memoised\n    # the recursion" in (
        source
    )
    assert "print" not in source
    assert run_chunks(read(path))["fib"](20) == 6765


def test_the_last_definition_wins(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code("def relu(z):\n    return 'first'\n"),
            md("Oops, let me fix that."),
            code("def relu(z):\n    return max(z, 0)\n"),
            code("relu(3)\n"),
        ),
    )
    gs = read(path)
    assert gs.defined == {"relu": 2}
    assert run_chunks(gs)["relu"](-1) == 0


def test_statements_sharing_a_line_are_split(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(code('import math; run_training(); s = "héllo wörld"; show(s)  # done\n')),
    )
    gs = read(path)
    assert gs.chunks[0].source == 'import math; s = "héllo wörld"\n'
    assert gs.defined == {"math": 0, "s": 0}


def test_safe_assignments_only(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(
                """
                import numpy as np
                A = np.pi * 2
                B = {"lr": 0.1, "sizes": [2, 4, 1], **{}}
                C = -A if A > 0 else A
                D = lambda z: np.maximum(z, 0)
                E = f"{A:.2f}"
                F, (G, *H) = 1, (2, 3, 4)
                I: float = 0.5
                J = np.zeros(3)
                K = undefined_name
                L: int
                M = [1, 2][0]
                N = 1
                N += 1
                obj = N
                obj.attr = 3
                """
            )
        ),
    )
    gs = read(path)
    kept = set(gs.defined)
    assert kept == {"np", "A", "B", "C", "D", "E", "F", "G", "H", "I", "N", "obj"}
    namespace = run_chunks(gs)
    assert namespace["E"] == "6.28" and namespace["H"] == [3, 4] and namespace["N"] == 1


def test_import_guards_are_kept_but_other_try_blocks_are_not(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(
                """
                from __future__ import annotations
                try:
                    import not_a_module_anywhere as fancy
                    HAVE_FANCY = True
                except ImportError:
                    fancy = None
                    HAVE_FANCY = False

                try:
                    train()
                except Exception:
                    pass
                """
            )
        ),
    )
    gs = read(path)
    assert gs.problems == []
    assert gs.defined == {"fancy": 0, "HAVE_FANCY": 0}
    assert "train" not in gs.chunks[0].source and "__future__" not in gs.chunks[0].source
    assert run_chunks(gs)["HAVE_FANCY"] is False


def test_graded_names_keep_assignments_from_calls(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(
                """
                import numpy as np
                def _relu(z):
                    return z if z > 0 else 0.0
                relu = np.vectorize(_relu)
                weights = np.random.randn(3)
                """
            )
        ),
    )
    assert "relu" not in read(path).defined
    gs = read(path, graded_names=frozenset({"relu"}))
    assert gs.defined["relu"] == 0 and "weights" not in gs.defined
    assert list(run_chunks(gs)["relu"]([-1.0, 2.0])) == [0.0, 2.0]


def test_keep_all_keeps_every_statement_but_still_drops_ipython(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code("%matplotlib inline\nx = 2\nget_ipython().run_line_magic('time', '')\n"),
            code("for i in range(3):\n    x = x * 10\n"),
        ),
    )
    gs = read(path, keep="all")
    assert [chunk.cell for chunk in gs.chunks] == [0, 1]
    assert "get_ipython" not in gs.chunks[0].source
    assert gs.defined == {"x": 1, "i": 1}
    assert run_chunks(gs)["x"] == 2000


def test_list_and_string_sources_are_the_same(tmp_path):
    text = "import math\n\ndef area(r):\n    return math.pi * r ** 2\n"
    as_list = write(tmp_path, notebook_dict(code(text.splitlines(keepends=True))), "list.ipynb")
    as_string = write(tmp_path, notebook_dict(code(text)), "string.ipynb")
    from_list, from_string = read(as_list), read(as_string)
    assert from_list.chunks == from_string.chunks
    assert from_list.chunks[0].source == text


def test_a_cell_with_non_text_source_is_skipped(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(["x = 1\n", 2, None]),
            code({"not": "a list"}),
            {"cell_type": "code", "metadata": {}},
            "not even a cell",
            code("y = 3\n"),
        ),
    )
    gs = read(path)
    assert gs.problems == [
        "cell 0: source is not text: cell skipped",
        "cell 1: source is not text: cell skipped",
        "cell 2: code cell has no source: cell skipped",
        "cell 3: not a cell (a JSON string): skipped",
    ]
    assert gs.defined == {"y": 4}


# --------------------------------------------------------------------------------------------
# IPython syntax


def test_line_magics_and_shell_escapes_are_dropped(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code(
                """
                %matplotlib inline
                !pip install numpy
                files = !ls
                %load_ext autoreload
                import math
                math.sqrt?
                !echo one \\
                    two
                %timeit math.hypot(3, \\
                                   4)
                def hypotenuse(a, b):
                    '''Two sides.
                    % this docstring line stays
                    !so does this one
                    '''
                    %time total = (a * a + \\
                                   b * b)
                    !echo inside a function
                    ratio = (a
                             % 7)
                    same = (a
                            != b)
                    return math.sqrt(a * a + b * b)
                """
            )
        ),
    )
    gs = read(path)
    assert gs.problems == []
    source = gs.chunks[0].source
    compile(source, "chunk", "exec")
    assert "%matplotlib" not in source and "pip" not in source and "echo" not in source
    assert "    % this docstring line stays\n    !so does this one" in source
    assert "             % 7)" in source and "            != b)" in source
    assert "    pass\n\n    pass\n" in source  # the two magics in the body, line numbers kept
    assert "hypot(" not in source and "4)" not in source and "total" not in source
    assert source.splitlines()[4] == "import math"  # the cell's own line 5
    assert run_chunks(gs)["hypotenuse"](3, 4) == 5.0


def test_a_cell_magic_drops_the_cell_but_time_and_capture_keep_python(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code("%%bash\necho hello\nfor f in *; do rm $f; done\n"),
            code(["\n", "%%writefile helper.py\n", "def helper():\n", "    return 1\n"]),
            code("%%time\ndef timed():\n    return 2\ntimed()\n"),
            code("%%capture\nimport math\n"),
        ),
    )
    gs = read(path)
    assert gs.problems == []
    assert [chunk.cell for chunk in gs.chunks] == [2, 3]
    assert gs.defined == {"timed": 2, "math": 3}


def test_get_ipython_calls_from_nbconvert_are_dropped(tmp_path):
    path = write(
        tmp_path,
        "get_ipython().run_line_magic('matplotlib', 'inline')\n"
        "out = get_ipython().getoutput('ls')\n"
        "def f():\n    return 1\n",
        "export.py",
    )
    for keep in ("definitions", "all"):
        gs = read(path, keep=keep)
        assert "get_ipython" not in gs.chunks[0].source
        assert run_chunks(gs)["f"]() == 1


# --------------------------------------------------------------------------------------------
# Cell problems


def test_a_magic_goes_on_over_a_backslash_but_not_over_an_open_bracket(tmp_path):
    # As in Jupyter (IPython >= 7): the second line is then Python of its own, here invalid.
    path = write(tmp_path, notebook_dict(code("%timeit f(1,\n          2)\ndef g():\n    pass\n")))
    gs = read(path)
    assert gs.problems == ["cell 0 could not be parsed: unexpected indent (line 2)"]
    assert gs.unparsed == {0: "unexpected indent (line 2)"} and gs.broken_defs == {"g": 0}


def test_a_syntax_error_skips_only_that_cell(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code("def good():\n    return 1\n"),
            md("text"),
            code("%time x = 1\nfrom math import pi\nx = = 1\ndef lost():\n    pass\n"),
            code("def also_good():\n    return 2\n"),
            code("def broken(:\n    pass\n"),
            code("return 5\n"),
        ),
    )
    gs = read(path)
    assert gs.problems == [
        "cell 2 could not be parsed: invalid syntax (line 3)",
        "cell 4 could not be parsed: invalid syntax (line 1)",
        "cell 5 could not be parsed: 'return' outside function (line 1)",
    ]
    assert gs.unparsed == {
        2: "invalid syntax (line 3)",
        4: "invalid syntax (line 1)",
        5: "'return' outside function (line 1)",
    }
    assert gs.broken_defs == {"lost": 2, "broken": 4}
    assert gs.defined == {"good": 0, "also_good": 3}
    assert [chunk.cell for chunk in gs.chunks] == [0, 3]


def test_deeply_nested_code_is_a_problem_not_a_crash(tmp_path):
    path = write(
        tmp_path,
        notebook_dict(
            code("x = " + "-" * 100_000 + "1\n"),
            code("y = " + "+".join(["1"] * 50_000) + "\n"),
            code("z = " + "(" * 500 + "1" + ")" * 500 + "\n"),
            code("def ok():\n    return 1\n"),
        ),
    )
    gs = read(path)
    assert [p.split(" could not be parsed: ")[0] for p in gs.problems] == [
        "cell 0", "cell 1", "cell 2"
    ]
    assert set(gs.unparsed) == {0, 1, 2}
    assert gs.defined == {"ok": 3}


def test_a_notebook_without_code_cells_is_a_problem_not_an_error(tmp_path):
    for cells in ([], [md("just words")]):
        gs = read(write(tmp_path, notebook_dict(*cells)))
        assert gs.chunks == [] and gs.defined == {}
        assert gs.problems == ["no code cells"]


# --------------------------------------------------------------------------------------------
# Notebook formats


def test_nbformat_3_is_supported(tmp_path):
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": ["Week 3"]},
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": ["import math\n", "def double(x):\n", "    return 2 * x\n"],
                        "outputs": [],
                    },
                ]
            },
            {
                "cells": [
                    {"cell_type": "code", "input": "print(double(2))\nTWO = 2\n", "outputs": []},
                    {"cell_type": "code", "input": "x = = 1\n", "outputs": []},
                ]
            },
        ],
    }
    gs = read(write(tmp_path, nb))
    assert gs.defined == {"math": 1, "double": 1, "TWO": 2}
    assert gs.problems == ["cell 3 could not be parsed: invalid syntax (line 1)"]
    assert run_chunks(gs)["double"](21) == 42


@pytest.mark.parametrize(
    "version, shown",
    [(2, "nbformat 2 is"), (1, "nbformat 1 is"), (None, "nbformat (missing) is"), ("4", "'4'")],
)
def test_old_missing_or_odd_nbformat_is_rejected(tmp_path, version, shown):
    nb = {"nbformat": version, "worksheets": [{"cells": []}], "cells": []}
    if version is None:
        del nb["nbformat"]
    message = expect_error(write(tmp_path, nb), "not supported (open and save it in Jupyter")
    assert shown in message


def test_a_future_nbformat_is_rejected(tmp_path):
    expect_error(write(tmp_path, {"nbformat": 5, "cells": []}), "nbformat 5 is not supported")


# --------------------------------------------------------------------------------------------
# Files that cannot be graded


def test_not_json(tmp_path):
    path = write(tmp_path, '{"cells": [\n  {"cell_type": "code" "source": ""}\n]}')
    message = expect_error(path, "not valid JSON")
    assert message == f"{path}: not valid JSON (line 2, column 24: Expecting ',' delimiter)"


def test_truncated_json(tmp_path):
    whole = json.dumps(course_notebook(), indent=1)
    path = write(tmp_path, whole[: len(whole) // 2])
    expect_error(path, "not valid JSON (line ")


def test_not_utf8(tmp_path):
    data = json.dumps(notebook_dict(code("name = 'José'\n")), ensure_ascii=False)
    path = write(tmp_path, data.encode("latin-1"))
    expect_error(path, "not a text notebook (binary or not UTF-8)")


def test_binary_file_named_ipynb(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"
    expect_error(write(tmp_path, png), "not a text notebook (binary or not UTF-8)")


def test_a_utf8_bom_is_fine(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps(notebook_dict(code("x = 1\n"))).encode())
    assert read(path).defined == {"x": 0}


def test_empty_file(tmp_path):
    message = expect_error(write(tmp_path, b""), "empty file")
    assert message == f"{tmp_path / 'alice.ipynb'}: empty file"
    expect_error(write(tmp_path, b"", "empty.py"), "empty file")


@pytest.mark.parametrize("content", [{"metadata": {}, "nbformat": 4}, [1, 2, 3], "just a string"])
def test_json_that_is_not_a_notebook(tmp_path, content):
    expect_error(write(tmp_path, json.dumps(content)), "not a Jupyter notebook (no cells)")


def test_deeply_nested_json(tmp_path):
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    expect_error(path, "nested too deeply")
    path = write(tmp_path, '{"cells": ' + "[" * 100_000)
    expect_error(path, "")


def test_a_huge_integer_in_the_json(tmp_path):
    expect_error(write(tmp_path, '{"cells": [], "n": ' + "9" * 5000 + "}"), "not valid JSON")


def test_over_the_size_limit(tmp_path):
    nb = notebook_dict(code("x = 1\n"), md("y" * (MB + MB // 2)))
    path = write(tmp_path, nb)
    message = expect_error(path, "over the 1.0 MB limit")
    assert message == f"{path}: file is 1.5 MB, over the 1.0 MB limit"
    assert read(path, max_bytes=2 * MB).defined == {"x": 0}


def test_over_the_default_limit_without_reading_the_file(tmp_path, monkeypatch):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(21 * MB)  # sparse: instant, and NUL bytes if it were ever read

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(notebook, "open", no_reading, raising=False)
    with pytest.raises(NotebookError) as info:
        read_submission(path)
    assert MAX_BYTES_DEFAULT == 20 * MB
    assert str(info.value) == f"{path}: file is 21.0 MB, over the 20.0 MB limit"


def test_sizes_that_round_to_the_limit_are_shown_in_bytes(tmp_path):
    path = write(tmp_path, b" " * (MB + 1))
    expect_error(path, f"file is {MB + 1} bytes, over the {MB}-byte limit")


@pytest.mark.parametrize("name", ["alice.txt", "alice.ipynb.bak", "alice", "alice.json"])
def test_other_suffixes_are_rejected(tmp_path, name):
    path = write(tmp_path, notebook_dict(code("x = 1\n")), name)
    expect_error(path, "unsupported file type")


def test_missing_file_and_directory(tmp_path):
    expect_error(tmp_path / "nobody.ipynb", "file not found")
    folder = tmp_path / "folder.ipynb"
    folder.mkdir()
    expect_error(folder, "is a directory")


def test_messages_are_one_line_even_for_odd_paths(tmp_path):
    path = write(tmp_path, b"", "two\nlines.ipynb")
    with pytest.raises(NotebookError) as info:
        read(path)
    assert "\n" not in str(info.value) and str(info.value).endswith(": empty file")


def test_bad_arguments_are_programming_errors(tmp_path):
    path = write(tmp_path, notebook_dict())
    with pytest.raises(ValueError):
        read_submission(path, keep="everything")
    with pytest.raises(ValueError):
        read_submission(path, max_bytes=0)
    with pytest.raises(TypeError):
        read_submission(path, graded_names="relu")


# --------------------------------------------------------------------------------------------
# Python files and the in-memory entry points


def test_a_python_file_is_one_chunk(tmp_path):
    path = write(
        tmp_path,
        "import math\n%matplotlib inline\n\ndef square(x):\n    return x * x\n\n"
        "if __name__ == '__main__':\n    raise SystemExit(square(3))\n",
        "alice.py",
    )
    gs = read(path)
    assert gs.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [chunk.cell for chunk in gs.chunks] == [0]
    assert gs.defined == {"math": 0, "square": 0}
    assert gs.problems == [] and gs.dropped_statements == 1
    assert run_chunks(gs)["square"](3) == 9


def test_a_python_file_with_a_syntax_error_is_a_problem(tmp_path):
    gs = read(write(tmp_path, "def f(:\n    pass\n", "alice.py"))
    assert gs.chunks == [] and gs.defined == {}
    assert gs.problems == ["could not be parsed: invalid syntax (line 1)"]
    assert gs.unparsed == {0: "invalid syntax (line 1)"} and gs.broken_defs == {"f": 0}


def test_a_binary_python_file(tmp_path):
    expect_error(write(tmp_path, b"\x00\x01print(1)", "alice.py"), "not a text file")


def test_in_memory_entry_points():
    data = json.dumps(notebook_dict(code("def f():\n    return 7\nf()\n"))).encode()
    gs = extract_from_notebook_bytes(data)
    assert gs.path == "<notebook>" and gs.defined == {"f": 0}
    assert gs.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(NotebookError, match=r"^sub/bob\.ipynb: not valid JSON"):
        extract_from_notebook_bytes(b"{", "sub/bob.ipynb")
    gs = extract_from_python_source("def g():\n    return 8\n")
    assert gs.path == "<source>" and find_function(gs, "g") and not find_function(gs, "f")


# --------------------------------------------------------------------------------------------
# Properties: nothing but NotebookError escapes, and every chunk compiles


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data):
    try:
        gs = extract_from_notebook_bytes(data, "fuzz.ipynb")
    except NotebookError as exc:
        assert str(exc).startswith("fuzz.ipynb: ") and "\n" not in str(exc)
    else:
        for chunk in gs.chunks:
            compile(chunk.source, "chunk", "exec")


PYTHONISH = st.lists(
    st.sampled_from(
        [
            "import math",
            "def f(x):",
            "    return x",
            "    %time y = 1",
            "%matplotlib inline",
            "!ls",
            "x = (1,",
            "     % 2)",
            '"""',
            "y = f(2); z = 3",
            "for i in range(2):",
            "    print(i)",
            "class A:",
            "    pass",
            "@f",
            "try:",
            "except ImportError:",
            "w = 'é'",
            "\\",
            "",
        ]
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PYTHONISH.map("\n".join), st.text(max_size=60)), max_size=4))
def test_random_cells_never_crash_and_chunks_compile(sources):
    data = json.dumps(notebook_dict(*[code(s) for s in sources])).encode()
    for keep in ("definitions", "all"):
        gs = extract_from_notebook_bytes(data, "fuzz.ipynb", keep=keep)
        for chunk in gs.chunks:
            compile(chunk.source, "chunk", "exec", dont_inherit=True)
            assert chunk.cell < len(sources)
        assert set(gs.defined.values()) <= {chunk.cell for chunk in gs.chunks}
        assert all("\n" not in problem for problem in gs.problems)


# --------------------------------------------------------------------------------------------
# Staying light


def test_importing_the_module_imports_nothing_heavy():
    script = (
        "import sys, autograder.notebook; "
        "print(sorted(m for m in ('numpy', 'nbformat', 'IPython') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
