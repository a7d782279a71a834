"""Plain-text views of results for the terminal (``shallow grade``, ``shallow check``) and for
Gradescope's per-test output. Every string a student controls is made safe to print first."""

from __future__ import annotations

from ..course.messages import case_text
from ..results import points_text
from ..safety import terminal

__all__ = ["batch_summary", "case_text", "feedback_text", "summary_line"]


def feedback_text(result, *, only_failed=True) -> str:
    """A student-facing summary: points per exercise, then each failed case with its hints."""
    head = f"{result.student}  {result.assignment}  score {points_text(result.points)} / " \
           f"{points_text(result.max_points)}"
    lines = [terminal(head)]
    if result.status != "graded" and result.reason:
        lines.append(f"  ! {terminal(result.reason)}")
    for error in result.errors:
        lines.append(f"  ! {terminal(error)}")
    for note in result.notes:
        lines.append(f"  note: {terminal(note)}")
    if result.status in ("unreadable", "failed"):  # one reason, said once
        lines.append(f"  isolation: {', '.join(result.layers) or 'none'}")
        return "\n".join(lines)
    totals = result.exercise_points()
    width = max((len(name) for name in totals), default=10)
    for exercise, (got, top) in totals.items():
        mark = "ok " if got == top and top > 0 else "   "
        lines.append(f"  {mark}{terminal(exercise):<{width}}  {points_text(got):>5} / "
                     f"{points_text(top)}")
        shown = {}
        for case in result.cases:
            if case.exercise != exercise or (only_failed and case.passed):
                continue
            label = f"case {case.number}" + (" (visible)" if case.visibility == "visible"
                                             and case.kind == "code" else "")
            key = tuple(m.id for m in case.mistakes) or tuple(case.problems)
            if key in shown and not case.passed:
                same = "mistake" if case.mistakes else "problem"
                lines.append(f"       - {label}: the same {same} as {shown[key]}")
                continue
            shown[key] = label
            detail = case_text(case).splitlines() or [""]
            lines.append(f"       - {label}: {detail[0]}")
            lines += [f"         {line}" for line in detail[1:]]
    lines.append(f"  isolation: {', '.join(result.layers) or 'none'}")
    return "\n".join(lines)


def summary_line(result) -> str:
    """One line per submission for a batch."""
    mistakes = sorted({m.id for _, m in result.mistakes()})
    note = f"  mistakes: {', '.join(mistakes)}" if mistakes else ""
    status = f"  [{result.status}: {result.reason}]" if result.status != "graded" else ""
    return terminal(f"{result.student:<20} {result.assignment:<18} "
                    f"{points_text(result.points):>6} / {points_text(result.max_points)}"
                    f"{note}{status}")


def batch_summary(results, skipped=0) -> str:
    """'3 graded, 1 skipped; planar_classifier: mean 80.5 / 91 (88 %), 1 unreadable'."""
    from collections import defaultdict
    from fractions import Fraction

    by_assignment = defaultdict(list)
    for result in results:
        by_assignment[result.assignment].append(result)
    parts = []
    for assignment in sorted(by_assignment):
        group = by_assignment[assignment]
        graded = [r for r in group if r.status == "graded"]
        other = len(group) - len(graded)
        if graded:
            mean = sum((r.points for r in graded), Fraction(0)) / len(graded)
            top = max(r.max_points for r in graded)
            percent = f" ({100 * float(mean / top):.0f} %)" if top else ""
            text = f"{assignment}: mean {points_text(mean)} / {points_text(top)}{percent} of " \
                   f"{len(graded)}"
        else:
            text = f"{assignment}: none graded"
        if other:
            text += f", {other} not graded (unreadable, empty or failed)"
        parts.append(terminal(text))
    head = f"{len(results)} graded, {skipped} skipped (unchanged)"
    return head + ("; " + "; ".join(parts) if parts else "")
