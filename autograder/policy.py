"""The course's settings, set once by the instructor in ``shallow.yaml``: due dates, the late
policy, per-student extensions. Applied by the export, the report and the feedback; the
gradebook keeps raw points and submission times, so a policy can change after grading.

::

    assignments:
      planar_classifier:
        due: 2026-03-01T23:59:00+01:00     # ISO 8601; no time zone means UTC
    late:
      penalty: 10%        # taken off per period late: a percent of the maximum, or points
      per: day            # hour or day (every started period counts)
      cap: 50%            # the most taken off (percent or points); default: everything
      grace: 15           # minutes after the due date that are not late (default 0)
    extensions:           # a later due date for some students
      alice:
        planar_classifier: 2026-03-03T23:59:00+01:00
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

CONFIG_FILE = "shallow.yaml"


class PolicyError(Exception):
    """A course settings file that cannot be used (one line: the file, the problem)."""


def parse_time(value, what="a date and time") -> datetime:
    """An ISO 8601 date and time as an aware datetime (UTC when no zone is given); also
    nbgrader's timestamp format ('2026-03-01 12:00:00.123456 UTC')."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.endswith(" UTC"):
            text = text[:-4] + "+00:00"
        if text[-1:] in "Zz":
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise PolicyError(f"{what} {str(value)[:60]!r} is not an ISO 8601 date and time "
                              f"(for example 2026-03-02T23:59:00+01:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Amount:
    """A penalty or a cap: a fraction of the maximum (``10%``) or points (``2``)."""

    value: Fraction
    percent: bool

    def of(self, max_points) -> Fraction:
        return self.value * Fraction(max_points) / 100 if self.percent else self.value


def _amount(value, where) -> Amount:
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = Fraction(text[:-1].strip() if percent else text)
    except (ValueError, ZeroDivisionError):
        raise PolicyError(f"{where}: {text!r} is not a number or a percent") from None
    if number < 0:
        raise PolicyError(f"{where}: {text!r} is negative")
    return Amount(number, percent)


@dataclass(frozen=True)
class Lateness:
    late: bool
    by: timedelta
    due: datetime | None
    penalty: Fraction  # points taken off


@dataclass
class Policy:
    due: dict = field(default_factory=dict)  # assignment -> datetime
    extensions: dict = field(default_factory=dict)  # (student, assignment) -> datetime
    penalty: Amount | None = None
    per: timedelta = timedelta(days=1)
    cap: Amount | None = None
    grace: timedelta = timedelta(0)
    source: str = ""

    def due_for(self, student, assignment):
        return self.extensions.get((student, assignment), self.due.get(assignment))

    def lateness(self, student, assignment, submitted_at, max_points) -> Lateness:
        """How late ``submitted_at`` is for this student, and the points it costs."""
        due = self.due_for(student, assignment)
        if due is None or not submitted_at:
            return Lateness(False, timedelta(0), due, Fraction(0))
        when = parse_time(submitted_at, "a submission time")
        by = when - due
        if by <= self.grace:
            return Lateness(False, timedelta(0), due, Fraction(0))
        penalty = Fraction(0)
        if self.penalty is not None:
            periods = math.ceil(by / self.per)
            penalty = periods * self.penalty.of(max_points)
            if self.cap is not None:
                penalty = min(penalty, self.cap.of(max_points))
        return Lateness(True, by, due, penalty)


def load_policy(course_root=None, path=None) -> Policy:
    """The course's policy from ``path`` or ``<course_root>/shallow.yaml`` (none: no policy)."""
    from .safety import UnsafeFileError, load_yaml

    target = Path(path) if path else (Path(course_root) / CONFIG_FILE if course_root else None)
    if target is None or (path is None and not target.exists()):
        return Policy()
    try:
        data = load_yaml(target)
    except UnsafeFileError as exc:
        raise PolicyError(str(exc)) from None
    name = str(target)
    if data is None:
        return Policy(source=name)
    if not isinstance(data, dict):
        raise PolicyError(f"{name}: the settings are a mapping (assignments, late, extensions)")
    unknown = set(data) - {"assignments", "late", "extensions"}
    if unknown:
        raise PolicyError(f"{name}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    policy = Policy(source=name)
    for assignment, settings in (data.get("assignments") or {}).items():
        if not isinstance(settings, dict):
            raise PolicyError(f"{name}: assignments.{assignment} must be a mapping")
        if settings.get("due") is not None:
            policy.due[str(assignment)] = _time(settings["due"], f"{name}: assignments."
                                                f"{assignment}.due")
    late = data.get("late") or {}
    if not isinstance(late, dict):
        raise PolicyError(f"{name}: late must be a mapping (penalty, per, cap, grace)")
    if late.get("penalty") is not None:
        policy.penalty = _amount(late["penalty"], f"{name}: late.penalty")
    per = str(late.get("per", "day")).strip().lower()
    if per not in ("hour", "day"):
        raise PolicyError(f"{name}: late.per must be hour or day, not {per!r}")
    policy.per = timedelta(hours=1) if per == "hour" else timedelta(days=1)
    if late.get("cap") is not None:
        policy.cap = _amount(late["cap"], f"{name}: late.cap")
    if late.get("grace") is not None:
        try:
            policy.grace = timedelta(minutes=float(late["grace"]))
        except (TypeError, ValueError):
            raise PolicyError(f"{name}: late.grace is minutes, a number") from None
    for student, per_assignment in (data.get("extensions") or {}).items():
        if not isinstance(per_assignment, dict):
            raise PolicyError(f"{name}: extensions.{student} must map assignments to dates")
        for assignment, when in per_assignment.items():
            policy.extensions[(str(student), str(assignment))] = _time(
                when, f"{name}: extensions.{student}.{assignment}")
    return policy


def _time(value, where):
    try:
        return parse_time(value)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None
