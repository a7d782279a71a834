"""Check the learner corpus against its verdicts and the reference.

    /work/main/.venv/bin/python tests/data/learners/check_corpus.py [NOTEBOOK ...]

For every entry of ``verdicts.yaml`` this script

1. loads the notebook with ``nbformat.read(path, 4)`` and ``nbformat.validate``;
2. recognises the course version from its markers (``from public_tests import *`` and
   ``# YOUR CODE STARTS HERE`` for course-2021; ``### START CODE HERE ###`` with ``testCases`` /
   ``testCases_v2`` and no ``public_tests`` for course-2018) and compares it with the entry;
3. extracts the code cells into a temporary ``.py`` the way Jupyter would run them (IPython's
   leading-indent removal; ``%magic`` and ``!shell`` lines dropped, ``%%time``/``%%capture`` bodies
   kept) and keeps only what *defines* things (imports, functions, classes, assignments of simple
   values such as ``SCALE = np.sqrt(1e-4)``), so test-call cells, training loops and plots do not
   run; the last definition of a name wins, as when the cells ran in order;
4. checks that the graded functions the notebook defines are exactly those of the entry;
5. calls each graded function on seeded inputs, with the *other* graded functions replaced by the
   reference (``shallow_ref``, adapted to the version: ``np.random.seed(2)`` inside
   ``initialize_parameters`` and a three-argument ``compute_cost`` for course-2018), and compares
   type, shape and values with the reference, plus what the version requires (inputs left
   unmodified, the generator left where the reference leaves it, ``nn_model`` seeding itself,
   the ``learning_rate`` keyword, the ``Cost after iteration i: %f`` lines).

A function the verdicts call ``correct`` must match; a function called ``wrong`` must differ.
It prints one line per notebook and function, then a summary; the exit status is 1 when any
verdict is contradicted or any notebook fails to load.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib.util
import io
import os
import re
import shutil
import sys
import tempfile
import textwrap
import traceback

import nbformat
import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, ROOT)

import shallow_ref as ref  # noqa: E402

GRADED = ("layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
          "backward_propagation", "update_parameters", "nn_model", "predict")
PYTHON_CELL_MAGICS = ("time", "capture")

# ---------------------------------------------------------------------------------------------
# Stub course modules (only what the definitions need at import time)
# ---------------------------------------------------------------------------------------------

STUBS = {
    "planar_utils.py": '''
import numpy as np

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def load_planar_dataset():
    from shallow_ref.datasets import load_planar_dataset as _load
    return _load()

def plot_decision_boundary(model, X, y):
    return None

def load_extra_datasets():
    return None
''',
    "testCases_v2.py": "\n".join(
        f"def {n}(*args, **kwargs):\n    return None\n" for n in (
            "layer_sizes_test_case", "initialize_parameters_test_case",
            "forward_propagation_test_case", "compute_cost_test_case",
            "backward_propagation_test_case", "update_parameters_test_case",
            "nn_model_test_case", "predict_test_case")),
    "public_tests.py": "\n".join(f"def {n}_test(target):\n    return None\n" for n in GRADED),
    "test_utils.py": "def single_test(*a, **k):\n    return None\n\n"
                     "def multiple_test(*a, **k):\n    return None\n",
    "sklearn/__init__.py": "",
    "sklearn/datasets.py": "",
    "sklearn/linear_model.py": "class LogisticRegressionCV:\n    pass\n",
    "matplotlib/__init__.py": "",
    "matplotlib/pyplot.py": "def __getattr__(name):\n    return lambda *a, **k: None\n",
}
STUBS["testCases.py"] = STUBS["testCases_v2.py"]


def make_stub_dir():
    d = tempfile.mkdtemp(prefix="learners_stubs_")
    for rel, src in STUBS.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(src)
    return d


# ---------------------------------------------------------------------------------------------
# Reading a notebook like Jupyter would run it, definitions only
# ---------------------------------------------------------------------------------------------


def ipython_to_python(source):
    """IPython's input transforms that matter here. Returns python source, or None to skip."""
    lines = source.split("\n")
    m = re.match(r"^[ \t]+", lines[0]) if lines else None
    if m:  # IPython's leading_indent: the first line's indentation is removed from every line
        space = m.group(0)
        lines = [ln[len(space):] if ln.startswith(space) else ln for ln in lines]
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split()[0] if lines[0][2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return None  # %%writefile, %%bash, ...: the body is not Python run in the kernel
        lines = [""] + lines[1:]
    out = []
    for ln in lines:
        stripped = ln.lstrip()
        indent = ln[: len(ln) - len(stripped)]
        if stripped.startswith(("%", "!")):
            out.append(indent + "pass")
        else:
            out.append(ln)
    return "\n".join(out)


def _simple_value(node):
    """A value a definitions-only reader keeps: literals, names, arithmetic, np./math. calls."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple_value(node.value)
    if isinstance(node, ast.UnaryOp):
        return _simple_value(node.operand)
    if isinstance(node, ast.BinOp):
        return _simple_value(node.left) and _simple_value(node.right)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_simple_value(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _simple_value(k) for k in node.keys) and all(
            _simple_value(v) for v in node.values)
    if isinstance(node, ast.Call):
        f = node.func
        root = f
        while isinstance(root, ast.Attribute):
            root = root.value
        return (isinstance(f, ast.Attribute) and isinstance(root, ast.Name)
                and root.id in ("np", "numpy", "math")
                and all(_simple_value(a) for a in node.args)
                and all(_simple_value(k.value) for k in node.keywords))
    return False


def definitions_source(nb):
    """The notebook's definitions as one Python module source (cell by cell, in order)."""
    chunks = []
    problems = []
    for idx, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        py = ipython_to_python(cell.source)
        if py is None:
            continue
        try:
            tree = ast.parse(py)
        except SyntaxError as e:
            problems.append(f"cell {idx}: syntax error: {e.msg}")
            continue
        lines = py.split("\n")
        for stmt in tree.body:
            start = stmt.lineno
            if getattr(stmt, "decorator_list", None):
                start = min(d.lineno for d in stmt.decorator_list)
            seg = "\n".join(lines[start - 1: stmt.end_lineno])
            body = textwrap.indent(seg, "    ")
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                chunks.append(f"# cell {idx}\ntry:\n{body}\nexcept ImportError:\n    pass")
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                chunks.append(f"# cell {idx}\n{seg}")
            elif (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None
                  and _simple_value(stmt.value)):
                chunks.append(f"# cell {idx}\ntry:\n{body}\nexcept Exception:\n    pass")
    return "\n\n".join(chunks) + "\n", problems


def detect_version(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "from public_tests import" in code or "# YOUR CODE STARTS HERE" in code:
        return "course-2021"
    if "### START CODE HERE ###" in code and re.search(r"from testCases(_v2)? import", code):
        return "course-2018"
    return "unknown"


def defined_graded(src):
    tree = ast.parse(src)
    return {s.name for s in tree.body if isinstance(s, ast.FunctionDef) and s.name in GRADED}


class Module:
    """Loads the definitions file afresh for each check (own globals, own stand-ins)."""

    counter = 0

    def __init__(self, path):
        self.path = path

    def load(self):
        Module.counter += 1
        spec = importlib.util.spec_from_file_location(f"_learner_{Module.counter}", self.path)
        mod = importlib.util.module_from_spec(spec)
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(mod)
        return mod


# ---------------------------------------------------------------------------------------------
# The reference, per version
# ---------------------------------------------------------------------------------------------


def init_2018(n_x, n_h, n_y):
    np.random.seed(2)
    return ref.initialize_parameters(n_x, n_h, n_y)


def standins(version):
    def compute_cost(A2, Y, parameters=None):
        return ref.compute_cost(A2, Y)

    def update_parameters(parameters, grads, learning_rate=1.2):
        return ref.update_parameters(parameters, grads, learning_rate)

    return {
        "layer_sizes": lambda X, Y: ref.layer_sizes(X, Y),
        "initialize_parameters": init_2018 if version == "course-2018" else
        (lambda n_x, n_h, n_y: ref.initialize_parameters(n_x, n_h, n_y)),
        "forward_propagation": lambda X, parameters: ref.forward_propagation(X, parameters),
        "compute_cost": compute_cost,
        "backward_propagation": lambda parameters, cache, X, Y: ref.backward_propagation(
            parameters, cache, X, Y),
        "update_parameters": update_parameters,
    }


def ref_nn_model(version, X, Y, n_h, num_iterations):
    """The version's nn_model; returns (parameters, {iteration: cost})."""
    np.random.seed(3)
    n_x, _, n_y = ref.layer_sizes(X, Y)
    if version == "course-2018":
        params = init_2018(n_x, n_h, n_y)
    else:
        params = ref.initialize_parameters(n_x, n_h, n_y)
    costs = {}
    for i in range(num_iterations):
        A2, cache = ref.forward_propagation(X, params)
        if i % 1000 == 0:
            costs[i] = ref.compute_cost(A2, Y)
        grads = ref.backward_propagation(params, cache, X, Y)
        params = ref.update_parameters(params, grads, 1.2)
    return params, costs


# ---------------------------------------------------------------------------------------------
# Checks: each returns None when the function matches the reference, else a reason
# ---------------------------------------------------------------------------------------------


class Differs(Exception):
    pass


def same_array(got, exp, what, rtol=1e-6, atol=1e-9):
    if not isinstance(got, np.ndarray):
        raise Differs(f"{what} is {type(got).__name__}, not ndarray")
    if got.shape != exp.shape:
        raise Differs(f"{what} has shape {got.shape}, expected {exp.shape}")
    if not np.allclose(got, exp, rtol=rtol, atol=atol):
        raise Differs(f"{what} values differ (max abs diff {np.max(np.abs(got - exp)):.3g})")


def same_dict(got, exp, what):
    if not isinstance(got, dict):
        raise Differs(f"{what} is {type(got).__name__}, not dict")
    missing = [k for k in exp if k not in got]
    if missing:
        raise Differs(f"{what} lacks keys {missing}")
    for k in exp:
        same_array(got[k], exp[k], f"{what}[{k!r}]")


def unchanged(before, after, what):
    for k in before:
        if not np.array_equal(before[k], after[k]):
            raise Differs(f"modifies its input {what}[{k!r}]")


def rand_params(rs, n_x, n_h, n_y, scale=0.5):
    return {"W1": rs.randn(n_h, n_x) * scale, "b1": rs.randn(n_h, 1) * scale,
            "W2": rs.randn(n_y, n_h) * scale, "b2": rs.randn(n_y, 1) * scale}


def check_layer_sizes(f, version, mod):
    rs = np.random.RandomState(10)
    for n_x, m, n_y in ((5, 3, 2), (7, 5, 5), (2, 400, 1), (3, 3, 1)):
        X, Y = rs.randn(n_x, m), (rs.randn(n_y, m) > 0)
        out = f(X, Y)
        if not isinstance(out, tuple):
            raise Differs(f"returns {type(out).__name__}, not tuple")
        if tuple(int(v) for v in out) != (n_x, 4, n_y):
            raise Differs(f"layer_sizes(X{X.shape}, Y{Y.shape}) = {out}, expected {(n_x, 4, n_y)}")


def check_initialize_parameters(f, version, mod):
    for (n_x, n_h, n_y), seed in (((2, 4, 1), 2), ((3, 5, 2), 7), ((5, 7, 1), 11)):
        if version == "course-2018":  # the function seeds itself with 2
            np.random.seed(seed + 100)
            out = f(n_x, n_h, n_y)
            after = np.random.rand()
            exp = init_2018(n_x, n_h, n_y)
            exp_after = np.random.rand()
        else:  # the caller seeds
            np.random.seed(seed)
            out = f(n_x, n_h, n_y)
            after = np.random.rand()
            np.random.seed(seed)
            exp = ref.initialize_parameters(n_x, n_h, n_y)
            exp_after = np.random.rand()
        same_dict(out, exp, "parameters")
        if after != exp_after:
            raise Differs("does not leave the random generator where the reference does "
                          "(other draws)")


def check_forward_propagation(f, version, mod):
    rs = np.random.RandomState(20)
    for n_x, n_h, m in ((2, 4, 3), (3, 5, 7), (2, 4, 400)):
        p = rand_params(rs, n_x, n_h, 1)
        X = rs.randn(n_x, m)
        p0, X0 = copy.deepcopy(p), X.copy()
        out = f(X, p)
        eA2, ecache = ref.forward_propagation(X0, p0)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Differs(f"returns {type(out).__name__}, not (A2, cache)")
        same_array(out[0], eA2, "A2")
        same_dict(out[1], ecache, "cache")
        unchanged(p0, p, "parameters")


def check_compute_cost(f, version, mod):
    rs = np.random.RandomState(30)
    for m in (3, 5, 7, 400):
        A2 = rs.uniform(0.02, 0.98, (1, m))
        for Y in ((rs.rand(1, m) > 0.5), (rs.rand(1, m) > 0.5).astype(float)):
            args = (A2.copy(), Y.copy())
            if version == "course-2018":
                args += (rand_params(rs, 2, 4, 1),)
            out = f(*args)
            exp = ref.compute_cost(A2, Y)
            if isinstance(out, np.ndarray) or not isinstance(out, float):
                shape = f" of shape {out.shape}" if isinstance(out, np.ndarray) else ""
                raise Differs(f"returns {type(out).__name__}{shape}, not float")
            if not np.isclose(out, exp, rtol=1e-9, atol=1e-12):
                raise Differs(f"cost {out:.6g}, expected {exp:.6g}")


def check_backward_propagation(f, version, mod):
    rs = np.random.RandomState(40)
    for n_x, n_h, m in ((2, 4, 3), (3, 9, 7), (2, 4, 400)):
        p = rand_params(rs, n_x, n_h, 1)
        X = rs.randn(n_x, m)
        Y = rs.randn(1, m) > 0
        _, cache = ref.forward_propagation(X, p)
        p0, c0 = copy.deepcopy(p), copy.deepcopy(cache)
        out = f(p, cache, X, Y)
        exp = ref.backward_propagation(p0, c0, X, Y)
        same_dict(out, exp, "grads")
        unchanged(p0, p, "parameters")
        unchanged(c0, cache, "cache")


def check_update_parameters(f, version, mod):
    rs = np.random.RandomState(50)
    for n_x, n_h in ((2, 4), (3, 5)):
        p = rand_params(rs, n_x, n_h, 1)
        g = {"d" + k: v for k, v in rand_params(rs, n_x, n_h, 1, 0.1).items()}
        for how, args, kwargs, lr in (
            ("default learning rate", (), {}, 1.2),
            ("positional learning rate", (0.5,), {}, 0.5),
            ("learning_rate= keyword", (), {"learning_rate": 0.05}, 0.05),
        ):
            p0, g0 = copy.deepcopy(p), copy.deepcopy(g)
            try:
                out = f(p, g, *args, **kwargs)
            except TypeError as e:
                raise Differs(f"{how}: TypeError: {e}") from None
            same_dict(out, ref.update_parameters(p0, g0, lr), f"parameters ({how})")
            unchanged(p0, p, "parameters")
            unchanged(g0, g, "grads")


def check_nn_model(f, version, mod):
    rs = np.random.RandomState(60)
    X = rs.randn(2, 20)
    Y = rs.randn(1, 20) > 0
    for n_h, iters, call in (
        (4, 300, lambda: f(X, Y, 4, num_iterations=300, print_cost=False)),
        (3, 200, lambda: f(X, Y, 3, 200)),
    ):
        np.random.seed(99)  # a correct nn_model does not depend on the caller's generator state
        out = call()
        exp, _ = ref_nn_model(version, X, Y, n_h, iters)
        same_dict(out, exp, f"parameters (n_h={n_h}, {iters} iterations)")
    if version == "course-2021":
        exp21 = ref.nn_model(X, Y, 4, num_iterations=300)
        exp_, _ = ref_nn_model(version, X, Y, 4, 300)
        for k in exp21:
            assert np.allclose(exp21[k], exp_[k]), "internal: reference nn_model disagrees"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        out = f(X, Y, 4, num_iterations=1001, print_cost=True)
    _, costs = ref_nn_model(version, X, Y, 4, 1001)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("Cost after iteration")]
    want = [f"Cost after iteration {i}: {c:f}" for i, c in sorted(costs.items())]
    if lines != want:
        raise Differs(f"print_cost lines {lines[:2]} differ from {want}")


def check_predict(f, version, mod):
    rs = np.random.RandomState(70)
    for n_x, n_h, m in ((2, 4, 3), (2, 4, 50), (3, 6, 200)):
        p = rand_params(rs, n_x, n_h, 1, scale=1.5)
        X = rs.randn(n_x, m)
        p0, X0 = copy.deepcopy(p), X.copy()
        out = np.asarray(f(p, X))
        exp = ref.predict(p0, X0)
        if out.shape != exp.shape:
            raise Differs(f"predictions have shape {out.shape}, expected {exp.shape}")
        if not np.all((out == 0) | (out == 1)):
            raise Differs("predictions are not 0/1 (or booleans): probabilities?")
        if not np.array_equal(out.astype(bool), exp):
            raise Differs(f"{int(np.sum(out.astype(bool) != exp))} of {m} predictions differ")
        unchanged(p0, p, "parameters")


CHECKS = {name: globals()["check_" + name] for name in GRADED}


def run_check(module, version, name):
    mod = module.load()
    f = getattr(mod, name)
    for other, fn in standins(version).items():
        if other != name:
            setattr(mod, other, fn)
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            CHECKS[name](f, version, mod)
    except Differs as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - any learner error means "differs"
        tb = traceback.extract_tb(e.__traceback__)
        where = next((fr for fr in reversed(tb) if fr.filename == module.path), None)
        at = f" (line {where.lineno}: {where.line.strip()})" if where else ""
        return f"raises {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}{at}"
    return None


# ---------------------------------------------------------------------------------------------


def main(argv):
    stub_dir = make_stub_dir()
    work = tempfile.mkdtemp(prefix="learners_defs_")
    sys.path.insert(0, stub_dir)
    try:
        return check_all(argv, work)
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def check_all(argv, work):
    with open(os.path.join(HERE, "verdicts.yaml"), encoding="utf-8") as fh:
        entries = yaml.safe_load(fh)
    only = set(argv)
    failures = 0
    counts = {"correct": 0, "wrong": 0}
    rows = 0
    width = max(len(e["notebook"]) for e in entries)
    for entry in entries:
        name = entry["notebook"]
        if only and name not in only:
            continue
        path = os.path.join(HERE, name)
        try:
            nb = nbformat.read(path, 4)
            nbformat.validate(nb)
        except Exception as e:  # noqa: BLE001
            print(f"{name:<{width}}  LOAD ERROR: {type(e).__name__}: {e}")
            failures += 1
            continue
        version = entry["version"]
        detected = detect_version(nb)
        if detected != version:
            print(f"{name:<{width}}  VERSION MISMATCH: verdicts say {version}, "
                  f"markers say {detected}")
            failures += 1
        src, problems = definitions_source(nb)
        for p in problems:
            print(f"{name:<{width}}  note: {p}")
        py = os.path.join(work, os.path.splitext(name)[0] + ".py")
        with open(py, "w", encoding="utf-8") as fh:
            fh.write(src)
        verdicts = entry["functions"]
        defined = defined_graded(src)
        if defined != set(verdicts):
            print(f"{name:<{width}}  FUNCTIONS MISMATCH: defines {sorted(defined)}, "
                  f"verdicts list {sorted(verdicts)}")
            failures += 1
        module = Module(py)
        for fname in GRADED:
            if fname not in verdicts or fname not in defined:
                continue
            v = verdicts[fname]
            expect_ok = v == "correct"
            label = "correct" if expect_ok else f"wrong:{v['wrong']}"
            reason = run_check(module, version, fname)
            ok = (reason is None) == expect_ok
            rows += 1
            counts["correct" if expect_ok else "wrong"] += 1
            status = "OK" if ok else "CONTRADICTED"
            seen = "matches the reference" if reason is None else f"differs: {reason}"
            print(f"{name:<{width}}  {fname:<21} {label:<38} {status:<12} {seen}")
            if not ok:
                failures += 1
    n_nb = len([e for e in entries if not only or e["notebook"] in only])
    print()
    print(f"{n_nb} notebooks, {rows} graded functions checked: {counts['correct']} verdicts "
          f"'correct', {counts['wrong']} verdicts 'wrong'; {failures} problem(s).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
