"""Grade one submission: notebook -> isolated children -> the course's checks -> a result.

The natural way through the house:

1. ``notebook.read_submission`` reads the file as JSON (no kernel) and keeps its definitions;
2. the course gives the assignment's exercises and this student's cases (hidden ones from the
   student's own seed), with their expected values and stand-in traces;
3. ``isolation.Sandbox`` loads the definitions in one child (which reports the review answers)
   and runs each exercise's calls in a fresh child of its own;
4. each returned value is compared with the expected one (``course.compare``) and a failed case
   is diagnosed (``course.diagnose``);
5. the structured ``SubmissionResult`` goes to the gradebook, ``results.json`` and the views.

``batch.py`` grades many submissions with worker processes.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import marshal
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import __version__
from .results import CaseResult, MistakeNote, SubmissionResult

SUFFIXES = (".ipynb", ".py")


@dataclass(frozen=True)
class Submission:
    """One file to grade, with who submitted it, for which assignment, and when."""

    path: str
    student: str
    assignment: str | None = None  # None: guess from the notebook's definitions
    submitted_at: str = ""  # ISO 8601 UTC
    submitted_at_source: str = ""  # "timestamp.txt", "file mtime", "command line"
    ignored: tuple = ()  # other files of the submission folder, listed, never graded


@dataclass(frozen=True)
class Options:
    """How a batch is graded (the same for every submission in it)."""

    seed: int | None = None  # one set of cases for everybody; None: per student (secret)
    secret: bytes | None = None  # the course secret (see seeds.py)
    visible_only: bool = False  # `shallow check`: the visible cases only
    timeout: float | None = None  # cap on every exercise's budget (seconds)
    version: str | None = None  # pin the assignment version for the whole batch
    review: str = "auto"  # review questions: "auto" (if the notebook has them), "count", "skip"
    course_root: str | None = None  # where the instructor's exercise files live
    student_budget_s: float = 180.0  # grading time for ALL of one student's notebooks in a batch


@dataclass
class Plan:
    """What one submission is graded on."""

    assignment: object
    version: str | None
    seed: int
    seed_source: str
    exercises: list = field(default_factory=list)  # [(Exercise, [GradedCase])]
    questions: list = field(default_factory=list)
    review_policy: str = "counted"


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seed_for(options: Options, student: str, assignment: str, sha256: str = "") -> \
        tuple[int, str]:
    """The seed of a submission's hidden cases and where it comes from: ``--seed``, else the
    course secret with the student, the assignment and the file's ``sha256`` (seeds.py)."""
    if options.seed is not None:
        return int(options.seed), "fixed"
    if options.secret is None:
        return 0, "fixed"
    from .seeds import student_seed

    return student_seed(options.secret, student, assignment, sha256), "course-secret"


def _course(options):
    from .course import default_course

    return default_course(options.course_root)


def plan_for(submission, source, options, course) -> Plan:
    """The assignment, version, seed, cases and review questions a submission is graded on."""
    from .course import review

    name = submission.assignment
    if name is None:
        name = course.guess_assignment(source.defined if source is not None else {}) or \
            next(iter(course.assignments))
    assignment = course.assignment(name)
    version = options.version
    if version is None:
        detected = course.detect_version(assignment.name, source)
        version = detected.name if detected is not None else None
    elif assignment.versions and not assignment.version(version):
        from .course import CourseError

        raise CourseError(f"--version {version!r}: {assignment.name} has the versions "
                          f"{', '.join(v.name for v in assignment.versions)}")
    seed, seed_source = seed_for(options, submission.student, assignment.name,
                                 source.sha256 if source is not None else "")
    plan = Plan(assignment, version, seed, seed_source)
    for exercise in course.exercises_for(assignment.name, version):
        plan.exercises.append((exercise, course.graded_cases(
            exercise, seed, visible_only=options.visible_only, version=version)))
    questions = review.questions(assignment)
    has_answers = source is not None and any(q.variable in source.defined for q in questions)
    if questions and (options.review == "skip" or (
            options.review in ("auto", "form") and source is not None and not has_answers)):
        plan.review_policy = "not-in-notebook"
    else:
        plan.questions = questions
    return plan


_COMPILED = collections.OrderedDict()  # (cell, source) -> its compiled statements
_COMPILED_KEPT = 4096


def compile_chunks(chunks):
    """Each cell's kept statements, compiled here once (the children exec them as they are).
    A class's notebooks share most cells (the released ones): those are compiled once."""
    out = []
    for chunk in chunks:
        key = (chunk.cell, chunk.source)
        statements = _COMPILED.get(key)
        if statements is None:
            statements = _compile_cell(chunk.cell, chunk.source)
            _COMPILED[key] = statements
            if len(_COMPILED) > _COMPILED_KEPT:
                _COMPILED.popitem(last=False)
        else:
            _COMPILED.move_to_end(key)
        out.append([chunk.cell, statements])
    return out


def _compile_cell(cell, source):
    import ast

    label = f"<cell {cell}>"
    try:
        tree = ast.parse(source, filename=label)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    statements = []
    for statement in tree.body:
        try:
            code = compile(ast.Module([statement], []), label, "exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        statements.append({"marshal": base64.b64encode(marshal.dumps(code)).decode()})
    return statements


def call_text(exercise, case):
    """'forward_propagation(X=array(2, 3), parameters={W1: (4, 2), ...})': shapes only."""
    from .course.compare import describe

    names = (*exercise.args, *exercise.optional)
    parts = [f"{names[i] if i < len(names) else f'arg{i}'}={describe(a)}"
             for i, a in enumerate(case.args)]
    parts += [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
    seed = f" after np.random.seed({case.seed})" if case.seed is not None else ""
    return f"{exercise.name}({', '.join(parts)}){seed}"


def _jobs(plan, source, options, course):
    from .course.standins import Standins
    from .isolation import wire
    from .isolation.sandbox import ExerciseJob, Limits

    jobs = []
    for exercise, graded in plan.exercises:
        if exercise.name not in source.defined or not graded:
            continue
        budget = min(exercise.budget_s, options.timeout or exercise.budget_s)
        calls = [{"op": "call", "id": g.case.id, "function": exercise.name,
                  "args": [wire.encode(a) for a in g.case.args],
                  "kwargs": {k: wire.encode(v) for k, v in g.case.kwargs.items()},
                  "seed": g.case.seed, "mutation": exercise.mutation_check} for g in graded]
        standins = tuple(d for d in exercise.depends if d in course.exercises)
        random = tuple(d for d in standins if course.exercises[d].random)
        jobs.append(ExerciseJob(exercise.name, calls, budget or Limits.exercise_s, standins,
                                random, Standins.for_course(course, graded, plan.version)))
    return jobs


def grade_submission(submission, options=Options(), *, sandbox=None) -> SubmissionResult:
    """Grade one Submission and return its SubmissionResult. Never raises for a bad file."""
    from .course import review
    from .notebook import NotebookError, read_submission

    start = time.perf_counter()
    if sandbox is None:
        from .isolation.sandbox import default_sandbox

        sandbox = default_sandbox()
    sandbox.warm()  # the zygote imports numpy while this process reads the notebook
    course = _course(options)
    result = SubmissionResult(
        student=submission.student, assignment=submission.assignment or "",
        path=submission.path, submitted_at=submission.submitted_at,
        submitted_at_source=submission.submitted_at_source, ignored=list(submission.ignored),
        graded_at=now_utc(), grader_version=__version__, layers=list(sandbox.layers))
    graded_names = frozenset(course.exercises) | review.answer_variables()
    try:
        source = read_submission(submission.path, graded_names=graded_names)
        result.sha256 = source.sha256
        result.errors += [f"{submission.path}: {p}" for p in source.problems]
    except NotebookError as exc:
        source = None
        result.status, result.reason = "unreadable", str(exc)
        try:
            result.sha256 = file_sha256(submission.path)
        except OSError:
            pass

    plan = plan_for(submission, source, options, course)
    result.assignment = plan.assignment.name
    result.seed, result.seed_source = plan.seed, plan.seed_source
    result.version = plan.version or ""
    version = plan.assignment.version(plan.version)
    if version is not None and len(plan.assignment.versions) > 1:
        how = "as asked" if options.version else "recognised from its imports and signatures"
        result.notes.append(f"graded as {version.title} ({how})")
    result.review_policy = plan.review_policy
    if plan.review_policy != "counted":
        result.notes.append("review questions: not part of this notebook (the score is out of "
                            "the code exercises only)")

    run = None
    if source is not None:
        jobs = _jobs(plan, source, options, course)
        questions = [q.variable for q in plan.questions if q.variable in source.defined]
        if jobs or questions:
            run = sandbox.run(compile_chunks(source.chunks), jobs, review=questions)
            result.layers = list(sandbox.layers)
            result.errors += [f"{submission.path}: cell {cell}: {error}"
                              for cell, error in run.cell_errors]
            result.errors += [f"{submission.path}: {note}" for note in run.notes]
        defined = {name for exercise, _ in plan.exercises for name in [exercise.name]
                   if name in source.defined}
        if not defined and not questions and result.status == "graded":
            result.status = "empty"
            other = course.guess_assignment(source.defined)
            result.reason = f"{submission.path}: defines none of {plan.assignment.name}'s " \
                            f"functions" + (f" (it looks like {other})" if other and
                                            other != plan.assignment.name else "")
    not_graded = f"not graded: {result.reason}" if source is None else None
    for exercise, graded in plan.exercises:
        result.cases += exercise_cases(exercise, graded, run, source, not_graded)
    if source is not None:
        _explain_unrun_globals(result, source)
    result.cases += review_cases(plan.questions, run, source, not_graded,
                                 form_only=options.review == "form")
    result.duration_s = time.perf_counter() - start
    return result


def exercise_cases(exercise, graded, run, source, not_graded):
    """One CaseResult per case of ``exercise``: points, problems, diagnosed mistakes."""
    share = exercise.case_points(len(graded))
    cases = []
    for item in graded:
        case = item.case
        result = CaseResult(exercise.name, "code", case.number,
                            "visible" if case.visible else "hidden", max_points=share,
                            call=call_text(exercise, case))
        if not_graded:
            result.status, result.problems = "not-graded", [not_graded]
        elif exercise.name not in source.defined:
            result.status, result.problems = "missing", [_missing_text(exercise.name, source)]
        else:
            outcome = run.outcome(case.id) if run is not None else None
            _judge(exercise, item, outcome, result)
            if result.status == "passed":
                result.points = share
        cases.append(result)
    return cases


_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def _explain_unrun_globals(result, source):
    """A function that failed on a notebook global the grader did not run: say which, why, and
    name the mistake when it reads a variable of a test or experiment cell."""
    unrun = getattr(source, "unrun_globals", {}) or {}
    for case in result.cases:
        if case.status != "error" or not case.problems:
            continue
        match = _NAME_ERROR.search(case.problems[0])
        if not match:
            continue
        name = match.group(1)
        known = {g[0]: g for g in unrun.get(case.exercise, [])}
        if name not in known:
            continue
        _, cell, why = known[name][:3]
        case.note = f"the notebook's global {name} (cell {cell}) was not run while grading: {why}"
        if not any(m.id == "uses_notebook_global" for m in case.mistakes):
            case.mistakes.append(MistakeNote(
                "uses_notebook_global", f"reads the notebook's variable {name}",
                f"A graded function must compute from its arguments only: {name} is a variable "
                f"of the notebook (cell {cell}), which does not exist when the function is "
                f"called on other inputs.", (case.labels[0],) if case.labels else ()))


def _missing_text(name, source):
    broken = getattr(source, "broken_defs", {}) or {}
    if name in broken:
        cell = broken[name]
        reason = (getattr(source, "unparsed", {}) or {}).get(cell, "")
        return f"function {name} is in cell {cell}, which could not be parsed" + (
            f": {reason}" if reason else "")
    return f"function {name} not found in the notebook"


def _judge(exercise, item, outcome, result):
    from .course.judge import judge

    judge(exercise, item, outcome, result)


def review_cases(questions, run, source, not_graded, *, form_only=False):
    """One CaseResult per review question answered as a notebook variable (``form_only``:
    the student's check, which says nothing of a graded answer but its form)."""
    from .course import review

    cases = []
    for question in questions:
        result = CaseResult(question.variable, "review", 1, "visible",
                            max_points=_fraction(question.points), question=question.id)
        if not_graded:
            result.status, result.problems = "not-graded", [not_graded]
        elif question.variable not in source.defined:
            result.status = "missing"
            result.problems = [f"answer variable {question.variable} not found in the notebook"]
        else:
            values = run.review if run is not None else {}
            present = question.variable in values
            value = values.get(question.variable)
            credit, problem, feedback = review.check(question, value, present,
                                                     form_only=form_only)
            if credit == 1:
                result.status, result.points = "passed", result.max_points
                if form_only and not getattr(question, "practice", False):
                    result.note = "its form is right; it is checked when the notebook is graded"
            elif not present or value is None or (isinstance(value, str) and not value.strip()):
                result.status, result.problems = "missing", [problem]  # not answered yet
            else:
                result.status, result.problems, result.feedback = "failed", [problem], feedback
                result.points = result.max_points * _fraction(credit)
                result.submitted = _answer_label(question, value)
        cases.append(result)
    return cases


def _fraction(value):
    from .results import as_fraction

    return as_fraction(value)


def _answer_label(question, value):
    """The answer in the question's own terms ('b', '(4, 1)', 'true'), short and safe."""
    from .course import review
    from .isolation.wire import clean_text

    try:
        from quizzes.checking import LETTERS, parse_answer

        parsed = parse_answer(question, review.plain(value))
    except Exception:  # noqa: BLE001 - an unreadable answer gets no label
        return "(an unreadable answer)"
    if question.type == "single_choice" and parsed in question.choices:
        return LETTERS[question.choices.index(parsed)]
    if question.type == "multiple_choice":
        return ", ".join(LETTERS[i] for i, c in enumerate(question.choices) if c in parsed)
    if question.type == "true_false":
        return "true" if parsed else "false"
    if question.type == "shape":
        return str(tuple(parsed))
    return clean_text(parsed, 60)
