"""The review-question bank, answer checking, parametric variants, the runner and the exports."""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pexpect
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.gradebook import Gradebook
from quizzes.bank import TAGS, load_bank, validate_bank
from quizzes.checking import AnswerFormatError, check_answer, parse_shape
from quizzes.runner import grade_answers, run_quiz, select_questions
from quizzes.variants import GENERATORS, make_variant

BIN = Path(sys.executable).parent
SHALLOW = str(BIN / "shallow")
BANK = load_bank()
SEEDS = range(40)


def test_bank_covers_the_lecture_and_every_objective():
    assert BANK.id == "shallow-networks"
    lecture = sorted(q.lecture for q in BANK.questions if q.lecture)
    assert lecture == list(range(1, 11))
    assert all(q.variable for q in BANK.questions if q.lecture)
    assert len(BANK.questions) >= 40
    assert {t for q in BANK.questions for t in q.tags} == set(TAGS)
    types = {q.type for q in BANK.questions}
    assert types == {"true_false", "single_choice", "multiple_choice", "numeric", "shape",
                     "text", "parametric"}
    assert {q.generator for q in BANK.questions if q.parametric} == set(GENERATORS)
    assert validate_bank(BANK.path) == []


def _variants(question):
    if question.parametric:
        return [make_variant(question, student=f"s{i}", seed=i) for i in range(5)]
    return [None]


@pytest.mark.parametrize("question", BANK.questions, ids=[q.id for q in BANK.questions])
def test_every_question_answered_correctly_scores_full(question):
    for variant in _variants(question):
        answer = variant.answer if variant else question.answer
        check = check_answer(question, answer, variant)
        assert check.correct and check.score == question.points


@pytest.mark.parametrize("question", [q for q in BANK.questions if q.feedback],
                         ids=[q.id for q in BANK.questions if q.feedback])
def test_every_listed_wrong_answer_gets_its_feedback(question):
    for item in question.feedback:
        check = check_answer(question, item["answer"])
        assert not check.correct and check.score < question.points
        if question.type != "multiple_choice":  # partly right there: right minus wrong over k
            assert check.score == 0
        assert check.feedback == item["says"]


def test_every_non_parametric_question_lists_a_tempting_wrong_answer():
    assert all(q.feedback for q in BANK.questions if not q.parametric)


@pytest.mark.parametrize("text", ["(4, 1)", "(4,1)", "4x1", "[4, 1]", "4 x 1", "4 by 1",
                                  " (4 ,1) "])
def test_shape_spellings(text):
    assert parse_shape(text) == (4, 1)


def test_shape_and_format_errors():
    assert parse_shape("(4,)") == (4,) == parse_shape([4])
    with pytest.raises(AnswerFormatError, match="write it like"):
        parse_shape("four by one")
    question = next(q for q in BANK.questions if q.lecture == 5)
    assert check_answer(question, "(4, 1)").correct
    assert not check_answer(question, "(4,)").correct


def test_choices_by_letter_or_text():
    question = next(q for q in BANK.questions if q.type == "single_choice")
    letter = "abcdefgh"[question.choices.index(question.answer)]
    assert check_answer(question, letter).correct
    assert check_answer(question, letter.upper() + ")").correct
    assert check_answer(question, question.answer.upper()).correct
    with pytest.raises(AnswerFormatError):
        check_answer(question, "z")


def _independent_answer(generator, p):
    """The answer recomputed from the parameters with plain numpy, not the variant's code."""
    if generator in ("keepdims_shape", "sum_shape"):
        A = np.ones((p["rows"], p["cols"]))
        return list(A.sum(axis=p["axis"], keepdims=generator == "keepdims_shape").shape)
    if generator == "parameter_shape":
        return {"W1": [p["n_h"], p["n_x"]], "b1": [p["n_h"], 1], "W2": [p["n_y"], p["n_h"]],
                "b2": [p["n_y"], 1]}[p["param"]]
    if generator == "parameter_count":
        return p["n_h"] * p["n_x"] + p["n_h"] + p["n_y"] * p["n_h"] + p["n_y"]
    if generator == "activation_shape":
        return [p["n_h"] if p["name"] in ("Z1", "A1") else p["n_y"], p["m"]]
    if generator == "sigmoid_value":
        return 1 / (1 + np.exp(-p["z"]))
    if generator == "tanh_derivative_value":
        return 1 - np.tanh(p["z"]) ** 2
    if generator == "relu_derivative_value":
        return float(p["z"] > 0)
    if generator == "cross_entropy_value":
        return -(p["y"] * np.log(p["a"]) + (1 - p["y"]) * np.log(1 - p["a"]))
    raise AssertionError(generator)


@pytest.mark.parametrize("question", [q for q in BANK.questions if q.parametric],
                         ids=[q.id for q in BANK.questions if q.parametric])
def test_parametric_answers_match_numpy_for_many_seeds(question):
    seen = set()
    for seed in SEEDS:
        variant = make_variant(question, student="ann", seed=seed)
        want = _independent_answer(question.generator, variant.params)
        if variant.kind == "shape":
            assert variant.answer == want
        else:
            assert variant.answer == pytest.approx(want, abs=1e-9)
        prompt = variant.fill(question.prompt)
        assert "{" not in prompt
        seen.add(prompt)
    assert len(seen) > 1, "the prompt never changes with the seed"


def test_same_student_same_variant():
    question = next(q for q in BANK.questions if q.generator == "parameter_count")
    first = make_variant(question, student="ann", seed=3)
    assert make_variant(question, student="ann", seed=3) == first
    others = {make_variant(question, student=f"s{i}", seed=3).params["n_h"] for i in range(20)}
    assert len(others) > 1


BAD_BANK = """\
bank: broken
title: A broken bank
questions:
  - id: one
    type: essay
    prompt: Why?
    explanation: x
    tags: [cost]
  - id: two
    type: numeric
    prompt: How many?
    explanation: x
    tags: [cost]
  - id: two
    type: true_false
    prompt: Really?
    answer: true
    explanation: x
    tags: [cost]
  - id: three
    type: single_choice
    prompt: Which?
    choices: [a, b]
    answer: c
    explanation: x
    tags: [cost, nonsense]
    anwser: typo
"""


def test_validate_reports_every_problem_with_file_and_line(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(BAD_BANK)
    problems = validate_bank(path)
    text = "\n".join(problems)
    assert f"{path}:5: question 'one': unknown type 'essay'" in text
    assert f"{path}:9: question 'two': missing answer" in text
    assert f"{path}:14: duplicate id 'two' (first at line 9)" in text
    assert f"{path}:20: question 'three': the answer 'c' is not among the choices" in text
    assert f"{path}:26: question 'three': unknown tag 'nonsense'" in text
    assert f"{path}:27: question 'three': unknown field 'anwser'" in text
    out = CliRunner().invoke(main, ["quiz", "validate", str(path)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == len(problems)


LOAD_TWICE = """
import json, sys, time
from quizzes.bank import load_bank
bank = load_bank(sys.argv[1])
print(json.dumps({"yaml": "yaml" in sys.modules, "version": bank.version,
                  "questions": [[q.id, q.line, q.prompt, repr(q.answer)]
                                for q in bank.questions]}))
"""


def _load_in_a_fresh_process(path, cache):
    done = subprocess.run([sys.executable, "-c", LOAD_TWICE, str(path)], capture_output=True,
                          text=True, env={**__import__("os").environ, "SHALLOW_CACHE_DIR":
                                          str(cache)}, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_valid_bank_is_parsed_once_and_an_edited_one_again(tmp_path):
    """The second grade of a course reads the bank's data from the cache (no YAML parser
    imported), gets the same bank, and an edit is never served stale."""
    path = tmp_path / "bank.yaml"
    text = (Path(__file__).resolve().parents[2] / "quizzes" / "banks" /
            "shallow_networks.yaml").read_text()
    path.write_text(text)
    cache = tmp_path / "cache"
    first = _load_in_a_fresh_process(path, cache)
    second = _load_in_a_fresh_process(path, cache)
    assert first["yaml"] and not second["yaml"]
    assert second == {**first, "yaml": False}  # the questions' lines included
    assert len({line for _, line, *_ in first["questions"]}) == len(first["questions"]) > 10
    assert [p.stat().st_mode & 0o777 for p in cache.iterdir()] == [0o600]
    [kept] = cache.iterdir()
    kept.write_text("[" * 200_000)  # a damaged (or hostile) cache file: parsed afresh instead
    assert _load_in_a_fresh_process(path, cache) == first
    edited = text.replace('prompt: "True or false:', 'prompt: "Edited. True or false:', 1)
    assert edited != text
    path.write_text(edited)
    third = _load_in_a_fresh_process(path, cache)
    assert third["yaml"] and third["version"] != first["version"]
    assert third["questions"] != first["questions"]


def test_an_invalid_bank_is_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("SHALLOW_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "bank.yaml"
    path.write_text(BAD_BANK)
    assert validate_bank(path) == validate_bank(path) != []
    assert not (tmp_path / "cache").exists()
    monkeypatch.setenv("SHALLOW_CACHE_DIR", "/proc/not-writable")  # no cache: still read
    assert load_bank().questions


def test_validate_reports_yaml_syntax_errors_with_line(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("bank: x\nquestions:\n  - id: a\n    prompt: [unclosed\n")
    [problem] = validate_bank(path)
    assert problem.startswith(f"{path}:") and "YAML syntax error" in problem
    missing = tmp_path / "missing.yaml"
    assert validate_bank(missing) == [f"{missing}: no such file"]
    out = CliRunner().invoke(main, ["quiz", "validate"])
    assert out.exit_code == 0 and "ok," in out.output


def test_runner_with_scripted_answers_gives_feedback_and_score():
    questions = [q for q in BANK.questions if q.type in ("shape", "true_false")][:3]
    answers = []
    for q in questions:
        answers.append(str(tuple(q.answer)) if q.type == "shape" else str(q.answer))
    answers[1] = "nonsense-first"  # a format error, then the right answer
    answers.insert(2, str(tuple(questions[1].answer)) if questions[1].type == "shape"
                   else str(questions[1].answer))
    output = []
    feed = iter(answers)
    result = run_quiz(BANK, questions, student="x", read=lambda _: next(feed),
                      write=output.append)
    assert result.score == sum(q.points for q in questions)
    assert sum("Correct!" in line for line in output) == 3
    assert any("Try again" in line for line in output)


def test_runner_stops_cleanly_on_interrupt():
    questions = select_questions(BANK, tags=["keepdims"])
    calls = []

    def read(_):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return "skip"

    result = run_quiz(BANK, questions, read=read, write=lambda *_: None)
    assert result.stopped_early and len(result.answers) == 1


def test_quiz_run_with_piped_input(tmp_path):
    bank = tmp_path / "small.yaml"
    bank.write_text(textwrap.dedent("""\
        bank: small
        title: Small
        questions:
          - id: keep
            type: shape
            prompt: "If A.shape = (4, 3), what is np.sum(A, axis=1, keepdims=True).shape?"
            answer: [4, 1]
            explanation: keepdims keeps the summed axis.
            tags: [keepdims]
            feedback:
              - answer: [4]
                says: Without keepdims the axis disappears.
          - id: tanh
            type: true_false
            prompt: Does tanh center activations around zero?
            answer: true
            explanation: tanh ranges over (-1, 1).
            tags: [activations]
        """))
    db = tmp_path / "g.db"
    out = subprocess.run([SHALLOW, "quiz", "run", str(bank), "--student", "ann", "--gradebook",
                          str(db)], input="(4,)\ny\n", capture_output=True, text=True,
                         timeout=30, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Answers saved in quiz-small.yaml" in out.stdout
    assert (tmp_path / "quiz-small.yaml").exists()
    assert "Not quite. The answer is (4, 1)." in out.stdout
    assert "Without keepdims the axis disappears." in out.stdout
    assert "Why: keepdims keeps the summed axis." in out.stdout
    assert "Score: 1 / 2 (50%)" in out.stdout
    with Gradebook(db) as book:
        [attempt] = book.quiz_attempts(student="ann")
    assert attempt["score"] == 1 and attempt["max_score"] == 2
    # End of input part-way: partial score, no traceback.
    out = subprocess.run([SHALLOW, "quiz", "run", str(bank), "--no-save"], input="(4, 1)\n",
                         capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert "Score: 1 / 1 (100%), stopped after 1 of 2 questions" in out.stdout
    assert "Traceback" not in out.stderr


def test_quiz_run_in_a_real_terminal_and_ctrl_c(tmp_path):
    child = pexpect.spawn(SHALLOW, ["quiz", "run", "--tag", "keepdims", "--student", "bo",
                                    "--gradebook", str(tmp_path / "g.db")], cwd=str(tmp_path),
                          encoding="utf-8", timeout=15, dimensions=(40, 120))
    start = time.perf_counter()
    child.expect("Question 1 of")
    first_question = time.perf_counter() - start
    child.expect("> ")
    child.sendline("skip")
    child.expect("Question 2 of")
    child.expect("> ")
    child.sendintr()
    child.expect("Stopped.")
    child.expect(r"Score: 0 / 1 \(0%\), stopped after 1 of")
    child.expect("Answers saved in quiz-shallow-networks.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = (tmp_path / "quiz-shallow-networks.yaml").read_text()
    assert "answers:" in saved and "student: bo" in saved
    print(f"first question after {first_question:.3f} s")  # see bench for the figure


def test_quiz_start_up_imports_no_numpy_for_plain_questions():
    code = ("import sys; from quizzes.bank import load_bank; from quizzes.runner import "
            "run_quiz, prepare; b = load_bank(); "
            "[prepare(q, 's', 0) for q in b.questions if not q.parametric]; "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_quiz_grade_answers_file_into_the_gradebook(tmp_path):
    lecture = {q.lecture: q for q in BANK.questions if q.lecture}
    answers = {lecture[5].id: "4x1", lecture[1].id: str(not lecture[1].answer).lower(),
               "no-such-question": "x"}
    path = tmp_path / "ann.yaml"
    path.write_text(json.dumps({"student": "ann", "answers": answers}))
    db = tmp_path / "g.db"
    out = CliRunner().invoke(main, ["quiz", "grade", str(path), "--gradebook", str(db),
                                    "--assignment", "planar_classifier"])
    assert out.exit_code == 0, out.output
    assert "unknown question id 'no-such-question'" in out.output
    assert f"ok {lecture[5].id}" in out.output and f"-- {lecture[1].id}" in out.output
    with Gradebook(db) as book:
        [attempt] = book.quiz_attempts(student="ann", assignment="planar_classifier")
    assert attempt["score"] == lecture[5].points
    result = grade_answers(BANK, {lecture[5].id: "(4,)"}, student="ann")
    assert result.answers[0].feedback


def test_quiz_export_writes_each_format(tmp_path):
    for fmt in ("gift", "text2qti", "student"):
        out = tmp_path / f"bank.{fmt}"
        result = CliRunner().invoke(main, ["quiz", "export", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text()
        assert "lecture-05-keepdims" in text
        assert ("(4, 1)" in text) is (fmt != "student")  # the copy holds no graded answer
