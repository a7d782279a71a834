"""One record per question type: a type registered from outside the package (here an "integer"
type, in this process and as an installed entry-point plugin) is validated, asked in the real
terminal runner, graded from an answers file and exported, with no other change; and the
properties every type's record must have (reading never fails but with a one-line
AnswerFormatError, the form check agrees with reading and never looks at the answer)."""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import moodle_gift
import pexpect
import pytest
import qti_reader
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes import types
from quizzes.bank import load_bank, validate_bank
from quizzes.checking import AnswerFormatError, check_answer, check_form, parse_answer
from quizzes.export import to_gift, to_text2qti
from quizzes.variants import make_variant

BIN = Path(sys.executable).parent
SHALLOW = str(BIN / "shallow")
BANK = load_bank()
PACKAGE = Path(types.__file__).parent

PLUGIN = '''\
"""An integer question type, written outside the shallow package."""
import re
from decimal import Decimal

from quizzes.types import AnswerFormatError, LmsItem, QuestionType


class IntegerType(QuestionType):
    name = "integer"
    hint = "a whole number, like 12"
    notebook_hint = "a whole number"

    def validate(self, question, problem):
        answer = question.answer
        if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int)):
            problem(f"an integer answer is a whole number, got {answer!r}")

    def parse(self, question, value):
        text = str(value).strip()
        if isinstance(value, bool) or not re.fullmatch(r"[-+]?[0-9]{1,15}", text):
            raise AnswerFormatError(f"{text!r} is not a whole number")
        return int(text)

    def lms(self, question):
        return LmsItem("number", value=Decimal(question.answer), margin=Decimal(0))
'''

BANK_TEXT = """\
bank: counting
title: Counting
questions:
  - id: hidden-units
    type: integer
    prompt: How many hidden units does the course's planar classifier use?
    answer: 4
    explanation: layer_sizes returns (n_x, 4, n_y).
    tags: [representation]
    feedback:
      - answer: 3
        says: Count again; the course uses four.
  - id: tanh-centred
    type: true_false
    prompt: Is tanh centred at zero?
    answer: true
    explanation: tanh(0) = 0.
    tags: [activations]
"""


@pytest.fixture
def plugin_dir(tmp_path):
    """A folder that holds the plugin module and its installed-package metadata."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "shallow_integer_type.py").write_text(PLUGIN)
    info = root / "shallow_integer_type-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shallow-integer-type\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text("[shallow.quiz_types]\n"
                                           "integer = shallow_integer_type:IntegerType\n")
    return root


@pytest.fixture
def integer_type(plugin_dir):
    spec = importlib.util.spec_from_file_location("shallow_integer_type",
                                                  plugin_dir / "shallow_integer_type.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    registered = types.register(module.IntegerType)
    yield registered
    types.unregister("integer")


def test_a_type_registered_in_process_is_validated_checked_and_exported(tmp_path, integer_type):
    path = tmp_path / "counting.yaml"
    path.write_text(BANK_TEXT)
    bank = load_bank(path)
    question = bank.get("hidden-units")
    assert check_answer(question, "4").correct
    wrong = check_answer(question, "3")
    assert not wrong.correct and wrong.feedback == "Count again; the course uses four."
    assert check_form(question, "four") == "'four' is not a whole number"
    assert check_form(question, "5") is None
    broken = tmp_path / "broken.yaml"
    broken.write_text(BANK_TEXT.replace("answer: 4", "answer: four"))
    assert any("an integer answer is a whole number, got 'four'" in p
               for p in validate_bank(broken))
    [gift] = [q for q in moodle_gift.parse(to_gift(bank)) if q.name == "hidden-units"]
    assert gift.kind == "numerical" and gift.numbers[0][1:3] == (4.0, 0.0)
    assert "=   4" in to_text2qti(bank)


def _env(plugin_dir):
    return {**os.environ, "PYTHONPATH": str(plugin_dir), "COLUMNS": "100"}


def test_an_entry_point_plugin_type_runs_in_the_terminal_grades_and_exports(tmp_path,
                                                                            plugin_dir):
    bank = tmp_path / "counting.yaml"
    bank.write_text(BANK_TEXT)
    env = _env(plugin_dir)
    out = subprocess.run([SHALLOW, "quiz", "validate", str(bank)], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0 and "ok, 2 questions" in out.stdout, out.stdout + out.stderr
    child = pexpect.spawn(SHALLOW, ["quiz", "run", str(bank), "--student", "ann",
                                    "--gradebook", str(tmp_path / "g.db")],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 100))
    child.expect("How many hidden units")
    child.expect("Answer with a whole number, like 12:")
    child.expect("> ")
    child.sendline("four")
    child.expect("'four' is not a whole number. Try again.")
    child.sendline("4")
    child.expect("Correct!")
    child.expect("> ")
    child.sendline("true")
    child.expect("Correct!")
    child.expect(r"Score: 2 / 2 \(100%\)")
    child.expect("Answers saved in quiz-counting.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    result = tmp_path / "quiz-counting.yaml"
    out = subprocess.run([SHALLOW, "quiz", "grade", str(result), "--bank", str(bank),
                          "--student", "ann", "--no-gradebook"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ok hidden-units: 4" in out.stdout and "Score: 2 / 2" in out.stdout
    gift = subprocess.run([SHALLOW, "quiz", "export", str(bank), "--format", "gift"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert gift.returncode == 0, gift.stderr
    [parsed] = [q for q in moodle_gift.parse(gift.stdout) if q.name == "hidden-units"]
    assert parsed.kind == "numerical" and parsed.numbers[0][1] == 4
    source = tmp_path / "counting.txt"
    out = subprocess.run([SHALLOW, "quiz", "export", str(bank), "--format", "text2qti", "-o",
                          str(source)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([str(BIN / "text2qti"), source.name], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    [item] = [i for i in qti_reader.read_package(tmp_path / "counting.zip")
              if i.title == "hidden-units"]
    assert item.type == "numerical_question" and qti_reader.accepts(item, 4)
    assert not qti_reader.accepts(item, 5)


def test_without_the_plugin_the_type_is_a_one_line_validation_error(tmp_path):
    bank = tmp_path / "counting.yaml"
    bank.write_text(BANK_TEXT)
    [problem] = validate_bank(bank)
    assert problem.startswith(f"{bank}:5: question 'hidden-units': unknown type 'integer'")
    assert "true_false" in problem and "\n" not in problem


def test_no_module_but_the_registry_dispatches_on_a_type_name():
    names = [q.name for q in map(types.get, types.BUILTIN)]
    pattern = re.compile(r"""["'](""" + "|".join(names) + r""")["']""")
    offenders = []
    for path in [*PACKAGE.glob("*.py"), PACKAGE.parent / "autograder" / "cli_quiz.py"]:
        if path.name in ("types.py", "variants.py"):  # the records; generators name their kind
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


# -- properties of every record ------------------------------------------------------------------

def _asked(question):
    variant = make_variant(question, student="prop", seed=0) if question.parametric else None
    return question, variant


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["(4, 1)", "4x1", "a", "b, c", "ac", "true", "1/4", "1e400", "9" * 5000,
                       "(4.5, 1)", "-1", "A)", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(BANK.questions) - 1), value=VALUES)
def test_reading_fails_only_with_a_one_line_format_error(index, value):
    question, variant = _asked(BANK.questions[index])
    try:
        parse_answer(question, value, variant)
        readable = True
    except AnswerFormatError as exc:
        assert "\n" not in str(exc) and str(exc)
        readable = False
    problem = check_form(question, value, variant)
    assert (problem is None) == readable
    if readable:
        check = check_answer(question, value, variant)
        assert 0 <= check.score <= check.max_score == question.points


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(BANK.questions) - 1), value=VALUES)
def test_the_form_check_never_looks_at_the_answer(index, value):
    import dataclasses

    question = BANK.questions[index]
    blind = dataclasses.replace(question, answer=None, accept=[], feedback=[], tolerance={},
                                explanation="")
    assert check_form(blind, value) == check_form(question, value)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_multiple_answers_score_right_minus_wrong_over_k(data):
    n = data.draw(st.integers(2, 12))
    choices = [f"choice {i}" for i in range(n)]
    right = data.draw(st.sets(st.integers(0, n - 1), min_size=1))
    chosen = data.draw(st.sets(st.integers(0, n - 1), min_size=1))
    from quizzes.bank import Question

    question = Question("q", "multiple_choice", "?", "x", ["cost"], points=3.0, choices=choices,
                        answer=[choices[i] for i in sorted(right)])
    check = check_answer(question, [types.LETTERS[i] for i in chosen])
    expected = max(0, len(chosen & right) - len(chosen - right)) / len(right) * 3
    assert check.score == pytest.approx(expected)
    assert check.correct is (chosen == right)


def test_records_describe_themselves_for_notebooks_and_reports():
    seen = {}
    for question in BANK.questions:
        if question.parametric:
            continue
        qtype = types.get(question.type)
        value = ast.literal_eval(qtype.literal(question))  # the notebook's solution cell
        assert check_answer(question, value).correct, question.id
        seen[question.type] = qtype.notebook_hint
        label = qtype.label(question, qtype.read(question, question.answer))
        assert types.normalize_text(label) == types.normalize_text(qtype.show(question))
        assert check_answer(question, label).correct, (question.id, label)
    assert set(seen) == {"true_false", "single_choice", "multiple_choice", "numeric", "shape",
                         "text"}
    assert all(seen.values())
