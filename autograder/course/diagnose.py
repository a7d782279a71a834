"""Naming the classic mistakes behind a failed case, each with the problems it explains.

A teaching assistant recognises a mistake by knowing what the buggy function returns. The
catalog has two kinds (``records.Symptom`` and ``records.Mutation``):

- a symptom is seen in what came back (an error message, a list instead of a tuple, a bias
  vector without its column shape, inputs changed in place); when it can be undone
  (``normalize``) it is, so that the rest of the value can be looked at;
- a mutation is a change in the computation; the exercise's ``mutant(case, flags)`` computes
  what a function with those mistakes returns for the case's inputs.

``diagnose`` undoes every symptom found, then looks for the smallest set of mutations (one, then
two) whose mutant matches what the student returned. A mistake is named only with the problems
it explains: a symptom explains the problems its undoing removes; the mutations found explain
the problems left. When several mistakes explain the case, all are named, in the catalog's
order. A correct value is never diagnosed (``diagnose`` is only called with problems), and a
mutation is named only when its mutant really matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from . import transforms
from .compare import compare

MAX_MUTATIONS = 2


@dataclass(frozen=True)
class Finding:
    mistake: object  # a Symptom or a Mutation
    explains: tuple  # the labels of the problems it accounts for


def _labels(problems):
    return tuple(p.label for p in problems)


def _problems(exercise, value, expected):
    return compare(value, expected, exercise.result, rtol=exercise.rtol, atol=exercise.atol,
                   names=exercise.result_names)


def diagnose(exercise, case, outcome, expected, problems):
    """[Finding] for a failed case; ``problems`` are ``compare``'s problems for its value."""
    findings = []
    if outcome.status == "error":
        text = outcome.error or ""
        for symptom in exercise.symptoms:
            if any(needle in text for needle in symptom.error):
                findings.append(Finding(symptom, ("*",)))
        return findings
    if outcome.status != "ok":
        return findings

    value, remaining = outcome.value, list(problems)
    for symptom in exercise.symptoms:
        if symptom.test is None or not transforms.run_test(symptom.test, case.args, outcome,
                                                           expected):
            continue
        if symptom.normalize is None:
            only = set(symptom.labels)
            explained = tuple(p.label for p in remaining if not only or p.label in only)
            findings.append(Finding(symptom, explained or ("*",)))
            remaining = [p for p in remaining if p.label not in set(explained)]
            continue
        try:
            undone = transforms.undo(symptom.normalize, value, expected)
        except Exception:  # noqa: BLE001 - a symptom that cannot be undone is not this one
            continue
        after = _problems(exercise, undone, expected)
        explained = tuple(label for label in _labels(remaining)
                          if label not in set(_labels(after)) or
                          _kinds(remaining, label) != _kinds(after, label))
        findings.append(Finding(symptom, explained or ("*",)))
        value, remaining = undone, after
    if remaining and exercise.mutant is not None and exercise.mutations:
        shown = _labels(problems)
        for finding in _search(exercise, case, value, remaining):
            projected = tuple(dict.fromkeys(
                p for p in (_project(label, shown) for label in finding.explains) if p))
            findings.append(Finding(finding.mistake, projected or ("*",)))
    return findings


def _project(label, shown):
    """A problem's label as one of the labels shown (a part of a shown part: its parent)."""
    if label in shown:
        return label
    parents = [s for s in shown if s and label.startswith(s + "[")]
    return max(parents, key=len) if parents else None


def _kinds(problems, label):
    return {p.kind for p in problems if p.label == label}


def _search(exercise, case, value, remaining):
    """The smallest set of mutations whose mutant is what came back: [Finding] or []."""
    flags = [m.id for m in exercise.mutations]
    by_id = {m.id: m for m in exercise.mutations}
    for size in range(1, MAX_MUTATIONS + 1):
        for combo in combinations(flags, size):
            try:
                candidates = exercise.mutant(case, frozenset(combo))
            except Exception:  # noqa: BLE001 - a mutant that does not apply to this case
                continue
            if candidates is None:
                continue
            if not isinstance(candidates, list):
                candidates = [candidates]
            for candidate in candidates:
                if not _problems(exercise, value, candidate):
                    explained = _labels(remaining)
                    return [Finding(by_id[flag], explained) for flag in combo]
    return []

