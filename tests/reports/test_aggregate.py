"""The report's aggregation as pure functions: hand-made results in, exact figures out, no file,
clock or gradebook involved."""

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from autograder.policy import Amount, Policy
from autograder.reports import aggregate, item_csv
from autograder.results import CaseResult, MistakeNote, SubmissionResult
from autograder.roster import Person

F = Fraction
KEEPDIMS = MistakeNote("missing_keepdims", "np.sum without keepdims=True", "keep the axis",
                       ("grads['db1']",))
ZEROS = MistakeNote("zero_weights", "all-zero weights", "use randn * 0.01")


def code(exercise, number, points, top, status="passed", mistakes=(), problems=(),
         visibility=None, note="", kind="code"):
    return CaseResult(exercise, kind, number,
                      visibility or ("visible" if number == 1 else "hidden"), F(points), F(top),
                      status, problems=list(problems), mistakes=list(mistakes), note=note)


def review(variable, question, passed, submitted="", status=None):
    return CaseResult(variable, "review", 1, "visible", F(int(passed)), F(1),
                      status or ("passed" if passed else "failed"), question=question,
                      submitted=submitted)


def result(student, cases, status="graded", **kw):
    return SubmissionResult(student, "a1", path=f"submitted/{student}/a1/a1.ipynb",
                            status=status, cases=list(cases), **kw)


class Q:  # the fields of a bank question the aggregation reads
    def __init__(self, id, variable=None, lecture=None, parametric=False, prompt="p?"):
        self.id, self.variable, self.lecture = id, variable, lecture
        self.parametric, self.prompt = parametric, prompt


def full_backward(student):
    return [code("backward", 1, 5, 5), code("backward", 2, 5, 5)]


def keepdims_backward():
    problems = ["grads['db1'] has shape (4,) but should be (4, 1)"]
    return [code("backward", 1, 0, 5, "failed", [KEEPDIMS], problems),
            code("backward", 2, 0, 5, "failed", [KEEPDIMS], problems)]


CLASS = [
    result("ann", [*full_backward("ann"), code("init", 1, 3, 3)]),
    result("ben", [*keepdims_backward(), code("init", 1, 0, 3, "failed", [ZEROS], ["W1 zero"])]),
    result("cat", [code("backward", 1, 5, 5), code("backward", 2, 0, 5, "error",
                                                   problems=["raised ValueError: no"]),
                   code("init", 1, 3, 3)]),
    result("dan", [code("backward", 1, 0, 5, "not-graded", problems=["not graded: bad"]),
                   code("backward", 2, 0, 5, "not-graded"), code("init", 1, 0, 3, "not-graded")],
           status="unreadable", reason="dan.ipynb: not valid JSON"),
]


def test_exercise_pass_rates_count_graded_submissions_only():
    stats = {e.exercise: e for e in aggregate.exercises(CLASS, order=["init", "backward"],
                                                        titles={"init": "initialization"})}
    assert list(stats) == ["init", "backward"]  # the course's order, not the results'
    backward = stats["backward"]
    assert (backward.students, backward.full, backward.max_points) == (3, 1, F(10))
    assert backward.mean == F(10 + 0 + 5, 3)  # exact: 5, not 4.999...
    assert dict(backward.outcomes) == {"full": 1, "partial": 1, "none": 1}
    assert [(m.id, n) for m, n in backward.mistakes] == [("missing_keepdims", 1)]
    assert stats["init"].title == "initialization" and stats["init"].rate == pytest.approx(2 / 3)


def test_exercise_drill_down_says_who_lost_it_with_which_mistake():
    backward = next(e for e in aggregate.exercises(CLASS) if e.exercise == "backward")
    assert [(loss.student, loss.points) for loss in backward.losses] == [("ben", 0), ("cat", 5)]
    ben, cat = backward.losses
    assert [m.id for m in ben.mistakes] == ["missing_keepdims"]  # once, not once per case
    assert ben.problems == ("grads['db1'] has shape (4,) but should be (4, 1)",)
    assert cat.mistakes == () and cat.statuses == ("error",)
    assert cat.problems == ("raised ValueError: no",)


def test_different_maxima_are_never_averaged_together():
    old = result("old", [code("backward", 1, 4, 4)])  # another version: out of 4
    new = [result("n1", full_backward("n1")), result("n2", keepdims_backward())]
    rows = aggregate.exercises([old, *new])
    assert [(e.max_points, e.students, e.mean) for e in rows] == [(10, 2, 5), (4, 1, 4)]
    groups = aggregate.score_groups([(F(4), F(4)), (F(10), F(10)), (F(0), F(10))])
    assert [(g.max_points, g.count, g.mean, g.full) for g in groups] == \
        [(10, 2, 5, 1), (4, 1, 4, 1)]
    assert groups[0].percents == (0.0, 100.0)


def test_score_group_statistics_are_exact():
    group = aggregate.score_groups([(F(1, 3), 1), (F(2, 3), 1), (F(1), 1)])[0]
    assert group.mean == F(2, 3) and group.median == F(2, 3)
    assert (group.lowest, group.highest, group.full) == (F(1, 3), 1, 1)
    assert group.stdev == pytest.approx(0.2722, abs=1e-4)


def test_histogram_bins_hold_every_score_once():
    bins = aggregate.histogram([0, 9.99, 10, 55, 99.9, 100, 100])
    assert len(bins) == 10 and sum(count for *_, count in bins) == 7
    assert bins[0] == (0, 10, 2) and bins[1] == (10, 20, 1) and bins[9] == (90, 100, 3)


def test_case_statistics_with_outcomes():
    stats = {(c.exercise, c.number): c for c in aggregate.cases(CLASS)}
    second = stats[("backward", 2)]
    assert second.name == "backward: case 2" and stats[("backward", 1)].name.endswith(
        "(visible)")
    assert (second.students, second.passed) == (3, 1)  # dan's unreadable file is left out
    assert dict(second.statuses) == {"passed": 1, "failed": 1, "error": 1}
    assert second.mistakes == (("missing_keepdims", 1),)


def test_mistakes_count_each_student_once_most_frequent_first():
    more = result("eve", keepdims_backward())
    found = aggregate.mistakes([*CLASS, more])
    assert [(m.exercise, m.id, m.count) for m in found] == [
        ("backward", "missing_keepdims", 2), ("init", "zero_weights", 1)]
    assert found[0].students == ("ben", "eve") and found[0].of == 4
    assert found[0].hint == "keep the axis" and found[0].rate == pytest.approx(0.5)


def test_review_questions_from_notebooks_and_quizzes_hardest_first():
    bank = [Q("q-keep", "q_keep", 5), Q("q-zero", "q_zero", 6), Q("q-par", parametric=True)]
    results = [
        result("ann", [review("q_keep", "q-keep", True), review("q_zero", "q-zero", True)]),
        result("ben", [review("q_keep", "q-keep", False, "(4,)"),
                       review("q_zero", "q-zero", False, status="missing")]),
        result("dan", [review("q_keep", "q-keep", False, "(4,)")], status="unreadable"),
    ]
    quizzes = {"fay": {"answers": [
        {"question_id": "q-keep", "answer": " 4 ", "correct": False},
        {"question_id": "q-zero", "answer": "", "correct": False},
        {"question_id": "q-par", "answer": "7", "correct": False}]}}
    labels = {"(4,)": "(4,)", " 4 ": "(4,)"}  # the question's own terms: one answer
    found = {q.id: q for q in aggregate.questions(
        results, quizzes, bank, label=lambda question, value: labels.get(value))}
    keep = found["q-keep"]
    assert (keep.answered, keep.correct, keep.unanswered) == (3, 1, 0)  # dan left out
    assert keep.wrong == (("(4,)", 2),) and keep.sources == (("notebook", 2), ("quiz", 1))
    zero = found["q-zero"]
    assert (zero.answered, zero.correct, zero.unanswered) == (1, 1, 2)
    assert found["q-par"].parametric and not found["q-par"].variable
    order = [q.id for q in aggregate.questions(results, quizzes, bank)]
    assert order == ["q-par", "q-keep", "q-zero"]  # 0 %, 33 %, 100 %


def test_students_statuses_lateness_roster_and_quiz():
    due = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)
    policy = Policy(due={"a1": due}, penalty=Amount(F(10), True), per=timedelta(days=1))
    results = [
        result("ann", full_backward("ann"), submitted_at="2026-03-01T10:00:00Z"),
        result("ben", keepdims_backward(), submitted_at="2026-03-03T08:00:00Z"),
        result("cat", [code("backward", 1, 0, 5, "not-graded")], status="empty",
               reason="defines nothing", submitted_at="2026-03-05T00:00:00Z"),
        result("zed", full_backward("zed")),  # not on the roster, no submission time
    ]
    roster = [Person("ann", "Ann", "A"), Person("ben"), Person("cat"), Person("fay")]
    quizzes = {"fay": {"score": 1.0, "max_score": 2.0, "answers": []},
               "gus": {"score": 0.0, "max_score": 2.0, "answers": []}}
    rows = {r.student: r for r in aggregate.students(results, quizzes=quizzes, roster=roster,
                                                     policy=policy)}
    assert list(rows) == ["ann", "ben", "cat", "fay", "gus", "zed"]
    assert rows["ann"].status == "graded" and rows["ann"].person.first_name == "Ann"
    ben = rows["ben"]
    assert ben.status == "late" and ben.late_by == timedelta(days=1, hours=8, minutes=1)
    assert ben.penalty == F(2, 1)  # 2 started days x 10 % of 10 points
    assert (ben.raw, ben.points, ben.max_points) == (0, 0, 10)  # never below 0
    assert ben.lost == (("backward", 0, 10),) and [m.id for _, m in ben.mistakes] == \
        ["missing_keepdims"]
    assert rows["cat"].status == "empty" and rows["cat"].penalty == 0  # not graded: no penalty
    assert rows["fay"].status == "missing" and rows["fay"].quiz == (1.0, 2.0)
    assert rows["gus"].on_roster is False and rows["zed"].on_roster is False
    assert rows["zed"].percent == 100.0
    counts = aggregate.status_counts(rows.values())
    assert counts == {"graded": 2, "late": 1, "unreadable": 0, "empty": 1, "failed": 0,
                      "missing": 2, "not-on-roster": 2}
    assert [r.student for r in aggregate.late(rows.values())] == ["ben"]
    assert [r.student for r in aggregate.unknown_times(rows.values())] == ["zed"]
    assert [r.student for r in aggregate.weakest(rows.values(), 2)] == ["ben", "cat"]


def test_students_without_roster_have_no_roster_status():
    rows = aggregate.students([result("ann", full_backward("ann"))])
    assert rows[0].on_roster is None
    assert "not-on-roster" not in aggregate.status_counts(rows)


def test_manual_grades_are_marked():
    graded = result("ann", [code("backward", 1, 5, 5, note="backward: set by hand to 5"),
                            code("extra", 1, 2, 2, kind="manual", note="extra: by hand")])
    row = aggregate.student_row(graded)
    assert row.manual == ("backward", "extra")
    loss = next(e for e in aggregate.exercises([result("b", [
        code("backward", 1, 2, 5, "failed", note="set by hand to 2")])])).losses[0]
    assert loss.manual and loss.points == 2


def test_file_problems_and_isolation_layers():
    results = [
        result("ann", [], layers=["rlimits", "bwrap"]),
        result("ben", [], layers=["rlimits", "bwrap"], errors=["cell 3: SyntaxError"]),
        result("cat", [], layers=["rlimits"], ignored=["notes.txt"]),
        result("dan", [], status="failed", reason="worker died"),
    ]
    problems = {p.student: p for p in aggregate.file_problems(results)}
    assert set(problems) == {"ben", "cat", "dan"}
    assert problems["dan"].reason == "worker died" and problems["cat"].ignored == ("notes.txt",)
    layers = aggregate.layers(results)
    assert layers.usual == ("bwrap", "rlimits") and layers.weaker == (("cat", ("bwrap",)),)
    assert dict(layers.counts) == {"rlimits": 3, "bwrap": 2} and layers.submissions == 3


def test_item_csv_rows_and_neutralised_cells():
    evil = Q("q-evil", "q_evil")
    results = [result("ann", [review("q_evil", "q-evil", False, "=HYPERLINK(\"x\")")]),
               *CLASS[:2]]
    table = item_csv.rows(
        statuses={"graded": 3, "missing": 1}, exercises=aggregate.exercises(results),
        cases=aggregate.cases(results), questions=aggregate.questions(results, {}, [evil]),
        mistakes=aggregate.mistakes(results))
    kinds = [row[0] for row in table]
    assert kinds.count("submissions") == 2 and kinds.count("mistake") == 2
    backward = next(row for row in table if row[:2] == ["exercise", "backward"])
    header = dict(zip(item_csv.COLUMNS, backward, strict=True))
    assert header["status"] == "full 1; none 1" and header["rate"] == 0.5
    assert header["most_common"] == "missing_keepdims" and header["hint"] == "keep the axis"
    text = item_csv.csv_text(table)
    assert text.startswith(",".join(item_csv.COLUMNS))
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
