"""Pure aggregation of graded results and quiz attempts: per exercise, test case, mistake,
review question and student, and the class's submissions (missing, late, file problems,
isolation layers).

Every function takes plain lists and mappings (``SubmissionResult`` records, quiz attempts as
the gradebook returns them, bank questions, roster ``Person`` records, a ``Policy``) and returns
frozen records; none reads a file, a clock or the gradebook, so each is unit-tested on hand-made
results. Points stay exact ``Fraction``s. Scores out of different maxima are never averaged
together: every mean is taken within a group of equal maxima (``score_groups``; exercises and
cases are grouped by their maximum too).

Which submissions count where:

- the score distribution: every student with a result except ``failed`` ones (the grader failed
  on them, not the student: they are listed under file problems, to be graded again);
- the item analysis (exercises, cases, mistakes, notebook review answers): ``graded``
  submissions only (late ones included); an unreadable or empty file says nothing about how
  hard an exercise is;
- the review questions: those graded notebooks' answer variables and every latest quiz attempt.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from ..results import as_fraction

SCORED = ("graded", "unreadable", "empty")
"""Submission statuses in the score distribution."""
COUNTED = ("graded",)
"""Submission statuses whose cases count in the item analysis."""
STATUSES = ("graded", "late", "unreadable", "empty", "failed", "missing")
"""A student's status in the class report (``late`` is a graded submission after its due date;
``missing`` is a student without a submission: on the roster, or known from a quiz)."""


def percent(part, whole) -> float | None:
    """``part`` as a percent of ``whole``, for display and ranking (None when ``whole`` is not
    positive)."""
    return 100.0 * float(part) / float(whole) if whole and whole > 0 else None


def exact_sum(values) -> Fraction:
    """The exact sum of fractions (or ints), kept over one common denominator: many times
    faster than adding ``Fraction`` objects one by one."""
    numerator, denominator = 0, 1
    for value in values:
        den = value.denominator
        if den == denominator:
            numerator += value.numerator
        elif denominator % den == 0:
            numerator += value.numerator * (denominator // den)
        else:
            common = denominator * den // math.gcd(denominator, den)
            numerator = numerator * (common // denominator) + value.numerator * (common // den)
            denominator = common
    return Fraction(numerator, denominator)


@dataclass(frozen=True)
class Totals:
    """A result's points, added up once: in all, per code exercise, per review variable."""

    points: Fraction
    max_points: Fraction
    code: dict  # exercise -> (points, max_points), rubric order
    review: dict  # answer variable -> (points, max_points)


def totals(result) -> Totals:
    groups = {}
    for case in result.cases:
        kind = "review" if case.kind == "review" else "code"
        groups.setdefault((kind, case.exercise), []).append(case)
    code, review = {}, {}
    for (kind, name), cases in groups.items():
        sums = (exact_sum(c.points for c in cases), exact_sum(c.max_points for c in cases))
        (review if kind == "review" else code)[name] = sums
    every = [*code.values(), *review.values()]
    return Totals(exact_sum(p for p, _ in every), exact_sum(t for _, t in every), code, review)


def _counted(results):
    return [r for r in results if r.status in COUNTED]


def _ordered(names, order):
    rank = {name: i for i, name in enumerate(order)}
    first = {}
    for i, name in enumerate(names):
        first.setdefault(name, i)
    return sorted(first, key=lambda n: (rank.get(n, len(rank)), first[n]))


def _is_manual(case) -> bool:
    return case.kind == "manual" or bool(case.note)


# -- scores --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreGroup:
    """The scores of the students whose maximum is ``max_points``."""

    max_points: Fraction
    scores: tuple  # Fraction, ascending
    mean: Fraction
    median: Fraction
    stdev: float  # population standard deviation, in points
    full: int  # students with full marks

    @property
    def count(self) -> int:
        return len(self.scores)

    @property
    def lowest(self) -> Fraction:
        return self.scores[0]

    @property
    def highest(self) -> Fraction:
        return self.scores[-1]

    @property
    def percents(self) -> tuple:
        return tuple(percent(s, self.max_points) or 0.0 for s in self.scores)


def score_groups(pairs) -> list[ScoreGroup]:
    """Group ``(points, max_points)`` pairs by maximum (largest first) and summarise each."""
    by_max = defaultdict(list)
    for points, top in pairs:
        by_max[as_fraction(top)].append(as_fraction(points))
    groups = []
    for top in sorted(by_max, reverse=True):
        scores = tuple(sorted(by_max[top]))
        mean = exact_sum(scores) / len(scores)
        spread = statistics.pstdev([float(s) for s in scores]) if len(scores) > 1 else 0.0
        groups.append(ScoreGroup(top, scores, mean, Fraction(statistics.median(scores)),
                                 spread, sum(1 for s in scores if top > 0 and s >= top)))
    return groups


def histogram(percents, bins=10) -> list[tuple[int, int, int]]:
    """``[(low, high, count)]`` over 0..100 % in ``bins`` equal bins; the last one holds 100 %."""
    width = 100 / bins
    counts = [0] * bins
    for value in percents:
        index = min(bins - 1, max(0, int(value // width)))
        counts[index] += 1
    return [(round(i * width), round((i + 1) * width), counts[i]) for i in range(bins)]


# -- students ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentRow:
    """One student of the class report: their latest submission (or none) and what it lost."""

    student: str
    status: str  # one of STATUSES
    on_roster: bool | None = None  # None: no roster was given
    person: object = None  # the roster's Person, when on it
    reason: str = ""  # why unreadable, empty or failed
    path: str = ""  # the graded file (names the feedback page)
    raw: Fraction | None = None  # points before the late penalty
    penalty: Fraction = Fraction(0)
    max_points: Fraction | None = None
    lost: tuple = ()  # (exercise, points, max_points) of code exercises short of full marks
    lost_questions: tuple = ()  # review answer variables short of full marks
    mistakes: tuple = ()  # (exercise, MistakeNote) diagnosed, once each
    manual: tuple = ()  # exercises graded by hand
    quiz: tuple | None = None  # (score, max_score) of the latest quiz attempt
    submitted_at: str = ""
    due: object = None  # the student's due date (datetime), when the policy has one
    late_by: timedelta | None = None

    @functools.cached_property
    def points(self) -> Fraction | None:
        """The score after the late penalty (never below 0)."""
        if self.raw is None:
            return None
        return self.raw if not self.penalty else max(Fraction(0), self.raw - self.penalty)

    @functools.cached_property
    def percent(self) -> float | None:
        return None if self.points is None else percent(self.points, self.max_points)

    @property
    def has_result(self) -> bool:
        return self.raw is not None


def lateness_of(policy, result, max_points=None):
    """The ``Lateness`` of ``result`` under ``policy`` (None: no policy, or no known time)."""
    if policy is None:
        return None
    from ..policy import PolicyError

    try:
        return policy.lateness(result.student, result.assignment, result.submitted_at,
                               result.max_points if max_points is None else max_points)
    except PolicyError:  # a submission time the policy cannot read: not known to be late
        return None


def student_row(result, *, policy=None, quiz=None, roster_ids=None, person=None) -> StudentRow:
    """The report's row for one student's latest result."""
    added = totals(result)
    lateness = lateness_of(policy, result, added.max_points) if result.status == "graded" \
        else None
    late = lateness is not None and lateness.late
    due = policy.due_for(result.student, result.assignment) if policy is not None else None
    manual = list(dict.fromkeys(c.exercise for c in result.cases if _is_manual(c)))
    return StudentRow(
        student=result.student, status="late" if late else result.status,
        on_roster=None if roster_ids is None else result.student in roster_ids, person=person,
        reason=result.reason, path=result.path, raw=added.points,
        penalty=lateness.penalty if late else Fraction(0), max_points=added.max_points,
        lost=tuple((name, got, top) for name, (got, top) in added.code.items() if got < top),
        lost_questions=tuple(name for name, (got, top) in added.review.items() if got < top),
        mistakes=tuple(result.mistakes()), manual=tuple(manual),
        quiz=(quiz["score"], quiz["max_score"]) if quiz else None,
        submitted_at=result.submitted_at, due=due, late_by=lateness.by if late else None)


def students(results, *, quizzes=None, roster=None, policy=None) -> list[StudentRow]:
    """A row per student with a result, per roster student without one, and per quiz taker
    without one; sorted by student id."""
    quizzes = quizzes or {}
    people = {p.id: p for p in roster} if roster is not None else None
    rows = {}
    for result in results:
        rows[result.student] = student_row(
            result, policy=policy, quiz=quizzes.get(result.student), roster_ids=people,
            person=(people or {}).get(result.student))
    for student in [*(people or {}), *quizzes]:
        if student not in rows:
            quiz = quizzes.get(student)
            rows[student] = StudentRow(
                student, "missing", None if people is None else student in people,
                (people or {}).get(student),
                quiz=(quiz["score"], quiz["max_score"]) if quiz else None)
    return [rows[s] for s in sorted(rows)]


def weakest(rows, count=10) -> list[StudentRow]:
    """The ``count`` students with a result and the lowest percent (ties by student id)."""
    scored = [r for r in rows if r.has_result and r.percent is not None]
    return sorted(scored, key=lambda r: (r.percent, r.student))[:count]


def status_counts(rows) -> dict:
    """{status: students}, every status of STATUSES present (0 when none), plus
    ``not-on-roster`` when a roster was given."""
    counts = Counter(r.status for r in rows)
    out = {status: counts.get(status, 0) for status in STATUSES}
    if any(r.on_roster is not None for r in rows):
        out["not-on-roster"] = sum(1 for r in rows if r.on_roster is False)
    return out


# -- exercises, cases, mistakes --------------------------------------------------------------

@dataclass(frozen=True)
class Loss:
    """One student's lost points on one exercise, with the mistakes named and the problems."""

    student: str
    points: Fraction
    max_points: Fraction
    mistakes: tuple  # MistakeNote, once each
    problems: tuple  # distinct problem lines of the failed cases, at most three
    statuses: tuple  # distinct statuses of the failed cases
    manual: bool = False


@dataclass(frozen=True)
class ExerciseStats:
    exercise: str
    title: str
    max_points: Fraction
    students: int  # graded submissions with this exercise (out of this maximum)
    full: int  # of them, with full marks
    mean: Fraction  # mean points of them
    outcomes: tuple  # (("full", n), ("partial", n), ("none", n))
    mistakes: tuple  # (MistakeNote, students), most frequent first
    losses: tuple  # Loss, fewest points first

    @property
    def rate(self) -> float:
        return self.full / self.students if self.students else 0.0


def exercises(results, *, order=(), titles=None) -> list[ExerciseStats]:
    """Per code exercise (and per maximum, should one exercise have several), in ``order``."""
    titles = titles or {}
    groups = defaultdict(list)  # (exercise, max) -> [(result, cases)]
    names = []
    for result in _counted(results):
        by_exercise = defaultdict(list)
        for case in result.cases:
            if case.kind != "review":
                by_exercise[case.exercise].append(case)
        for name, cases in by_exercise.items():
            names.append(name)
            top = exact_sum(c.max_points for c in cases)
            groups[(name, top)].append((result, cases))
    stats = []
    for name in _ordered(names, order):
        for top in sorted({t for (n, t) in groups if n == name}, reverse=True):
            members = groups[(name, top)]
            outcomes, mistakes, notes, losses, earned = Counter(), Counter(), {}, [], []
            for result, cases in members:
                got = exact_sum(c.points for c in cases)
                earned.append(got)
                outcomes["full" if top > 0 and got >= top else "partial" if got > 0
                         else "none"] += 1
                found = {}
                for case in cases:
                    for mistake in case.mistakes:
                        found.setdefault(mistake.id, mistake)
                for mistake_id, mistake in found.items():
                    mistakes[mistake_id] += 1
                    notes.setdefault(mistake_id, mistake)
                if got < top:
                    failed = [c for c in cases if not c.passed]
                    problems = tuple(dict.fromkeys(p for c in failed for p in c.problems))[:3]
                    losses.append(Loss(result.student, got, top, tuple(found.values()),
                                       problems, tuple(dict.fromkeys(c.status for c in failed)),
                                       any(_is_manual(c) for c in cases)))
            losses.sort(key=lambda loss: (loss.points, loss.student))
            stats.append(ExerciseStats(
                name, titles.get(name, name), top, len(members), outcomes["full"],
                exact_sum(earned) / len(members),
                tuple((k, outcomes[k]) for k in ("full", "partial", "none")),
                tuple((notes[m], n) for m, n in sorted(mistakes.items(),
                                                       key=lambda kv: (-kv[1], kv[0]))),
                tuple(losses)))
    return stats


@dataclass(frozen=True)
class CaseStats:
    exercise: str
    number: int
    visibility: str
    max_points: Fraction
    students: int
    passed: int
    mean: Fraction
    statuses: tuple  # (status, students), most frequent first
    mistakes: tuple  # (mistake id, students), most frequent first

    @property
    def name(self) -> str:
        return f"{self.exercise}: case {self.number}" + (
            " (visible)" if self.visibility == "visible" else "")

    @property
    def rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


def cases(results, *, order=()) -> list[CaseStats]:
    """Per test case of the code exercises (and per maximum), exercises in ``order``."""
    groups = defaultdict(list)
    names = []
    for result in _counted(results):
        for case in result.cases:
            if case.kind == "code":
                names.append(case.exercise)
                groups[(case.exercise, case.number, case.max_points)].append(case)
    rank = {name: i for i, name in enumerate(_ordered(names, order))}
    stats = []
    for (name, number, top), members in sorted(
            groups.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1], -kv[0][2])):
        statuses = Counter(c.status for c in members)
        mistakes = Counter(m.id for c in members for m in {m.id: m for m in c.mistakes}.values())
        visibility = "visible" if any(c.visibility == "visible" for c in members) else "hidden"
        stats.append(CaseStats(
            name, number, visibility, top, len(members), statuses.get("passed", 0),
            exact_sum(c.points for c in members) / len(members),
            tuple(sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))),
            tuple(sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0])))))
    return stats


@dataclass(frozen=True)
class MistakeStats:
    exercise: str
    id: str
    title: str
    hint: str
    students: tuple  # who made it (once each), by id
    of: int  # graded submissions

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def rate(self) -> float:
        return self.count / self.of if self.of else 0.0


def mistakes(results) -> list[MistakeStats]:
    """Every (exercise, mistake) diagnosed, most students first; a student counts once each."""
    counted = _counted(results)
    who, notes = defaultdict(set), {}
    for result in counted:
        for exercise, mistake in result.mistakes():
            who[(exercise, mistake.id)].add(result.student)
            notes.setdefault((exercise, mistake.id), mistake)
    ranked = sorted(who, key=lambda key: (-len(who[key]), key))
    return [MistakeStats(key[0], key[1], notes[key].title, notes[key].hint,
                         tuple(sorted(who[key])), len(counted)) for key in ranked]


# -- review questions ------------------------------------------------------------------------

UNREADABLE = "(an answer that could not be read)"


@dataclass(frozen=True)
class QuestionStats:
    id: str
    variable: str
    lecture: int | None
    prompt: str
    parametric: bool
    answered: int
    correct: int
    unanswered: int
    wrong: tuple  # (answer label, times), most frequent first
    sources: tuple  # (("notebook", n), ("quiz", n)) responses per source

    @property
    def rate(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def _short(text, limit=80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def questions(results, quizzes, bank_questions, *, label=None) -> list[QuestionStats]:
    """How each review question went: graded notebooks' answer variables and the latest quiz
    attempts together; hardest first (questions nobody answered last).

    ``label(question, value)`` writes an answer in the question's own terms (so that "a", "A"
    and the choice's text are one answer), or None when it cannot; without it, answers are
    compared as written.
    """
    by_id = {q.id: q for q in bank_questions}
    by_variable = {q.variable: q for q in bank_questions if q.variable}
    tallies = {}

    def tally(key, question, outcome, answer, source):
        if key not in tallies:
            tallies[key] = {"question": question, "answered": 0, "correct": 0,
                            "unanswered": 0, "wrong": Counter(), "sources": Counter()}
        item = tallies[key]
        item["sources"][source] += 1
        if outcome == "unanswered":
            item["unanswered"] += 1
            return
        item["answered"] += 1
        if outcome == "correct":
            item["correct"] += 1
        else:
            shown = None
            if question is not None and label is not None and answer:
                shown = label(question, answer)
            item["wrong"][_short(shown or answer or UNREADABLE)] += 1

    for result in _counted(results):
        for case in result.cases:
            if case.kind != "review":
                continue
            question = by_id.get(case.question) or by_variable.get(case.exercise)
            key = question.id if question is not None else case.question or case.exercise
            outcome = "correct" if case.passed else "unanswered" if case.status == "missing" \
                else "wrong"
            tally((key, case.exercise), question, outcome, case.submitted, "notebook")
    for quiz in (quizzes or {}).values():
        for answer in quiz.get("answers", ()):
            question = by_id.get(answer["question_id"])
            text = answer.get("answer")
            outcome = "correct" if answer["correct"] else "unanswered" if text is None or \
                not str(text).strip() else "wrong"
            variable = question.variable if question is not None and question.variable else ""
            tally((answer["question_id"], variable), question, outcome,
                  "" if text is None else str(text), "quiz")
    merged = {}
    for (key, variable), item in tallies.items():  # one question, notebook and quiz together
        if key in merged:
            into = merged[key]
            for name in ("answered", "correct", "unanswered"):
                into[name] += item[name]
            into["wrong"] += item["wrong"]
            into["sources"] += item["sources"]
            into["variable"] = into["variable"] or variable
        else:
            merged[key] = {**item, "variable": variable}
    stats = []
    for key, item in merged.items():
        question = item["question"]
        parametric = bool(question is not None and question.parametric)
        stats.append(QuestionStats(
            key, (question.variable if question is not None else None) or item["variable"],
            question.lecture if question is not None else None,
            question.prompt if question is not None else "", parametric,
            item["answered"], item["correct"], item["unanswered"],
            tuple(sorted(item["wrong"].items(), key=lambda kv: (-kv[1], kv[0]))),
            tuple((source, item["sources"][source]) for source in ("notebook", "quiz")
                  if item["sources"][source])))
    return sorted(stats, key=lambda q: (q.rate if q.rate is not None else 2.0,
                                        q.lecture or 99, q.id))


# -- submissions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileProblem:
    student: str
    status: str
    reason: str
    errors: tuple
    ignored: tuple


def file_problems(results) -> list[FileProblem]:
    """Submissions that were not graded whole: unreadable, empty or failed files, cells that
    could not run, other files handed in beside the graded one."""
    return [FileProblem(r.student, r.status, r.reason, tuple(r.errors), tuple(r.ignored))
            for r in sorted(results, key=lambda r: r.student)
            if r.status != "graded" or r.errors or r.ignored]


@dataclass(frozen=True)
class LayerStats:
    counts: tuple  # (layer, submissions), most used first
    usual: tuple  # the most common set of layers
    weaker: tuple  # (student, layers lacking from the usual set)
    submissions: int


def layers(results) -> LayerStats:
    """Which isolation layers ran each latest attempt; who was graded with fewer than usual."""
    ran = [r for r in results if r.status != "failed" or r.layers]
    counts = Counter(layer for r in ran for layer in set(r.layers))
    sets = Counter(frozenset(r.layers) for r in ran)
    usual = max(sets.items(), key=lambda kv: (kv[1], len(kv[0])))[0] if sets else frozenset()
    weaker = tuple((r.student, tuple(sorted(usual - set(r.layers))))
                   for r in sorted(ran, key=lambda r: r.student) if usual - set(r.layers))
    return LayerStats(tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                      tuple(sorted(usual)), weaker, len(ran))


def late(rows) -> list[StudentRow]:
    """The late students, latest first."""
    return sorted((r for r in rows if r.status == "late"),
                  key=lambda r: (-(r.late_by or timedelta(0)).total_seconds(), r.student))


def unknown_times(rows) -> list[StudentRow]:
    """Graded students with a due date but no submission time: lateness unknown."""
    return [r for r in rows if r.status in ("graded", "late") and r.due is not None
            and not r.submitted_at]


def quiz_groups(quizzes) -> list[ScoreGroup]:
    """The latest quiz scores, grouped by maximum."""
    return score_groups((as_fraction(float(q["score"])), as_fraction(float(q["max_score"])))
                        for q in (quizzes or {}).values())
