"""Judging one call: what came back against the expected value -> the case's status, problems
and named mistakes (pure). ``shallow grade``, ``shallow check``, the instructor's hidden tests
and the self-check shipped to students all judge with this function."""

from __future__ import annotations

import re

from .compare import Problem, compare, summary
from .diagnose import diagnose

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


_ERROR = re.compile(r"^([A-Za-z_][\w.]{0,80})(?::| \(cell |$)")
_WHERE = re.compile(r" \((cell \d+, line \d+)\)$")


def hidden_error(text: str) -> str:
    """What a hidden case's error may say: the exception's type and where it was raised, not
    its message (the student's code writes that; on a hidden case it could carry the case's
    inputs out). 'ValueError: shapes (4,3) and (2,3) ... (cell 5, line 3)' -> 'ValueError
    (cell 5, line 3); the message is shown for visible cases only'."""
    if text.startswith("function "):  # the grader's own words
        return text
    kind = _ERROR.match(text)
    where = _WHERE.search(text)
    name = kind.group(1) if kind else ("SystemExit" if "sys.exit" in text else "an error")
    if kind and not _builtin_exception(name):  # a class the notebook named itself
        name = "an exception of the notebook's own class"
    return (f"{name}{f' ({where.group(1)})' if where else ''}; the message is shown for "
            f"visible cases only")


def _builtin_exception(name):
    import builtins

    kind = getattr(builtins, name, None)
    return isinstance(kind, type) and issubclass(kind, BaseException)


def judge(exercise, graded, outcome, result) -> None:
    """Fill ``result`` (a results.CaseResult: status, problems, mistakes, expected) for the
    outcome of ``graded``'s call. ``exercise`` needs: result, result_names, rtol, atol,
    mutation_check, symptoms, mutations, mutant."""
    from_results = _results()
    case, expected = graded.case, graded.expected
    if outcome is None:
        result.status, result.problems = "crashed", ["was not run"]
        return
    if outcome.status != "ok":
        result.status = {"error": "error", "timeout": "timeout"}.get(outcome.status, "crashed")
        text = outcome.error or outcome.status
        if outcome.status == "error" and not case.visible:
            text = hidden_error(text)
        result.problems = [text if outcome.status != "error" or text.startswith("function ")
                           else f"raised {text}"]
        problems = []
    else:
        problems = compare(outcome.value, expected, exercise.result, rtol=exercise.rtol,
                           atol=exercise.atol, show_values=case.visible,
                           names=exercise.result_names)
        if exercise.mutation_check and outcome.args_after is not None:
            if any(compare(after, before, "", rtol=0, atol=0)
                   for before, after in zip(case.args, outcome.args_after, strict=False)):
                problems.append(Problem("inputs", f"{case.exercise} modified its arguments; "
                                        f"it must return new arrays and leave its inputs "
                                        f"unchanged", "mutation"))
        costs = getattr(graded, "extras", {}).get("printed_costs")
        if not problems and costs:
            problem = printed_costs_problem(costs, outcome.stdout,
                                            case.kwargs.get("num_iterations", 10000))
            if problem:
                problems.append(Problem("printed", problem, "printed"))
        result.problems = [p.text for p in problems]
        result.labels = [p.label for p in problems]
        result.status = "failed" if problems else "passed"
    if result.status == "passed":
        return
    if outcome.status == "ok" and not isinstance(expected, (dict, tuple)):
        result.submitted = summary(outcome.value, show_values=case.visible)
        if case.visible and result.status == "failed":
            result.expected = summary(expected, show_values=True)
    for finding in diagnose(exercise, case, outcome, expected, problems):
        mistake = finding.mistake
        result.mistakes.append(from_results.MistakeNote(
            mistake.id, mistake.title, mistake.hint,
            tuple(x for x in finding.explains if x != "*")))


MAX_NUMBERS_PER_COST_LINE = 4
"""A cost line holds the iteration and its cost (and maybe a count or two), no more."""


def printed_costs_problem(costs, stdout, iterations):
    """One printed line per 1000 iterations holding the iteration and its cost, judged by the
    numbers, not the wording ('Cost after iteration 0: 0.693147' or 'iter 0 cost=0.6931')."""
    costs = {int(k): float(v) for k, v in costs.items()}
    lines = []
    for line in (stdout or "").splitlines():
        if "cost" in line.lower():
            numbers = [float(n) for n in _NUMBER.findall(line)]
            if len(numbers) <= MAX_NUMBERS_PER_COST_LINE:  # not a grid that holds any cost
                lines.append(numbers)
    found, used = 0, set()
    for i, cost in sorted(costs.items()):
        for index, numbers in enumerate(lines):
            if index not in used and any(n == i for n in numbers) and any(
                    abs(n - cost) <= 1e-4 + 1e-3 * abs(cost) for n in numbers if n != i):
                found += 1
                used.add(index)  # one line per printed cost
                break
    if found == len(costs):
        return None
    first = costs.get(0, next(iter(costs.values()), 0.0))
    return (f"with print_cost=True it should print the cost every 1000 iterations "
            f"({len(costs)} line(s) here, like 'Cost after iteration 0: {first:.6f}'), but "
            f"{found} printed line(s) had the iteration and its cost")


def _results():
    try:  # inside the grader
        from .. import results
    except ImportError:  # shipped in the self-check package: results.py beside it
        from . import results
    return results
