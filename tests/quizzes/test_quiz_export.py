"""LMS exports read back by real parsers: Moodle's GIFT (an independent reader written from
Moodle's documentation, ``moodle_gift.py``) and Canvas's QTI (the real ``text2qti`` tool, its zip
opened and its XML parsed). Every question's prompt, choices, right answers, feedback and points
must come back as the bank has them, and both LMSs must score as shallow does."""

import itertools
import random
import re
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import moodle_gift
import pytest
import qti_reader
from click.testing import CliRunner

from autograder.cli import main
from quizzes.bank import load_bank
from quizzes.checking import check_answer
from quizzes.export import ExportError, to_gift, to_text2qti
from quizzes.types import margin_of
from quizzes.variants import make_variant

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
BANK = load_bank()
TRICKY = load_bank(HERE / "tricky_bank.yaml")
TYPOGRAPHIC = "‘’“”–—…"


def _norm(text):
    return "\n".join(line.rstrip() for line in str(text).strip().split("\n"))


def _asked(bank, export_id):
    """(bank question, variant or None) behind an exported question id."""
    ids = {q.id: q for q in bank.questions}
    if export_id in ids:
        return ids[export_id], None
    base = re.sub(r"-v\d+$", "", export_id)
    return ids[base], "variant"


def _variant_with_prompt(question, prompt):
    """The export variant whose prompt is ``prompt`` (students export-1, export-2, ...)."""
    for k in range(1, 100):
        variant = make_variant(question, student=f"export-{k}", seed=0)
        if _norm(variant.fill(question.prompt)) == _norm(prompt):
            return variant
    raise AssertionError(f"no variant of {question.id} has the prompt {prompt!r}")


def _expected_ids(bank, variants):
    ids = set()
    for question in bank.questions:
        if question.parametric:
            ids |= {f"{question.id}-v{n}" for n in range(1, variants + 1)}
        else:
            ids.add(question.id)
    return ids


def _selections(n, limit=200, seed=0):
    """Subsets of range(n) to score: all of them when few, else a seeded sample."""
    if 2 ** n <= limit:
        return [set(c) for r in range(n + 1) for c in itertools.combinations(range(n), r)]
    rng = random.Random(seed)
    return [{i for i in range(n) if rng.random() < 0.5} for _ in range(limit)]


def _shallow_score(question, chosen):
    from quizzes.types import LETTERS

    if not chosen:
        return 0.0
    check = check_answer(question, ", ".join(LETTERS[i] for i in sorted(chosen)))
    return check.score / check.max_score


def _feedback_texts(question, variant):
    return [_norm(variant.fill(item["says"]) if variant else item["says"])
            for item in question.feedback]


# -- GIFT ----------------------------------------------------------------------------------------

def _moodle_accepts_number(item, number):
    value, number_, tolerance, fraction, _ = item
    return abs(number - number_) <= tolerance + 1e-12


def check_gift(bank, variants=2):
    text = to_gift(bank, variants=variants)
    parsed = moodle_gift.parse(text)
    by_name = {q.name: q for q in parsed}
    assert len(by_name) == len(parsed)
    assert set(by_name) == _expected_ids(bank, variants)
    for name, item in by_name.items():
        question, variant = _asked(bank, name)
        if variant:
            variant = _variant_with_prompt(question, item.text.shown)
        concrete_answer = variant.answer if variant else question.answer
        kind = variant.kind if variant else question.type
        prompt = variant.fill(question.prompt) if variant else question.prompt
        explanation = variant.fill(question.explanation) if variant else question.explanation
        assert item.idnumber == name
        [points] = [float(t.split("-", 1)[1]) for t in item.tags if t.startswith("points-")]
        assert points == question.points, name
        assert item.text.format == "html"
        assert _norm(item.text.shown) == _norm(prompt), name
        general = _norm(item.general_feedback.shown)
        assert general.startswith(_norm(explanation)), name
        shown_feedback = [general]
        if kind == "true_false":
            assert item.kind == "truefalse"
            assert item.correct is concrete_answer
            wrong = item.feedback_false if concrete_answer else item.feedback_true
            shown_feedback.append(_norm(wrong.shown) if wrong else "")
        elif kind in ("single_choice", "multiple_choice"):
            assert item.kind == "multichoice" and item.single is (kind == "single_choice")
            assert [_norm(a.text.shown) for a in item.answers] == [_norm(c) for c in
                                                                    question.choices], name
            right = {i for i, a in enumerate(item.answers) if a.fraction > 0}
            wanted = [concrete_answer] if kind == "single_choice" else concrete_answer
            assert right == {question.choices.index(c) for c in wanted}, name
            shown_feedback += [_norm(a.feedback.shown) for a in item.answers if a.feedback]
            if kind == "multiple_choice" and len(wanted) <= 10:
                for chosen in _selections(len(question.choices)):
                    moodle = min(1.0, max(0.0, sum(item.answers[i].fraction for i in chosen)))
                    assert moodle == pytest.approx(_shallow_score(question, chosen), abs=1e-6)
        elif kind == "numeric":
            assert item.kind == "numerical"
            value_text, number, tolerance, fraction, _ = item.numbers[0]
            assert fraction == 1
            assert Decimal(value_text.split(":")[0]) == Decimal(repr(concrete_answer)) \
                or Decimal(value_text.split(":")[0]) == Decimal(concrete_answer)
            tol = variant.tolerance if variant else question.tolerance
            margin = float(margin_of(concrete_answer, tol))
            assert tolerance == pytest.approx(margin, abs=1e-15)
            assert "e" not in value_text.lower()
            for x in (concrete_answer, concrete_answer + margin, concrete_answer - margin):
                assert _moodle_accepts_number(item.numbers[0], x)
            if margin:
                assert not _moodle_accepts_number(item.numbers[0], concrete_answer + 1.01 * margin)
            shown_feedback += [_norm(n[4].shown) for n in item.numbers if n[4]]
            for _, number_, _, fraction_, _ in item.numbers[1:]:
                assert fraction_ == 0
                assert not check_answer(question, number_, variant).correct
        else:  # shape, text: short answers
            assert item.kind == "shortanswer", name
            accepted = [a.text.raw for a in item.answers if a.fraction == 1]
            wrong = [a for a in item.answers if a.fraction == 0]
            if kind == "shape":
                spellings = [str(tuple(concrete_answer)), "x".join(map(str, concrete_answer)),
                             str(list(concrete_answer))]
            else:
                spellings = [question.answer, *question.accept]
            for spelling in spellings:
                assert any(moodle_gift.short_answer_matches(p, spelling) for p in accepted), \
                    (name, spelling)
            for pattern in accepted:
                literal = pattern.replace("\\*", "*")
                assert check_answer(question, literal, variant).correct, (name, literal)
            for entry in wrong:
                assert not any(moodle_gift.short_answer_matches(p, entry.text.raw)
                               for p in accepted), name
            shown_feedback += [_norm(a.feedback.shown) for a in item.answers if a.feedback]
        joined = "\n".join(shown_feedback)
        for says in _feedback_texts(question, variant):
            assert says in joined, (name, says)
    return text, parsed


def test_gift_of_the_bundled_bank_reads_back_exactly():
    text, parsed = check_gift(BANK, variants=2)
    assert len(parsed) == len(BANK.questions) + sum(q.parametric for q in BANK.questions)
    numbers = re.findall(r"\{#=%100%([^ :]+):", text)
    assert numbers and not [n for n in numbers if re.search(r"[eE]", n)]


def test_gift_of_a_bank_full_of_syntax_reads_back_exactly():
    text, parsed = check_gift(TRICKY)
    by_name = {q.name: q for q in parsed}
    assert by_name["markdown-link-choices"].text.shown.startswith("[markdown] Which is")
    assert by_name["eleven-right"].single is False
    assert sum(a.fraction > 0 for a in by_name["eleven-right"].answers) == 11
    assert "1002001:0.5" in text
    star = by_name["text-star"]
    assert moodle_gift.short_answer_matches(star.answers[0].text.raw, "*")
    assert not moodle_gift.short_answer_matches(star.answers[0].text.raw, "anything")
    assert by_name["text-arrow"].kind == "shortanswer"
    assert "\n".join(_norm(by_name["multi-line-prompt"].text.shown).split("\n")[:2]) == \
        "First line with trailing spaces\n  indented line: a -> b"


def test_gift_refuses_what_moodle_cannot_import_with_one_line_naming_the_question(tmp_path):
    bank = tmp_path / "arrows.yaml"
    bank.write_text(textwrap.dedent("""\
        bank: arrows
        title: Arrows
        questions:
          - id: arrow-answers
            type: text
            prompt: Which arrow?
            answer: "a -> b"
            accept: ["a->b"]
            explanation: An arrow.
            tags: [cost]
        """))
    with pytest.raises(ExportError, match=r"arrows.yaml:4: question 'arrow-answers'.*'->'"):
        to_gift(load_bank(bank))
    out = CliRunner().invoke(main, ["quiz", "export", str(bank), "--format", "gift"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1 and "arrows.yaml:4" in out.output


# -- text2qti / QTI (Canvas) -------------------------------------------------------------------

def _canvas_score(item, chosen_texts):
    right = {item.choices[ident] for ident in item.right}
    k = len(right)
    return max(0, len(chosen_texts & right) - len(chosen_texts - right)) / k


def check_qti(bank, tmp_path, variants=1):
    source = tmp_path / f"{bank.id}.txt"
    source.write_text(to_text2qti(bank, variants=variants), encoding="utf-8")
    out = subprocess.run([str(BIN / "text2qti"), source.name], capture_output=True, text=True,
                         cwd=tmp_path, timeout=180)
    assert out.returncode == 0, out.stderr + out.stdout
    items = qti_reader.read_package(tmp_path / f"{bank.id}.zip")
    by_title = {item.title: item for item in items}
    assert len(by_title) == len(items)
    assert set(by_title) == _expected_ids(bank, variants)
    with __import__("zipfile").ZipFile(tmp_path / f"{bank.id}.zip") as package:
        raw = "".join(package.read(n).decode() for n in package.namelist() if n.endswith(".xml"))
    assert not set(TYPOGRAPHIC) & set(raw), "typographic quotes or dashes in the package"
    assert "&lt;a href" not in raw, "a Markdown link in the package"
    for title, item in by_title.items():
        question, variant = _asked(bank, title)
        if variant:
            variant = _variant_with_prompt(question, item.prompt)
        answer = variant.answer if variant else question.answer
        kind = variant.kind if variant else question.type
        prompt = variant.fill(question.prompt) if variant else question.prompt
        explanation = variant.fill(question.explanation) if variant else question.explanation
        assert float(item.points) == question.points, title
        assert _norm(item.prompt) == _norm(prompt), title
        assert _norm(item.feedback.get("general_fb", "")) == _norm(explanation), title
        texts = list(item.choices.values())
        feedback = "\n".join(_norm(v) for v in item.feedback.values())
        if kind == "true_false":
            assert item.type == "true_false_question"
            assert texts == ["True", "False"]
            assert item.choices[item.right[0]] == ("True" if answer else "False")
        elif kind == "single_choice":
            assert item.type == "multiple_choice_question", title
            assert [_norm(t) for t in texts] == [_norm(c) for c in question.choices], title
            assert _norm(item.choices[item.right[0]]) == _norm(answer)
            for ident, text in item.choices.items():
                says = [f["says"] for f in question.feedback if f["answer"] == text]
                if says:
                    assert _norm(item.feedback[f"{ident}_fb"]) == _norm(says[0]), title
        elif kind == "multiple_choice":
            assert item.type == "multiple_answers_question"
            assert [_norm(t) for t in texts] == [_norm(c) for c in question.choices], title
            assert {item.choices[i] for i in item.right} == set(answer)
            for chosen in _selections(len(question.choices)):
                if chosen:
                    chosen_texts = {question.choices[i] for i in chosen}
                    assert _canvas_score(item, chosen_texts) == pytest.approx(
                        _shallow_score(question, chosen), abs=1e-9), (title, chosen)
        elif kind == "numeric":
            assert item.type == "numerical_question", title
            tol = variant.tolerance if variant else question.tolerance
            value, margin = Decimal(repr(answer)), margin_of(answer, tol)
            for x in (value, value - margin, value + margin):
                assert qti_reader.accepts(item, x), (title, x)
            slack = Decimal("0.0002")  # four decimals, widened outward; nothing near zero
            for x in (value - margin - slack - Decimal("0.0001"),
                      value + margin + slack + Decimal("0.0001")):
                assert not qti_reader.accepts(item, x), (title, x)
        else:
            assert item.type == "short_answer_question", title
            for accepted in item.right:
                assert check_answer(question, accepted, variant).correct, (title, accepted)
            if kind == "text":
                assert question.answer in item.right
            else:
                assert str(tuple(answer)) in item.right
        for says in _feedback_texts(question, variant):
            assert says in feedback, (title, says)
    return items


def test_text2qti_package_of_the_bundled_bank_reads_back_exactly(tmp_path):
    items = check_qti(BANK, tmp_path, variants=1)
    forward = next(i for i in items if i.title == "lecture-02-forward-vectorized")
    assert "A[l] = g[l](Z[l])" in forward.choices[forward.right[0]]


def test_text2qti_package_of_a_bank_full_of_syntax_reads_back_exactly(tmp_path):
    items = {i.title: i for i in check_qti(TRICKY, tmp_path)}
    big = items["exact-large-number"]
    assert qti_reader.accepts(big, Decimal(1002001))
    assert qti_reader.accepts(big, Decimal("1002001.5"))
    assert not qti_reader.accepts(big, Decimal("1002002"))
    assert items["markdown-link-choices"].points == "2.5"
    assert items["markdown-link-choices"].prompt.startswith("[markdown] Which is A[l] = g[l]")


def test_text2qti_refuses_points_canvas_cannot_hold(tmp_path):
    bank = tmp_path / "points.yaml"
    bank.write_text(textwrap.dedent("""\
        bank: points
        title: Points
        questions:
          - id: third
            type: true_false
            prompt: A third of a point?
            answer: true
            points: 0.3
            explanation: text2qti takes whole or half points.
            tags: [cost]
        """))
    out = CliRunner().invoke(main, ["quiz", "export", str(bank), "--format", "text2qti"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "points.yaml:4: question 'third'" in out.output and "half points" in out.output


def test_numbers_are_written_in_full_for_both_lms():
    gift = to_gift(TRICKY)
    qti = to_text2qti(TRICKY)
    assert "1002001:0.5" in gift and "[1002000.5, 1002001.5]" in qti
    assert "0.00012345:0.00001" in gift
    assert not re.search(r"\d[eE][-+]?\d", gift + qti)
