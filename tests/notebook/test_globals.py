"""Module-level values that kept functions read: kept when safe and cheap, else said why."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.notebook import MAX_ARRAY_ELEMENTS, extract_from_notebook_bytes


def read(*cells, **kwargs):
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": source}
        for source in cells
    ]
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    return extract_from_notebook_bytes(data.encode(), "nb.ipynb", **kwargs)


def run(gs):
    namespace = {}
    with warnings.catch_warnings():  # "'is' with a literal": the tests' own odd code
        warnings.simplefilter("ignore", SyntaxWarning)
        for chunk in gs.chunks:
            code = compile(chunk.source, f"cell {chunk.cell}", "exec", dont_inherit=True)
            exec(code, namespace)
    return namespace


def unrun(gs, function):
    return {name: (cell, reason) for name, cell, reason in gs.unrun_globals.get(function, [])}


# --------------------------------------------------------------------------------------------
# Kept: constants a function needs


def test_the_constant_a_graded_function_needs_is_kept():
    gs = read(
        "import numpy as np\n",
        "SCALE = np.sqrt(1e-4)\nUNUSED = np.sqrt(2.0)\nX, Y = load_planar_dataset()\n",
        "def initialize_parameters(n_x, n_h, n_y):\n"
        "    np.random.seed(2)\n"
        "    W1 = np.random.randn(n_h, n_x) * SCALE\n"
        "    return {'W1': W1, 'b1': np.zeros((n_h, 1))}\n",
    )
    assert gs.defined["SCALE"] == 1 and "UNUSED" not in gs.defined and "X" not in gs.defined
    assert gs.unrun_globals == {}
    parameters = run(gs)["initialize_parameters"](2, 4, 1)
    np.random.seed(2)
    assert np.allclose(parameters["W1"], np.random.randn(4, 2) * 0.01)
    # The cell's line numbers stay: SCALE is on line 1 of cell 1, the rest is blank.
    assert gs.chunks[1].source == "SCALE = np.sqrt(1e-4)\n"


@pytest.mark.parametrize(
    "imports, value",
    [
        ("import numpy as np", "np.sqrt(2.0) * np.pi"),
        ("import numpy", "numpy.sqrt(2.0) * numpy.e"),
        ("import numpy as npy", "npy.exp(npy.log(3.0))"),
        ("from numpy import sqrt, pi as PI", "sqrt(2.0) * PI"),
        ("from numpy import float64", "float64(0.5) + 1"),
        ("import math", "math.sqrt(4) + math.pi"),
        ("from math import sqrt, e", "sqrt(e)"),
        ("import numpy as np", "np.array([[1, 2], [3, 4]]).T @ np.ones((2, 3))"),
        ("import numpy as np", "np.zeros((4, 2)) + np.arange(2)"),
        ("import numpy as np", "np.linspace(0, 1, 11).reshape(11, 1).shape"),
        ("import numpy as np", "np.eye(3)[0] * np.int64(2)"),
        ("import numpy as np", "(np.e > 2, -np.inf, abs(-3), max(1, 2), int(2.7))"),
    ],
)
def test_numpy_and_math_aliases_and_allowed_calls(imports, value):
    gs = read(f"{imports}\nVALUE = {value}\ndef f():\n    return VALUE\n")
    assert "VALUE" in gs.defined, gs.unrun_globals
    expected = {}
    exec(f"{imports}\nVALUE = {value}\n", expected)
    got = run(gs)["f"]()
    assert np.array_equal(np.asarray(got), np.asarray(expected["VALUE"]))


def test_a_chain_of_constants_is_kept_in_order():
    gs = read(
        "import numpy as np\nN_X = 2\nA = np.float64(N_X)\n",
        "B = np.sqrt(A)\nC = B * 2\nD = np.zeros((N_X, 3)) + C\n",
        "def f():\n    return D\n",
    )
    assert {"A", "B", "C", "D"} <= set(gs.defined)
    assert np.allclose(run(gs)["f"](), np.full((2, 3), 2 * np.sqrt(2)))


def test_constants_used_when_a_function_is_defined_are_kept():
    gs = read(
        "import numpy as np\nLR = np.float64(1.2)\nSIZES = tuple(np.arange(3).shape)\n"
        "def update(p, g, learning_rate=LR, sizes=SIZES):\n    return p - learning_rate * g\n"
    )
    assert run(gs)["update"](1.0, 1.0) == pytest.approx(-0.2)
    assert gs.unrun_globals == {}


def test_a_class_and_a_lambda_count_as_kept_functions():
    gs = read(
        "import numpy as np\nALPHA = np.float64(0.01)\nBETA = load()\n"
        "leaky = lambda z: np.maximum(ALPHA * z, z) + BETA\n"
        "class Net:\n    def act(self, z):\n        return np.tanh(z) * ALPHA + BETA\n"
    )
    assert "ALPHA" in gs.defined
    assert set(gs.unrun_globals) == {"leaky", "Net"}
    assert unrun(gs, "Net")["BETA"][1].startswith("its value calls load()")


# --------------------------------------------------------------------------------------------
# Not kept, and why


@pytest.mark.parametrize(
    "statement, reason",
    [
        ("X, Y = load_planar_dataset()", "its value calls load_planar_dataset(), which is not"),
        ("X = np.random.randn(2, 3)", "which draws random numbers"),
        ("X = np.random.default_rng(0).normal()", "which draws random numbers"),
        ("X = np.loadtxt('data.csv')", "which reads a file"),
        ("X = open('data.csv').read()", "which is not run while grading"),
        ("X = helper()", "a function of the notebook"),
        ("X = np.zeros((2000, 1000))", "an array of 2000000 elements, over the 1000000"),
        ("X = np.arange(10 ** 9)", "too large"),
        ("X = 10 ** 10 ** 10", "too large"),
        ("X = 'ab' * 10 ** 12", "too long"),
        ("X = 1 // 0", "divides by zero"),
        ("import math\nX = math.sqrt(-1)", "would raise an error"),
        ("N = int(np.sqrt(16.0))\nX = np.zeros(N)", "not known before running"),
        ("X = [i for i in range(10)]", "is not a simple constant"),
        ("X = np.zeros((2, 3)) + np.ones((4, 5))", "do not broadcast"),
        ("for X in range(3):\n    pass", "it is set by a for loop"),
        ("if True:\n    X = 1", "it is set by an if statement"),
        ("X = 1\nX += 1", "it is set by an augmented assignment"),
        ("with open('f') as X:\n    pass", "it is set by a with statement"),
        ("X = %time compute()", "comes from the IPython magic %time"),
        ("X = !ls", "comes from the shell command !ls"),
        ("X = np.sqrt(Z)", "its value uses Z, which is not defined before it"),
        ("Z = load()\nX = np.sqrt(Z)", "its value uses Z, which is not run while grading"),
    ],
)
def test_a_global_that_is_not_run_is_reported_with_its_reason(statement, reason):
    gs = read(
        "import numpy as np\ndef helper():\n    return 1\n",
        statement + "\n",
        "def f():\n    return X\n",
    )
    cell, why = unrun(gs, "f")["X"]
    assert cell == 1 and reason in why, why
    assert "\n" not in why and len(why) < 160
    assert "X" not in run(gs) or reason == "it is set by an augmented assignment"


def test_the_last_assignment_is_the_one_that_counts():
    stale = read("SCALE = 0.01\nSCALE = load()\ndef f():\n    return SCALE\n")
    assert unrun(stale, "f") == {
        "SCALE": (0, "its value calls load(), which is not run while grading")
    }
    fresh = read("import numpy as np\nSCALE = load()\nSCALE = np.sqrt(4.0)\n"
                 "def f():\n    return SCALE\n")
    assert fresh.unrun_globals == {} and run(fresh)["f"]() == 2.0


def test_a_name_assigned_only_after_a_definition_that_needs_it():
    gs = read("def f(s=SCALE):\n    return s\n", "SCALE = 2\n")
    assert unrun(gs, "f") == {
        "SCALE": (1, "it is assigned only later in the notebook, after the definition that "
                     "needs it")
    }


def test_the_elements_of_all_kept_arrays_are_bounded():
    n = MAX_ARRAY_ELEMENTS // 2
    cell = "import numpy as np\n" + "".join(f"A{i} = np.zeros({n})\n" for i in range(20))
    reads = " + ".join(f"A{i}.sum()" for i in range(20))
    gs = read(cell, f"def f():\n    return {reads}\n")
    kept = [name for name in gs.defined if name.startswith("A")]
    assert 0 < len(kept) <= 8
    assert all("too large" in reason for _, _, reason in gs.unrun_globals["f"])
    assert run(gs)  # the kept ones are made


def test_nothing_unsafe_ever_runs(monkeypatch):
    """Tripwires on what must never run at top level: random numbers, files, user code (also
    the hidden kind: hashing, comparing or formatting the notebook's own objects)."""
    calls = []
    for name in ("randn", "rand", "seed", "normal"):
        monkeypatch.setattr(np.random, name, lambda *a, _n=name, **k: calls.append(_n))
    monkeypatch.setattr(np, "loadtxt", lambda *a, **k: calls.append("loadtxt"))
    gs = read(
        "import numpy as np\nimport os\n"
        "def boom():\n    raise AssertionError('user code ran')\n"
        "class Meta(type):\n"
        "    def __hash__(cls):\n        raise AssertionError('user code ran')\n"
        "    def __eq__(cls, other):\n        raise AssertionError('user code ran')\n"
        "    __lt__ = __gt__ = __eq__\n"
        "    def __format__(cls, spec):\n        raise AssertionError('user code ran')\n"
        "class Boom(metaclass=Meta):\n    pass\n",
        "A = np.random.randn(3)\nB = np.loadtxt('x')\nC = boom()\nD = os.system('true')\n"
        "E = np.random.normal(size=3)\nF = boom\nG = [boom(), 1][1]\nH = np.sqrt(boom())\n"
        "I = {Boom: np.sqrt(2.0)}\nJ = max([Boom, Boom, np.e])\nK = (Boom == 1, np.pi)\n"
        "L = f'{Boom}' + str(np.pi)\nM = np.array([Boom])\nN = {np.e, Boom}\n",
        "def f():\n    return A, B, C, D, E, F, G, H, I, J, K, L, M, N\n",
    )
    namespace = run(gs)
    assert calls == []
    unsafe = set("ABCDEGHIJKLMN")
    assert set(namespace) & unsafe == set() and "F" in namespace
    assert set(unrun(gs, "f")) == unsafe


# --------------------------------------------------------------------------------------------
# A property: whatever the assignments, running the kept chunks is safe and never fails

SAFE = ["1.5", "N", "np.pi", "np.sqrt(2.0)", "np.zeros((N, 2))", "np.ones(3) * 2", "-N",
        "np.array([1, 2, 3])", "(1, 2)", "'text'", "np.arange(4).reshape(2, 2)", "math.e"]
UNSAFE = ["load()", "np.random.randn(2)", "open('f')", "helper()", "np.zeros(10 ** 9)",
          "undefined_name", "X.shape", "[i for i in range(3)]", "np.zeros(N) @ np.ones(3)"]
OPERATORS = [" + ", " * ", " - ", " / ", ", "]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(SAFE + UNSAFE), st.sampled_from(OPERATORS),
                          st.sampled_from(SAFE + UNSAFE)), min_size=1, max_size=6))
def test_running_the_kept_constants_never_fails_nor_runs_anything_else(values):
    calls = []
    assignments = "".join(f"V{i} = {a}{op}{b}\n" for i, (a, op, b) in enumerate(values))
    reads = ", ".join(f"V{i}" for i in range(len(values)))
    gs = read(
        "import numpy as np\nimport math\nN = 3\n"
        "def helper():\n    raise AssertionError('user code ran')\n",
        assignments,
        f"def f():\n    return {reads}\n",
    )
    namespace = {"load": lambda: calls.append("load"), "open": lambda f: calls.append("open")}
    with np.errstate(all="ignore"):
        for chunk in gs.chunks:
            exec(compile(chunk.source, "chunk", "exec", dont_inherit=True), namespace)
    assert calls == []
    kept = {f"V{i}" for i in range(len(values))} & set(namespace)
    reported = {name for name, _, _ in gs.unrun_globals.get("f", [])}
    assert kept | reported == {f"V{i}" for i in range(len(values))}
    assert not kept & reported
    for name in kept:
        assert _elements(namespace[name]) <= MAX_ARRAY_ELEMENTS


def _elements(value):
    if isinstance(value, np.ndarray):
        return value.size
    if isinstance(value, (tuple, list)):
        return sum(_elements(item) for item in value)
    return 1


# --------------------------------------------------------------------------------------------
# What the grader uses to recognise a notebook's version


def test_signatures_are_those_of_the_last_kept_definitions():
    gs = read(
        "def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):\n    pass\n",
        "def odd(a, /, b, *args, c, d=1, **kwargs):\n    pass\n"
        "def relu(z):\n    pass\nrelu = abs\n"
        "def nn_model(X, Y, n_h):\n    pass\n",
        "def broken(:\n    pass\n",
    )
    assert gs.signatures == {
        "nn_model": ["X", "Y", "n_h"],
        "odd": ["a", "b", "*args", "c", "d", "**kwargs"],
    }


def test_imported_modules_anywhere_in_the_notebook():
    gs = read(
        "import numpy as np, matplotlib.pyplot as plt\nfrom planar_utils import plot\n",
        "from . import local\nif False:\n    import scipy.special\n",
        "def f():\n    from testCases_v2 import check\n    import sklearn.linear_model\n",
        "%%time\nimport pandas\n",
        "import broken_module\ndef g(:\n    pass\n",
        "%%bash\nimport not_python\n",
    )
    assert gs.imported_modules == {
        "numpy", "matplotlib", "planar_utils", "scipy", "testCases_v2", "sklearn", "pandas",
        "broken_module",
    }


def test_graded_function_markers():
    gs = read(
        "# GRADED FUNCTION: layer_sizes\ndef layer_sizes(X, Y):\n    pass\n",
        "#GRADED FUNCTION:initialize_parameters\n",
        "    # graded function: nn_model  \n# GRADED FUNCTION predict\n",
        "x = '# GRADED FUNCTION: not_a_marker'\n",
        "def broken(:\n# GRADED FUNCTION: forward_propagation\n",
    )
    assert gs.markers == {
        "layer_sizes", "initialize_parameters", "nn_model", "forward_propagation",
    }


# Expressions made of the notebook's own objects (whose every special method is a tripwire),
# numbers, text, literals, modules and operators: whatever is kept must run, and run none of it.
ATOMS = ["1", "2.5", "'ab'", "'%x'", "'%5.2f%%'", "b'x'", "None", "N", "T", "S", "np.pi",
         "math.e", "Boom", "boom", "Boom.attr", "(1, Boom)", "[N, 2]", "{N: S}", "{Boom: 1}",
         "{1, Boom}", "lambda: Boom", "np", "-N", "not Boom", "f'{N}'", "f'{Boom}'",
         "f'{S!r:>3}'"]
BINARY = [" + ", " * ", " - ", " / ", " // ", " % ", " ** ", " == ", " < ", " and ", " or ",
          " if N else ", ", ", " is ", " != "]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(ATOMS), st.sampled_from(BINARY),
                          st.sampled_from(ATOMS)), min_size=1, max_size=6))
def test_kept_top_level_values_never_run_the_notebooks_code_nor_fail(values):
    assignments = "".join(f"V{i} = {a}{op}{b}\n" for i, (a, op, b) in enumerate(values))
    gs = read(
        "import numpy as np\nimport math\nN = 3\nT = (1, 2)\nS = 'text'\n"
        "def boom(*args, **kwargs):\n    raise AssertionError('user code ran')\n"
        "class Meta(type):\n"
        "    __add__ = __radd__ = __mul__ = __rmul__ = __sub__ = __rsub__ = boom\n"
        "    __truediv__ = __rtruediv__ = __floordiv__ = __mod__ = __rmod__ = __pow__ = boom\n"
        "    __eq__ = __ne__ = __lt__ = __gt__ = __hash__ = __bool__ = __format__ = boom\n"
        "    __repr__ = __str__ = __neg__ = __getattr__ = boom\n"
        "class Boom(metaclass=Meta):\n    pass\n",
        assignments,
    )
    with np.errstate(all="ignore"):
        namespace = run(gs)  # raises if a kept value fails or runs boom
    assert {"N", "T", "S", "Boom"} <= set(namespace)
