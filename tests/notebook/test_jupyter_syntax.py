"""Cells are read as Jupyter reads them: a differential test against IPython's own transformer.

Whatever IPython's ``TransformerManager().transform_cell`` turns into valid Python, the reader
must accept too, and the functions and classes it keeps must be the same (their ASTs compared,
with IPython's get_ipython() calls, which the reader drops, made into ``pass`` or ``None``).
IPython is only the oracle here: ``autograder.notebook`` never imports it.
"""

import ast
import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from autograder import notebook
from autograder.notebook import extract_from_notebook_bytes

inputtransformer2 = pytest.importorskip(
    "IPython.core.inputtransformer2", reason="IPython is the oracle of these tests"
)
TRANSFORMER = inputtransformer2.TransformerManager()
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# --------------------------------------------------------------------------------------------
# The oracle and the reader, side by side


def _calls_get_ipython(node):
    """Whether ``node`` is a call chain that starts with get_ipython()."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "get_ipython"
        ):
            return True
    return False


class _DropIPython(ast.NodeTransformer):
    """What the reader does with IPython's commands: a statement becomes ``pass``, a value
    ``None``."""

    def visit_Expr(self, node):
        if _calls_get_ipython(node.value):
            return ast.copy_location(ast.Pass(), node)
        return self.generic_visit(node)

    def visit_Call(self, node):
        if _calls_get_ipython(node):
            return ast.copy_location(ast.Constant(None), node)
        return self.generic_visit(node)


def _compiled(source):
    """The module AST of ``source`` if Jupyter could run it, else None."""
    try:
        with warnings.catch_warnings():  # "'str' object is not callable": not our business
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
            compile(tree, "<cell>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree


def ipython_definitions(cell, depth=0):
    """The dumps of the top-level definitions Jupyter makes from ``cell``, None if it fails.

    A %%time or %%capture cell runs its body, itself transformed: that is what counts.
    """
    try:
        tree = _compiled(TRANSFORMER.transform_cell(cell))
    except Exception:  # IPython itself gives up (IndentationError, RuntimeError...)
        return None
    if tree is None:
        return None
    if (
        len(tree.body) == 1
        and isinstance(tree.body[0], ast.Expr)
        and isinstance(tree.body[0].value, ast.Call)
        and isinstance(tree.body[0].value.func, ast.Attribute)
        and tree.body[0].value.func.attr == "run_cell_magic"
        and _calls_get_ipython(tree.body[0].value)
    ):
        name, _, body = (arg.value for arg in tree.body[0].value.args)
        if name in ("time", "capture") and depth < 5:
            return ipython_definitions(body, depth + 1)
        return []
    tree = _DropIPython().visit(tree)
    return [ast.dump(stmt) for stmt in tree.body if isinstance(stmt, DEFINITIONS)]


def notebook_bytes(*sources):
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": source}
        for source in sources
    ]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def read_cell(cell):
    """The reader's result for a notebook made of this one cell."""
    return extract_from_notebook_bytes(notebook_bytes(cell).encode(), "cell.ipynb")


def reader_definitions(gs):
    """The dumps of the definitions in the reader's chunks (which must compile)."""
    found = []
    for chunk in gs.chunks:
        tree = ast.parse(chunk.source)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, "<chunk>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        found += [ast.dump(stmt) for stmt in tree.body if isinstance(stmt, DEFINITIONS)]
    return found


def assert_read_as_jupyter(cell):
    """The property: where Jupyter runs the cell, the reader keeps the same definitions.

    Returns whether Jupyter runs it (else only "no crash, chunks compile" was checked).
    """
    expected = ipython_definitions(cell)
    gs = read_cell(cell)
    assert all("\n" not in problem for problem in gs.problems)
    got = None if gs.unparsed else reader_definitions(gs)
    if expected is None:
        return False
    assert not gs.unparsed, (cell, TRANSFORMER.transform_cell(cell), gs.unparsed)
    assert got == expected, (cell, TRANSFORMER.transform_cell(cell), gs.chunks)
    return True


# --------------------------------------------------------------------------------------------
# Hand-written cells: every transformation IPython makes


CELLS = [
    # leading blank lines and common indentation (a cell that starts with a space works)
    " def nn_model(X, Y):\n     return X\n",
    "\n\n   def f():\n       return 1\n",
    "\t\tdef f():\n\t\t\treturn 1\n",
    "    def f():\n        '''a\n        \n        b'''\n        return 1\n",
    "def f():\n    '''doc\n    \n    '''\n    return 1\n",
    "  x = 1\n\n  def f():\n      return x\n",
    # classic and IPython prompts
    ">>> def f():\n...     return 1\n",
    ">>> x = 1\n>>> def g(y):\n...     return y + x\n",
    "   >>> def f():\n   ...     return 1\n",
    "def f():\n    '''\n    >>> f()\n    1\n    '''\n    return 1\n",
    'x = """\n>>> not a prompt\n"""\ndef f(): return x\n',
    "In [1]: def f():\n   ...:     return 2\n",
    "In [12]: x = 3\n",
    "def f():\n   ...:     return 2\n",
    # cell magics: Python bodies kept, others dropped
    "%%time\ndef f():\n    return 3\n",
    "%%capture out\n%%time\ndef f():\n    return 4\n",
    "%%time\n    def f():\n        return 5\n",
    "%%bash\nls\ndef f(): pass\n",
    "%%writefile helper.py\ndef helper():\n    return 1\n",
    "%%time?\ndef f(): pass\n",
    "\n%%time\ndef f(): return 6\n",
    # line magics and shell escapes, anywhere they are valid
    "%matplotlib inline\ndef f():\n    return 1\n",
    "def f(x):\n    %time y = x\n    !echo one\n    !!ls\n    return x\n",
    "def f():\n    x = %time g()\n    files = !ls\n    return x, files\n",
    "def f():\n    a, b = %time g()\n    c =  !ls -la\n    d= !ls\n    return a\n",
    "def f():\n    x = \\\n        %time g()\n    y = \\\n        !ls\n    return x, y\n",
    "def f():\n    !echo \\\n      two\n    return 1\n",
    "x = !ls\ndef f(): return x\n",
    "def f():\n    %timeit g(\n    return 1\n",
    "def f(a, b):\n    %time total = (a * a +\n                   b * b)\n    return 1\n",
    "\\\n%time f()\ndef g(): pass\n",
    "\\\n  !ls\ndef g(): pass\n",
    "x = (1,\n% 2)\ndef f(): pass\n",
    "def f():\n    return (a\n            % 7)\n",
    "def f():\n    return (a\n            != b)\n",
    "def f():\n    x %= 2\n    return x\n",
    # help
    "np.sqrt?\ndef f(): pass\n",
    "def f():\n    x?\n    ??y\n    obj.attr[0]??\n    return 1\n",
    "??\ndef f():\n    x?\n    return 1\n",
    "def f():\n  return 1\n?\ndef g():\n    x?\n",
    "x? \ndef f():\n    y?\n    return 1\n",
    "f(x?\ndef g(): pass\n",
    "%time?\ndef f(): pass\n",
    "def f():\n    return x?\n",
    # automatic calls with , ; /
    "def f():\n    /print 1 2\n    ,print a b\n    ;print a b\n    return 1\n",
    "/ x\n%time f()\ndef g(): pass\n",
    "def f():\n    /f(x, y\n)\n",
    # strings, comments and continuations that only look like IPython syntax
    "def f():\n    '''doc\n    %not magic\n    !nor this\n    '''\n    return 1\n",
    "def f():\n    s = 'abc\\\n%time'\n    return s\n",
    "def f():\n    # %time\n    return '!ls'  # x?\n",
    "def f():\n    a = 1 if True else \\\n        2\n    return a\n",
    "    r'''raw\n    ''' + x?\n",
    "t = 'a\\\ndef m(self):\nreturn x?\n",
    "x?x'''x?",
    "time ?time '''return?",
    "x = 1 \\\n\n",
    "\\\n ",
    "'pass(]']]pass(pass?\n  ",
    "async def f():\n    await g()\n    %time h()\n",
    "await something()\ndef f(): pass\n",
    "def f():\n    if x: %time g()\n    return 1\n",
    "class A:\n    %time x = 1\n    def m(self):\n        !ls\n        return 2\n",
]


@pytest.mark.parametrize("cell", CELLS)
def test_hand_written_cells_are_read_as_jupyter_reads_them(cell):
    assert_read_as_jupyter(cell)


def test_the_hand_written_cells_are_not_vacuous():
    runnable = [cell for cell in CELLS if ipython_definitions(cell)]
    assert len(runnable) >= 40


# --------------------------------------------------------------------------------------------
# Generated cells


LINES = [
    "def f(x):", "def g(a, b=2):", "class A:", "    def m(self):", "    return x", "    return 1",
    "        return 2", "    pass", "        pass", "pass", "x = 1", "y = (1,", "     2)", "z = [",
    "]", "    w = {", "    }", "%time f()", "    %time y = x", "    %timeit g(", "!ls",
    "    !echo hi", "    !!ls", "files = !ls", "    files = !ls -la", "    x = %time g()",
    "x = %time f()", "t = % time", "np.sqrt?", "    x?", "    x??", "?x", "    ?x", "??", "?",
    "    /print 1 2", "    ,print a b", "    ;print a b", "/f", "/ f", "    /", "%%time",
    "%%capture out", "%%bash", ">>> x = 1", "... y = 2", ">>> def h():", "...     return 3",
    "In [1]: x = 1", "   ...: y = 2", "    s = '''doc", "    %not a magic", "    '''", '    """',
    "    t = 'a\\", "b'", '    u = "c\\', "\\", "    x = 1 \\", "        + 2", "# comment",
    "    # comment ?", "", "   ", "\t", "\tpass", "@decorator", "async def a():", "    await x",
    "    v = f'{x}'", "    v = f'{x!r:>10}'", "x =!ls", "a, b = %time g()", "    a[0] = %time g()",
    "    (a,", "     b) = %time g()", "    if x: %time g()", "    x = 1; %time g()",
    "    return x?", "lambda: x?", "    x = y = !ls", "    %%time", "  %time x", "%time x \\",
    "    y", "x = \\", "  %time g()", "    raise ValueError(", "    )", "    r'''raw",
    "    ''' + x?", "  '''", "def k(): return '%s' % x", "    return (a", "            % b)",
]


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.sampled_from(LINES), min_size=1, max_size=10),
    st.sampled_from(["", " ", "    ", "\t"]),
    st.sampled_from(["", "\n", "\n  \n"]),
)
def test_generated_cells_of_lines_are_read_as_jupyter_reads_them(lines, indent, before):
    cell = before + "\n".join(indent + line if line else line for line in lines) + "\n"
    event("IPython runs it" if assert_read_as_jupyter(cell) else "IPython cannot run it")


PIECES = [
    "x", "y", " ", " ", "=", "%", "!", "?", "??", "(", ")", "[", "]", "'", '"', "'''", '"""', "\\",
    "#", ",", ";", "/", "1", ".", "time", "pass", "def f():", "return", "\n", "\n", "\n    ",
    "\n  ", "\n\t", ":", "r'", "b'", "f'{x}'", "'a'", "==", "!=", "%=", "//", "\\\n", ">>> ",
    "... ", "%%time\n", "In [1]: ", "lambda: ",
]


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25))
def test_generated_cells_of_tokens_are_read_as_jupyter_reads_them(pieces):
    runs = assert_read_as_jupyter("".join(pieces))
    event("IPython runs it" if runs else "IPython cannot run it")


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=8))
def test_generated_cells_run_by_ipython_are_accepted(lines):
    """The same property, only on cells IPython runs (so that it is never vacuous)."""
    cell = "\n".join(lines) + "\n"
    assume(ipython_definitions(cell) is not None)
    assert assert_read_as_jupyter(cell)


# --------------------------------------------------------------------------------------------
# The help regular expression, in linear time


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab_1*.%[]-?é٣ \n(", max_size=30))
def test_help_targets_are_those_of_ipythons_regular_expression(content):
    match = inputtransformer2._help_end_re.search(content)
    assert notebook._help_target(content) == (match.group(1) if match else None)


def test_help_target_of_a_long_word_is_found_in_linear_time():
    # IPython's search backtracks over every start in the word: quadratic. Here: one pass.
    content = "a" * 200_000 + "!?\n"
    assert notebook._help_target(content) is None
    assert notebook._help_target("x." + "a" * 200_000 + "?\n") == "x." + "a" * 200_000


# --------------------------------------------------------------------------------------------
# What the reader does with the commands it drops


def test_line_numbers_are_those_of_the_cell():
    cell = (
        "\n"
        "   %matplotlib inline\n"
        "   !pip install \\\n"
        "       numpy\n"
        "   def f():\n"
        "       x = %time g()\n"
        "       return x\n"
    )
    gs = read_cell(cell)
    assert gs.problems == []
    lines = gs.chunks[0].source.splitlines()
    assert lines[4] == "def f():"  # the cell's own line 5
    assert lines[5] == "    x = None"
    assert "pip" not in gs.chunks[0].source and "numpy" not in gs.chunks[0].source


def test_a_value_from_a_magic_is_not_kept_and_says_why():
    gs = read_cell(
        "import numpy as np\n"
        "W = %time np.zeros(3)\n"
        "files = !ls\n"
        "def f():\n"
        "    return W, files\n"
    )
    assert set(gs.defined) == {"np", "f"}
    assert gs.unrun_globals["f"] == [
        ("W", 0, "its value comes from the IPython magic %time, which is not run while grading"),
        ("files", 0, "its value comes from the shell command !ls, which is not run while grading"),
    ]


def test_a_magic_inside_a_function_becomes_pass_and_the_function_still_runs():
    gs = read_cell("def f(x):\n    %time y = x\n    !echo hi\n    return 2 * x\n")
    namespace = {}
    exec(gs.chunks[0].source, namespace)
    assert namespace["f"](4) == 8
    assert "    pass\n    pass\n" in gs.chunks[0].source


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("def f(a, b):\n    %time total = (a +\n                   b)\n", "unexpected indent"),
        ("if x:\n        y = 1\n    %time z\n", "unindent does not match"),
    ],
)
def test_what_jupyter_refuses_is_refused(cell, reason):
    assert ipython_definitions(cell) is None
    gs = read_cell(cell)
    assert reason in gs.unparsed[0]
    assert re.fullmatch(r"cell 0 could not be parsed: .+ \(line \d+\)", gs.problems[0])


# --------------------------------------------------------------------------------------------
# Real notebooks: the learner corpus, the course's solutions and released assignments

ROOT = Path(__file__).resolve().parents[2]
REAL_NOTEBOOKS = sorted(
    [*ROOT.glob("tests/data/learners/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb"),
     *ROOT.glob("assignments/*/*.ipynb")]
)


def test_every_cell_of_the_real_notebooks_is_read_as_jupyter_reads_it():
    if not REAL_NOTEBOOKS:
        pytest.skip("no learner corpus or course notebooks in this checkout")
    cells = 0
    for path in REAL_NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                source = cell["source"]
                source = "".join(source) if isinstance(source, list) else source
                assert assert_read_as_jupyter(source), (path.name, source)
                cells += 1
        gs = notebook.read_submission(path)
        assert gs.problems == [] and gs.unparsed == {}, path.name
    assert cells >= 300
