"""The class report: one assignment's latest attempts aggregated, charted and rendered into one
self-contained page an instructor can act on, written with the item-analysis CSV.

``build_report`` is the Python API behind ``shallow report``; ``report_context`` and
``report_html`` turn already loaded data into the page (no file is read or written there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..results import as_fraction, points_text
from . import aggregate, files, item_csv, plots
from .questions import report_label
from .render import duration_text, percent_text, render
from .source import ClassData, ReportError, load_class

TOP_MISTAKES = 10
WEAKEST = 10


@dataclass(frozen=True)
class ReportFiles:
    """What ``build_report`` wrote, and the headline figures for the command's summary."""

    html: Path
    csv: Path
    assignment: str
    graded: int = 0  # students whose latest notebook was graded (late ones included)
    missing: tuple = ()  # students without a submission
    late: tuple = ()
    not_graded: tuple = ()  # unreadable, empty or failed submissions
    students: tuple = field(default=(), repr=False)  # aggregate.StudentRow, by id


def _status_tags(row) -> list[tuple[str, str]]:
    """(css class, text) tags saying a student's status, most important first."""
    tags = []
    if row.status == "graded":
        tags.append(("ok", "graded"))
    elif row.status == "late":
        text = "late"
        if row.late_by:
            text += f", {duration_text(row.late_by)} after the due date"
        if row.penalty:
            text += f", −{points_text(row.penalty)} points"
        tags.append(("part", text))
    elif row.status == "missing":
        tags.append(("bad", "missing" + (" (took the quiz)" if row.quiz else "")))
    else:
        label = {"failed": "failed (the grader failed: grade it again)"}.get(row.status,
                                                                              row.status)
        tags.append(("bad", f"{label}: {row.reason}" if row.reason else label))
    if row.on_roster is False:
        tags.append(("part", "not on the roster"))
    return tags


def _name(person) -> str:
    if person is None:
        return ""
    return " ".join(part for part in (person.first_name, person.last_name) if part)


def _student_view(row, link):
    return {
        "row": row, "href": link, "name": _name(row.person), "tags": _status_tags(row),
        "status_sort": aggregate.STATUSES.index(row.status),
        "score": (f"{points_text(row.points)} / {points_text(row.max_points)}"
                  if row.has_result else "—"),
        "score_sort": "" if row.percent is None else f"{row.percent:.4f}",
        "lost": [name for name, _, _ in row.lost] + list(row.lost_questions),
        "mistakes": list(dict.fromkeys(m.id for _, m in row.mistakes)),
        "quiz": (f"{points_text(as_fraction(float(row.quiz[0])))} / "
                 f"{points_text(as_fraction(float(row.quiz[1])))}"
                 if row.quiz else ""),
    }


def report_context(data: ClassData, *, out_dir=".", feedback_dir="feedback") -> dict:
    """Everything the report's template shows, computed from ``data`` (no file is read)."""
    results = data.results
    rows = aggregate.students(results, quizzes=data.quizzes, roster=data.roster,
                              policy=data.policy)
    paths = {r.student: r.path for r in results}

    def link(student):
        if student not in paths:
            return None
        return files.href(out_dir, files.feedback_path(feedback_dir, student, data.assignment,
                                                       paths[student]))

    views = [_student_view(row, link(row.student)) for row in rows]
    by_student = {view["row"].student: view for view in views}
    scored = [r for r in rows if r.has_result and r.status != "failed"]
    groups = aggregate.score_groups((r.points, r.max_points) for r in scored)
    charts = []
    for group in groups:
        if group.max_points <= 0:
            continue
        mean = aggregate.percent(group.mean, group.max_points)
        median = aggregate.percent(group.median, group.max_points)
        charts.append((group, plots.score_histogram(
            aggregate.histogram(group.percents), max_points_text=points_text(group.max_points),
            mean_percent=mean, median_percent=median)))
    exercises = aggregate.exercises(results, order=data.order, titles=data.titles)
    several = {e.exercise for e in exercises if sum(x.exercise == e.exercise
                                                    for x in exercises) > 1}
    exercise_chart = plots.rate_bars(
        [e.exercise + (f" (of {points_text(e.max_points)})" if e.exercise in several else "")
         for e in exercises], [e.rate for e in exercises],
        what="students with full marks per exercise", label_header="exercise",
        xlabel="students with full marks (%)") if exercises else None
    questions = aggregate.questions(results, data.quizzes, data.bank.questions,
                                    label=report_label)
    answered = [q for q in questions if q.answered]
    question_chart = plots.rate_bars(
        [q.variable or q.id for q in answered], [q.rate for q in answered],
        what="answered correctly per review question", label_header="review question",
        xlabel="answered correctly (%)") if answered else None
    mistakes = aggregate.mistakes(results)
    statuses = aggregate.status_counts(rows)
    late = aggregate.late(rows)
    missing = [r for r in rows if r.status == "missing"]
    graded = statuses["graded"] + statuses["late"]
    cards = [(str(graded), "graded notebooks")]
    if data.roster is not None:
        cards.append((str(len([r for r in missing if r.on_roster])),
                      f"missing of {len(data.roster)} on the roster"))
    for group in groups:
        of = f" (of {points_text(group.max_points)} points)"
        cards.append((percent_text(aggregate.percent(group.mean, group.max_points))
                      if group.max_points else "–",
                      f"mean score{of}, {group.count} student{'s' * (group.count != 1)}"))
    due = data.policy.due.get(data.assignment)
    if due is not None or late:
        cards.append((str(len(late)), "late"))
    not_graded = statuses["unreadable"] + statuses["empty"] + statuses["failed"]
    if not_graded:
        cards.append((str(not_graded), "not graded (file problems)"))
    quiz_groups = aggregate.quiz_groups(data.quizzes)
    return {
        "assignment": data.assignment, "assignment_title": data.assignment_title,
        "gradebook": Path(data.gradebook).name, "cards": cards, "charts": charts,
        "groups": groups, "penalised": any(r.penalty for r in scored),
        "students": views, "weakest": [by_student[r.student] for r in
                                       aggregate.weakest(rows, WEAKEST)],
        "exercises": exercises, "exercise_chart": exercise_chart, "several": several,
        "links": {s: by_student[s]["href"] for s in by_student},
        "cases": aggregate.cases(results, order=data.order),
        "mistakes": mistakes[:TOP_MISTAKES], "mistake_count": len(mistakes),
        "graded": graded,
        "questions": questions, "question_chart": question_chart,
        "quiz_groups": quiz_groups, "quiz_takers": len(data.quizzes),
        "roster": data.roster, "missing": [by_student[r.student] for r in missing],
        "off_roster": [by_student[r.student] for r in rows if r.on_roster is False],
        "late": [by_student[r.student] for r in late], "due": due,
        "policy": data.policy,
        "unknown_times": aggregate.unknown_times(rows),
        "file_problems": aggregate.file_problems(results),
        "overrides": data.overrides, "layers": aggregate.layers(results),
        "statuses": statuses, "feedback_dir": str(feedback_dir),
        "_rows": rows, "_exercises": exercises, "_questions": questions,
        "_mistakes": mistakes,
    }


def report_html(context: dict) -> str:
    """The report page from ``report_context``'s dict."""
    return render("report.html", title=f"Class report: {context['assignment']}",
                  kicker="shallow · class report", script=True, **context)


def build_report(gradebook, *, assignment=None, out="reports", roster=None, course=None,
                 feedback_dir="feedback") -> ReportFiles:
    """Write ``<out>/report-<assignment>.html`` and ``<out>/report-<assignment>.csv``.

    The report uses each student's latest attempt at ``assignment`` (None: the gradebook's only
    assignment), manual grades applied, and their latest quiz attempt; ``roster`` (a file, see
    ``autograder.roster``) tells who is missing and who is not on it; the course folder's
    ``shallow.yaml`` (``course``, default: found from the current folder) gives due dates and
    the late policy. Each student's row links to their page in ``feedback_dir`` (where
    ``shallow feedback --out`` writes them), relative to ``out``. Raises ReportError.
    """
    data = load_class(gradebook, assignment, roster=roster, course=course)
    out_dir = Path(out)
    context = report_context(data, out_dir=out_dir, feedback_dir=feedback_dir)
    page = report_html(context)
    table = item_csv.rows(statuses=context["statuses"], exercises=context["_exercises"],
                          cases=context["cases"], questions=context["_questions"],
                          mistakes=context["_mistakes"])
    name = files.safe_component(data.assignment)
    html_path, csv_path = out_dir / f"report-{name}.html", out_dir / f"report-{name}.csv"
    try:
        files.write_text(html_path, page)
        files.write_text(csv_path, item_csv.csv_text(table))
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot write the report "
                          f"({exc.strerror or exc})") from None
    rows = context["_rows"]
    return ReportFiles(
        html_path, csv_path, data.assignment, context["graded"],
        tuple(r.student for r in rows if r.status == "missing"),
        tuple(r.student for r in rows if r.status == "late"),
        tuple(r.student for r in rows if r.status in ("unreadable", "empty", "failed")),
        tuple(rows))
