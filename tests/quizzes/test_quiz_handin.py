"""A quiz a student can hand in: the student copy of a bank (no answers of graded questions),
the terminal run that checks only the form of graded answers and writes the result file, and the
instructor's re-grading, which trusts nothing in the file but the answers."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pexpect
import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.gradebook import Gradebook
from quizzes.bank import ANSWER_FIELDS, load_bank, validate_bank
from quizzes.checking import AnswerFormatError, check_answer, check_form
from quizzes.results import ResultFileError, grade_file, write_result
from quizzes.runner import run_quiz
from quizzes.student import student_bank, write_student_bank
from quizzes.variants import make_variant

SHALLOW = str(Path(sys.executable).parent / "shallow")

BANK_TEXT = """\
bank: small
title: Small
seed: 0
questions:
  - id: keep
    type: shape
    prompt: "If A.shape = (4, 3), what is np.sum(A, axis=1, keepdims=True).shape?"
    answer: [4, 1]
    explanation: SECRET-EXPLANATION keepdims keeps the summed axis.
    tags: [keepdims]
    feedback:
      - answer: [4]
        says: SECRET-FEEDBACK without keepdims the axis disappears.
  - id: count
    type: parametric
    generator: parameter_count
    prompt: "How many parameters does a {n_x}-{n_h}-{n_y} network have?"
    explanation: "W1 is {n_h} x {n_x}, plus biases."
    tags: [parameters]
  - id: tanh
    type: true_false
    practice: true
    prompt: Does tanh center activations around zero?
    answer: true
    explanation: tanh ranges over (-1, 1).
    tags: [activations]
  - id: facts
    type: multiple_choice
    prompt: Which are activation functions?
    choices: [tanh, sigmoid, SECRET-WRONG-CHOICE-IS-FINE]
    answer: [tanh, sigmoid]
    explanation: SECRET-EXPLANATION-TWO
    tags: [activations]
"""


@pytest.fixture
def bank_path(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(BANK_TEXT)
    return path


def _clean_env():
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def test_the_student_copy_holds_no_answer_of_a_graded_question(bank_path, tmp_path):
    bank = load_bank(bank_path)
    data = student_bank(bank)
    assert data["student_copy"] is True and data["version"] == bank.version
    entries = {e["id"]: e for e in data["questions"]}
    for qid in ("keep", "count", "facts"):
        assert not ANSWER_FIELDS & set(entries[qid]), qid
    assert entries["facts"]["choices"] == ["tanh", "sigmoid", "SECRET-WRONG-CHOICE-IS-FINE"]
    assert entries["count"]["generator"] == "parameter_count"
    assert entries["tanh"]["answer"] is True and entries["tanh"]["practice"] is True
    assert entries["tanh"]["explanation"] == "tanh ranges over (-1, 1)."
    for suffix in (".yaml", ".json"):
        path = write_student_bank(bank, tmp_path / f"copy{suffix}")
        text = path.read_text()
        assert "SECRET-EXPLANATION" not in text and "SECRET-FEEDBACK" not in text
        copy = load_bank(path)
        assert copy.student_copy and copy.version == bank.version
        keep = copy.get("keep")
        assert keep.answer is None
        assert check_form(keep, "(4, 1)") is None and check_form(keep, "(9, 9)") is None
        assert "write it like (4, 1)" in check_form(keep, "four by one")
        assert check_form(copy.get("count"), "21") is None
        assert "as a number" in check_form(copy.get("count"), "(4, 1)")
        assert check_form(copy.get("facts"), "a, b") is None
        assert "not one of the choices (a, b, c)" in check_form(copy.get("facts"), "d")
    with pytest.raises(AnswerFormatError, match="holds no answer"):
        check_answer(keep, "(4, 1)")  # a copy cannot grade: "none" is not the right text
    assert check_answer(copy.get("tanh"), "true").correct  # practice: checked fully
    answers = tmp_path / "ann.yaml"
    answers.write_text("answers: {keep: 4x1}\n")
    out = CliRunner().invoke(main, ["quiz", "grade", str(answers), "--bank", str(path),
                                    "--no-gradebook"])
    assert out.exit_code == 1 and "a student copy holds no answers" in out.output
    out = CliRunner().invoke(main, ["quiz", "run", str(path), "--no-save"], input="")
    assert out.exit_code == 1 and "give --student" in out.output
    leaked = json.loads((tmp_path / "copy.json").read_text())
    leaked["questions"][0]["answer"] = [4, 1]
    (tmp_path / "leaked.json").write_text(json.dumps(leaked))
    problems = validate_bank(tmp_path / "leaked.json")
    assert any("question 'keep': a student copy holds no 'answer' for a graded question" in p
               for p in problems)


def test_a_student_runs_the_copy_hands_in_and_the_instructor_regrades(bank_path, tmp_path):
    bank = load_bank(bank_path)
    copy = write_student_bank(bank, tmp_path / "student.yaml")
    home = tmp_path / "ann"
    home.mkdir()
    count = make_variant(bank.get("count"), student="ann", seed=0)
    child = pexpect.spawn(SHALLOW, ["quiz", "run", str(copy), "--student", "ann",
                                    "--gradebook", str(home / "g.db")], cwd=str(home),
                          env=_clean_env(), encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect("np.sum")
    child.expect("> ")
    child.sendline("four by one")
    child.expect(r"could not read 'four by one' as a shape; write it like \(4, 1\)\. Try again")
    child.sendline("(4, 1)")
    child.expect("Recorded: your instructor grades it.")
    seen = child.before
    child.expect(f"a {count.params['n_x']}-{count.params['n_h']}-{count.params['n_y']} network")
    child.expect("> ")
    child.sendline(str(count.answer))
    child.expect("Recorded")
    seen += child.before
    child.expect("Does tanh center")
    child.expect("> ")
    child.sendline("yes")
    child.expect("Correct!")
    child.expect(r"Why: tanh ranges over \(-1, 1\)\.")
    child.expect("Which are activation functions")
    child.expect("> ")
    child.sendline("a, z")
    child.expect("is not one of the choices")
    child.sendline("a")
    child.expect("Recorded")
    seen += child.before
    child.expect(r"Score: 1 / 1 \(100%\); 3 answer\(s\) recorded for your instructor to grade")
    child.expect("Answers saved in quiz-small.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Correct" not in seen and "answer is" not in seen and "SECRET" not in seen
    result = yaml.safe_load((home / "quiz-small.yaml").read_text())
    assert result["answers"] == {"keep": "(4, 1)", "count": str(count.answer), "tanh": "yes",
                                 "facts": "a"}
    assert (result["bank"], result["bank_version"], result["seed"], result["student"]) == \
        ("small", bank.version, 0, "ann")
    assert result["finished"].endswith("Z") and result["format"] == "shallow-quiz-result/1"
    with Gradebook(home / "g.db") as book:  # only the practice answer was checked, by the run
        [attempt] = book.quiz_attempts(student="ann")
    assert attempt["max_score"] == 1

    # Handed in through nbgrader, then tampered with: a score, another student, a seed.
    result.update(score=99, student="mallory", correct=True)
    submitted = tmp_path / "course" / "submitted" / "ann" / "week1"
    submitted.mkdir(parents=True)
    (submitted / "quiz-small.yaml").write_text(yaml.safe_dump(result))
    db = tmp_path / "course.db"
    out = CliRunner().invoke(main, ["quiz", "grade", str(tmp_path / "course"), "--bank",
                                    str(bank_path), "--gradebook", str(db)])
    assert out.exit_code == 0, out.output
    assert "ignored field(s) correct, score" in out.output
    assert "answered as 'mallory', graded as 'ann'" in out.output
    with Gradebook(db) as book:
        [attempt] = book.quiz_attempts()
    assert (attempt["student"], attempt["assignment"]) == ("ann", "week1")
    assert attempt["score"] == pytest.approx(3.5) and attempt["max_score"] == 4
    by_id = {a["question_id"]: a for a in attempt["answers"]}
    assert by_id["facts"]["score"] == pytest.approx(0.5) and not by_id["facts"]["correct"]
    assert by_id["count"]["correct"] and by_id["keep"]["correct"]


def _other_seed_answer(question, student):
    """A seed whose variant's answer differs from the course seed's (0) for ``student``."""
    course = make_variant(question, student=student, seed=0).answer
    for seed in range(1, 50):
        variant = make_variant(question, student=student, seed=seed)
        if variant.answer != course:
            return seed, variant.answer
    raise AssertionError("every seed gives the same answer")


def test_a_chosen_seed_or_student_id_does_not_choose_the_numbers(bank_path, tmp_path):
    bank = load_bank(bank_path)
    question = bank.get("count")
    seed, answer = _other_seed_answer(question, "bo")
    result = run_quiz(bank, [question], student="bo", seed=seed, read=lambda _: str(answer),
                      write=lambda *_: None)
    assert result.answers[0].correct  # right for the numbers the student chose
    path = write_result(result, tmp_path / "bo.yaml")
    graded = grade_file(bank, path)
    assert graded.student == "bo"
    assert not graded.result.answers[0].correct
    assert any(f"numbers drawn with seed {seed}" in note for note in graded.notes)
    right = make_variant(question, student="bo", seed=0).answer
    impostor = run_quiz(bank, [question], student="someone", seed=0,
                        read=lambda _: str(right), write=lambda *_: None)
    path = write_result(impostor, tmp_path / "bo.yaml")
    graded = grade_file(bank, path)
    assert graded.result.answers[0].correct  # graded for bo, whose numbers these are
    assert any("answered as 'someone', graded as 'bo'" in note for note in graded.notes)


def test_grading_folders_many_files_and_who_is_who(bank_path, tmp_path):
    flat = tmp_path / "uploads"
    flat.mkdir()
    (flat / "cleo.yaml").write_text("answers: {keep: 4x1, tanh: 'no'}\n")
    (flat / "dev.json").write_text(json.dumps({"keep": "(4,)"}))
    (flat / "emil.yaml").write_text("seed: [1]\nanswers: {keep: 4x1}\n")
    db = tmp_path / "g.db"
    out = subprocess.run([SHALLOW, "quiz", "grade", str(flat), "--bank", str(bank_path),
                          "--gradebook", str(db)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"{flat / 'emil.yaml'}:1: seed must be a whole number" in out.stderr
    assert "1 of 3 file(s) could not be graded" in out.stderr and "Traceback" not in out.stderr
    with Gradebook(db) as book:
        scores = {a["student"]: a["score"] for a in book.quiz_attempts()}
    assert scores == {"cleo": 1, "dev": 0}
    handed = tmp_path / "quiz-small.yaml"
    shutil.copy(flat / "cleo.yaml", handed)
    with pytest.raises(ResultFileError, match="whose file is this"):
        grade_file(load_bank(bank_path), handed)
    out = CliRunner().invoke(main, ["quiz", "grade", str(handed), "--bank", str(bank_path),
                                    "--no-gradebook"])
    assert out.exit_code == 1 and "whose file is this" in out.output
    out = CliRunner().invoke(main, ["quiz", "grade", str(flat), "--student", "x",
                                    "--no-gradebook", "--bank", str(bank_path)])
    assert out.exit_code == 1 and "--student names one student" in out.output
    other = tmp_path / "other.yaml"
    other.write_text(BANK_TEXT.replace("bank: small", "bank: other"))
    out = CliRunner().invoke(main, ["quiz", "grade", str(flat / "cleo.yaml"), "--bank",
                                    str(other), "--no-gradebook"])
    assert out.exit_code == 0  # no bank named in the file: graded with the bank given
    (flat / "cleo.yaml").write_text("bank: small\nanswers: {keep: 4x1}\n")
    out = CliRunner().invoke(main, ["quiz", "grade", str(flat / "cleo.yaml"), "--bank",
                                    str(other), "--no-gradebook"])
    assert out.exit_code == 1 and "answers for bank 'small'" in out.output


def test_the_example_answers_file_still_grades_under_its_file_name(tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "quiz" / "ada.yaml"
    db = tmp_path / "g.db"
    out = CliRunner().invoke(main, ["quiz", "grade", str(example), "--gradebook", str(db),
                                    "--assignment", "planar_classifier"])
    assert out.exit_code == 0, out.output
    with Gradebook(db) as book:
        [attempt] = book.quiz_attempts(student="ada", assignment="planar_classifier")
    assert attempt["max_score"] > attempt["score"] > 0
    assert textwrap.dedent(out.output).count("\n") >= len(attempt["answers"])
