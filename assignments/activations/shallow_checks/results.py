"""Structured results: one record per graded case, one per submission, with exact points.

Every view (the terminal, Gradescope's ``results.json``, the gradebook, the class report, the
feedback pages, the CSV exports) is rendered from these fields; none of them parses a message
back. Points are exact fractions (an exercise of 10 points over 3 cases gives each case 10/3), so
sums are exact and a full score prints as ``91/91``, never ``90.999999``.

Statuses of a case: ``passed``; ``failed`` (wrong value); ``error`` (the function raised);
``timeout``; ``crashed`` (the process ended or broke the protocol); ``missing`` (the function or
answer variable is not in the notebook); ``not-graded`` (the whole file could not be read).
Statuses of a submission: ``graded``, ``unreadable`` (the file could not be read: ``reason``),
``empty`` (readable, but it defines none of the assignment's functions or answers), ``failed``
(the grader itself failed on it: ``reason``), and, in exports only, ``missing`` (a student on the
roster without a submission).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction

CASE_STATUSES = ("passed", "failed", "error", "timeout", "crashed", "missing", "not-graded")
SUBMISSION_STATUSES = ("graded", "unreadable", "empty", "failed")
VISIBILITIES = ("visible", "hidden")


_STORED: dict = {}  # stored text -> its Fraction (immutable, so shared)


def as_fraction(value) -> Fraction:
    """An exact number from an int, a Fraction, a "num/den" string or a float (its decimal)."""
    if isinstance(value, Fraction):
        return value
    if type(value) is str:  # the stored form: "10" or "10/3" (a class has few distinct ones)
        found = _STORED.get(value)
        if found is None:
            numerator, _, denominator = value.partition("/")
            try:
                found = Fraction(int(numerator), int(denominator) if denominator else 1)
            except ValueError:
                found = Fraction(value.strip())
            if len(_STORED) < 4096:
                _STORED[value] = found
        return found
    if isinstance(value, bool):
        raise TypeError("points cannot be a bool")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))  # 0.1 -> 1/10, not the binary approximation
    if isinstance(value, str):
        return Fraction(value.strip())
    raise TypeError(f"points must be a number, not {type(value).__name__}")


def points_text(value) -> str:
    """Points for people: ``10``, ``3.33``, ``0.5`` (at most two decimals, no trailing zeros)."""
    value = as_fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def points_json(value) -> str:
    """Points as stored: ``"10"`` or ``"10/3"`` (exact, reversible with ``as_fraction``)."""
    value = as_fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


@dataclass
class CallOutcome:
    """What one call of a student function did, as its child reported it (before judging)."""

    id: str
    status: str  # "ok", "error", "timeout", "crashed" or "not-run"
    value: object = None
    error: str | None = None
    stdout: str = ""
    seconds: float = 0.0
    args_after: list | None = None


@dataclass(frozen=True)
class MistakeNote:
    """A catalogued mistake named in a case's feedback, with the parts of the value it explains."""

    id: str
    title: str
    hint: str
    explains: tuple = ()  # labels of the problems it accounts for, e.g. ("grads['db1']",)


@dataclass
class CaseResult:
    """One graded case of a code exercise, or one review question answered in the notebook."""

    exercise: str  # "forward_propagation", or the answer variable "q_keepdims_shape"
    kind: str = "code"  # "code" or "review"
    number: int = 1  # the case's number within its exercise (1 for a review question)
    visibility: str = "visible"  # "visible" (inputs and values may be shown) or "hidden"
    points: Fraction = Fraction(0)
    max_points: Fraction = Fraction(0)
    status: str = "failed"
    call: str = ""  # "forward_propagation(X=array(2, 3), parameters={...})": shapes only
    problems: list = field(default_factory=list)  # one line each: what is wrong
    labels: list = field(default_factory=list)  # the part each problem is about ("grads['db1']")
    mistakes: list = field(default_factory=list)  # MistakeNote, in the catalog's order
    submitted: str = ""  # a short, safe description of what came back (never a long value)
    expected: str = ""  # visible cases only: a short description of the right value
    question: str = ""  # review questions: the bank's question id
    feedback: str = ""  # review questions: the bank's feedback for this wrong answer
    note: str = ""  # one more line for the student (e.g. which global was not run)

    @property
    def name(self) -> str:
        if self.kind == "review":
            return f"review question: {self.exercise}"
        return f"{self.exercise}: case {self.number}" + (
            " (visible)" if self.visibility == "visible" else "")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def problem(self) -> str:
        """The problems as one line (for a table cell)."""
        return "; ".join(self.problems)

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["points"] = points_json(self.points)
        data["max_points"] = points_json(self.max_points)
        data["mistakes"] = [asdict(m) | {"explains": list(m.explains)} for m in self.mistakes]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CaseResult:
        values = {k: v for k, v in data.items() if k in _CASE_FIELDS}
        values["points"] = as_fraction(values.get("points", 0))
        values["max_points"] = as_fraction(values.get("max_points", 0))
        values["mistakes"] = [MistakeNote(m["id"], m.get("title", ""), m.get("hint", ""),
                                          tuple(m.get("explains", ())))
                              for m in values.get("mistakes", [])]
        values["problems"] = list(values.get("problems", []))
        values["labels"] = list(values.get("labels", []))
        return cls(**values)


@dataclass
class SubmissionResult:
    """Everything known about one graded submission (one notebook of one student)."""

    student: str
    assignment: str
    path: str = ""
    sha256: str = ""  # of the submitted file's bytes
    status: str = "graded"
    reason: str = ""  # why a submission is unreadable, empty or failed (one line)
    cases: list = field(default_factory=list)  # CaseResult, rubric order
    errors: list = field(default_factory=list)  # file-level problems for the student, one line each
    notes: list = field(default_factory=list)  # for the instructor: version assumed, policy...
    ignored: list = field(default_factory=list)  # other files beside the graded one, not graded
    layers: list = field(default_factory=list)  # isolation layers that were active
    seed: int = 0  # seed of the hidden cases
    seed_source: str = "fixed"  # "course-secret" (per student) or "fixed" (--seed)
    version: str = ""  # the assignment version the notebook was graded as
    review_policy: str = "counted"  # "counted", or "not-in-notebook" (review questions left out)
    submitted_at: str = ""  # ISO 8601 UTC: when the student submitted it
    submitted_at_source: str = ""  # "timestamp.txt", "file mtime" or "command line"
    graded_at: str = ""  # ISO 8601 UTC
    duration_s: float = 0.0
    grader_version: str = ""

    @property
    def points(self) -> Fraction:
        return sum((c.points for c in self.cases), Fraction(0))

    @property
    def max_points(self) -> Fraction:
        return sum((c.max_points for c in self.cases), Fraction(0))

    # Compatibility names used by views that want floats.
    @property
    def score(self) -> float:
        return float(self.points)

    @property
    def max_score(self) -> float:
        return float(self.max_points)

    def exercise_points(self) -> dict:
        """{exercise: (points, max_points)} in rubric order (review questions included)."""
        totals: dict = {}
        for case in self.cases:
            got, top = totals.get(case.exercise, (Fraction(0), Fraction(0)))
            totals[case.exercise] = (got + case.points, top + case.max_points)
        return totals

    def mistakes(self) -> list:
        """Every (exercise, MistakeNote) diagnosed, once each, in rubric order."""
        seen, found = set(), []
        for case in self.cases:
            for mistake in case.mistakes:
                if (case.exercise, mistake.id) not in seen:
                    seen.add((case.exercise, mistake.id))
                    found.append((case.exercise, mistake))
        return found

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cases"}
        data["cases"] = [case.to_dict() for case in self.cases]
        data["points"] = points_json(self.points)
        data["max_points"] = points_json(self.max_points)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        values = {k: v for k, v in data.items() if k in _SUBMISSION_FIELDS and k != "cases"}
        result = cls(**values)
        result.cases = [CaseResult.from_dict(c) for c in data.get("cases", [])]
        return result

    def to_gradescope(self, *, hidden_visibility: str = "visible") -> dict:
        """Gradescope's ``results.json``: one object, one test per case.

        ``hidden_visibility`` is the Gradescope visibility of hidden cases (``visible``,
        ``hidden``, ``after_due_date`` or ``after_published``); visible cases are always
        ``visible``. Scores are floats rounded to 6 decimals; the total is the exact sum.
        """
        from .reports.text import case_text  # the same words as the terminal

        tests = []
        for case in self.cases:
            test = {
                "name": case.name,
                "score": round(float(case.points), 6),
                "max_score": round(float(case.max_points), 6),
                "status": "passed" if case.passed else "failed",
                "output": case_text(case),
                "visibility": "visible" if case.visibility == "visible" else hidden_visibility,
                "tags": [case.exercise],
            }
            if case.mistakes:
                test["extra_data"] = {"mistakes": [m.id for m in case.mistakes]}
            tests.append(test)
        lines = [*self.errors]
        if self.status != "graded" and self.reason:
            lines.insert(0, self.reason)
        return {
            "score": round(float(self.points), 6),
            "max_score": round(float(self.max_points), 6),
            "execution_time": round(self.duration_s, 3),
            "output": "\n".join(lines),
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": tests,
            "extra_data": {
                "student": self.student, "assignment": self.assignment, "status": self.status,
                "points": points_json(self.points), "max_points": points_json(self.max_points),
                "sha256": self.sha256, "layers": self.layers, "version": self.version,
                "review_policy": self.review_policy, "submitted_at": self.submitted_at,
                "graded_at": self.graded_at, "grader_version": self.grader_version,
            },
        }


_CASE_FIELDS = frozenset(f.name for f in fields(CaseResult))
_SUBMISSION_FIELDS = frozenset(f.name for f in fields(SubmissionResult))
