"""Plain-text rendering of results for the terminal (``shallow grade`` and ``shallow check``)."""

from __future__ import annotations


def _fmt(x):
    return f"{x:.4g}"


def feedback_text(result, *, only_failed=True):
    """A student-facing summary: score per exercise, then each failed case with its hint."""
    lines = [f"{result.student}  {result.assignment}  score {_fmt(result.score)} / "
             f"{_fmt(result.max_score)}"]
    for error in result.errors:
        lines.append(f"  ! {error}")
    scores = result.exercise_scores()
    width = max((len(name) for name in scores), default=10)
    for exercise, (score, top) in scores.items():
        mark = "ok " if score >= top - 1e-9 else "   "
        lines.append(f"  {mark}{exercise:<{width}}  {_fmt(score):>5} / {_fmt(top)}")
        shown = {}  # (problem, mistake) -> the case that showed it in full
        for test in result.tests:
            if test.exercise != exercise or (only_failed and test.status == "passed"):
                continue
            case = test.name.split(": ", 1)[-1]
            detail = test.output.splitlines() or [""]
            key = test.mistake or tuple(line for line in detail if not line.startswith("Called"))
            if key in shown and test.status == "failed":
                same = "mistake" if test.mistake else "problem"
                lines.append(f"       - {case}: the same {same} as {shown[key]}")
                continue
            shown[key] = case
            lines.append(f"       - {case}: {detail[0]}")
            lines += [f"         {line}" for line in detail[1:]]
    lines.append(f"  isolation: {', '.join(result.layers) or 'none'}")
    return "\n".join(lines)


def summary_line(result):
    mistakes = sorted({t.mistake for t in result.tests if t.mistake})
    note = f"  mistakes: {', '.join(mistakes)}" if mistakes else ""
    error = f"  ({result.errors[0]})" if result.errors and result.score == 0 else ""
    return (f"{result.student:<20} {result.assignment:<18} {_fmt(result.score):>6} / "
            f"{_fmt(result.max_score)}{note}{error}")
