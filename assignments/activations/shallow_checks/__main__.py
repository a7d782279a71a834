"""``python -m shallow_checks NOTEBOOK``: the visible checks of every exercise, in a terminal.

Reads the notebook's definitions only (imports, functions, classes, constants: no training loop
or plot runs), defines them here, and checks each function and review answer this folder
knows. Exit status 1 when a check fails.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap

from . import _data, check, check_answer

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _literal(node):
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def definitions(path):
    """[(cell, code)]: the imports, functions, classes and constant assignments of each code
    cell (IPython's magics and shell escapes left out; training runs and plots never run)."""
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    out = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(textwrap.dedent(source))
        except SyntaxError:
            lines = [line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse(textwrap.dedent("\n".join(lines)))
            except SyntaxError as exc:
                print(f"  ! cell {index} could not be parsed: {exc.msg} (line {exc.lineno})")
                continue
        kept = [s for s in tree.body if isinstance(s, KEPT) or (
            isinstance(s, ast.Assign) and _literal(s.value))]
        if kept:
            out.append((index, compile(ast.Module(kept, []), f"<cell {index}>", "exec")))
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m shallow_checks NOTEBOOK.ipynb", file=sys.stderr)
        return 2
    try:
        chunks = definitions(argv[0])
    except (OSError, ValueError) as exc:
        print(f"{argv[0]}: cannot be read ({exc})", file=sys.stderr)
        return 2
    namespace = {"__name__": "__main__"}
    for cell, code in chunks:
        try:
            exec(code, namespace)
        except Exception as exc:  # noqa: BLE001 - the student's own cell
            print(f"  ! cell {cell}: {type(exc).__name__}: {exc}")
    failed = 0
    total = 0
    for name in _data()["exercises"]:
        total += 1
        if name not in namespace:
            print(f"{name}: not found in the notebook")
            failed += 1
            continue
        try:
            check(name, namespace[name])
        except AssertionError as exc:
            print(exc)
            failed += 1
    for question in _data()["questions"]:
        variable = question["variable"]
        total += 1
        try:
            check_answer(variable, namespace.get(variable))
        except AssertionError as exc:
            print(exc)
            failed += 1
    print(f"{total - failed} of {total} checks pass. Hidden cases with other shapes decide the "
          f"grade.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
