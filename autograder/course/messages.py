"""A case's result as the lines a student reads: what was called, what is wrong, each named
mistake with the problems it explains and its hint (pure; the grader's terminal, Gradescope's
output and the self-check shipped to students all say it in these words)."""

from __future__ import annotations

try:  # inside the grader
    from ..safety import terminal
except ImportError:  # shipped in the self-check package: safety.py beside it
    from .safety import terminal


def case_text(case) -> str:
    """The lines of one CaseResult."""
    if case.passed:
        return f"Called {case.call}: correct" if case.call else f"{case.exercise}: correct"
    lines = []
    if case.call:
        lines.append(f"Called {case.call}")
    for problem in case.problems:
        lines.append(f"Problem: {problem}")
    if case.submitted and case.kind == "code":
        lines.append(f"Returned: {case.submitted}")
    if case.expected:
        lines.append(f"Expected: {case.expected}")
    for mistake in case.mistakes:
        about = f" (explains {', '.join(mistake.explains)})" if mistake.explains and len(
            case.mistakes) > 1 else ""
        lines.append(f"Likely mistake: {mistake.title}{about}")
        lines.append(f"Hint: {mistake.hint}")
    if case.feedback:
        lines.append(f"Hint: {case.feedback}")
    if case.note:
        lines.append(case.note)
    return "\n".join(terminal(line) for line in lines)
