"""The self-check bundle a release ships beside each notebook: ``shallow_checks/``.

It is a small package that needs numpy only: the grader's own pure modules (the value codec,
the comparison, the mistake diagnosis, the stand-ins, the judge and its messages, the quiz
question types), copied as they are, and ``cases.json`` with what the checks need for the
VISIBLE cases only: their inputs and expected values, the trace their stand-ins answer from,
what each catalogued mistake (and pair of them) returns for them, and the review questions
without the answers of graded ones (practice questions keep theirs). Neither the reference, nor
any hidden case, nor a graded answer is in it; ``leaks`` checks a built bundle for them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from itertools import combinations
from pathlib import Path

from ..isolation import wire

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "shallow_checks"
SHIPPED = {  # file in the bundle: its source in the grader, copied as it is
    "wire.py": ROOT / "isolation" / "wire.py",
    "safety.py": ROOT / "safety.py",
    "results.py": ROOT / "results.py",
    "compare.py": ROOT / "course" / "compare.py",
    "transforms.py": ROOT / "course" / "transforms.py",
    "diagnose.py": ROOT / "course" / "diagnose.py",
    "standins.py": ROOT / "course" / "standins.py",
    "judge.py": ROOT / "course" / "judge.py",
    "messages.py": ROOT / "course" / "messages.py",
    "inprocess.py": ROOT / "course" / "inprocess.py",
    "types.py": ROOT.parent / "quizzes" / "types.py",
    "checking.py": ROOT.parent / "quizzes" / "checking.py",
    "datasets.py": ROOT.parent / "shallow_ref" / "datasets.py",
    "__init__.py": Path(__file__).with_name("checks_init.py"),
    "__main__.py": Path(__file__).with_name("checks_main.py"),
}
POOL_MIN = 96  # arrays longer than this (base64 characters) are stored once in a pool
FEW = {"reseeding_inside"}
"""Mistakes shipped alone only: paired, their many candidates would make the bundle large (the
grader itself still finds their pairs)."""


def _encode(value):
    return wire.encode(value)


def exercise_data(course, exercise, graded_cases):
    """The visible cases of one exercise and what its checks need (plain JSON data)."""
    from ..course.diagnose import MAX_MUTATIONS
    from ..grade import call_text

    depends = [d for d in exercise.depends if d in course.exercises]
    cases = []
    calls = {}
    for graded in graded_cases:
        case = graded.case
        mutants = []
        flags = [m.id for m in exercise.mutations]
        for size in range(1, MAX_MUTATIONS + 1):
            for combo in combinations(flags, size):
                if size > 1 and any(flag in FEW for flag in combo):
                    continue
                try:
                    values = exercise.mutant(case, frozenset(combo)) if exercise.mutant else None
                except Exception:  # noqa: BLE001 - a mutant that does not apply to this case
                    values = None
                if values is None:
                    continue
                values = values if isinstance(values, list) else [values]
                mutants.append({"flags": list(combo), "values": [_encode(v) for v in values]})
        cases.append({
            "number": case.number, "args": [_encode(a) for a in case.args],
            "kwargs": {k: _encode(v) for k, v in case.kwargs.items()}, "seed": case.seed,
            "expected": _encode(graded.expected),
            "trace": [{"function": t.function, "args": [_encode(a) for a in t.args],
                       "kwargs": {k: _encode(v) for k, v in t.kwargs.items()},
                       "value": _encode(t.value),
                       "rng_before": _encode(t.rng_before) if t.rng_before is not None
                       else None,
                       "rng_after": _encode(t.rng_after) if t.rng_after is not None else None}
                      for t in graded.trace],
            "extras": {k: ({str(i): c for i, c in v.items()} if k == "printed_costs" else v)
                       for k, v in graded.extras.items()},
            "mutants": mutants})
        calls[case.id] = call_text(exercise, case)
    data = {
        "title": exercise.title, "result": exercise.result,
        "result_names": list(exercise.result_names), "rtol": exercise.rtol,
        "atol": exercise.atol, "mutation_check": exercise.mutation_check, "depends": depends,
        "random": [d for d in depends if course.exercises[d].random],
        "signature": list(exercise.args),
        "symptoms": [{"id": s.id, "title": s.title, "hint": s.hint,
                      "test": list(s.test) if s.test else None,
                      "normalize": list(s.normalize) if s.normalize else None,
                      "error": list(s.error), "labels": list(s.labels)}
                     for s in exercise.symptoms],
        "mutations": [{"id": m.id, "title": m.title, "hint": m.hint}
                      for m in exercise.mutations],
        "cases": cases,
    }
    return data, calls


def questions_data(questions):
    """Review questions for the student: graded ones without any answer, practice ones whole."""
    out = []
    for question in questions:
        entry = {"id": question.id, "type": question.type, "variable": question.variable,
                 "choices": list(question.choices), "practice": bool(
                     getattr(question, "practice", False)), "points": question.points}
        if entry["practice"]:
            entry.update(answer=question.answer, accept=list(question.accept),
                         tolerance=dict(question.tolerance), feedback=list(question.feedback),
                         explanation=question.explanation)
        out.append(entry)
    return out


def bundle_data(course, assignment):
    """Everything ``cases.json`` holds for ``assignment`` (before pooling)."""
    from ..course import review
    from ..course.standins import signature_of

    record = course.assignment(assignment)
    exercises, calls, needed = {}, {}, set()
    for exercise in course.exercises_for(assignment):
        graded = course.graded_cases(exercise, 0, visible_only=True)
        exercises[exercise.name], more = exercise_data(course, exercise, graded)
        calls.update(more)
        needed.update(exercises[exercise.name]["depends"])
    signatures = {}
    for name in sorted(needed):
        signature = signature_of(course.exercises[name])
        signatures[name] = {"names": list(signature.names),
                            "defaults": {k: _encode(v) for k, v in signature.defaults.items()}}
    return {"format": "shallow-checks/1", "assignment": assignment, "exercises": exercises,
            "calls": calls, "signatures": signatures,
            "questions": questions_data(review.questions(record))}


def pooled(data):
    """``data`` with every long array stored once in ``pool`` and referred to by its hash."""
    pool = {}

    def walk(value):
        if isinstance(value, dict):
            if value.get("t") == "nd" and len(value.get("b64", "")) > POOL_MIN:
                key = hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
                pool[key] = value
                return {"ref": key}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    body = walk(data)
    body["pool"] = pool
    return body


def build_bundle(course, assignment, target) -> Path:
    """Write ``target/shallow_checks/`` for ``assignment``; return the package folder."""
    folder = Path(target) / PACKAGE
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, source in SHIPPED.items():
        shutil.copyfile(source, folder / name)
    data = pooled(bundle_data(course, assignment))
    (folder / "cases.json").write_text(json.dumps(data, separators=(",", ":")),
                                       encoding="utf-8")
    return folder


def size(folder) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
