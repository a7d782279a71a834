"""Class reports and student feedback pages, built from the gradebook of ``shallow grade``.

``build_report`` gives the instructor one page per assignment: the score distribution, the pass
rate of every exercise and test case, the classic mistakes the grader diagnosed most often, how
hard each review question was (notebook answers and quiz answers together), late and missing
submissions, and the isolation layers the grader used. ``build_feedback`` writes one page per
student, in nbgrader's feedback layout, with what failed, why, and the hint.

Every page is one self-contained HTML file: inline CSS, plots as PNG ``data:`` URIs, system
fonts, no script and nothing fetched from anywhere. A Content-Security-Policy forbids scripts
and every other resource, and every piece of text is escaped, so a student's text (an id, an
answer, an exception message) can never run in the reader's browser.

Both read the LATEST attempt of each student, like ``shallow export``. Nothing here reads the
rubric's test cases: failed cases are shown with the grader's own output, which describes hidden
inputs by their shapes only.
"""

from __future__ import annotations

import ast
import base64
import csv
import html
import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from . import __version__

__all__ = ["ReportError", "ReportPaths", "build_feedback", "build_report", "parse_due",
           "read_roster"]

CSV_COLUMNS = ("kind", "item", "exercise", "title", "n", "count", "rate", "mean_points",
               "max_points", "most_common", "most_common_count", "unanswered", "hint")
TOP_MISTAKES = 10
DPI = 100
_EPS = 1e-9
_PROBLEM = re.compile(r"^Problem: (?P<var>\w+) = (?P<value>.*) is not right$", re.M)
_SAFE_NAME = re.compile(r"[\w@+=,-][\w.@+=,-]*")


class ReportError(Exception):
    """A one-line problem: a missing gradebook, an unknown assignment, a bad due date..."""


@dataclass(frozen=True)
class ReportPaths:
    """The two files of a class report, and the headline figures (for the command's summary)."""

    html: Path
    csv: Path
    graded: int = 0  # students with a graded notebook
    missing: tuple = ()  # roster ids without a graded notebook
    late: tuple = ()  # late students (see build_report)


# -- reading -------------------------------------------------------------------------------

def parse_due(value) -> datetime:
    """An ISO 8601 date and time as an aware datetime; one without a time zone is UTC.

    ``2025-03-02T23:59``, ``2025-03-02T23:59:00+01:00`` and ``2025-03-02T22:59Z`` are all
    accepted; a date alone means its midnight (00:00), UTC.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" and text
                                            else text)
        except ValueError:
            raise ReportError(f"due date {text!r} is not an ISO 8601 date and time "
                              f"(for example 2025-03-02T23:59:00+01:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _graded_time(text):
    try:
        return parse_due(text)
    except ReportError:
        return None


def read_roster(path) -> list[str]:
    """Student ids from a roster: a text file with one id a line, or a CSV file.

    In a CSV file with a header row, the column named ``student``, ``student_id``, ``id`` or
    ``username`` (nbgrader's ``nbgrader db student import`` file has ``id``) holds the ids;
    otherwise the first column does. Blank lines and lines starting with ``#`` are skipped.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the roster ({type(exc).__name__})") from None
    rows = [row for row in csv.reader(io.StringIO(text))
            if row and row[0].strip() and not row[0].lstrip().startswith("#")]
    column = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for name in ("student", "student_id", "id", "username"):
            if name in header:
                column, rows = header.index(name), rows[1:]
                break
    ids, seen = [], set()
    for row in rows:
        student = row[column].strip() if column < len(row) else ""
        if student and student not in seen:
            seen.add(student)
            ids.append(student)
    return ids


class _Book:
    """The gradebook opened for reading, its errors turned into ReportError."""

    def __init__(self, gradebook_path, assignment):
        from .gradebook import Gradebook, GradebookError

        self.error_type = GradebookError
        path = Path(gradebook_path)
        if not path.is_file():
            raise ReportError(f"{path}: no such gradebook (grade something first)")
        try:
            self.book = Gradebook(path)
        except GradebookError as exc:
            raise ReportError(str(exc)) from None
        try:
            known = self.call("assignments")
            if assignment is None:
                if len(known) != 1:
                    raise ReportError(
                        f"{path}: the gradebook is empty" if not known else
                        f"{path} holds {len(known)} assignments ({', '.join(known)}): "
                        f"choose one")
                assignment = known[0]
            elif assignment not in known:
                raise ReportError(f"{path}: no attempts at assignment {assignment!r} (it holds "
                                  f"{', '.join(known) or 'none'})")
        except BaseException:
            self.book.close()
            raise
        self.path, self.assignment = path, assignment

    def call(self, method, *args, **kwargs):
        try:
            return getattr(self.book, method)(*args, **kwargs)
        except self.error_type as exc:
            raise ReportError(str(exc)) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.book.close()


@dataclass
class _Class:
    results: list  # the latest attempt of each student, sorted by student
    quizzes: dict  # student -> their latest quiz attempt at the assignment
    history: dict = field(default_factory=dict)  # student -> [(graded_at, sha256)], oldest first


def _load(book, *, history):
    assignment = book.assignment
    if history:  # one read gives both the first and the latest attempt of everyone
        latest, times = {}, defaultdict(list)
        for attempt in book.call("attempts", assignment=assignment):
            latest[attempt.student] = attempt
            times[attempt.student].append((attempt.graded_at, attempt.sha256))
        results = [latest[student] for student in sorted(latest)]
    else:
        results, times = book.call("latest_per_student", assignment), {}
    quizzes = {}
    for quiz in book.call("quiz_attempts", assignment=assignment):  # oldest first: last wins
        quizzes[quiz["student"]] = quiz
    return _Class(results, quizzes, dict(times))


def _bank():
    from quizzes.bank import BankError, load_bank

    try:
        return load_bank()
    except BankError as exc:
        raise ReportError(f"the quiz bank is invalid: {exc}") from None


# -- answers to review questions -----------------------------------------------------------

def _short(text, limit=120):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _answer_label(question, value):
    """A response in the question's own terms, so that "b", "B" and the choice's text count as
    the same answer: 'b) The choice', '(4, 1)', 'true'; None when it cannot be read."""
    from quizzes.checking import LETTERS, parse_answer

    if question.parametric:
        return _short(value)
    try:
        parsed = parse_answer(question, value)
    except Exception:  # noqa: BLE001 - whatever the reason, the answer is unreadable
        return None
    if question.type == "true_false":
        return "true" if parsed else "false"
    if question.type == "single_choice":
        return _short(f"{LETTERS[question.choices.index(parsed)]}) {parsed}")
    if question.type == "multiple_choice":
        return _short("; ".join(f"{LETTERS[i]}) {choice}" for i, choice
                                in enumerate(question.choices) if choice in parsed))
    if question.type == "shape":
        return str(tuple(parsed))
    if question.type == "numeric":
        return f"{parsed:.4g}"
    return _short(parsed)


UNREADABLE = "(an unreadable answer)"


def _notebook_response(question, test):
    """(outcome, label) for a notebook's answer variable: outcome is 'correct', 'wrong',
    'unreadable' (label: the grader's problem line) or 'unanswered'."""
    if test.status == "passed":
        return "correct", ""
    match = _PROBLEM.search(test.output)
    if match:
        raw = value = match.group("value")
        if len(raw) <= 200:
            try:
                value = ast.literal_eval(raw)
            except Exception:  # noqa: BLE001 - not a literal: keep the text
                value = raw
        label = _answer_label(question, value)
        return ("wrong", label) if label is not None else ("unreadable", _short(raw))
    if any(marker in test.output for marker in ("is not answered yet", "not found in the "
                                                "notebook", "not graded:")):
        return "unanswered", ""
    problem = next((line[len("Problem: "):] for line in test.output.splitlines()
                    if line.startswith("Problem: ")), test.output)
    return "unreadable", _short(problem.removeprefix(f"{question.variable}: "), 300)


def _quiz_response(question, answer):
    """(outcome, label) for one quiz answer, like ``_notebook_response``."""
    if answer["correct"]:
        return "correct", ""
    text = answer.get("answer")
    if text is None or not str(text).strip():
        return "unanswered", ""
    label = _answer_label(question, text)
    return ("wrong", label) if label is not None else ("unreadable", _short(text))


# -- the class report ------------------------------------------------------------------------

@dataclass
class _Item:
    n: int = 0
    count: int = 0
    points: float = 0.0
    max_points: float = 0.0
    mistakes: Counter = field(default_factory=Counter)


@dataclass
class _Question:
    question: object
    answered: int = 0
    correct: int = 0
    unanswered: int = 0
    wrong: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)


def _aggregate(data, bank, roster, due):
    """Everything the report shows, computed in one pass over the latest attempts."""
    from .rubric import EXERCISES

    variables = bank.by_variable()
    by_id = {q.id: q for q in bank.questions}
    exercises, cases = {}, {}
    mistakes = Counter()  # (exercise, mistake) -> students
    examples = {}  # (exercise, mistake) -> (title, hint)
    questions = {}  # question id -> _Question
    percents, scores, max_scores = [], [], []
    layers, layer_sets = Counter(), {}
    file_problems = []

    def question_stats(question):
        if question.id not in questions:
            questions[question.id] = _Question(question)
        return questions[question.id]

    def tally(stats, outcome, label, source):
        stats.sources[source] += 1
        if outcome == "unanswered":
            stats.unanswered += 1
            return
        stats.answered += 1
        if outcome == "correct":
            stats.correct += 1
        else:
            stats.wrong[label if outcome == "wrong" else UNREADABLE] += 1

    for result in data.results:
        scores.append(result.score)
        max_scores.append(result.max_score)
        percents.append(100.0 * result.score / result.max_score if result.max_score else 0.0)
        layer_sets[result.student] = frozenset(result.layers)
        layers.update(set(result.layers))
        if result.errors:
            file_problems.append((result.student, result.errors[0], len(result.errors)))
        per_exercise, found = {}, set()
        for test in result.tests:
            question = variables.get(test.exercise)
            if question is not None:
                outcome, label = _notebook_response(question, test)
                tally(question_stats(question), outcome, label, "notebook")
                continue
            case = cases.setdefault(test.name, (test.exercise, _Item()))[1]
            case.n += 1
            case.count += test.status == "passed"
            case.points += test.score
            case.max_points = max(case.max_points, test.max_score)
            got = per_exercise.setdefault(test.exercise, [0.0, 0.0])
            got[0] += test.score
            got[1] += test.max_score
            if test.mistake and test.status == "failed":
                case.mistakes[test.mistake] += 1
                key = (test.exercise, test.mistake)
                found.add(key)
                if key not in examples:
                    examples[key] = _mistake_text(test.output, test.mistake)
        for name, (got, top) in per_exercise.items():
            stats = exercises.setdefault(name, _Item())
            stats.n += 1
            stats.count += top > 0 and got >= top - _EPS
            stats.points += got
            stats.max_points = max(stats.max_points, top)
        for key in found:
            mistakes[key] += 1
            exercises[key[0]].mistakes[key[1]] += 1

    for quiz in data.quizzes.values():
        for answer in quiz["answers"]:
            question = by_id.get(answer["question_id"])
            if question is None:
                continue
            outcome, label = _quiz_response(question, answer)
            tally(question_stats(question), outcome, label, "quiz")

    graded = {result.student for result in data.results}
    quiz_takers = set(data.quizzes)
    missing = [(s, s in quiz_takers) for s in roster if s not in graded] if roster else []
    off_roster = sorted(graded - set(roster)) if roster else []
    late = _late(data, due) if due is not None else []
    common = Counter(layer_sets.values()).most_common(1)[0][0] if layer_sets else frozenset()
    weaker = [(student, sorted(common - have)) for student, have in layer_sets.items()
              if common - have]
    order = {name: i for i, name in enumerate(EXERCISES)}
    return {
        "percents": percents, "scores": scores, "max_scores": max_scores,
        "exercises": exercises, "cases": cases, "mistakes": mistakes, "examples": examples,
        "questions": sorted(questions.values(), key=lambda q: (
            q.correct / q.answered if q.answered else 2.0, q.question.lecture or 99,
            q.question.id)),
        "titles": {name: EXERCISES[name].title if name in EXERCISES else name
                   for name in exercises},
        "order": order, "missing": missing, "off_roster": off_roster, "late": late,
        "layers": layers, "common_layers": sorted(common), "weaker": weaker,
        "file_problems": file_problems, "quiz_takers": len(quiz_takers),
    }


def _mistake_text(output, mistake):
    title = hint = ""
    for line in output.splitlines():
        if line.startswith("Likely mistake: "):
            title = line[len("Likely mistake: "):]
        elif line.startswith("Hint: "):
            hint = line[len("Hint: "):]
    return title or mistake, hint


def _late(data, due):
    """[(student, first graded, latest graded, why)]: first graded after ``due``, or graded on
    time but with the graded file first seen after ``due``."""
    late = []
    for result in data.results:
        history = data.history.get(result.student) or [(result.graded_at, result.sha256)]
        first = _graded_time(history[0][0])
        if first is None:
            continue
        if first > due:
            late.append((result.student, history[0][0], result.graded_at,
                         "first graded after the due date"))
            continue
        on_time = {sha for at, sha in history if (_graded_time(at) or due) <= due}
        if result.sha256 not in on_time:
            late.append((result.student, history[0][0], result.graded_at,
                         "graded on time, but the graded file was first seen after the due "
                         "date"))
    return late


# -- plots ----------------------------------------------------------------------------------

def _png(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width, height):
    """A figure of its own, drawn by Agg (``_png``). pyplot is never imported: no global
    figures, no GUI backend, and no ``matplotlib.use`` that would switch the backend (and close
    the figures) of a notebook that calls this."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _histogram_png(percents):
    import numpy as np

    fig, ax = _figure(7.0, 3.0)
    values = np.asarray(percents, dtype=float)
    ax.hist(values, bins=np.linspace(0, 100, 21), color="#4c78a8", edgecolor="white")
    if values.size:
        ax.axvline(values.mean(), color="#e45756", linewidth=1.5,
                   label=f"mean {values.mean():.1f} %")
        ax.axvline(np.median(values), color="#54a24b", linewidth=1.5, linestyle="--",
                   label=f"median {np.median(values):.1f} %")
        ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the maximum)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _rate_color(rate):
    return "#54a24b" if rate >= 0.8 else "#f2a93b" if rate >= 0.5 else "#e45756"


def _bars_png(labels, rates, xlabel):
    fig, ax = _figure(7.0, 0.8 + 0.32 * len(labels))
    positions = range(len(labels))
    ax.barh(list(positions), [100 * r for r in rates], color=[_rate_color(r) for r in rates])
    for y, rate in zip(positions, rates, strict=True):
        ax.text(min(100 * rate + 1, 88), y, f"{100 * rate:.0f} %", va="center", fontsize=8)
    ax.set_yticks(list(positions), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _img(data, alt, width_in, height_in):
    return (f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}" '
            f'width="{round(width_in * DPI)}" height="{round(height_in * DPI)}">')


# -- HTML -----------------------------------------------------------------------------------

def _e(text):
    return html.escape(str(text), quote=True)


def _fmt(x):
    return f"{x:.4g}"


def _pct(part, whole):
    return f"{100.0 * part / whole:.0f} %" if whole else "–"


_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2328;
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:28px 36px 40px;background:#fff;min-height:100vh}
h1{font-size:1.65em;margin:0 0 .15em}
h2{font-size:1.25em;margin:2em 0 .6em;padding-bottom:.25em;border-bottom:1px solid #d0d7de}
h3{font-size:1.05em;margin:1.4em 0 .4em}
p{margin:.4em 0}
.sub,.note{color:#57606a}
.note{font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:1.2em 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 16px;min-width:130px}
.card b{display:block;font-size:1.45em;line-height:1.3}
.card span{color:#57606a;font-size:.88em}
table{border-collapse:collapse;width:100%;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #d8dee4;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
tbody tr:nth-child(even) td{background:#fafbfc}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meter{display:inline-block;width:90px;height:9px;margin-right:8px;background:#eaeef2;
 border-radius:5px;overflow:hidden;vertical-align:middle}
.meter i{display:block;height:100%}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
 font-size:.88em}
code{background:#f3f4f6;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
td code{overflow-wrap:break-word}
.rate{white-space:nowrap}
.figure{margin:.6em 0 1em}
img{max-width:100%;height:auto;display:block}
details summary{cursor:pointer;color:#0969da}
.ok{color:#1a7f37;font-weight:600}
.part{color:#9a6700;font-weight:600}
.bad{color:#cf222e;font-weight:600}
.box{border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;margin:.8em 0}
.box>h3:first-child{margin-top:.2em}
.errors{border-color:#ff8182;background:#fff5f5}
.hint{background:#fff8c5;border-left:4px solid #d4a72c;padding:6px 10px;margin:.5em 0;
 border-radius:0 6px 6px 0}
.explain{background:#ddf4ff;border-left:4px solid #54aeff;padding:6px 10px;margin:.5em 0;
 border-radius:0 6px 6px 0}
.case{border-top:1px dashed #d0d7de;padding-top:.5em;margin-top:.6em}
.case:first-of-type{border-top:0;margin-top:0;padding-top:0}
ol.choices{margin:.3em 0;padding-left:1.6em}
footer{margin-top:2.5em;color:#57606a;font-size:.85em}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; " \
       "form-action 'none'"


def _page(title, body):
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n<footer>Generated by shallow {_e(__version__)} on "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def _table(headers, rows, numeric=()):
    """An HTML table; ``rows`` hold already-escaped HTML; ``numeric``: right-aligned columns."""
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
                         for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _meter(rate):
    width = max(0.0, min(1.0, rate)) * 100
    return (f'<span class="rate"><span class="meter"><i style="width:{width:.0f}%;'
            f'background:{_rate_color(rate)}"></i></span>{100 * rate:.0f} %</span>')


def _collapsible(count, what, content, *, open_up_to=40):
    state = " open" if count <= open_up_to else ""
    return f"<details{state}><summary>{count} {_e(what)}</summary>\n{content}\n</details>"


def _card(value, label):
    return f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _report_html(book, data, stats, *, roster, due):
    assignment = book.assignment
    percents, scores = stats["percents"], stats["scores"]
    n = len(data.results)
    parts = [f"<h1>Class report: {_e(assignment)}</h1>",
             f'<p class="sub">Gradebook <code>{_e(book.path.name)}</code>: the latest graded '
             f"notebook of each of {n} student(s)"
             + (f", {stats['quiz_takers']} quiz taker(s)" if stats["quiz_takers"] else "")
             + ".</p>"]
    full = sum(1 for r in data.results if r.max_score and r.score >= r.max_score - _EPS)
    cards = [_card(n, "graded")]
    if roster:
        cards.append(_card(len(stats["missing"]), f"missing of {len(roster)} on the roster"))
    if percents:
        cards += [_card(f"{statistics.fmean(percents):.1f} %", "mean score"),
                  _card(f"{statistics.median(percents):.1f} %", "median score"),
                  _card(full, "full marks")]
    if due is not None:
        cards.append(_card(len(stats["late"]), "late"))
    parts.append('<div class="cards">' + "".join(cards) + "</div>")

    # score distribution
    parts.append("<h2>Score distribution</h2>")
    if percents:
        parts.append('<div class="figure">' + _img(_histogram_png(percents),
                                                   "Histogram of the scores", 7.0, 3.0)
                     + "</div>")
        tops = sorted(set(stats["max_scores"]))
        top_text = _fmt(tops[0]) if len(tops) == 1 else ", ".join(_fmt(t) for t in tops)
        spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        rows = [[_e(label), _e(_fmt(value)), f"{pct:.1f} %"] for label, value, pct in [
            ("mean", statistics.fmean(scores), statistics.fmean(percents)),
            ("median", statistics.median(scores), statistics.median(percents)),
            ("standard deviation", spread,
             statistics.pstdev(percents) if len(percents) > 1 else 0.0),
            ("lowest", min(scores), min(percents)),
            ("highest", max(scores), max(percents)),
        ]]
        parts.append(_table(["", f"points (of {top_text})", "percent"], rows, numeric={1, 2}))
    else:
        parts.append("<p>No graded notebook for this assignment.</p>")

    # exercises
    exercises, titles, order = stats["exercises"], stats["titles"], stats["order"]
    names = sorted(exercises, key=lambda name: order.get(name, len(order)))
    if names:
        parts.append("<h2>Exercises</h2>")
        rates = [exercises[name].count / exercises[name].n for name in names]
        parts.append('<div class="figure">'
                     + _img(_bars_png(names, rates, "students with full marks (%)"),
                            "Pass rate per exercise", 7.0, 0.8 + 0.32 * len(names))
                     + "</div>")
        rows = []
        for name, rate in zip(names, rates, strict=True):
            item = exercises[name]
            top = item.mistakes.most_common(1)
            rows.append([f"<code>{_e(name)}</code>", _e(titles[name]), str(item.n),
                         _meter(rate), f"{_fmt(item.points / item.n)} / {_fmt(item.max_points)}",
                         f"<code>{_e(top[0][0])}</code> ({top[0][1]})" if top else ""])
        parts.append(_table(["exercise", "what", "students", "full marks", "mean points",
                             "most frequent mistake (students)"], rows, numeric={2, 4}))
        parts.append('<p class="note">Full marks: every test case of the exercise passed.</p>')

        parts.append("<h2>Test cases</h2>")
        rows = []
        for case_name, (_, item) in _case_order(stats):
            top = item.mistakes.most_common(1)
            rows.append([_e(case_name), str(item.n), _meter(item.count / item.n),
                         f"{_fmt(item.points / item.n)} / {_fmt(item.max_points)}",
                         f"<code>{_e(top[0][0])}</code> ({top[0][1]})" if top else ""])
        parts.append(_table(["test case", "students", "passed", "mean points",
                             "most frequent mistake (students)"], rows, numeric={1, 3}))

    # mistakes
    parts.append("<h2>Most frequent mistakes</h2>")
    if stats["mistakes"]:
        rows = []
        for rank, ((exercise, mistake), count) in enumerate(
                stats["mistakes"].most_common(TOP_MISTAKES), 1):
            title, hint = stats["examples"][(exercise, mistake)]
            rows.append([str(rank), f"{_e(title)}<br><code>{_e(mistake)}</code>",
                         f"<code>{_e(exercise)}</code>", str(count), _pct(count, n),
                         _e(hint)])
        parts.append(_table(["#", "mistake", "exercise", "students", "of the class",
                             "example hint"], rows, numeric={0, 3, 4}))
        parts.append(f'<p class="note">Diagnosed by the grader on failed cases; each student '
                     f"counts once per mistake. {len(stats['mistakes'])} different mistake(s) "
                     f"found; the CSV lists them all.</p>")
    else:
        parts.append("<p>No classic mistake was diagnosed.</p>")

    # review questions
    parts.append("<h2>Review questions</h2>")
    questions = [q for q in stats["questions"] if q.answered or q.unanswered]
    if questions:
        answered = [q for q in questions if q.answered]
        if answered:
            labels = [q.question.variable or q.question.id for q in answered]
            height = 0.8 + 0.32 * len(labels)
            parts.append('<div class="figure">'
                         + _img(_bars_png(labels, [q.correct / q.answered for q in answered],
                                          "answered correctly (%)"),
                                "Percent correct per review question", 7.0, height)
                         + "</div>")
        rows = []
        for q in questions:
            question = q.question
            wrong = q.wrong.most_common(1)
            where = ", ".join(f"{source} {count}" for source, count in sorted(q.sources.items()))
            lecture = f"lecture {question.lecture}: " if question.lecture else ""
            rows.append([
                f"{_e(lecture)}<code>{_e(question.id)}</code><br>"
                f"{_e(_short(question.prompt, 160))}",
                _e(where), str(q.answered),
                _meter(q.correct / q.answered) if q.answered else "–",
                (f"{_e(wrong[0][0])} ({wrong[0][1]})" if wrong and not question.parametric
                 else "varies per student" if question.parametric and wrong else ""),
                str(q.unanswered)])
        parts.append(_table(["question", "responses", "answered", "correct",
                             "most chosen wrong answer (times)", "unanswered"], rows,
                            numeric={2, 5}))
        parts.append('<p class="note">Hardest first. Notebook answer variables (latest graded '
                     "notebook) and quiz answers (latest quiz attempt) together; percent correct "
                     "is of the answered responses.</p>")
    else:
        parts.append("<p>No review question was answered.</p>")

    # submissions
    parts.append("<h2>Submissions</h2>")
    if roster:
        missing = stats["missing"]
        if missing:
            rows = [[_e(student), "took the quiz" if quiz else ""] for student, quiz in missing]
            parts.append("<h3>Missing</h3>" + _collapsible(
                len(missing), "student(s) on the roster without a graded notebook",
                _table(["student", "note"], rows)))
        else:
            parts.append(f"<p>Every one of the {len(roster)} student(s) on the roster has a "
                         f"graded notebook.</p>")
        if stats["off_roster"]:
            parts.append("<h3>Not on the roster</h3>" + _collapsible(
                len(stats["off_roster"]), "graded student(s) not on the roster",
                "<p>" + ", ".join(f"<code>{_e(s)}</code>" for s in stats["off_roster"])
                + "</p>"))
    else:
        parts.append('<p class="note">No roster given: missing submissions are not '
                     "known.</p>")
    if due is not None:
        due_text = due.isoformat().replace("+00:00", "Z")
        late = stats["late"]
        parts.append(f"<h3>Late (due {_e(due_text)})</h3>")
        if late:
            rows = [[_e(s), _e(first), _e(last), _e(why)] for s, first, last, why in late]
            parts.append(_collapsible(len(late), "late submission(s)", _table(
                ["student", "first graded", "latest graded", "why"], rows)))
        else:
            parts.append("<p>No late submission.</p>")
        parts.append('<p class="note">The gradebook keeps grading times, not submission times: '
                     "a student is late when their FIRST attempt was graded after the due date, "
                     "or when the notebook graded last (by its SHA-256) was first graded after "
                     "it. Grade the class at the deadline for these to be exact.</p>")
    if stats["file_problems"]:
        rows = [[_e(s), _e(_short(first, 200)) + (f" (+{more - 1} more)" if more > 1 else "")]
                for s, first, more in stats["file_problems"]]
        parts.append("<h3>Problems with the submitted files</h3>" + _collapsible(
            len(rows), "submission(s) with a file problem", _table(["student", "problem"],
                                                                   rows)))

    # isolation
    parts.append("<h2>Isolation layers</h2>")
    if stats["layers"]:
        rows = [[f"<code>{_e(layer)}</code>", str(count), _pct(count, n)]
                for layer, count in sorted(stats["layers"].items(),
                                           key=lambda kv: (-kv[1], kv[0]))]
        parts.append(_table(["layer", "submissions", "of all"], rows, numeric={1, 2}))
        weaker = stats["weaker"]
        if weaker:
            rows = [[_e(s), ", ".join(f"<code>{_e(layer)}</code>" for layer in lacking)]
                    for s, lacking in weaker]
            parts.append(_collapsible(len(weaker), "submission(s) graded with fewer layers "
                                      "than usual", _table(["student", "lacking"], rows)))
        parts.append('<p class="note">The layers of the sandbox that ran each student\'s code '
                     "(latest attempt).</p>")
    else:
        parts.append("<p>No isolation layer was recorded.</p>")
    return _page(f"Class report: {assignment}", "\n".join(parts))


def _case_order(stats):
    """Test cases by exercise in rubric order, then in the order the grader ran them."""
    order = stats["order"]
    return sorted(stats["cases"].items(), key=lambda kv: order.get(kv[1][0], len(order)))


def _csv_rows(stats, n):
    rows = []
    exercises, order = stats["exercises"], stats["order"]
    for name in sorted(exercises, key=lambda x: order.get(x, len(order))):
        item = exercises[name]
        top = item.mistakes.most_common(1)
        rows.append(["exercise", name, name, stats["titles"][name], item.n, item.count,
                     round(item.count / item.n, 4), round(item.points / item.n, 4),
                     round(item.max_points, 4), top[0][0] if top else "",
                     top[0][1] if top else "", "", ""])
    for case_name, (exercise, item) in _case_order(stats):
        top = item.mistakes.most_common(1)
        rows.append(["case", case_name, exercise, "", item.n, item.count,
                     round(item.count / item.n, 4), round(item.points / item.n, 4),
                     round(item.max_points, 4), top[0][0] if top else "",
                     top[0][1] if top else "", "", ""])
    for q in stats["questions"]:
        wrong = q.wrong.most_common(1)
        rows.append(["question", q.question.id, q.question.variable or "",
                     _short(q.question.prompt, 500), q.answered, q.correct,
                     round(q.correct / q.answered, 4) if q.answered else "", "", "",
                     wrong[0][0] if wrong else "", wrong[0][1] if wrong else "",
                     q.unanswered, ""])
    for (exercise, mistake), count in stats["mistakes"].most_common():
        title, hint = stats["examples"][(exercise, mistake)]
        rows.append(["mistake", mistake, exercise, title, n, count, round(count / n, 4) if n
                     else "", "", "", "", "", "", hint])
    return rows


def build_report(gradebook_path, assignment, out_dir, *, roster=None, due=None) -> ReportPaths:
    """Write ``out_dir/report-<assignment>.html`` and ``out_dir/report-<assignment>.csv``.

    The report uses the latest attempt of each student at ``assignment`` (``None``: the only
    assignment in the gradebook) and each student's latest quiz attempt at it.

    ``roster``: a file of student ids (see :func:`read_roster`); students on it without a graded
    notebook are listed as missing, graded students not on it are listed too. ``due``: an ISO
    8601 date and time (see :func:`parse_due`) or an aware datetime. The gradebook keeps when
    each attempt was graded, not when it was submitted, so a student is late when their first
    attempt was graded after ``due``, or when the file graded last was first graded after it
    (a resubmission after the deadline).

    The HTML page is self-contained (plots embedded as PNG). The CSV is the item analysis an
    instructor takes to a spreadsheet; per-student grades are ``shallow export``'s job. One row
    per item, with the columns ``CSV_COLUMNS``; ``kind`` says what the row is and what ``count``
    counts out of ``n``, and ``rate`` is ``count / n``:

    - ``exercise``: ``n`` students, ``count`` with full marks, mean and maximum points, the
      mistake diagnosed for the most students (``most_common``, ``most_common_count``);
    - ``case``: one per test case (``item`` is its name): ``n`` students, ``count`` passed;
    - ``question``: one per review question (``item`` its bank id, ``exercise`` its notebook
      variable, ``title`` its prompt): ``n`` answered responses (notebook and quiz), ``count``
      correct, the most chosen wrong answer, ``unanswered``;
    - ``mistake``: one per diagnosed mistake and exercise: ``n`` students graded, ``count``
      students who made it, ``title`` and an example ``hint``.

    Raises ReportError (one line) for a missing gradebook, an unknown assignment, a bad
    ``due`` or an unreadable roster.
    """
    due_at = parse_due(due) if due is not None else None
    roster_ids = read_roster(roster) if roster is not None else None
    with _Book(gradebook_path, assignment) as book:
        data = _load(book, history=due_at is not None)
        stats = _aggregate(data, _bank(), roster_ids or [], due_at)
        page = _report_html(book, data, stats, roster=roster_ids, due=due_at)
        name = _safe_name(book.assignment)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        html_path, csv_path = out / f"report-{name}.html", out / f"report-{name}.csv"
        html_path.write_text(page, encoding="utf-8")
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(_csv_rows(stats, len(data.results)))
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report ({exc.strerror or exc})") from None
    return ReportPaths(html_path, csv_path, len(data.results),
                       tuple(student for student, _ in stats["missing"]),
                       tuple(row[0] for row in stats["late"]))


# -- feedback pages ---------------------------------------------------------------------------

def _safe_name(name):
    """``name`` as one file-name component: itself when harmless, otherwise percent-encoded
    (no '/', no leading '.', at most 200 bytes)."""
    if _SAFE_NAME.fullmatch(name) and len(name.encode()) <= 200:
        return name
    encoded = quote(name, safe="") or "_"
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded) > 200:
        import hashlib

        encoded = encoded[:180] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return encoded


def _notebook_id(result):
    stem = Path(result.path.replace("\\", "/")).stem if result.path else ""
    return _safe_name(stem or result.assignment)


def _output_html(output):
    """A failed case's output ("Called ...", "Problem: ...", "Likely mistake: ...",
    "Hint: ..."), escaped, one block per line."""
    blocks = []
    for line in output.splitlines():
        if not line.strip():
            continue
        if line.startswith("Called "):
            blocks.append(f"<p>Called <code>{_e(line[len('Called '):])}</code></p>")
        elif line.startswith("Hint: "):
            blocks.append(f'<div class="hint"><b>Hint:</b> {_e(line[len("Hint: "):])}</div>')
        elif ": " in line and line.split(": ", 1)[0] in ("Problem", "Likely mistake"):
            label, rest = line.split(": ", 1)
            blocks.append(f"<p><b>{_e(label)}:</b> {_e(rest)}</p>")
        else:
            blocks.append(f"<p>{_e(line)}</p>")
    return "\n".join(blocks)


def _status(got, top):
    if top > 0 and got >= top - _EPS:
        return '<span class="ok">✓ full marks</span>'
    if got > _EPS:
        return '<span class="part">partly</span>'
    return '<span class="bad">✗ no points</span>'


def _question_html(question, outcome, label, feedback, *, heading):
    from quizzes.checking import LETTERS

    parts = [f"<h3>{_e(heading)}</h3>", f"<p>{_e(question.prompt)}</p>"]
    if question.choices:
        parts.append('<ol class="choices" type="a">' + "".join(
            f"<li>{_e(choice)}</li>" for choice in question.choices[:len(LETTERS)]) + "</ol>")
    if outcome == "correct":
        parts.append('<p><span class="ok">✓ Correct.</span></p>')
    elif outcome == "unanswered":
        parts.append('<p><span class="bad">✗ Not answered.</span></p>')
    elif outcome == "unreadable":
        parts.append(f'<p><span class="bad">✗ Your answer could not be read:</span> '
                     f"{_e(label)}</p>")
    else:
        parts.append(f'<p><span class="bad">✗ Not right.</span> Your answer: '
                     f"<code>{_e(label)}</code></p>")
    if feedback and outcome != "correct":
        parts.append(f'<div class="hint"><b>Hint:</b> {_e(feedback)}</div>')
    if question.parametric:
        parts.append('<p class="note">The numbers of this question were drawn for you.</p>')
    parts.append(f'<div class="explain"><b>Explanation:</b> {_e(question.explanation)}</div>')
    return '<div class="box">' + "\n".join(parts) + "</div>"


def _feedback_html(result, quiz, bank, titles):
    variables = bank.by_variable()
    by_id = {q.id: q for q in bank.questions}
    pct = 100.0 * result.score / result.max_score if result.max_score else 0.0
    notebook = Path(result.path.replace("\\", "/")).name if result.path else ""
    parts = [f"<h1>Feedback: {_e(result.assignment)}</h1>",
             f'<p class="sub">Student <b>{_e(result.student)}</b>'
             + (f" · notebook <code>{_e(notebook)}</code>" if notebook else "")
             + f" · graded {_e(result.graded_at)}</p>",
             '<div class="cards">' + _card(f"{_fmt(result.score)} / {_fmt(result.max_score)}",
                                           "points") + _card(f"{pct:.0f} %", "score")
             + "</div>"]
    if result.errors:
        parts.append('<div class="box errors"><b>Problems with your file</b><ul>'
                     + "".join(f"<li>{_e(error)}</li>" for error in result.errors)
                     + "</ul></div>")

    code = [t for t in result.tests if t.exercise not in variables]
    review = [t for t in result.tests if t.exercise in variables]
    scores = {}
    for test in code:
        got = scores.setdefault(test.exercise, [0.0, 0.0])
        got[0] += test.score
        got[1] += test.max_score
    if scores:
        parts.append("<h2>Exercises</h2>")
        rows = [[f"<code>{_e(name)}</code>", _e(titles.get(name, name)),
                 f"{_fmt(got)} / {_fmt(top)}", _status(got, top)]
                for name, (got, top) in scores.items()]
        parts.append(_table(["exercise", "what", "points", ""], rows, numeric={2}))

        failed = [name for name, (got, top) in scores.items() if got < top - _EPS]
        if failed:
            parts.append("<h2>What to fix</h2>")
            parts.append('<p class="note">Each failed test case: what was called (hidden cases '
                         "by the shapes of their inputs only), what is wrong and, when the "
                         "grader recognises it, the likely mistake and a hint.</p>")
        for name in failed:
            got, top = scores[name]
            cases, shown = [], {}
            for test in code:
                if test.exercise != name or test.status == "passed":
                    continue
                label = test.name.split(": ", 1)[-1]
                lines = test.output.splitlines()
                key = test.mistake or tuple(x for x in lines if not x.startswith("Called"))
                if key in shown:
                    same = "mistake" if test.mistake else "problem"
                    cases.append(f'<div class="case"><p><b>{_e(label)}</b>: the same {same} as '
                                 f"{_e(shown[key])}.</p></div>")
                    continue
                shown[key] = label
                cases.append(f'<div class="case"><p><b>{_e(label)}</b></p>'
                             f"{_output_html(test.output)}</div>")
            parts.append(f'<div class="box"><h3><code>{_e(name)}</code> · '
                         f"{_e(titles.get(name, name))} ({_fmt(got)} / {_fmt(top)})</h3>"
                         + "\n".join(cases) + "</div>")

    if review:
        parts.append("<h2>Review questions in your notebook</h2>")
        for test in review:
            question = variables[test.exercise]
            outcome, label = _notebook_response(question, test)
            feedback = next((line[len("Hint: "):] for line in test.output.splitlines()
                             if line.startswith("Hint: ")), "")
            heading = (f"Question {question.lecture}" if question.lecture else "Question") \
                + f" · {question.variable} ({_fmt(test.score)} / {_fmt(test.max_score)})"
            parts.append(_question_html(question, outcome, label, feedback, heading=heading))

    if quiz and quiz["answers"]:
        parts.append(f"<h2>Quiz ({_fmt(quiz['score'])} / {_fmt(quiz['max_score'])}, "
                     f"{_e(quiz['graded_at'])})</h2>")
        for number, answer in enumerate(quiz["answers"], 1):
            question = by_id.get(answer["question_id"])
            if question is None:
                continue
            outcome, label = _quiz_response(question, answer)
            parts.append(_question_html(question, outcome, label, "",
                                        heading=f"Quiz question {number}"))
    parts.append('<p class="note">Your grade is your latest graded attempt. Hidden test cases '
                 "use other shapes than the visible ones; fix the mistake, not the case.</p>")
    return _page(f"Feedback: {result.assignment} · {result.student}", "\n".join(parts))


_NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")


def build_feedback(gradebook_path, assignment, out_dir, *, students=None) -> list[Path]:
    """Write one feedback page per student; return their paths, sorted by student.

    The layout is nbgrader's: ``out_dir/<student>/<assignment>/<notebook>.html``, where
    ``<notebook>`` is the stem of the graded notebook's file name, so with ``out_dir`` the
    course's ``feedback`` folder, ``nbgrader release_feedback`` finds the pages. Like nbgrader's
    ``generate_feedback``, the submission's ``timestamp.txt`` and ``submission_secret.txt`` are
    copied next to the page when the notebook was graded from nbgrader's
    ``submitted/<student>/<assignment>/`` folder (``release_feedback`` needs both; students
    fetch their page by the secret). A student id or name that is not a harmless file name
    (say, one with a '/') is percent-encoded in the path.

    Each page: the score, each exercise's points, every failed test case with the grader's
    output (what was called, described by shapes; the problem; the likely mistake and hint),
    and the review questions (notebook answers and the latest quiz attempt) with the student's
    result and the bank's explanation. Nothing comes from the rubric's test cases.

    ``assignment`` None: the only assignment in the gradebook. ``students``: only these (each
    must have a graded notebook). Only students with a graded notebook get a page.
    Raises ReportError (one line).
    """
    with _Book(gradebook_path, assignment) as book:
        data = _load(book, history=False)
    results = data.results
    if students is not None:
        wanted = list(dict.fromkeys(students))
        have = {result.student for result in results}
        unknown = [s for s in wanted if s not in have]
        if unknown:
            raise ReportError(f"no graded notebook for {', '.join(repr(s) for s in unknown)} "
                              f"in assignment {book.assignment!r}")
        results = [result for result in results if result.student in set(wanted)]
    from .rubric import EXERCISES

    titles = {name: exercise.title for name, exercise in EXERCISES.items()}
    bank = _bank()
    out = Path(out_dir)
    written = []
    try:
        for result in results:
            folder = out / _safe_name(result.student) / _safe_name(result.assignment)
            folder.mkdir(parents=True, exist_ok=True)
            page = folder / f"{_notebook_id(result)}.html"
            page.write_text(_feedback_html(result, data.quizzes.get(result.student), bank,
                                           titles), encoding="utf-8")
            _copy_nbgrader_files(result, folder)
            written.append(page)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the feedback ({exc.strerror or exc})") from None
    return written


def _copy_nbgrader_files(result, folder):
    """nbgrader's submission files, when the notebook came from submitted/<student>/<a>/."""
    if not result.path:
        return
    source = Path(result.path).parent
    if source.name != result.assignment or source.parent.name != result.student:
        return
    for name in _NBGRADER_FILES:
        try:
            data = (source / name).read_bytes()
        except OSError:
            continue
        (folder / name).write_bytes(data)
