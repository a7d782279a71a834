"""Quiz results: the file a student hands in, and grading it on the instructor's side.

``shallow quiz run`` writes the result file, ``quiz-<bank>.yaml`` in the current folder, which
the student hands in like a notebook (put it in the assignment folder before nbgrader's submit,
or upload it to the LMS)::

    format: shallow-quiz-result/1
    bank: shallow-networks            # the bank's id
    bank_version: 330c078b32ccdd8b    # the hash of the bank version answered
    seed: 0                           # the variant seed the numbers were drawn with
    student: ann                      # as typed; for information only
    started: '2025-01-31T09:12:03Z'
    finished: '2025-01-31T09:20:45Z'
    answers:                          # as typed; null: skipped or no readable answer
      lecture-05-keepdims: (4, 1)
      parametric-parameter-count: '21'

``grade_file`` re-grades such a file (or a hand-written answers file: the same mapping, or a
bare ``{question_id: answer}`` mapping) with the instructor's bank. It reads only the answers:
a score, a ``correct`` flag or any other field in the file is ignored. The student is decided on
the instructor's side (``student_of``): an explicit id, or the folder in nbgrader's layout
``submitted/<student>/<assignment>/<file>``, or the file's name in a flat folder of
``<student>.yaml`` files; never the file's ``student`` field. Parametric numbers are always those
of (the course seed, that student): an answer drawn with another seed, or under another student
id, is graded for the student's own variant, with a one-line note.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .safeyaml import ANSWERS_MAX_BYTES, Mapping, YamlError, load_file

FORMAT = "shallow-quiz-result/1"
META_FIELDS = ("format", "bank", "bank_version", "seed", "student", "started", "finished")
SUFFIXES = (".yaml", ".yml", ".json")
MAX_ANSWER_CHARS = 2000


def result_file_name(bank_id):
    """The name a result file has: ``quiz-<bank>.yaml``."""
    return f"quiz-{bank_id}.yaml"


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ResultFileError(ValueError):
    """A result file that cannot be graded (one line: FILE[:LINE]: problem)."""


@dataclass
class Answer:
    question_id: str
    answer: str
    correct: bool | None  # None: only the answer's form was checked (graded later)
    score: float
    max_score: float
    feedback: str = ""

    @property
    def checked(self):
        return self.correct is not None

    def as_dict(self):
        return {"question_id": self.question_id, "answer": self.answer,
                "correct": bool(self.correct), "score": self.score,
                "max_score": self.max_score}


@dataclass
class QuizResult:
    student: str
    bank: str
    seed: int
    planned: int
    answers: list = field(default_factory=list)
    stopped_early: bool = False
    problems: list = field(default_factory=list)
    bank_version: str = ""
    started: str = ""
    finished: str = ""

    @property
    def score(self):
        return sum(a.score for a in self.answers if a.checked)

    @property
    def max_score(self):
        return sum(a.max_score for a in self.answers if a.checked)

    @property
    def unchecked(self):
        return [a for a in self.answers if not a.checked]


# -- writing (the student's side) ----------------------------------------------------------

def result_data(result):
    """The result file's content: answers as typed, never a score."""
    return {
        "format": FORMAT,
        "bank": result.bank,
        "bank_version": result.bank_version,
        "seed": result.seed,
        "student": result.student,
        "started": result.started,
        "finished": result.finished or utc_now(),
        "answers": {a.question_id: (a.answer if a.answer != "" else None)
                    for a in result.answers},
    }


def write_result(result, path):
    """Write the result file atomically (a complete file or none); return its path."""
    import yaml

    path = Path(path)
    text = ("# shallow quiz result: hand this file in with your notebook (or upload it).\n"
            "# Your instructor re-grades the answers; editing the file changes nothing else.\n"
            + yaml.safe_dump(result_data(result), sort_keys=False, allow_unicode=True,
                             width=100))
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# -- reading (the instructor's side) -------------------------------------------------------

@dataclass
class Submission:
    path: str
    answers: dict  # question id -> the value in the file
    lines: dict  # question id -> line
    seed: int | None = None
    bank: str | None = None
    bank_version: str | None = None
    typed_student: str | None = None
    ignored: list = field(default_factory=list)  # fields read as information or not at all


def read_submission(path):
    """Read a result or answers file; ResultFileError (one line) when it cannot be used."""
    try:
        data = load_file(path, max_bytes=ANSWERS_MAX_BYTES)
    except YamlError as exc:
        raise ResultFileError(str(exc)) from None
    name = str(path)
    if not isinstance(data, dict):
        raise ResultFileError(f"{name}:1: expected a mapping of question ids to answers "
                              f"(or a result file with 'answers:')")

    def where(key):
        return f"{name}:{data.line_of(key) if isinstance(data, Mapping) else 1}"

    if "answers" in data:
        answers = data["answers"]
        if answers is None:
            answers = {}
        if not isinstance(answers, dict):
            raise ResultFileError(f"{where('answers')}: 'answers' must map question ids to "
                                  f"answers")
        ignored = [str(k) for k in data if k not in META_FIELDS and k != "answers"]
    else:
        answers = {k: v for k, v in data.items() if k not in META_FIELDS}
        ignored = []
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ResultFileError(f"{where('seed')}: seed must be a whole number, got "
                              f"{_short(seed)}")
    for key in ("bank", "bank_version", "student"):
        value = data.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise ResultFileError(f"{where(key)}: {key} must be text, got {_short(value)}")
    lines = {}
    if isinstance(answers, Mapping):
        lines = {str(k): answers.line_of(k) for k in answers}
    return Submission(
        path=name, answers={str(k): v for k, v in answers.items()}, lines=lines, seed=seed,
        bank=None if data.get("bank") is None else str(data["bank"]),
        bank_version=None if data.get("bank_version") is None else str(data["bank_version"]),
        typed_student=None if data.get("student") is None else str(data["student"]),
        ignored=ignored)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def is_result_name(path):
    return Path(path).name.startswith("quiz-") and Path(path).suffix.lower() in SUFFIXES


def student_of(path, student=None):
    """(student, assignment or None, how it was decided) from the instructor's side."""
    path = Path(path)
    parts = Path(os.path.abspath(path)).parts
    if student:
        return str(student), _assignment_from(parts), "--student"
    if len(parts) >= 4 and parts[-4] == "submitted":
        return parts[-3], parts[-2], "nbgrader's submitted/<student>/<assignment>/ folder"
    if not is_result_name(path):
        return path.stem, None, "the file's name"
    raise ResultFileError(f"{path}: whose file is this? Pass --student, or grade it in nbgrader's "
                          f"submitted/<student>/<assignment>/ layout, or name it <student>"
                          f"{path.suffix}")


def _assignment_from(parts):
    if len(parts) >= 4 and parts[-4] == "submitted":
        return parts[-2]
    return None


def find_result_files(paths):
    """Expand files and folders: a folder holds nbgrader's ``submitted/<student>/<assignment>/``
    layout (its ``quiz-*`` files are graded), or is a flat folder of answers files."""
    found = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ResultFileError(f"{raw}: no such file or folder")
        if path.is_file():
            found.append(path)
            continue
        root = path / "submitted" if (path / "submitted").is_dir() else path
        nested = sorted(p for p in root.glob("*/*/quiz-*") if p.is_file()
                        and p.suffix.lower() in SUFFIXES and not _hidden(p, root))
        if nested or root.name == "submitted":
            found.extend(nested)
        else:
            found.extend(sorted(p for p in root.iterdir() if p.is_file()
                                and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")))
    return found


def _hidden(path, root):
    return any(part.startswith(".") for part in path.relative_to(root).parts)


# -- grading ---------------------------------------------------------------------------------

def grade_answers(bank, answers, *, student="", seed=0):
    """Grade a mapping {question_id: response}; unknown ids are listed in ``problems``."""
    from .checking import AnswerFormatError, check_answer
    from .rendering import variant_for

    result = QuizResult(student, bank.id, seed, planned=len(answers),
                        bank_version=bank.version)
    ids = {q.id for q in bank.questions}
    for question_id, response in answers.items():
        if question_id not in ids:
            result.problems.append(f"unknown question id '{question_id}'")
            continue
        question = bank.get(question_id)
        typed = _typed(response)
        if response is None or (isinstance(response, str) and not response.strip()):
            result.answers.append(Answer(question_id, "", False, 0.0, question.points,
                                         "not answered"))
            continue
        variant = variant_for(question, student, seed)
        try:
            check = check_answer(question, response, variant)
        except AnswerFormatError as exc:
            result.answers.append(Answer(question_id, typed, False, 0.0, question.points,
                                         f"unreadable answer: {exc}"))
            continue
        result.answers.append(Answer(question_id, typed, check.correct, check.score,
                                     check.max_score, check.feedback))
    return result


def _typed(value):
    text = "" if value is None else value if isinstance(value, str) else \
        ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text[:MAX_ANSWER_CHARS]


@dataclass
class GradedFile:
    path: str
    student: str
    assignment: str | None
    result: QuizResult
    notes: list = field(default_factory=list)  # one line each


def grade_file(bank, path, *, student=None, seed=None):
    """Re-grade one file with the instructor's ``bank``; ResultFileError when it cannot be.

    ``student``: the id from the instructor's side (else ``student_of`` decides it). ``seed``:
    the course seed (default: the bank's), from which each student's variant is drawn.
    """
    if bank.student_copy:
        raise ResultFileError(f"{bank.path}: a student copy holds no answers; grade with the "
                              f"instructor's bank")
    who, assignment, how = student_of(path, student)
    submission = read_submission(path)
    course_seed = bank.seed if seed is None else seed
    if submission.bank is not None and submission.bank != bank.id:
        raise ResultFileError(f"{path}: answers for bank '{submission.bank}', but the bank "
                              f"given is '{bank.id}'")
    notes = []
    if submission.ignored:
        notes.append(f"{path}: ignored field(s) {', '.join(sorted(submission.ignored))}: only "
                     f"the answers are graded")
    if submission.bank_version and submission.bank_version != bank.version:
        notes.append(f"{path}: answered with bank version {submission.bank_version}, graded "
                     f"with version {bank.version} (the bank changed since)")
    parametric = [qid for qid in submission.answers
                  if qid in {q.id for q in bank.questions if q.parametric}]
    if parametric and submission.seed is not None and submission.seed != course_seed:
        notes.append(f"{path}: numbers drawn with seed {submission.seed}; "
                     f"{len(parametric)} parametric answer(s) graded for {who}'s own variant "
                     f"(course seed {course_seed})")
    if parametric and submission.typed_student is not None and \
            submission.typed_student != who:
        notes.append(f"{path}: answered as '{submission.typed_student}', graded as '{who}' "
                     f"(from {how}): parametric answers are checked against {who}'s numbers")
    result = grade_answers(bank, submission.answers, student=who, seed=course_seed)
    for problem in result.problems:
        qid = problem.split("'")[1] if "'" in problem else ""
        line = submission.lines.get(qid)
        notes.append(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
    return GradedFile(str(path), who, assignment, result, notes)
