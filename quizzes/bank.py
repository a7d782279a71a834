"""Question banks: YAML files of review questions, loaded and validated with file and line.

A bank file looks like::

    bank: shallow-networks
    title: "Shallow neural networks: review questions"
    seed: 0                    # the course seed: parametric numbers come from (seed, student)
    questions:
      - id: lecture-05-keepdims
        type: shape            # a registered type: true_false, single_choice, multiple_choice,
                               # numeric, shape, text, parametric (or a plugin's)
        prompt: "If A.shape = (4, 3), what is np.sum(A, axis=1, keepdims=True).shape?"
        answer: [4, 1]
        explanation: "keepdims=True keeps the summed axis with length 1 ..."
        tags: [vectorization, keepdims]
        points: 1              # default 1
        practice: false        # true: students may check it fully (see quizzes.student)
        lecture: 5             # the lecture's own review question number, if it is one
        variable: q_keepdims_shape   # the answer variable in a notebook, if any
        feedback:              # tempting wrong answers
          - answer: [4]
            says: "Without keepdims the summed axis disappears ..."

Each type reads its own fields besides these (``quizzes.types``): ``choices`` for single and
multiple choice, whose ``answer`` is one choice or a list of them; ``tolerance: {abs: x}`` or
``{rel: x}`` for numeric; ``accept`` (other accepted spellings) for text; ``generator`` (see
``quizzes.variants``) and no ``answer`` for parametric questions, whose prompt, explanation and
feedback have ``{placeholders}``.

A student copy (``student_copy: true``, written by ``quizzes.student``) carries the version of
the bank it was made from and no answer, accepted spelling, feedback, tolerance or explanation
for graded (non-practice) questions.

Files are read by ``quizzes.safeyaml`` (at most 10 MB, no aliases, bounded depth).
``validate_bank`` reports every problem as "FILE:LINE: problem", never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import types
from .safeyaml import BANK_MAX_BYTES, Mapping, YamlError, load_bytes, load_file, plain

BANKS_DIR = Path(__file__).parent / "banks"
TAGS = ("representation", "shapes", "parameters", "vectorization", "keepdims", "activations",
        "derivatives", "nonlinearity", "forward", "backward", "cost", "initialization",
        "saturation", "output")
COMMON_FIELDS = frozenset({"id", "type", "prompt", "explanation", "tags", "points", "lecture",
                           "variable", "feedback", "practice"})
ANSWER_FIELDS = frozenset({"answer", "accept", "feedback", "tolerance", "explanation"})
"""What a student copy leaves out of a graded question."""
BANK_FIELDS = frozenset({"bank", "title", "seed", "questions", "student_copy", "version"})
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
VERSION_PATTERN = re.compile(r"[0-9a-f]{16}\Z")


def __getattr__(name):
    if name == "TYPES":  # the known type names, plugins included (computed when asked)
        return types.names()
    raise AttributeError(name)


class BankError(Exception):
    """A bank that cannot be used; ``problems`` lists every "FILE:LINE: problem"."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self.problems[0] if self.problems else "invalid bank")


@dataclass
class Question:
    id: str
    type: str
    prompt: str
    explanation: str
    tags: list
    answer: object = None
    points: float = 1.0
    choices: list = field(default_factory=list)
    tolerance: dict = field(default_factory=dict)
    accept: list = field(default_factory=list)
    feedback: list = field(default_factory=list)
    lecture: int | None = None
    variable: str | None = None
    generator: str | None = None
    line: int = 0
    bank: str = ""
    practice: bool = False
    extra: dict = field(default_factory=dict)  # fields of plugin types

    @property
    def parametric(self):
        try:
            return isinstance(types.get(self.type), types.Parametric)
        except KeyError:
            return False


@dataclass
class Bank:
    id: str
    title: str
    path: str
    questions: list
    seed: int = 0
    version: str = ""
    student_copy: bool = False

    def get(self, question_id):
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def by_variable(self):
        return {q.variable: q for q in self.questions if q.variable}


def default_bank_path():
    return BANKS_DIR / "shallow_networks.yaml"


def load_bank(path=None):
    """Load and validate a bank; raise BankError listing every problem."""
    bank, problems = _read(path or default_bank_path())
    if problems:
        raise BankError(problems)
    return bank


def validate_bank(path):
    """Every problem of a bank file as "FILE:LINE: problem" (empty when the bank is valid)."""
    return _read(path)[1]


def bank_from_data(data, name="<bank>"):
    """(Bank or None, problems) from already-parsed data (a dict, e.g. a student copy)."""
    return _build(data, str(name))


def version_of(data):
    """The version of a bank: a hash of its content (comments and layout do not count)."""
    content = {k: v for k, v in plain(data).items() if k not in ("version", "student_copy")}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _read(path):
    path = Path(path)
    raw = _raw(path)  # read once: what is cached is what was parsed
    if raw is not None:
        cached = _cached_data(raw)
        if cached is not None:
            bank, problems = _build(cached, str(path))
            if not problems:  # else (a question type's plugin gone, say) parse the YAML again
                return bank, problems
    try:
        data = load_file(path, max_bytes=BANK_MAX_BYTES) if raw is None else \
            load_bytes(raw, path, max_bytes=BANK_MAX_BYTES)
    except YamlError as exc:
        return None, [str(exc)]
    bank, problems = _build(data, str(path))
    if not problems and raw is not None:
        _store_data(raw, data)
    return bank, problems


# -- the parsed data of valid banks, kept by content (a grade need not parse YAML) ----------

_CACHE_FORMAT = 2
_LINES = "\0lines"  # an encoded mapping's [line, {key: line}] (no YAML key is a NUL)


def _encode(data):
    """Plain JSON data, each Mapping's lines kept under _LINES; ValueError for what JSON
    cannot give back exactly (a key that is not a string, a NaN, a NUL key)."""
    if isinstance(data, dict):
        if not all(isinstance(key, str) and key != _LINES for key in data):
            raise ValueError("not a JSON mapping")
        out = {key: _encode(value) for key, value in data.items()}
        out[_LINES] = [getattr(data, "line", 0), dict(getattr(data, "key_lines", {}))]
        return out
    if isinstance(data, list):
        return [_encode(item) for item in data]
    if isinstance(data, float) and data != data:
        raise ValueError("NaN")
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise ValueError(f"not JSON: {type(data).__name__}")


def _decode(data):
    if isinstance(data, dict):
        line, key_lines = data.pop(_LINES, [0, {}])
        mapping = Mapping({key: _decode(value) for key, value in data.items()})
        mapping.line, mapping.key_lines = line, key_lines
        return mapping
    if isinstance(data, list):
        return [_decode(item) for item in data]
    return data


def cache_dir() -> Path:
    """Where valid banks' parsed data is kept: $SHALLOW_CACHE_DIR, else the user's cache."""
    import os

    chosen = os.environ.get("SHALLOW_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "shallow"


def _cache_file(raw: bytes) -> Path:
    key = hashlib.sha256(raw + b"\0%d" % _CACHE_FORMAT).hexdigest()
    return cache_dir() / f"bank-{key}.json"


def _raw(path):
    """The file's bytes, or None when it cannot be read or is too large (load_file says why)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(BANK_MAX_BYTES + 1)
    except OSError:
        return None
    return raw if len(raw) <= BANK_MAX_BYTES else None


def _cached_data(raw):
    """The data (Mappings with their lines) when this very content was parsed and found
    valid before, else None. The key is the content's hash: an edit is never served stale."""
    try:
        with open(_cache_file(raw), "rb") as handle:
            data = json.loads(handle.read())
        data = _decode(data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError, AttributeError, RecursionError):
        return None  # an unreadable cache file costs a parse, never the command
    return data


def _store_data(raw, data):
    """Keep the data of a valid bank's ``raw`` bytes with its lines, when JSON gives it back
    exactly (private, written whole)."""
    import os
    import tempfile

    temporary = None
    try:
        content = _encode(data)
        text = json.dumps(content, ensure_ascii=False, allow_nan=False)
        if json.loads(text) != content:  # JSON must give back exactly this
            return
        target = _cache_file(raw)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".bank-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
        temporary = None
    except (OSError, ValueError, TypeError):
        pass  # a cache that cannot be written only costs the next read its parse
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _line(mapping, key=None):
    if isinstance(mapping, Mapping):
        return mapping.line_of(key) if key is not None else mapping.line
    return 1


def _build(data, name):
    if not isinstance(data, dict):
        return None, [f"{name}:1: a bank is a mapping with 'bank', 'title' and 'questions'"]
    problems = []

    def problem(text, key=None):
        problems.append(f"{name}:{_line(data, key)}: {text}")

    for key in sorted(set(map(str, data)) - BANK_FIELDS):
        problem(f"unknown bank field '{key}'", key)
    bank_id = data.get("bank")
    if not isinstance(bank_id, str) or not ID_PATTERN.match(bank_id):
        problem("'bank' must be an id like shallow-networks", "bank")
        bank_id = str(bank_id)
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        problem(f"'seed' (the course seed) must be a whole number, got {types.shown(seed)}",
                "seed")
        seed = 0
    student_copy = data.get("student_copy", False)
    if not isinstance(student_copy, bool):
        problem("'student_copy' is true or false", "student_copy")
        student_copy = False
    if student_copy:
        version = data.get("version")
        if not isinstance(version, str) or not VERSION_PATTERN.match(version):
            problem("a student copy states the 'version' (16 hex digits) of its bank", "version")
            version = ""
    else:
        if "version" in data:
            problem("only a student copy states a 'version' (a bank's is computed)", "version")
        version = version_of(data)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problem("'questions' must be a non-empty list", "questions")
        raw_questions = []
    questions, seen = [], {}
    for raw in raw_questions:
        question, found = _question(raw, name, bank_id, student_copy, _line(data, "questions"))
        problems += found
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            qid, line = raw["id"], _line(raw)
            if qid in seen:
                problems.append(f"{name}:{line}: duplicate id '{qid}' (first at line "
                                f"{seen[qid]})")
                continue
            seen[qid] = line
        if question is not None:
            questions.append(question)
    variables = {}
    for question in questions:
        if question.variable:
            if question.variable in variables:
                problems.append(f"{name}:{question.line}: duplicate variable "
                                f"'{question.variable}'")
            variables[question.variable] = question.id
    title = data.get("title", bank_id)
    bank = Bank(bank_id, str(title), name, questions, seed=seed, version=version,
                student_copy=student_copy)
    return bank, problems


def _question(raw, name, bank_id, student_copy, list_line):
    if not isinstance(raw, dict):
        return None, [f"{name}:{list_line}: each question must be a mapping, got "
                      f"{type(raw).__name__}"]
    line = _line(raw)
    problems = []
    qid = raw.get("id")
    where = f"question {qid!r}" if isinstance(qid, str) else "question"

    def problem(text, key=None):
        problems.append(f"{name}:{_line(raw, key) if key else line}: {where}: {text}")

    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problems.append(f"{name}:{_line(raw, 'id')}: question id {qid!r} must be lowercase "
                        f"letters, digits and '-'")
        qid = str(qid)
        where = f"question {qid!r}"
    qtype_name = raw.get("type")
    try:
        qtype = types.get(qtype_name) if isinstance(qtype_name, str) else None
    except KeyError:
        qtype = None
    if qtype is None:
        known = ", ".join(types.names())
        extra = "".join(f"; {p}" for p in types.plugin_problems())
        problem(f"unknown type {qtype_name!r}; choose one of {known}{extra}", "type")
        return None, problems
    allowed = COMMON_FIELDS | qtype.fields
    for key in sorted(set(map(str, raw)) - allowed):
        if key == "answer" and not qtype.has_answer:
            problem("a parametric question computes its answer: remove 'answer'", key)
        elif key in {"answer", "choices", "tolerance", "accept", "generator"}:
            problem(f"field '{key}' does not apply to a {qtype.name} question", key)
        else:
            problem(f"unknown field '{key}'", key)
    practice = raw.get("practice", False)
    if not isinstance(practice, bool):
        problem("practice is true or false", "practice")
        practice = False
    stripped = student_copy and not practice
    if stripped:
        for key in sorted(ANSWER_FIELDS & set(raw)):
            problem(f"a student copy holds no '{key}' for a graded question", key)
    for key in ("prompt",) if stripped else ("prompt", "explanation"):
        if not isinstance(raw.get(key), str) or not raw.get(key).strip():
            problem(f"missing {key}", key if key in raw else None)
    tags = raw.get("tags")
    if not isinstance(tags, list) or not tags:
        problem("missing tags (at least one learning objective)", "tags" if "tags" in raw
                else None)
        tags = []
    for tag in tags:
        if tag not in TAGS:
            problem(f"unknown tag {tag!r}; choose from {', '.join(TAGS)}", "tags")
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not (
            0 < points < 1e6):
        problem(f"points must be a positive number, got {points!r}", "points")
        points = 1
    lecture = raw.get("lecture")
    if lecture is not None and (isinstance(lecture, bool) or not isinstance(lecture, int)
                                or not 1 <= lecture <= 99):
        problem(f"lecture must be the lecture's question number, got {lecture!r}", "lecture")
    variable = raw.get("variable")
    if variable is not None and (not isinstance(variable, str) or not variable.isidentifier()):
        problem(f"variable must be a Python identifier, got {variable!r}", "variable")
    lists = {}
    for key in ("choices", "accept"):
        value = raw.get(key)
        if value is not None and not isinstance(value, list):
            problem(f"{key} must be a list", key)
            value = None
        lists[key] = list(value or [])
    tolerance = raw.get("tolerance")
    tolerance = {} if tolerance is None else dict(tolerance) if isinstance(tolerance, dict) \
        else tolerance
    if qtype.has_answer and not stripped and raw.get("answer") is None:
        problem("missing answer")
    extra = {k: plain(v) for k, v in raw.items() if k in qtype.fields and k not in
             {"answer", "choices", "tolerance", "accept", "generator"}}
    question = Question(
        id=qid, type=qtype.name, prompt=str(raw.get("prompt", "")),
        explanation=str(raw.get("explanation", "") or ""), tags=list(tags),
        answer=plain(raw.get("answer")), points=float(points), choices=lists["choices"],
        tolerance=tolerance, accept=lists["accept"], feedback=[], lecture=lecture,
        variable=variable, generator=raw.get("generator"), line=line, bank=bank_id,
        practice=practice, extra=extra)
    question.feedback = _feedback_entries(raw.get("feedback"), problem)
    before = len(problems)
    qtype.validate(question, problem)
    if len(problems) == before and qtype.has_answer and question.answer is not None:
        _check_feedback(question, qtype, problem)
    return (question if not problems else None), problems


def _feedback_entries(raw, problem):
    if raw is None:
        return []
    if not isinstance(raw, list):
        problem("feedback must be a list of {answer, says}", "feedback")
        return []
    items = []
    for item in raw:
        if not isinstance(item, dict) or "answer" not in item or not isinstance(
                item.get("says"), str) or set(map(str, item)) - {"answer", "says"}:
            problem("each feedback entry has exactly 'answer' and 'says'", "feedback")
            continue
        items.append({"answer": plain(item["answer"]), "says": item["says"]})
    return items


def _check_feedback(question, qtype, problem):
    """Each tempting wrong answer must be readable, and not the right answer."""
    for entry in question.feedback:
        try:
            if qtype.is_right(question, qtype.read(question, entry["answer"])):
                problem(f"feedback answer {types.shown(entry['answer'])} is the correct "
                        f"answer", "feedback")
        except types.AnswerFormatError as exc:
            problem(f"feedback answer {types.shown(entry['answer'])}: {exc}", "feedback")
