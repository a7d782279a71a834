"""The terminal quiz: ask, read, give immediate feedback with the explanation, score at the end.

Works with a real terminal and with piped standard input; Ctrl-C or end of input stops cleanly
with the partial score. ``grade_answers`` grades an answers file the same way, non-interactively.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .checking import LETTERS, AnswerFormatError, check_answer, show_answer

FORMATS = {
    "true_false": "true or false",
    "single_choice": "the letter of one choice",
    "multiple_choice": "the letters of every right choice, like a, c",
    "numeric": "a number",
    "shape": "a shape, like (4, 1)",
    "text": "a word or two",
}
MAX_TRIES = 3


@dataclass
class Answer:
    question_id: str
    answer: str
    correct: bool
    score: float
    max_score: float
    feedback: str = ""

    def as_dict(self):
        return {"question_id": self.question_id, "answer": self.answer, "correct": self.correct,
                "score": self.score, "max_score": self.max_score}


@dataclass
class QuizResult:
    student: str
    bank: str
    seed: int
    planned: int
    answers: list = field(default_factory=list)
    stopped_early: bool = False
    problems: list = field(default_factory=list)

    @property
    def score(self):
        return sum(a.score for a in self.answers)

    @property
    def max_score(self):
        return sum(a.max_score for a in self.answers)


def select_questions(bank, *, tags=(), count=None, shuffle=False, seed=0, student=""):
    """The questions to ask, filtered by tag, optionally shuffled (seeded), at most ``count``."""
    questions = [q for q in bank.questions if not tags or set(tags) & set(q.tags)]
    if shuffle:
        random.Random(f"{seed}\0{student}").shuffle(questions)
    return questions[:count] if count else questions


def prepare(question, student, seed):
    """(prompt, explanation, variant) with a parametric question's numbers filled in."""
    if not question.parametric:
        return question.prompt, question.explanation, None
    from .variants import make_variant

    variant = make_variant(question, student=student, seed=seed)
    return variant.fill(question.prompt), variant.fill(question.explanation), variant


def render(question, number, total, prompt, variant=None):
    kind = variant.kind if variant else question.type
    points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
    lines = [f"Question {number} of {total}  ({points}; {', '.join(question.tags)})",
             prompt.strip()]
    for letter, choice in zip(LETTERS, question.choices, strict=False):
        lines.append(f"  {letter}) {choice}")
    lines.append(f"Answer with {FORMATS[kind]}:")
    return "\n".join(lines)


def run_quiz(bank, questions, *, student="", seed=0, read=input, write=print):
    """Ask each question in turn; return a QuizResult (partial when stopped early)."""
    result = QuizResult(student, bank.id, seed, planned=len(questions))
    try:
        for number, question in enumerate(questions, 1):
            prompt, explanation, variant = prepare(question, student, seed)
            write("")
            write(render(question, number, len(questions), prompt, variant))
            for attempt in range(MAX_TRIES):
                response = read("> ").strip()
                if not response:
                    write("(type an answer, or 'skip')")
                    continue
                if response.lower() == "skip":
                    result.answers.append(Answer(question.id, "", False, 0.0, question.points))
                    write("Skipped.")
                    break
                try:
                    check = check_answer(question, response, variant)
                except AnswerFormatError as exc:
                    tries_left = MAX_TRIES - attempt - 1
                    write(f"{exc}." + (" Try again." if tries_left else ""))
                    continue
                result.answers.append(Answer(question.id, response, check.correct, check.score,
                                             check.max_score, check.feedback))
                if check.correct:
                    write("Correct!")
                else:
                    write(f"Not quite. The answer is {check.shown_answer}.")
                    if check.feedback:
                        write(check.feedback)
                write(f"Why: {explanation.strip()}")
                break
            else:
                result.answers.append(Answer(question.id, "", False, 0.0, question.points))
                write(f"No readable answer; moving on. The answer is "
                      f"{show_answer(question, variant)}.")
    except (KeyboardInterrupt, EOFError):
        result.stopped_early = True
        write("")
        write("Stopped.")
    return result


def summary(result):
    asked = len(result.answers)
    percent = f" ({100 * result.score / result.max_score:.0f}%)" if result.max_score else ""
    stopped = f", stopped after {asked} of {result.planned} questions" \
        if result.stopped_early or asked < result.planned else ""
    return f"Score: {result.score:g} / {result.max_score:g}{percent}{stopped}"


def grade_answers(bank, answers, *, student="", seed=0):
    """Grade a mapping {question_id: response}; unknown ids are listed in ``problems``."""
    result = QuizResult(student, bank.id, seed, planned=len(answers))
    ids = {q.id for q in bank.questions}
    for question_id, response in answers.items():
        if question_id not in ids:
            result.problems.append(f"unknown question id '{question_id}'")
            continue
        question = bank.get(question_id)
        _, _, variant = prepare(question, student, seed)
        try:
            check = check_answer(question, response, variant)
        except AnswerFormatError as exc:
            result.answers.append(Answer(question_id, str(response), False, 0.0,
                                         question.points, f"unreadable answer: {exc}"))
            continue
        result.answers.append(Answer(question_id, str(response), check.correct, check.score,
                                     check.max_score, check.feedback))
    return result
