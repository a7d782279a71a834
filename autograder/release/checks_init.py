"""shallow_checks: check your notebook's functions on the visible test cases, right here.

This folder comes with the assignment. It needs numpy and nothing else: no installation. In
the notebook::

    from shallow_checks import check, check_answer
    check("forward_propagation", forward_propagation)   # the visible cases
    check_answer("q_keepdims_shape", q_keepdims_shape)  # the form of your answer

or in a terminal, next to your notebook: ``python -m shallow_checks planar_classifier.ipynb``.

A failed case raises AssertionError with what was called, what is wrong and, when the grader
recognises it, the likely mistake and a hint: the very words ``shallow check`` would say,
because this folder holds the grader's own comparison and diagnosis code. It holds only the
visible cases (their expected values, and what the catalogued mistakes return for them):
the hidden cases that decide your grade use other shapes, and the answers of graded review
questions are not here, so ``check_answer`` checks their form only (practice questions are
checked fully).
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

from . import checking, inprocess, judge, messages, results, standins, wire
from .datasets import load_planar_dataset  # noqa: F401 - the notebooks load their data here

HERE = os.path.dirname(os.path.abspath(__file__))
_DATA = None


def _data():
    global _DATA
    if _DATA is None:
        with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as handle:
            raw = json.load(handle)
        pool = raw.pop("pool", {})
        _DATA = _resolve(raw, pool)
    return _DATA


def _resolve(value, pool):
    """Arrays are stored once in the file's pool; put them back where they are used."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return pool[value["ref"]]
        return {k: _resolve(v, pool) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, pool) for v in value]
    return value


def _value(encoded):
    return wire.decode(encoded)


class _Exercise(SimpleNamespace):
    """What judge and diagnose need of an exercise, read from the file."""

    def mutant(self, case, flags):
        for entry in self.cases[case.number]["mutants"]:
            if frozenset(entry["flags"]) == flags:
                return [_value(v) for v in entry["values"]]
        return None


def _exercise(name):
    data = _data()["exercises"].get(name)
    if data is None:
        raise KeyError(f"no visible checks for {name!r} in this folder "
                       f"({', '.join(_data()['exercises'])})")
    symptoms = [SimpleNamespace(id=s["id"], title=s["title"], hint=s["hint"],
                                test=tuple(_spec(s["test"])) if s["test"] else None,
                                normalize=tuple(_spec(s["normalize"])) if s["normalize"]
                                else None, error=tuple(s["error"]), labels=tuple(s["labels"]))
                for s in data["symptoms"]]
    mutations = [SimpleNamespace(**m) for m in data["mutations"]]
    cases = {c["number"]: c for c in data["cases"]}
    return _Exercise(name=name, result=data["result"],
                     result_names=tuple(data["result_names"]), rtol=data["rtol"],
                     atol=data["atol"], mutation_check=data["mutation_check"],
                     symptoms=symptoms, mutations=mutations, cases=cases,
                     mutant_available=True, depends=tuple(data["depends"]),
                     random=tuple(data["random"]), signature=data["signature"])


def _spec(raw):
    return [tuple(p) if isinstance(p, list) else p for p in raw]


def _graded(name, raw):
    case = SimpleNamespace(exercise=name, number=raw["number"],
                           args=tuple(_value(a) for a in raw["args"]),
                           kwargs={k: _value(v) for k, v in raw["kwargs"].items()},
                           seed=raw["seed"], visible=True, id=f"{name}/{raw['number']}")
    trace = [SimpleNamespace(function=t["function"], args=tuple(_value(a) for a in t["args"]),
                             kwargs={k: _value(v) for k, v in t["kwargs"].items()},
                             value=_value(t["value"]),
                             rng_before=_value(t["rng_before"]) if t["rng_before"] else None,
                             rng_after=_value(t["rng_after"]) if t["rng_after"] else None)
             for t in raw["trace"]]
    extras = {k: {int(i): c for i, c in v.items()} if k == "printed_costs" else v
              for k, v in raw["extras"].items()}
    return SimpleNamespace(case=case, expected=_value(raw["expected"]), trace=trace,
                           extras=extras)


def _signatures():
    return {name: standins.Signature(tuple(s["names"]),
                                     {k: _value(v) for k, v in s["defaults"].items()})
            for name, s in _data()["signatures"].items()}


def check(name, function):
    """Run the visible cases of exercise ``name`` on ``function``; AssertionError if one fails."""
    exercise = _exercise(name)
    graded = [_graded(name, raw) for raw in exercise.cases.values()]
    answers = standins.Standins(_signatures(), graded)
    failures = []
    for item in graded:
        outcome = inprocess.call(function, item, answers, exercise.depends, exercise.random)
        case = results.CaseResult(name, "code", item.case.number, "visible",
                                  call=_data()["calls"][item.case.id])
        judge.judge(exercise, item, outcome, case)
        if not case.passed:
            failures.append(messages.case_text(case))
    if failures:
        raise AssertionError(f"{name}: {len(failures)} of {len(graded)} visible case(s) fail"
                             "\n\n" + "\n\n".join(failures))
    print(f"{name}: all {len(graded)} visible case(s) pass")


def check_answer(variable, value):
    """Check a review answer: its form (the grader checks it when you hand the notebook in),
    or, for a practice question, whether it is right."""
    question = _question(variable)
    value = inprocess.transported(value)
    if hasattr(value, "tolist"):
        value = value.tolist()
    if value is None or (isinstance(value, str) and not value.strip()):
        raise AssertionError(f"{variable} is not answered yet")
    if question.practice:
        result = checking.check_answer(question, value)
        if not result.correct:
            raise AssertionError("\n".join(filter(None, [f"{variable} is not the right answer",
                                                         result.feedback])))
        print(f"{variable}: correct")
        return
    problem = checking.check_form(question, value)
    if problem:
        raise AssertionError(f"{variable}: {problem}")
    print(f"{variable}: recorded; it is checked when your notebook is graded")


def _question(variable):
    for raw in _data()["questions"]:
        if raw.get("variable") == variable:
            return SimpleNamespace(**{"answer": None, "accept": [], "feedback": [],
                                      "tolerance": {}, "choices": [], "practice": False,
                                      "generator": None, "parametric": False, **raw})
    raise KeyError(f"no review question has the answer variable {variable}")


def exercises():
    """The exercises this folder can check, in the assignment's order."""
    return list(_data()["exercises"])
