"""Export a bank for an LMS: Moodle's GIFT, and text2qti's Markdown-based text (which the
``text2qti`` tool turns into a QTI package that Canvas imports).

Each question type says what it is to an LMS (``quizzes.types.LmsItem``: true/false, single
choice, multiple answers, numeric or short answer); the writers here turn that into each format,
escaped so that the LMS reads back exactly the bank's text:

- GIFT: every text is HTML (``[html]``), so a leading ``[markdown]`` stays text and ``->`` in
  feedback cannot turn a question into a matching one; ``~ = # { } :`` and ``\\`` are
  backslash-escaped, line breaks are ``<br>``, a leading ``%`` or ``[`` an entity; short answers
  escape Moodle's ``*`` wildcard. GIFT has no syntax for a question's mark: each question gets
  the comment ``// [id:<id>] [tag:points-<points>]``, which Moodle keeps as its ID number and a
  tag. Multiple answers: right choices ``+100/k %``, wrong ones ``-100/k %`` (Moodle accepts
  only its listed grades, which have 100/k for k = 1-10 and 20; for other k up to 20 the nearest
  listed grades summing to 100 % are written, with a warning; more than 20 cannot be).
- text2qti reads Markdown: every Markdown and smarty character is backslash-escaped (so
  ``g[l](Z[l])`` is no link and quotes stay straight), ``&`` and ``<`` are entities, ``$`` is
  escaped from text2qti's LaTeX. Per-choice feedback goes on the choices; the feedback of short
  and numeric answers, which text2qti cannot attach to one answer, goes to the feedback shown
  for a wrong answer. Points must be whole or half (text2qti's rule); Canvas keeps four decimals
  of a numeric range, so bounds are widened outward to four decimals (never narrowed).

Numbers are written in full (1002001, never 1.002e+06). Both formats score multiple answers as
shallow does (``quizzes.types``). Parametric questions are exported as several fixed variants
(seeded), each a question of its own, since neither format computes answers.
"""

from __future__ import annotations

import html
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from . import types
from .types import LETTERS, number_text


class ExportError(ValueError):
    """A question that the format cannot express (one line, naming the question)."""


def _where(bank, question, qid=None):
    return f"{bank.path}:{question.line}: question '{qid or question.id}'"


def exported(bank, variants, seed):
    """(export id, question as asked, its type, the bank's question) for every question."""
    from .variants import make_variant

    for question in bank.questions:
        qtype = types.get(question.type)
        if not question.parametric:
            yield question.id, question, qtype, question
            continue
        prompts, number, attempt = set(), 0, 0
        while number < variants and attempt < 20 * variants:
            attempt += 1
            variant = make_variant(question, student=f"export-{attempt}", seed=seed)
            concrete, kind = types.resolve(question, variant)
            if concrete.prompt in prompts:  # LMSs refuse (or confuse) identical questions
                continue
            prompts.add(concrete.prompt)
            number += 1
            yield f"{question.id}-v{number}", concrete, kind, question


def _lms(qtype, question, where):
    try:
        return qtype.lms(question)
    except NotImplementedError as exc:
        raise ExportError(f"{where}: {exc}") from None


# -- GIFT (Moodle) -----------------------------------------------------------------------------

MOODLE_GRADES = ("100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40",
                 "33.33333", "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10",
                 "5")
"""The answer grades (percent) Moodle's import accepts; any other is an import error."""


def moodle_weights(k):
    """(k right-choice weights summing to 100 %, the weight of a wrong choice, exact) for a
    multiple-answer question with k right choices, all taken from MOODLE_GRADES."""
    share = Decimal(100) / k
    for grade in MOODLE_GRADES:
        if abs(Decimal(grade) - share) < Decimal("0.00001"):
            return [grade] * k, grade, True
    if k > 20:
        raise ValueError(f"Moodle cannot give {k} right choices a share of 100 % each "
                         f"(its smallest grade is 5 %)")
    grades = [Decimal(g) for g in MOODLE_GRADES]
    nearest = min(MOODLE_GRADES, key=lambda g: abs(Decimal(g) - share))
    pairs = sorted(((high, low) for high in grades for low in grades if low < share < high),
                   key=lambda pair: pair[0] - pair[1])
    for high, low in pairs:  # the closest grades above and below the share first
        count = (Decimal(100) - k * low) / (high - low)
        if count == count.to_integral_value() and 0 < count < k:
            count = int(count)
            return ([number_text(high)] * count + [number_text(low)] * (k - count),
                    nearest, False)
    raise ValueError(f"Moodle's grades cannot weigh {k} right choices")  # pragma: no cover


_GIFT_SPECIAL = re.compile(r"([\\~=#{}:])")


def gift_escape(text):
    """GIFT's own escapes: \\ ~ = # { } : get a backslash (Moodle reads ``\\n`` as a newline)."""
    return _GIFT_SPECIAL.sub(r"\\\1", text)


def gift_html(text):
    """A text as Moodle's HTML, then GIFT-escaped: what Moodle shows is exactly ``text``."""
    text = html.escape(str(text).strip(), quote=False)
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"^ +", lambda m: "&nbsp;" * len(m.group()), line)
        line = re.sub(r"(?<= ) ", "&nbsp;", line)
        lines.append(line)
    text = "<br>".join(lines)
    if text[:1] in ("[", "%"):  # a format name, or an answer weight, if left bare
        text = f"&#{ord(text[0])};" + text[1:]
    return gift_escape(text)


def gift_answer_text(text):
    """A short answer as Moodle compares it: GIFT escapes, ``*`` literal (not a wildcard)."""
    text = gift_escape(" ".join(str(text).split())).replace("*", "\\*")
    return "[html]" + text if text.startswith("[") else text  # the format prefix is dropped


class GiftWriter:
    """Writes an LmsItem's answers as the body of a GIFT answer block ``{...}``."""

    def __init__(self, warn):
        self.warn = warn
        self.where = ""  # FILE:LINE: question 'id', for messages

    def answer_body(self, item):
        kind = item.kind
        if kind == "truefalse":
            wrong = item.choice_feedback.get(not item.right, "")
            return ("TRUE" if item.right else "FALSE") + (f"#{gift_html(wrong)}" if wrong else "")
        if kind == "single":
            parts = []
            for index, choice in enumerate(item.choices):
                says = item.choice_feedback.get(index, "")
                parts.append(("=" if index == item.right else "~") + gift_html(choice)
                             + (f"#{gift_html(says)}" if says else ""))
            return " ".join(parts)
        if kind == "multiple":
            try:
                right, wrong, exact = moodle_weights(len(item.right))
            except ValueError as exc:
                raise ExportError(f"{self.where}: {exc}") from None
            if not exact:
                self.warn(f"{self.where}: Moodle has no grade of 100/{len(item.right)} "
                          f"%; the right choices weigh {', '.join(sorted(set(right)))} % and "
                          f"a wrong one -{wrong} %, so Moodle's partial credit differs a little")
            weights = iter(right)
            parts = []
            for index, choice in enumerate(item.choices):
                weight = next(weights) if index in item.right else f"-{wrong}"
                says = item.choice_feedback.get(index, "")
                parts.append(f"~%{weight}%{gift_html(choice)}"
                             + (f"#{gift_html(says)}" if says else ""))
            return " ".join(parts)
        if kind == "number":
            margin = number_text(item.margin)
            parts = [f"=%100%{number_text(item.value)}:{margin}"]
            for value, says in item.wrong:
                parts.append(f"=%0%{number_text(value)}:{margin}#{gift_html(says)}")
            return "#" + " ".join(parts)
        if kind == "short":
            return self._short(item)
        raise ExportError(f"{self.where}: no GIFT form for LMS kind {kind!r}")

    def _short(self, item):
        right = [gift_answer_text(a) for a in dict.fromkeys(item.answers)]
        wrong = [(gift_answer_text(a), says) for a, says in item.wrong]
        if not any("->" in text for text in right + [w for w, _ in wrong]):
            return " ".join([f"=%100%{a}" for a in right]
                            + [f"=%0%{a}#{gift_html(says)}" for a, says in wrong])
        # Moodle reads "=" together with "->" as a matching question: one answer, no "=".
        if len(right) > 1:
            raise ExportError(f"{self.where}: Moodle's GIFT import reads '->' in a "
                              f"short answer with several accepted answers as a matching "
                              f"question; accept one answer, or avoid '->'")
        if wrong:
            self.warn(f"{self.where}: an answer contains '->', so GIFT cannot list "
                      f"its {len(wrong)} tempting wrong answer(s) with their feedback")
        return f"%100%{right[0]}"


def to_gift(bank, *, variants=3, seed=None, warn=None):
    """The bank in Moodle's GIFT format; ExportError for a question GIFT cannot express."""
    warn = warn or (lambda _text: None)
    seed = bank.seed if seed is None else seed
    writer = GiftWriter(warn)
    out = [f"// {' '.join(bank.title.split())} ({bank.id})", "", f"$CATEGORY: {bank.id}", ""]
    for qid, question, qtype, _source in exported(bank, variants, seed):
        writer.where = _where(bank, question, qid)
        item = _lms(qtype, question, writer.where)
        body = qtype.gift(question, writer)
        general = question.explanation.strip()
        notes = "\n".join(f"{text}: {says}" for text, says in item.notes)
        if notes:
            general = f"{general}\n\n{notes}" if general else notes
        points = number_text(Decimal(str(question.points)).normalize())
        out.append(f"// [id:{qid}] [tag:points-{points}]")
        out.append(f"::{gift_escape(qid)}::[html]{gift_html(question.prompt)} {{{body}"
                   + (f" ####{gift_html(general)}" if general else "") + "}")
        out.append("")
    return "\n".join(out)


# -- text2qti (Canvas) ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+\-.!|\"'$])")


def markdown_text(text):
    """A text as text2qti's Markdown that renders exactly as ``text``: one line, line breaks as
    ``<br />``, runs of spaces kept."""
    text = str(text).strip().replace("&", "&amp;").replace("<", "&lt;")
    lines = []
    for line in text.split("\n"):
        line = _MD_SPECIAL.sub(r"\\\1", line)
        line = re.sub(r"^ +", lambda m: "&nbsp;" * len(m.group()), line)
        line = re.sub(r"(?<= ) ", "&nbsp;", line)
        lines.append(line)
    return "<br />".join(lines)


def _four_decimals(value, rounding):
    return value.quantize(Decimal("0.0001"), rounding=rounding)


def canvas_range(value, margin):
    """(low, high) as text2qti writes them for Canvas: four decimals, widened outward, and
    outside (-0.0001, 0.0001), which text2qti refuses. Exact when that is possible."""
    low = _four_decimals(value - margin, ROUND_FLOOR)
    high = _four_decimals(value + margin, ROUND_CEILING)
    tiny = Decimal("0.0001")
    if abs(low) < tiny:
        low = -tiny
    if abs(high) < tiny:
        high = tiny
    return low, high


class Text2qtiWriter:
    """Writes an LmsItem's answers as text2qti lines."""

    def __init__(self, warn):
        self.warn = warn
        self.where = ""  # FILE:LINE: question 'id', for messages

    def answer_lines(self, item):
        kind = item.kind
        if kind in ("truefalse", "single"):
            if kind == "truefalse":
                choices, right = ["True", "False"], 0 if item.right else 1
                feedback = {0 if k else 1: v for k, v in item.choice_feedback.items()}
            else:
                choices, right, feedback = item.choices, item.right, item.choice_feedback
            lines = []
            for index, choice in enumerate(choices):
                star = "*" if index == right else ""
                lines.append(f"{star}{LETTERS[index]}) {markdown_text(choice)}")
                if feedback.get(index):
                    lines.append(f"... {markdown_text(feedback[index])}")
            return lines
        if kind == "multiple":
            lines = []
            for index, choice in enumerate(item.choices):
                mark = "*" if index in item.right else " "
                lines.append(f"[{mark}] {markdown_text(choice)}")
                if item.choice_feedback.get(index):
                    lines.append(f"... {markdown_text(item.choice_feedback[index])}")
            return lines
        if kind == "number":
            value, margin = item.value, item.margin
            if margin == 0 and value == value.to_integral_value() and value != 0:
                return [f"=   {number_text(value)}"]
            low, high = canvas_range(value, margin)
            exact = (value - margin, value + margin)
            if (low, high) != exact and (high - low) > 2 * margin * Decimal("1.1"):
                self.warn(f"{self.where}: Canvas keeps four decimals and no value within 0.0001 "
                          f"of 0: it accepts [{number_text(low)}, {number_text(high)}] for "
                          f"{number_text(value)} +- {number_text(margin)}")
            return [f"=   [{number_text(low)}, {number_text(high)}]"]
        if kind == "short":
            lines = []
            for answer in dict.fromkeys(" ".join(str(a).split()) for a in item.answers):
                lines.append(f"*   {answer}")
            return lines
        raise ExportError(f"{self.where}: no text2qti form for LMS kind {kind!r}")


def _points(question, where):
    points = float(question.points)
    if not (points * 2).is_integer():
        raise ExportError(f"{where}: text2qti (Canvas) takes whole or half points, "
                          f"not {points:g}")
    return f"{points:g}"


def to_text2qti(bank, *, variants=3, seed=None, warn=None):
    """The bank in text2qti's plain-text quiz format; ExportError for what it cannot express."""
    warn = warn or (lambda _text: None)
    seed = bank.seed if seed is None else seed
    writer = Text2qtiWriter(warn)
    out = [f"Quiz title: {' '.join(bank.title.split())}",
           f"Quiz description: {markdown_text(f'Review questions ({bank.id})')}", ""]
    prompts = {}
    for number, (qid, question, qtype, _source) in enumerate(exported(bank, variants, seed), 1):
        writer.where = _where(bank, question, qid)
        item = _lms(qtype, question, writer.where)
        key = " ".join(question.prompt.split())
        if key in prompts:
            raise ExportError(f"{writer.where}: same prompt as question '{prompts[key]}'; "
                              f"text2qti refuses duplicate questions")
        prompts[key] = qid
        out.append(f"Title: {qid}")
        out.append(f"Points: {_points(question, writer.where)}")
        out.append(f"{number}.  {markdown_text(question.prompt)}")
        if question.explanation.strip():
            out.append(f"... {markdown_text(question.explanation)}")
        wrong, said = [], set()
        for value, says in item.wrong:  # a shape's spellings share one feedback: say it once
            if says not in said:
                said.add(says)
                wrong.append((f"If you answered {_answer_text(value)}", says))
        incorrect = [f"{text}: {says}" for text, says in [*wrong, *item.notes]]
        if incorrect:
            out.append(f"-   {markdown_text(chr(10).join(incorrect))}")
        out.extend(qtype.text2qti(question, writer))
        out.append("")
    return "\n".join(out)


def _answer_text(value):
    return number_text(value) if isinstance(value, Decimal) else str(value)
