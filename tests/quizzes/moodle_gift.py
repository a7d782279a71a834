"""An independent reader of Moodle's GIFT format, for the export's round-trip tests.

Written from Moodle's documentation of the format (docs.moodle.org, "GIFT format" and "Import
questions"), not from the exporter: questions are separated by blank lines; ``//`` lines are
comments (Moodle keeps ``[id:...]`` and ``[tag:...]`` found in them); ``::name::`` names a
question; ``[html]``, ``[moodle]``, ``[plain]`` or ``[markdown]`` at the start of a text sets its
format; ``~ = # { } :`` are escaped with a backslash, ``\\\\`` is a backslash and ``\\n`` a new
line; the answers are between the first unescaped ``{`` and ``}``; ``####`` starts the general
feedback. The type follows from the answers: none is an essay, ``#`` first is numerical, a
``~`` is multiple choice (several answers allowed when no ``=`` marks the right one), ``=``
with ``->`` is matching, T/TRUE/F/FALSE is true/false, anything else short answer.
``%n%`` weighs an answer, ``#`` after an answer is its feedback. Moodle imports only answer
grades from its list of grades, and a multiple-answer question's positive grades must add up to
100 %: both are checked here and reported as ``GiftError``. Short answers compare as Moodle
does: case-insensitive, ``*`` a wildcard unless escaped as ``\\*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

GRADES = [100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
          14.28571, 12.5, 11.11111, 10, 5, 0]
FORMATS = ("html", "moodle", "plain", "markdown")
ESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n", "\\": "\\"}


class GiftError(ValueError):
    pass


# A text is kept as a list of (character, escaped) pairs until it is split: an escaped
# character never acts as syntax.

def _chars(text):
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPES:
            out.append((ESCAPES[text[i + 1]], True))
            i += 2
            continue
        out.append((ch, False))
        i += 1
    return out


def _text(chars):
    return "".join(ch for ch, _ in chars)


def _find(chars, target, start=0):
    """Index of the first unescaped occurrence of ``target`` (a string) from ``start``."""
    n = len(target)
    for i in range(start, len(chars) - n + 1):
        if all(not chars[i + k][1] and chars[i + k][0] == target[k] for k in range(n)):
            return i
    return -1


def _rfind(chars, target):
    n = len(target)
    for i in range(len(chars) - n, -1, -1):
        if all(not chars[i + k][1] and chars[i + k][0] == target[k] for k in range(n)):
            return i
    return -1


def _split(chars, separator):
    parts, current = [], []
    for ch, escaped in chars:
        if ch == separator and not escaped:
            parts.append(current)
            current = []
        else:
            current.append((ch, escaped))
    parts.append(current)
    return parts


def _split_once(chars, separator):
    """(before, after or None) at the first unescaped ``separator``."""
    at = _find(chars, separator)
    return (chars, None) if at < 0 else (chars[:at], chars[at + 1:])


def _strip(chars):
    start, end = 0, len(chars)
    while start < end and chars[start][0].isspace() and not chars[start][1]:
        start += 1
    while end > start and chars[end - 1][0].isspace() and not chars[end - 1][1]:
        end -= 1
    return chars[start:end]


@dataclass
class Formatted:
    format: str
    raw: str

    @property
    def shown(self):
        """What a student sees (HTML rendered to text; other formats as written)."""
        if self.format == "html":
            return html_to_text(self.raw)
        return self.raw


def _formatted(chars, default):
    chars = _strip(chars)
    text = _text(chars)
    if chars and chars[0] == ("[", False):
        end = text.find("]")
        if end > 0 and text[1:end] in FORMATS:
            return Formatted(text[1:end], text[end + 1:].strip())
    return Formatted(default, text)


@dataclass
class Answer:
    text: Formatted
    fraction: float
    feedback: Formatted | None = None


@dataclass
class GiftQuestion:
    name: str
    text: Formatted
    kind: str
    idnumber: str = ""
    tags: list = field(default_factory=list)
    general_feedback: Formatted | None = None
    answers: list = field(default_factory=list)
    correct: bool | None = None  # true/false
    feedback_true: Formatted | None = None
    feedback_false: Formatted | None = None
    numbers: list = field(default_factory=list)  # numerical: (value, tolerance, fraction, fb)
    single: bool = True


def _weight(chars):
    """(fraction or None, rest): a leading %n% weight."""
    text = _text(chars)
    match = re.match(r"%(-?\d+(?:\.\d*)?)%", text)
    if not match or any(escaped for _, escaped in chars[:match.end()]):
        return None, chars
    value = float(match.group(1))
    if not any(abs(abs(value) - grade) < 0.001 for grade in GRADES):
        raise GiftError(f"grade {value} % is not one of Moodle's grades")
    return value / 100, chars[match.end():]


def _answer_and_feedback(chars, default_format):
    text, feedback = _split_once(chars, "#")
    return (_formatted(text, default_format),
            None if feedback is None else _formatted(feedback, default_format))


def parse(source):
    """Every question of a GIFT file (categories and comment-only blocks left out)."""
    questions, block, comments = [], [], []
    lines = source.replace("\r\n", "\n").split("\n") + [""]
    for line in lines:
        if line.strip() == "":
            if block:
                question = _question("\n".join(block), comments)
                if question is not None:
                    questions.append(question)
            block, comments = [], []
            continue
        if line.strip().startswith("//"):
            comments.append(line.strip()[2:])
            continue
        block.append(line)
    return questions


def _question(text, comments):
    chars = _strip(_chars(text))
    if not chars:
        return None
    if _text(chars).startswith("$CATEGORY:"):
        return None
    name = ""
    if _find(chars, "::") == 0:
        end = _find(chars, "::", 2)
        name = _text(chars[2:end]).strip()
        chars = _strip(chars[end + 2:])
    start, finish = _find(chars, "{"), _find(chars, "}")
    if start < 0 or finish < start:
        raise GiftError(f"question {name!r}: no answer block")
    if _strip(chars[finish + 1:]):
        raise GiftError(f"question {name!r}: text after the answers (missing-word format)")
    body = chars[start + 1:finish]
    prompt = _formatted(chars[:start], "moodle")
    general = None
    cut = _rfind(body, "####")
    if cut >= 0:
        general = _formatted(body[cut + 4:], prompt.format)
        body = body[:cut]
    body = _strip(body)
    comment = " ".join(comments)
    idnumber = (re.search(r"\[id:([^\]]*)\]", comment) or [None, ""])[1]
    tags = re.findall(r"\[tag:([^\]]*)\]", comment)
    question = GiftQuestion(name, prompt, "", idnumber=idnumber, tags=tags,
                            general_feedback=general)
    plain_marks = "".join(ch if not escaped else "\0" for ch, escaped in body)
    if not body:
        question.kind = "essay"
    elif plain_marks[0] == "#":
        question.kind = "numerical"
        _numerical(question, body[1:])
    elif "~" in plain_marks:
        question.kind = "multichoice"
        _multichoice(question, body, "=" not in plain_marks)
    elif "=" in plain_marks and "->" in plain_marks:
        question.kind = "matching"
    else:
        head = _text(_split(body, "#")[0]).strip()
        if head in ("T", "TRUE", "F", "FALSE"):
            question.kind = "truefalse"
            _truefalse(question, body)
        else:
            question.kind = "shortanswer"
            _short(question, body)
    return question


def _multichoice(question, body, multiple):
    question.single = not multiple
    answers = []
    current = None
    for ch, escaped in body:
        if not escaped and ch in "~=":
            if current is not None:
                answers.append(current)
            current = [(ch, False)]
        elif current is not None:
            current.append((ch, escaped))
    if current is not None:
        answers.append(current)
    for chars in answers:
        mark, rest = chars[0][0], _strip(chars[1:])
        fraction = 1.0 if mark == "=" else 0.0
        weight, rest = _weight(rest)
        if weight is not None:
            fraction = weight
        text, feedback = _answer_and_feedback(rest, question.text.format)
        question.answers.append(Answer(text, fraction, feedback))
    if len(question.answers) < 2:
        raise GiftError(f"question {question.name!r}: fewer than two choices")
    if multiple:
        total = sum(a.fraction for a in question.answers if a.fraction > 0)
        if round(total, 2) != 1:
            raise GiftError(f"question {question.name!r}: positive grades add up to "
                            f"{100 * total:g} %, not 100 %")


def _short(question, body):
    parts = _split(body, "=")
    if not _strip(parts[0]):
        parts = parts[1:]
    for chars in parts:
        chars = _strip(chars)
        weight, chars = _weight(chars)
        text, feedback = _answer_and_feedback(chars, question.text.format)
        question.answers.append(Answer(text, 1.0 if weight is None else weight, feedback))


def _truefalse(question, body):
    answer, rest = _split_once(body, "#")
    question.correct = _text(answer).strip() in ("T", "TRUE")
    wrong = right = None
    if rest is not None:
        wrong_chars, right_chars = _split_once(rest, "#")
        wrong = _formatted(wrong_chars, question.text.format)
        right = None if right_chars is None else _formatted(right_chars, question.text.format)
    if question.correct:
        question.feedback_true, question.feedback_false = right, wrong
    else:
        question.feedback_true, question.feedback_false = wrong, right


def _numerical(question, body):
    body = _strip(body)
    parts = _split(body, "=") if _find(body, "=") >= 0 else [body]
    if not _strip(parts[0]):
        parts = parts[1:]
    for chars in parts:
        chars = _strip(chars)
        weight, chars = _weight(chars)
        value_chars, feedback_chars = _split_once(chars, "#")
        value = _text(value_chars).strip()
        feedback = None if feedback_chars is None else _formatted(feedback_chars,
                                                                  question.text.format)
        if ".." in value:
            low, high = (float(x) for x in value.split(".."))
            number, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in value:
            number_text, tolerance_text = value.split(":", 1)
            number, tolerance = float(number_text), float(tolerance_text)
        else:
            number, tolerance = float(value), 0.0
        question.numbers.append((value, number, tolerance, 1.0 if weight is None else weight,
                                 feedback))


def short_answer_matches(pattern, response):
    """Moodle's comparison of a response with a short answer: case-insensitive, trimmed,
    ``*`` matching anything unless written ``\\*``."""
    bits = re.split(r"(?<!\\)\*+", pattern)
    regex = ".*".join(re.escape(bit.replace("\\*", "*")) for bit in bits)
    return re.fullmatch(regex, response.strip(), re.IGNORECASE | re.DOTALL) is not None


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup):
    """The text a browser shows for an HTML fragment (line breaks kept, nbsp as spaces)."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts).replace("\xa0", " ").strip()
