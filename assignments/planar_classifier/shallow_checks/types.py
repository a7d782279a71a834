"""The question types: one record per type, the only place where a type's behaviour is written.

A record (a :class:`QuestionType`) holds everything the rest of the package asks of a type:

==================  ==============================================================================
``validate``        check the type's own fields of a bank entry (``problem(text)`` per problem)
``read``            a response (typed text or a Python value) -> the answer in the type's terms;
                    raises :class:`AnswerFormatError` (one line) and nothing else
``form_problem``    the form check: a one-line problem, or None; never says whether it is right
``is_right``        whether a read response is right; ``same``: two responses are the same
``credit``          the fraction of the points a read response earns (0 to 1)
``show``/``label``  the right answer, and a read response, written for people
``literal``         the right answer as a Python literal (the notebook's solution cell)
``hint`` etc.       how to answer in the terminal (``hint``) and in a notebook (``notebook_hint``)
``terminal``        the question as (indent, text) lines for the terminal; ``markdown`` for
                    notebooks
``lms``             the question as an LMS sees it (:class:`LmsItem`); ``gift`` and ``text2qti``
                    export it (by default through ``lms``; a type may write its own)
==================  ==============================================================================

Register a new type with :func:`register` (or, from an installed package, an entry point in the
group ``shallow.quiz_types`` naming the class or instance): the bank then validates it, the runner
asks it, answers files are graded with it and both exports write it, with no other change.

Multiple-answer questions (``multiple_choice``) earn ``max(0, right chosen - wrong chosen) / k``
of their points, ``k`` being the number of right choices: the rule of Canvas (classic quizzes'
multiple answers, New Quizzes' "partial credit with penalty") and of a Moodle multichoice whose
right choices weigh +100/k % and wrong ones -100/k %, which is how the exports write it.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from dataclasses import dataclass, field, replace
from decimal import Decimal

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ENTRY_POINT_GROUP = "shallow.quiz_types"


class AnswerFormatError(ValueError):
    """The answer could not be read as the kind the question asks for (one line)."""


# -- reading values -----------------------------------------------------------------------------

def shown(value, limit=40):
    """A value quoted for a one-line message, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def normalize_text(value):
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    return text.strip(" .!;")


def parse_shape(value):
    """(4, 1) from "(4, 1)", "(4,1)", "4x1", "4 by 1", "[4, 1]" or a tuple/list of whole numbers."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise AnswerFormatError("an empty shape; write it like (4, 1)")
        dims = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 0:
                raise AnswerFormatError(f"{shown(item)} in {shown(value)} is not a whole "
                                        f"number; a shape is like (4, 1)")
            dims.append(int(item))
        return tuple(dims)
    if not isinstance(value, str):
        raise AnswerFormatError(f"{shown(value)} is not a shape; write it like (4, 1)")
    text = value.strip().lower()
    text = re.sub(r"\s*(x|×|\*|by)\s*", ",", text)
    text = text.strip("()[] ")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(re.fullmatch(r"\d{1,9}", p) for p in parts):
        raise AnswerFormatError(f"could not read {shown(value)} as a shape; write it like (4, 1)")
    return tuple(int(p) for p in parts)


def parse_number(value):
    """A finite float from a number or from text such as "0.25", "1/4" or "1e-3"."""
    if isinstance(value, bool):
        raise AnswerFormatError(f"{shown(value)} is not a number")
    if isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        match = re.fullmatch(r"([-+]?[\d.]+(?:e[-+]?\d+)?)/([-+]?[\d.]+(?:e[-+]?\d+)?)", text,
                             re.I)
        try:
            number = (float(match.group(1)) / float(match.group(2)) if match
                      else float(text) if len(text) < 100 else math.nan)
        except (ValueError, ZeroDivisionError):
            raise AnswerFormatError(f"could not read {shown(value)} as a number") from None
    else:
        raise AnswerFormatError(f"{shown(value)} is not a number")
    if not math.isfinite(number):
        raise AnswerFormatError(f"{shown(value)} is not a finite number")
    return number


def parse_bool(value):
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":  # numpy's booleans, without importing numpy
        return bool(value)
    if isinstance(value, str):
        text = normalize_text(value)
        if text in ("true", "t", "yes", "y", "1"):
            return True
        if text in ("false", "f", "no", "n", "0"):
            return False
    raise AnswerFormatError(f"could not read {shown(value)} as true or false")


def parse_choice(value, choices):
    """A choice given by its letter (a, b, ...) or its text -> the choice's text."""
    if not isinstance(value, str):
        raise AnswerFormatError(f"{shown(value)} is not one of the choices "
                                f"({', '.join(LETTERS[:len(choices)])})")
    text = normalize_text(value)
    letter = text.rstrip(")").lstrip("(")
    if len(letter) == 1 and letter in LETTERS[:len(choices)]:
        return choices[LETTERS.index(letter)]
    for choice in choices:
        if normalize_text(choice) == text:
            return choice
    labelled = re.fullmatch(r"\(?([a-z])\)\s+(.+)", text)  # "b) the choice", as shown
    if labelled and labelled.group(1) in LETTERS[:len(choices)]:
        choice = choices[LETTERS.index(labelled.group(1))]
        if normalize_text(choice) == normalize_text(labelled.group(2)):
            return choice
    raise AnswerFormatError(f"{shown(value)} is not one of the choices "
                            f"({', '.join(LETTERS[:len(choices)])})")


def parse_choices(value, choices):
    """A set of choices from letters ("a, c", "ac", ["a", "c"]) or the choices' texts."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if any(normalize_text(c) == normalize_text(text) for c in choices):
            items = [text]
        elif re.match(r"\(?[a-zA-Z]\)\s", text):  # "a) one; c) other", as shown
            items = re.split(r";\s*(?=\(?[a-zA-Z]\)\s)", text)
        else:
            items = [p for p in re.split(r"[,\s;]+", text) if p]
            if len(items) == 1 and len(items[0]) > 1 and all(
                    ch in LETTERS[:len(choices)] for ch in items[0].lower()):
                items = list(items[0])  # "ac"
    else:
        raise AnswerFormatError(f"{shown(value)} is not a list of choices")
    if not items:
        raise AnswerFormatError("no choice given; give the letters of every right choice")
    return frozenset(parse_choice(item, choices) for item in items)


def decimal_of(value):
    """The exact decimal a bank number stands for (a float by its shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def number_text(value):
    """A number written out in full, never with an exponent: 1002001, 0.009866, 0.00001."""
    text = format(decimal_of(value) if not isinstance(value, Decimal) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def margin_of(answer, tolerance):
    """The accepted distance from a numeric answer: the larger of ``abs`` and ``rel`` x |answer|."""
    tolerance = tolerance or {}
    margins = [Decimal(0)]
    if "abs" in tolerance:
        margins.append(decimal_of(tolerance["abs"]))
    if "rel" in tolerance:
        margins.append(abs(decimal_of(answer)) * decimal_of(tolerance["rel"]))
    return max(margins)


# -- the record ----------------------------------------------------------------------------------

@dataclass
class LmsItem:
    """A question as an LMS sees it, whatever the export format.

    ``kind``: "truefalse" (``right`` is True or False), "single" (``right`` is the right
    choice's index), "multiple" (``right`` is the list of right indices), "number" (``value``
    and ``margin`` are Decimals) or "short" (``answers``: accepted texts). ``choice_feedback``
    maps a choice index (truefalse: the answer True/False) to what a student who picks it
    reads; ``wrong`` lists tempting wrong answers (text or Decimal) with their feedback, for
    short and numeric questions; ``notes`` is feedback that no single choice or answer carries.
    """

    kind: str
    choices: list = field(default_factory=list)
    right: object = None
    answers: list = field(default_factory=list)
    value: Decimal | None = None
    margin: Decimal = Decimal(0)
    choice_feedback: dict = field(default_factory=dict)
    wrong: list = field(default_factory=list)
    notes: list = field(default_factory=list)


class QuestionType:
    """One question type. Subclass it, set ``name`` and override what differs (see the module
    docstring); ``parse`` is the one method every type writes."""

    name = ""
    hint = "an answer"
    notebook_hint = "your answer"
    fields = frozenset({"answer"})
    """The bank fields this type reads besides the common ones (id, type, prompt, ...)."""
    has_answer = True
    """Whether a bank entry states its answer (a parametric question computes it)."""
    public_fields = frozenset()
    """The type's fields a student copy keeps for graded questions (never the answer)."""

    # -- the bank ---------------------------------------------------------------------------
    def validate(self, question, problem):
        """Check the entry's type-specific fields; call ``problem(text)`` for each problem.
        ``question.answer`` is None in a student copy of a bank (graded questions)."""
        if question.answer is not None:
            try:
                self.read(question, question.answer)
            except AnswerFormatError as exc:
                problem(f"the answer does not fit the type: {exc}")

    def concrete(self, question, variant=None):
        """(question, type) as asked: a parametric question becomes its variant."""
        return question, self

    # -- answers ----------------------------------------------------------------------------
    def parse(self, question, value):
        raise NotImplementedError(f"question type {self.name!r} does not read answers")

    def read(self, question, value):
        """``parse`` made safe: AnswerFormatError for anything unreadable, and nothing else."""
        if value is None or (isinstance(value, str) and not value.strip()):
            raise AnswerFormatError("no answer given")
        try:
            return self.parse(question, value)
        except AnswerFormatError:
            raise
        except (TypeError, ValueError, OverflowError, ArithmeticError, RecursionError,
                AttributeError, KeyError, IndexError):
            raise AnswerFormatError(f"could not read {shown(value)}; answer with "
                                    f"{self.hint}") from None

    def form_problem(self, question, value):
        """A one-line problem when ``value`` does not have the form asked, else None."""
        try:
            self.read(question, value)
        except AnswerFormatError as exc:
            return str(exc)
        return None

    def expected(self, question):
        """The right answer, read; AnswerFormatError when the bank does not hold it."""
        if question.answer is None:
            raise AnswerFormatError(f"the bank holds no answer for question {question.id!r} "
                                    f"(a student copy): only its form can be checked")
        return self.read(question, question.answer)

    def same(self, question, one, other):
        """Whether two read answers are the same answer (feedback is matched this way)."""
        return one == other

    def is_right(self, question, got):
        """Whether a read response is (entirely) right."""
        return self.same(question, got, self.expected(question))

    def credit(self, question, got):
        """The fraction of the points a read response earns, from 0 to 1."""
        return 1.0 if self.is_right(question, got) else 0.0

    def show(self, question):
        return str(question.answer)

    def label(self, question, parsed):
        return str(parsed)

    def literal(self, question):
        return repr(question.answer)

    # -- asking -----------------------------------------------------------------------------
    def choices(self, question):
        """The choices shown with letters (none for most types)."""
        return list(question.choices or [])

    def terminal(self, question):
        """The question body as (indent, text) lines: prompt, lettered choices, how to answer."""
        lines = [(0, question.prompt.strip())]
        for letter, choice in zip(LETTERS, self.choices(question), strict=False):
            lines.append((2, f"{letter}) {choice}"))
        lines.append((0, f"Answer with {self.hint}:"))
        return lines

    def markdown(self, question):
        """The question as notebook Markdown: prompt, then the choices as a list."""
        parts = [question.prompt.strip(), ""]
        for letter, choice in zip(LETTERS, self.choices(question), strict=False):
            parts.append(f"- **{letter})** {choice}")
        return "\n".join(parts).rstrip()

    # -- exports ----------------------------------------------------------------------------
    def lms(self, question):
        raise NotImplementedError(f"question type {self.name!r} cannot be exported to an LMS")

    def gift(self, question, writer):
        """The body of the GIFT answer block ``{...}`` (the general feedback is added after)."""
        return writer.answer_body(self.lms(question))

    def text2qti(self, question, writer):
        """text2qti's answer lines (choices, short answers or the numerical range)."""
        return writer.answer_lines(self.lms(question))

    def __repr__(self):
        return f"<question type {self.name}>"


def _feedback_values(qtype, question):
    """(parsed answer, says) for each readable feedback entry."""
    out = []
    for item in question.feedback or []:
        try:
            out.append((qtype.read(question, item["answer"]), item["says"]))
        except AnswerFormatError:
            continue
    return out


class TrueFalse(QuestionType):
    name = "true_false"
    hint = "true or false"
    notebook_hint = "True or False"

    def validate(self, question, problem):
        if question.answer is not None and not isinstance(question.answer, bool):
            problem(f"a true_false answer is true or false, got {shown(question.answer)}")

    def parse(self, question, value):
        return parse_bool(value)

    def show(self, question):
        return "true" if question.answer else "false"

    def label(self, question, parsed):
        return "true" if parsed else "false"

    def literal(self, question):
        return repr(bool(question.answer))

    def lms(self, question):
        return LmsItem("truefalse", right=bool(question.answer),
                       choice_feedback=dict(_feedback_values(self, question)))


class SingleChoice(QuestionType):
    name = "single_choice"
    hint = "the letter of one choice"
    notebook_hint = 'the letter of your choice as a string, like "b"'
    fields = frozenset({"answer", "choices"})
    public_fields = frozenset({"choices"})

    def validate(self, question, problem):
        if not _valid_choices(question.choices, problem):
            return
        if question.answer is not None and question.answer not in question.choices:
            problem(f"the answer {shown(question.answer)} is not among the choices")

    def parse(self, question, value):
        return parse_choice(value, question.choices)

    def show(self, question):
        return self.label(question, question.answer)

    def label(self, question, parsed):
        return f"{LETTERS[question.choices.index(parsed)]}) {parsed}"

    def literal(self, question):
        return repr(LETTERS[question.choices.index(question.answer)])

    def lms(self, question):
        feedback = {question.choices.index(choice): says
                    for choice, says in _feedback_values(self, question)}
        return LmsItem("single", choices=list(question.choices),
                       right=question.choices.index(question.answer), choice_feedback=feedback)


class MultipleChoice(QuestionType):
    name = "multiple_choice"
    hint = "the letters of every right choice, like a, c"
    notebook_hint = 'a list of the letters of every right choice, like ["a", "c"]'
    fields = frozenset({"answer", "choices"})
    public_fields = frozenset({"choices"})

    def validate(self, question, problem):
        if not _valid_choices(question.choices, problem):
            return
        answer = question.answer
        if answer is None:
            return
        if not isinstance(answer, list) or not answer:
            problem("a multiple_choice answer is a non-empty list of choices")
            return
        for item in answer:
            if item not in question.choices:
                problem(f"the answer {shown(item)} is not among the choices")
        if len(set(map(str, answer))) != len(answer):
            problem("the answer lists a choice twice")

    def parse(self, question, value):
        return parse_choices(value, question.choices)

    def credit(self, question, got):
        want = self.expected(question)
        right, wrong = len(got & want), len(got - want)
        return max(0, right - wrong) / len(want)

    def show(self, question):
        return self.label(question, frozenset(question.answer))

    def label(self, question, parsed):
        return "; ".join(f"{LETTERS[i]}) {choice}" for i, choice in enumerate(question.choices)
                         if choice in parsed)

    def literal(self, question):
        return repr([LETTERS[question.choices.index(a)] for a in question.answer])

    def lms(self, question):
        right = sorted(question.choices.index(a) for a in question.answer)
        item = LmsItem("multiple", choices=list(question.choices), right=right)
        want = frozenset(question.answer)
        for got, says in _feedback_values(self, question):
            extra, missing = got - want, want - got
            if len(extra) == 1 and not missing:  # one wrong choice added: that choice says it
                index = question.choices.index(next(iter(extra)))
                if index not in item.choice_feedback:
                    item.choice_feedback[index] = says
                    continue
            picked = ", ".join(LETTERS[i] + ")" for i, c in enumerate(question.choices)
                               if c in got)
            item.notes.append((f"If you chose {picked} only", says))
        return item


def _valid_choices(choices, problem):
    if len(choices) < 2 or not all(isinstance(c, str) and c.strip() for c in choices):
        problem("choices must be a list of at least two non-empty strings")
        return False
    if len(choices) > len(LETTERS):
        problem(f"at most {len(LETTERS)} choices (one letter each)")
        return False
    seen = {}
    for index, choice in enumerate(choices):
        key = normalize_text(choice)
        if key in seen:
            problem(f"choices {LETTERS[seen[key]]}) and {LETTERS[index]}) read the same")
            return False
        seen[key] = index
        bare = key.strip("()")
        if len(bare) == 1 and bare in LETTERS[:len(choices)] and bare != LETTERS[index]:
            problem(f"choice {LETTERS[index]}) {shown(choice)} reads as the letter of "
                    f"choice {bare})")
            return False
    return True


class Numeric(QuestionType):
    name = "numeric"
    hint = "a number"
    notebook_hint = "a number"
    fields = frozenset({"answer", "tolerance"})

    def validate(self, question, problem):
        tolerance = question.tolerance or {}
        if not isinstance(tolerance, dict) or set(tolerance) - {"abs", "rel"} or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                or v < 0 for v in tolerance.values()):
            problem("tolerance is {abs: x} or {rel: x} (or both) with x >= 0")
        answer = question.answer
        if answer is not None and (isinstance(answer, bool) or not isinstance(answer, (int, float))
                                   or not math.isfinite(answer)):
            problem(f"a numeric answer is a number, got {shown(answer)}")

    def parse(self, question, value):
        return parse_number(value)

    def margin(self, question):
        return float(margin_of(question.answer, question.tolerance))

    def same(self, question, one, other):
        slack = 1e-9 * max(1.0, abs(other))  # binary floats: 0.1 + 0.2 is 0.3 here
        return abs(one - other) <= self.margin(question) + slack

    def show(self, question):
        return number_text(question.answer)

    def label(self, question, parsed):
        return number_text(float(f"{parsed:.10g}"))

    def lms(self, question):
        wrong = [(decimal_of(value), says) for value, says in _feedback_values(self, question)]
        return LmsItem("number", value=decimal_of(question.answer),
                       margin=margin_of(question.answer, question.tolerance), wrong=wrong)


def shape_spellings(shape):
    """How people write a shape, for LMS short answers: (4, 1), (4,1), 4x1, [4, 1] ..."""
    inside = ", ".join(str(n) for n in shape)
    single = "," if len(shape) == 1 else ""
    spellings = [f"({inside}{single})", f"({inside.replace(' ', '')}{single})",
                 "x".join(str(n) for n in shape), " x ".join(str(n) for n in shape),
                 f"[{inside}]", f"[{inside.replace(' ', '')}]"]
    return list(dict.fromkeys(spellings))


class Shape(QuestionType):
    name = "shape"
    hint = "a shape, like (4, 1)"
    notebook_hint = "a shape as a tuple, like (4, 1)"

    def validate(self, question, problem):
        answer = question.answer
        if answer is not None and (not isinstance(answer, list) or not answer or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in answer)):
            problem(f"a shape answer is a list of whole numbers like [4, 1], got {shown(answer)}")

    def parse(self, question, value):
        return parse_shape(value)

    def show(self, question):
        return str(tuple(question.answer))

    def label(self, question, parsed):
        return str(tuple(parsed))

    def literal(self, question):
        return repr(tuple(question.answer))

    def lms(self, question):
        wrong = [(spelling, says) for value, says in _feedback_values(self, question)
                 for spelling in shape_spellings(value)]
        return LmsItem("short", answers=shape_spellings(question.answer), wrong=wrong)


class Text(QuestionType):
    name = "text"
    hint = "a word or two"
    notebook_hint = 'a word or two as a string, like "softmax"'
    fields = frozenset({"answer", "accept"})

    def validate(self, question, problem):
        if question.answer is not None and (not isinstance(question.answer, str)
                                            or not question.answer.strip()):
            problem("a text answer is a non-empty string")
        if not all(isinstance(a, str) and a.strip() for a in question.accept or []):
            problem("accept must be a list of non-empty strings")

    def parse(self, question, value):
        if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
            raise AnswerFormatError(f"{shown(value)} is not a word; answer with {self.hint}")
        text = normalize_text(value)
        if not text:
            raise AnswerFormatError("no answer given")
        return text

    def is_right(self, question, got):
        return got in {normalize_text(a) for a in [question.answer, *(question.accept or [])]}

    def lms(self, question):
        accepted = list(dict.fromkeys([question.answer, *(question.accept or [])]))
        wrong = [(str(item["answer"]), item["says"]) for item in question.feedback or []]
        return LmsItem("short", answers=accepted, wrong=wrong)


class Parametric(QuestionType):
    """Numbers drawn per student by a generator (see ``quizzes.variants``); asked and checked
    as the generator's kind (shape or numeric) once the variant is known."""

    name = "parametric"
    fields = frozenset({"generator"})
    public_fields = frozenset({"generator"})  # draws the student's numbers for the prompt
    has_answer = False

    def validate(self, question, problem):
        from . import variants

        if question.generator not in variants.GENERATORS:
            problem(f"unknown generator {question.generator!r}; choose one of "
                    f"{', '.join(variants.GENERATORS)}")
            return
        filled = variants.PLACEHOLDERS[question.generator]
        texts = [("prompt", question.prompt), ("explanation", question.explanation)]
        texts += [("feedback", item.get("says", "")) for item in question.feedback or []]
        for where, text in texts:
            names, error = placeholders(text)
            if error:
                problem(f"{where}: {error}")
            elif names - filled:
                problem(f"placeholders {sorted(names - filled)} are not filled by "
                        f"{question.generator}")

    def kind(self, question, variant=None):
        from . import variants

        return get(variant.kind if variant is not None else variants.KINDS[question.generator])

    def concrete(self, question, variant=None):
        if variant is None:
            raise AnswerFormatError(f"question {question.id!r} is parametric: it is checked "
                                    f"against a student's variant")
        kind = get(variant.kind)
        filled = replace(question, type=kind.name, answer=variant.answer,
                         tolerance=dict(variant.tolerance), generator=None,
                         prompt=variant.fill(question.prompt),
                         explanation=variant.fill(question.explanation),
                         feedback=[{**item, "says": variant.fill(item["says"])}
                                   for item in question.feedback or []])
        return filled, kind

    @property
    def hint(self):
        return "the answer"

    def parse(self, question, value):
        raise AnswerFormatError(f"question {question.id!r} is parametric: it is checked "
                                f"against a student's variant")


def placeholders(text):
    """({names}, None) for the ``{name}`` fields of a template, or (set(), problem)."""
    names = set()
    try:
        for _, name, spec, _conversion in string.Formatter().parse(text or ""):
            if name is None:
                continue
            if not name.isidentifier():
                return set(), f"placeholder {{{name}}} must be a plain name"
            if spec and "{" in spec:
                return set(), f"placeholder {{{name}}} has a nested field"
            names.add(name)
    except ValueError as exc:
        return set(), f"not a valid template ({exc})"
    return names, None


# -- the registry --------------------------------------------------------------------------------

_REGISTRY: dict[str, QuestionType] = {}
_plugins = {"loaded": False, "problems": []}


def register(qtype, *, replace_existing=False):
    """Add a question type (an instance, or a class to instantiate); return the instance."""
    if isinstance(qtype, type):
        qtype = qtype()
    if not isinstance(qtype, QuestionType) or not re.fullmatch(r"[a-z][a-z0-9_]*", qtype.name):
        raise ValueError(f"{qtype!r} is not a QuestionType with a lowercase name")
    if qtype.name in _REGISTRY and not replace_existing:
        raise ValueError(f"question type {qtype.name!r} is already registered")
    _REGISTRY[qtype.name] = qtype
    return qtype


def unregister(name):
    """Remove a registered type (built-in or not); no error when absent."""
    _REGISTRY.pop(name, None)


def _load_plugins():
    if _plugins["loaded"]:
        return
    _plugins["loaded"] = True
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
            if getattr(loaded, "name", None) not in _REGISTRY:
                register(loaded)
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
            _plugins["problems"].append(f"plugin {point.name!r} ({point.value}) failed: "
                                        f"{exc.__class__.__name__}: {exc}")


def get(name):
    """The type called ``name``; KeyError when no built-in, registered or plugin type has it."""
    if name not in _REGISTRY and isinstance(name, str):
        _load_plugins()
    return _REGISTRY[name]


def names():
    """Every known type name (plugins included)."""
    _load_plugins()
    return tuple(_REGISTRY)


def plugin_problems():
    """One line per entry-point plugin that failed to load."""
    _load_plugins()
    return list(_plugins["problems"])


def resolve(question, variant=None):
    """(question, type) as asked; a parametric question needs its variant."""
    return get(question.type).concrete(question, variant)


def resolve_form(question, variant=None):
    """(question, type) for a form check: a parametric question's kind is known without its
    variant (its numbers are not needed to tell a shape from a number)."""
    qtype = get(question.type)
    if isinstance(qtype, Parametric) and variant is None:
        return question, qtype.kind(question)
    return qtype.concrete(question, variant)


for _builtin in (TrueFalse, SingleChoice, MultipleChoice, Numeric, Shape, Text, Parametric):
    register(_builtin)
BUILTIN = tuple(_REGISTRY)
