"""The result of grading one submission, and its Gradescope ``results.json`` form.

One ``TestResult`` per graded case (Gradescope calls each a test); one ``SubmissionResult`` per
notebook. Both are plain data: the gradebook stores them, the reports read them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TestResult:
    """One graded case of one exercise."""

    name: str  # "forward_propagation: case 2 (n_x=3, n_h=5, m=7)"
    exercise: str  # the exercise (function or question) it belongs to
    score: float
    max_score: float
    status: str  # "passed" or "failed"
    output: str = ""  # what was called, what came back, what was expected, the hint
    visibility: str = "visible"  # Gradescope: visible, hidden, after_due_date, after_published
    mistake: str | None = None  # id of the diagnosed classic mistake, if any


@dataclass
class SubmissionResult:
    """Everything known about one graded submission."""

    student: str
    assignment: str
    path: str
    sha256: str  # of the submitted file's bytes
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file-level problems, one line each
    layers: list[str] = field(default_factory=list)  # isolation layers that were active
    seed: int = 0
    graded_at: str = ""  # ISO 8601, UTC
    duration_s: float = 0.0
    grader_version: str = ""

    def exercise_scores(self):
        """{exercise: (score, max_score)} in rubric order."""
        scores = {}
        for test in self.tests:
            got, top = scores.get(test.exercise, (0.0, 0.0))
            scores[test.exercise] = (got + test.score, top + test.max_score)
        return scores

    def to_gradescope(self):
        """The Gradescope autograder ``results.json`` dictionary."""
        output = "\n".join(self.errors)
        return {
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "execution_time": round(self.duration_s, 3),
            "output": output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": t.name,
                    "score": round(t.score, 6),
                    "max_score": round(t.max_score, 6),
                    "status": t.status,
                    "output": t.output,
                    "visibility": t.visibility,
                    **({"tags": [t.exercise]}),
                    **({"extra_data": {"mistake": t.mistake}} if t.mistake else {}),
                }
                for t in self.tests
            ],
            "extra_data": {
                "student": self.student,
                "assignment": self.assignment,
                "path": self.path,
                "sha256": self.sha256,
                "errors": self.errors,
                "layers": self.layers,
                "seed": self.seed,
                "graded_at": self.graded_at,
                "grader_version": self.grader_version,
            },
        }

    @classmethod
    def from_gradescope(cls, data):
        """Inverse of ``to_gradescope`` (what the gradebook stores)."""
        extra = data.get("extra_data", {})
        tests = [
            TestResult(
                name=t["name"], exercise=(t.get("tags") or [""])[0], score=t["score"],
                max_score=t["max_score"], status=t["status"], output=t.get("output", ""),
                visibility=t.get("visibility", "visible"),
                mistake=(t.get("extra_data") or {}).get("mistake"),
            )
            for t in data.get("tests", [])
        ]
        return cls(
            student=extra.get("student", ""), assignment=extra.get("assignment", ""),
            path=extra.get("path", ""), sha256=extra.get("sha256", ""), score=data["score"],
            max_score=data["max_score"], tests=tests, errors=list(extra.get("errors", [])),
            layers=list(extra.get("layers", [])), seed=extra.get("seed", 0),
            graded_at=extra.get("graded_at", ""), duration_s=data.get("execution_time", 0.0),
            grader_version=extra.get("grader_version", ""),
        )

    def as_dict(self):
        return asdict(self)
