"""Question banks: YAML files of review questions, loaded and validated with file and line.

A bank file looks like::

    bank: shallow-networks
    title: "Shallow neural networks: review questions"
    questions:
      - id: lecture-05-keepdims
        type: shape            # true_false, single_choice, multiple_choice, numeric, shape,
                               # text or parametric
        prompt: "If A.shape = (4, 3), what is np.sum(A, axis=1, keepdims=True).shape?"
        answer: [4, 1]
        explanation: "keepdims=True keeps the summed axis with length 1 ..."
        tags: [vectorization, keepdims]
        points: 1              # default 1
        lecture: 5             # the lecture's own review question number, if it is one
        variable: q_keepdims_shape   # the answer variable in a notebook, if any
        feedback:              # tempting wrong answers
          - answer: [4]
            says: "Without keepdims the summed axis disappears ..."

Per type: ``choices`` (a list of strings) for single and multiple choice, whose ``answer`` is one
choice or a list of them; ``tolerance: {abs: x}`` or ``{rel: x}`` for numeric; ``accept`` (other
accepted spellings) for text; ``generator`` (see ``quizzes.variants``) and no ``answer`` for
parametric questions, whose prompt has ``{placeholders}``.

``validate_bank`` reports every problem as "FILE:LINE: problem", never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

BANKS_DIR = Path(__file__).parent / "banks"
TYPES = ("true_false", "single_choice", "multiple_choice", "numeric", "shape", "text",
         "parametric")
TAGS = ("representation", "shapes", "parameters", "vectorization", "keepdims", "activations",
        "derivatives", "nonlinearity", "forward", "backward", "cost", "initialization",
        "saturation", "output")
FIELDS = {"id", "type", "prompt", "answer", "explanation", "tags", "points", "lecture",
          "variable", "feedback", "choices", "tolerance", "accept", "generator"}
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


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

    @property
    def parametric(self):
        return self.type == "parametric"


@dataclass
class Bank:
    id: str
    title: str
    path: str
    questions: list

    def get(self, question_id):
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def by_variable(self):
        return {q.variable: q for q in self.questions if q.variable}


def _loader():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(base):
        pass

    def construct_mapping(loader, node, deep=False):
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


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


def _read(path):
    import yaml

    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [f"{name}: no such file"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{name}: cannot read ({exc.__class__.__name__}: {exc})"]
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a safe loader with line marks
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1"
        return None, [f"{name}:{where}: YAML syntax error: {exc.problem}"]
    except yaml.YAMLError as exc:
        return None, [f"{name}: YAML error: {exc}"]
    if not isinstance(data, dict):
        return None, [f"{name}:1: a bank is a mapping with 'bank', 'title' and 'questions'"]
    problems = []
    bank_id = data.get("bank")
    if not isinstance(bank_id, str) or not ID_PATTERN.match(bank_id):
        problems.append(f"{name}:{data.get('__line__', 1)}: 'bank' must be an id like "
                        f"shallow-networks")
        bank_id = str(bank_id)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(f"{name}:{data.get('__line__', 1)}: 'questions' must be a non-empty list")
        raw_questions = []
    questions, seen = [], {}
    for raw in raw_questions:
        question, found = _question(raw, name, bank_id)
        problems += found
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            qid, line = raw["id"], raw.get("__line__", 0)
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
    bank = Bank(bank_id, str(data.get("title", bank_id)), name, questions)
    return bank, problems


def _question(raw, name, bank_id):
    if not isinstance(raw, dict):
        return None, [f"{name}: each question must be a mapping, got {type(raw).__name__}"]
    line = raw.get("__line__", 0)
    where = f"{name}:{line}"
    problems = []

    def problem(text):
        problems.append(f"{where}: {text}")

    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        problem(f"question id {qid!r} must be lowercase letters, digits and '-'")
        qid = str(qid)
    where = f"{name}:{line}: question '{qid}'"
    for key in sorted(set(raw) - FIELDS - {"__line__"}):
        problem(f"unknown field '{key}'")
    qtype = raw.get("type")
    if qtype not in TYPES:
        problem(f"unknown type {qtype!r}; choose one of {', '.join(TYPES)}")
        return None, problems
    for key in ("prompt", "explanation"):
        if not isinstance(raw.get(key), str) or not raw.get(key).strip():
            problem(f"missing {key}")
    tags = raw.get("tags")
    if not isinstance(tags, list) or not tags:
        problem("missing tags (at least one learning objective)")
        tags = []
    for tag in tags:
        if tag not in TAGS:
            problem(f"unknown tag {tag!r}; choose from {', '.join(TAGS)}")
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        problem(f"points must be a positive number, got {points!r}")
        points = 1
    lecture = raw.get("lecture")
    if lecture is not None and (not isinstance(lecture, int) or not 1 <= lecture <= 99):
        problem(f"lecture must be the lecture's question number, got {lecture!r}")
    variable = raw.get("variable")
    if variable is not None and (not isinstance(variable, str) or not variable.isidentifier()):
        problem(f"variable must be a Python identifier, got {variable!r}")
    question = Question(
        id=qid, type=qtype, prompt=str(raw.get("prompt", "")),
        explanation=str(raw.get("explanation", "")), tags=list(tags), answer=raw.get("answer"),
        points=float(points), choices=list(raw.get("choices") or []),
        tolerance=_without_line(raw.get("tolerance")), accept=list(raw.get("accept") or []),
        feedback=[], lecture=lecture, variable=variable, generator=raw.get("generator"),
        line=line, bank=bank_id)
    _check_type(question, raw, problem)
    question.feedback = _feedback(question, raw.get("feedback"), problem)
    return (question if not problems else None), problems


def _without_line(mapping):
    """A nested mapping without the line mark the loader adds to every mapping."""
    if not isinstance(mapping, dict):
        return {} if mapping is None else {"?": mapping}
    return {k: v for k, v in mapping.items() if k != "__line__"}


def _check_type(question, raw, problem):
    from . import variants

    answer, kind = question.answer, question.type
    if kind == "parametric":
        if "answer" in raw:
            problem("a parametric question computes its answer: remove 'answer'")
        if question.generator not in variants.GENERATORS:
            problem(f"unknown generator {question.generator!r}; choose one of "
                    f"{', '.join(variants.GENERATORS)}")
            return
        used = set(re.findall(r"{(\w+)}", question.prompt + question.explanation))
        extra = used - variants.PLACEHOLDERS[question.generator]
        if extra:
            problem(f"placeholders {sorted(extra)} are not filled by {question.generator}")
        return
    if question.generator is not None:
        problem("only parametric questions have a generator")
    if "answer" not in raw or answer is None:
        problem("missing answer")
        return
    if kind == "true_false" and not isinstance(answer, bool):
        problem(f"a true_false answer is true or false, got {answer!r}")
    elif kind in ("single_choice", "multiple_choice"):
        choices = question.choices
        if len(choices) < 2 or not all(isinstance(c, str) for c in choices):
            problem("choices must be a list of at least two strings")
            return
        if len(set(choices)) != len(choices):
            problem("two choices are the same")
        wanted = [answer] if kind == "single_choice" else answer
        if kind == "multiple_choice" and (not isinstance(answer, list) or not answer):
            problem("a multiple_choice answer is a non-empty list of choices")
            return
        for item in wanted:
            if item not in choices:
                problem(f"the answer {item!r} is not among the choices")
    elif kind == "numeric":
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            problem(f"a numeric answer is a number, got {answer!r}")
        tolerance = question.tolerance
        if set(tolerance) - {"abs", "rel"} or any(
                not isinstance(v, (int, float)) or v < 0 for v in tolerance.values()):
            problem("tolerance is {abs: x} or {rel: x} with x >= 0")
    elif kind == "shape":
        if not isinstance(answer, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in answer):
            problem(f"a shape answer is a list of whole numbers like [4, 1], got {answer!r}")
    elif kind == "text":
        if not isinstance(answer, str) or not answer.strip():
            problem("a text answer is a non-empty string")
        if not all(isinstance(a, str) for a in question.accept):
            problem("accept must be a list of strings")


def _feedback(question, raw, problem):
    from .checking import AnswerFormatError, correct_value, parse_answer, same_answer

    if raw is None:
        return []
    if not isinstance(raw, list):
        problem("feedback must be a list of {answer, says}")
        return []
    items = []
    for item in raw:
        if not isinstance(item, dict) or "answer" not in item or not isinstance(
                item.get("says"), str):
            problem("each feedback entry needs 'answer' and 'says'")
            continue
        entry = {"answer": item["answer"], "says": item["says"]}
        if not question.parametric and question.answer is not None:
            try:
                if same_answer(question, parse_answer(question, entry["answer"]),
                               correct_value(question)):
                    problem(f"feedback answer {entry['answer']!r} is the correct answer")
            except AnswerFormatError as exc:
                problem(f"feedback answer {entry['answer']!r}: {exc}")
            except (TypeError, ValueError):
                problem(f"feedback answer {entry['answer']!r} does not fit the question")
        items.append(entry)
    return items
