"""The class report, its CSV and the feedback pages made from a really graded class (see
conftest.py): what they say, where they go, what they copy, what they never show."""

import base64
import csv
import hashlib
import html
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from markupsafe import escape
from report_class import ASSIGNMENT, EVIL

from autograder.course import default_course
from autograder.reports.class_report import build_report
from autograder.reports.feedback import build_feedback
from autograder.reports.source import ReportError

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    written = build_report(course.gradebook, out=out, roster=course.roster, course=course.root,
                           feedback_dir=out.parent / "feedback-for-report")
    page = written.html.read_text(encoding="utf-8")
    with open(written.csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return type("Report", (), {"written": written, "page": page, "rows": rows, "out": out,
                               "by": {(r["kind"], r["item"]): r for r in rows}})


@pytest.fixture(scope="module")
def pages(course, report):
    out = report.out.parent / "feedback-for-report"
    run = build_feedback(course.gradebook, out=out, course=course.root)
    return type("Pages", (), {"run": run, "out": out,
                              "text": {p: p.read_text(encoding="utf-8") for p in run.pages}})


def esc(text):
    return str(escape(text))


def section(page, anchor):
    """The HTML of the <h2 id=anchor> section (up to the next h2)."""
    start = page.index(f'<h2 id="{anchor}">')
    end = page.find("<h2 ", start + 1)
    return page[start:end if end > 0 else len(page)]


def row_of(table_html, student):
    """The <tr> of ``student`` (escaped as the page escapes it)."""
    name = str(escape(student))
    match = re.search(rf"<tr>\s*<th scope=\"row\">(?:<a href=\"[^\"]*\">)?{re.escape(name)}"
                      rf"(?:</a>)?</th>.*?</tr>", table_html, re.S)
    assert match, f"no row for {student!r}"
    return match.group(0)


def page_of(pages, student):
    from autograder.commands import safe_component

    folder = pages.out / safe_component(student) / ASSIGNMENT
    return pages.text[folder / f"{ASSIGNMENT}.html"]


# -- the class report ------------------------------------------------------------------------

def test_report_is_self_contained_and_allows_only_its_own_style_and_script(report):
    assert report.written.html.name == f"report-{ASSIGNMENT}.html"
    page = report.page
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"',
                        page)
    assert len(images) == 4  # a histogram per maximum (91 and 80), exercises, questions
    for data, alt in images:
        assert base64.b64decode(data, validate=True).startswith(PNG) and len(alt) > 20
    # Nothing is fetched: the only links are in-page anchors and relative feedback links.
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("data:image/png;base64,", "#", "./")), url
    assert " style=" not in page and "@import" not in page
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                                     page).group(1))
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1 and page.lower().count("<script") == 1

    def source(text):
        digest = base64.b64encode(hashlib.sha256(html.unescape(text).encode()).digest())
        return f"'sha256-{digest.decode()}'"

    assert html.unescape(style) == style and html.unescape(scripts[0]) == scripts[0]
    assert f"style-src {source(style)};" in policy
    assert f"script-src {source(scripts[0])};" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy


def test_report_student_table_has_every_status(report):
    table = section(report.page, "students")
    assert "late, 1 day 8 h after the due date, −18.2 points" in row_of(table, "bob")
    dave = row_of(table, "dave")
    assert "unreadable: " in dave and "not valid JSON" in dave or "JSON" in dave
    assert "empty: " in row_of(table, "erin") and "0 / 80" in row_of(table, "erin")
    assert "missing (took the quiz)" in row_of(table, "frank")
    assert "missing" in row_of(table, "grace") and "Grace G" in row_of(table, "grace")
    evil = row_of(table, EVIL.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e"))
    assert "not on the roster" in evil and "graded" in evil
    bob = row_of(table, "bob")
    assert "51.8 / 91" in bob and "backward_propagation, q_keepdims_shape" in bob
    assert "missing_keepdims" in bob
    assert row_of(table, "alice").count("<td></td>") >= 2  # nothing lost, nothing named
    # Sortable by every column, with buttons; the score sorts by its percent.
    head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    assert head.count('<button type="button">') == head.count("<th ") == 7
    assert re.search(r'<td class="num" data-sort="56\.9231">51\.8 / 91', bob)


def test_report_links_every_student_to_the_feedback_page_written(report, pages):
    table = section(report.page, "students")
    links = dict(re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', table))
    assert len(links) == len(pages.run.pages) == 6  # missing students have no page
    for href in links:
        target = (report.out / unquote(href)).resolve()
        assert target in {p.resolve() for p in pages.run.pages}, href
    assert "grace" not in links.values()


def test_report_weakest_students_one_click_away(report):
    assert '<a href="#weakest">Weakest students</a>' in report.page
    weakest = section(report.page, "weakest")
    order = re.findall(r'<tr><th scope="row">(?:<a href="[^"]*">)?([^<]+)', weakest)
    assert order[:2] == ["dave", "erin"] and order[2] == "bob"  # 0 %, 0 %, 56.9 %


def test_report_scores_out_of_different_maxima_stay_apart(report):
    scores = section(report.page, "scores")
    assert "Out of 91 points (5 students)" in scores and "Out of 80 points (1 student)" in \
        scores
    stats = re.findall(r'<tr><th scope="row">(\d+) points</th><td class="num">(\d+)</td>'
                       r'<td class="num">([\d.]+)</td>', scores)
    # 91: alice 91, bob 51.8 (late), carol 85, evil 85, dave 0 -> mean 62.56; 80: erin 0.
    assert stats[:2] == [("91", "5", "62.56"), ("80", "1", "0")]


def test_report_exercises_cases_and_drill_down(report):
    backward = report.by[("exercise", "backward_propagation")]
    # graded notebooks only: alice, bob, carol, the hostile one (dave's and erin's left out)
    assert (backward["n"], backward["count"], backward["rate"]) == ("4", "3", "0.75")
    assert backward["status"] == "full 3; none 1"
    assert backward["most_common"] == "missing_keepdims" and "keepdims=True" in \
        backward["hint"]
    init = report.by[("exercise", "initialize_parameters")]
    assert init["most_common"] == "zero_weights" and init["mean_points"] == "8.75"
    case = report.by[("case", "backward_propagation: case 2")]
    assert (case["n"], case["count"], case["status"]) == ("4", "3", "passed 3; failed 1")
    assert report.by[("case", "predict: case 1 (visible)")]["status"] == "passed 3; error 1"
    exercises = section(report.page, "exercises")
    drill = exercises[exercises.index("Who lost points"):]
    block = drill[drill.index("<code>backward_propagation</code>"):]
    block = block[:block.index("</details>")]
    assert "1 student(s) lost points" in block and "bob" in block
    assert "np.sum without keepdims=True (<code>missing_keepdims</code>)" in block
    assert esc("grads['db1'] has shape (") in block


def test_report_csv_statuses_questions_and_mistakes(report):
    statuses = {item: row["count"] for (kind, item), row in report.by.items()
                if kind == "submissions"}
    assert statuses == {"graded": "3", "late": "1", "unreadable": "1", "empty": "1",
                        "failed": "0", "missing": "2", "not-on-roster": "1"}
    keep = report.by[("question", "lecture-05-keepdims")]
    # notebooks: alice, carol, evil right, bob (4,); quizzes: alice right, frank (4,)
    assert (keep["n"], keep["count"], keep["most_common"], keep["most_common_count"]) == \
        ("6", "4", "(4,)", "2")
    assert keep["status"] == "notebook 4; quiz 2"
    zero = report.by[("question", "lecture-06-zero-init")]
    # carol's "a" and frank's "A" are one answer; the hostile answer is another
    assert zero["most_common"].startswith("a)") and zero["most_common_count"] == "2"
    mistakes = [row["item"] for row in report.rows if row["kind"] == "mistake"]
    assert sorted(mistakes) == ["missing_keepdims", "zero_weights"]


def test_report_late_missing_files_manual_grades_and_layers(report, course):
    submissions = section(report.page, "submissions")
    assert "Due 2026-03-01 23:59 UTC; late penalty 10 % per day late." in submissions
    late = submissions[submissions.index("<h3>Late</h3>"):]
    assert "bob" in late[:late.index("</table>")] and "18.2" in late
    assert "have no submission time" in late  # the hostile flat file
    assert "frank" in submissions and "grace" in submissions
    problems = submissions[submissions.index("Problems with the submitted files"):]
    assert "dave" in problems and "erin" in problems and "unreadable" in problems
    manual = submissions[submissions.index("<h3>Manual grades</h3>"):]
    assert "carol" in manual and "initialize_parameters" in manual and "prof" in manual
    assert "&lt;b&gt;explained it in office hours&lt;/b&gt;" in manual
    layers = section(report.page, "isolation")
    used = {layer for r in course.results.values() for layer in r.layers}
    assert used >= {"rlimits", "session"}
    for layer in used:
        assert f"<code>{layer}</code>" in layers


def test_report_escapes_student_text(report):
    page = report.page
    assert page.count("<script") == 1 and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\\x1b[31m\\u202e" in page
    assert "\x1b" not in page and "\u202e" not in page


def test_report_leaves_pyplot_alone(course, tmp_path):
    """Charts are drawn on Figure objects by Agg: pyplot (and its backend) is never touched."""
    code = ("import sys; from autograder.reports.class_report import build_report; "
            f"build_report({str(course.gradebook)!r}, out={str(tmp_path)!r}, "
            f"course={str(course.root)!r}); print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False"


def test_report_errors_are_one_line(course, tmp_path):
    missing = tmp_path / "none.db"
    with pytest.raises(ReportError, match="no such gradebook"):
        build_report(missing, out=tmp_path)
    assert not missing.exists()  # not created by asking
    with pytest.raises(ReportError, match=r"no attempts at assignment 'week9'"):
        build_report(course.gradebook, assignment="week9", out=tmp_path)
    with pytest.raises(ReportError, match="no such file"):
        build_report(course.gradebook, out=tmp_path, roster=tmp_path / "nope.txt")
    bad = tmp_path / "course"
    bad.mkdir()
    (bad / "shallow.yaml").write_text("late:\n  per: week\n")
    with pytest.raises(ReportError, match="late.per must be hour or day"):
        build_report(course.gradebook, out=tmp_path, course=bad)


# -- feedback pages ---------------------------------------------------------------------------

def test_feedback_layout_and_nbgrader_files(pages, course):
    assert len(pages.run.pages) == 6
    alice = pages.out / "alice" / ASSIGNMENT
    assert (alice / "submission_secret.txt").read_text() == "secret-alice"
    assert (alice / "timestamp.txt").read_text().startswith("2026-03-01 09:00")
    evil = [p for p in pages.run.pages if p.parts[-3] not in course.results]
    assert len(evil) == 1 and evil[0].resolve().is_relative_to(pages.out.resolve())
    assert evil[0].parts[-3].startswith("%3Cscript%3E")
    assert not (evil[0].parent / "submission_secret.txt").exists()  # not from submitted/


def test_feedback_never_follows_a_link_or_opens_a_fifo(pages, course):
    bob = pages.out / "bob" / ASSIGNMENT
    assert not (bob / "submission_secret.txt").exists()
    assert (bob / "timestamp.txt").is_file()  # the regular one is copied
    for path in pages.out.rglob("*"):
        if path.is_file():
            assert "the instructor's private key" not in path.read_text(errors="replace")
    assert not (pages.out / "carol" / ASSIGNMENT / "timestamp.txt").exists()
    problems = "\n".join(pages.run.problems)
    assert "bob: " in problems and "symbolic link" in problems
    assert "carol: " in problems and "not a regular file" in problems
    assert bob / f"{ASSIGNMENT}.html" in pages.run.unreleasable


def test_feedback_page_says_what_failed_why_and_the_late_penalty(pages):
    page = page_of(pages, "bob")
    assert "<b>51.8 / 91</b><span>points after the late penalty</span>" in page
    assert "Late penalty: 18.2 points, so 70 − 18.2 = 51.8 / 91." in page
    assert "1 day 8 h after the due date (2026-03-01 23:59 UTC)" in page
    fix = section(page, "fix")
    assert "backward_propagation" in fix and "initialize_parameters" not in fix
    first = fix[fix.index("Case 1 (visible)"):fix.index("Case 2 (hidden)")]
    assert "<b>Likely mistake:</b> np.sum without keepdims=True" in first
    explains = first[first.index("It explains:"):first.index("<b>Hint:</b>")]
    assert explains.count("<li>") == 2 and esc("grads['db2'] has shape (1,)") in \
        explains
    assert esc("np.sum(dZ, axis=1, keepdims=True)") in first
    assert "The same mistake as case 1 (visible)." in fix
    assert "X=array(" in fix  # hidden inputs by their shapes
    review = section(page, "review")
    keep = review[review.index("q_keepdims_shape"):]
    keep = keep[:keep.index("</div>\n</div>") if "</div>\n</div>" in keep else None]
    assert "Not right.</span> Your answer: <code>(4,)</code>" in keep
    assert "Without keepdims=True the summed axis disappears" in keep  # the bank's feedback
    assert "<b>Explanation:</b>" in keep


def test_feedback_quiz_with_the_students_own_numbers(pages):
    page = page_of(pages, "alice")
    assert 'id="fix"' not in page and "full marks" in page
    quiz = section(page, "quiz")
    assert quiz.startswith('<h2 id="quiz">Quiz (2 / 3')
    parametric = quiz[quiz.index("Quiz question 3"):]
    assert "{" not in parametric and "}" not in parametric
    assert re.search(r"How many learnable parameters .*? does a \d+-\d+-\d+ network", parametric)
    assert "The numbers of this question were drawn for you." in parametric
    assert "Not right.</span> Your answer: <code>3</code>" in parametric
    assert "<b>3 / 3</b>" not in page  # the quiz is its own score, beside the notebook's


def test_feedback_manual_unreadable_and_empty(pages):
    carol = page_of(pages, "carol")
    assert "&lt;b&gt;explained it in office hours&lt;/b&gt;" in carol
    exercises = section(carol, "exercises")
    assert re.search(r"initialize_parameters</code></th><td>[^<]*</td><td class=\"num\">5 / 10"
                     r"</td><td><span class=\"part\">partly \(set by hand\)", exercises)
    dave = page_of(pages, "dave")
    assert "Your notebook could not be graded" in dave and 'id="fix"' not in dave
    assert "not graded" in section(dave, "exercises")
    erin = page_of(pages, "erin")
    assert "defines none of planar_classifier" in erin
    assert "the score is out of the code exercises only" in erin and "0 / 80" in erin


def _hidden_values():
    """Text forms of the numbers in the hidden cases' inputs (seed 0, as graded)."""
    texts = set()
    for exercise in default_course(None).exercises_for(ASSIGNMENT):
        for case in exercise.cases(0):
            if case.visible:
                continue
            stack = list(case.args) + list(case.kwargs.values())
            while stack:
                value = stack.pop()
                if isinstance(value, dict):
                    stack += value.values()
                elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    for number in value.ravel()[:20]:
                        if abs(number) > 1e-3:
                            texts |= {repr(float(number)), f"{number:.6g}"}
    return {text for text in texts if len(text.lstrip("-").replace(".", "")) >= 6}


def test_feedback_pages_hold_no_hidden_test_data(pages):
    hidden = _hidden_values()
    assert len(hidden) > 100
    for path, page in pages.text.items():
        leaked = [text for text in hidden if text in page]
        assert not leaked, f"{path}: {leaked[:5]}"


def test_feedback_escapes_student_text(pages):
    page = page_of(pages, EVIL)
    assert page.lower().count("<script") == 0 and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\\x1b[31m\\u202e" in page
    assert esc("raised ValueError: <img src=x onerror=alert(1)> \"quoted\" & "
                       "'single'") in page
    zero = page[page.index("q_zero_init ("):]
    assert "Not right.</span> Your answer: <code>(an unreadable answer)</code>" in zero
    assert esc("'<script>alert(3)</script>' is not one of the choices") in zero
    for text in pages.text.values():
        assert "<script" not in text.lower() and " style=" not in text
        assert "script-src 'none'" in html.unescape(text)


def test_feedback_for_chosen_students(course, tmp_path):
    run = build_feedback(course.gradebook, out=tmp_path, students=["carol", "carol"],
                         course=course.root)
    assert run.pages == [tmp_path / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html"]
    with pytest.raises(ReportError, match="no graded notebook for 'frank'"):
        build_feedback(course.gradebook, out=tmp_path, students=["frank"], course=course.root)


def test_a_fifo_beside_the_notebook_does_not_hang(course, tmp_path):
    start = time.monotonic()
    build_feedback(course.gradebook, out=tmp_path, students=["carol"], course=course.root)
    assert time.monotonic() - start < 10
    assert os.path.exists(course.root / "submitted" / "carol" / ASSIGNMENT / "timestamp.txt")


def test_csv_reads_back_as_text_in_a_spreadsheet_sense(report):
    text = report.written.csv.read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


def test_report_of_an_assignment_with_quizzes_only(course, tmp_path):
    """Nothing graded but a quiz: the report still says who took it and how it went."""
    from autograder.gradebook import open_gradebook

    book_path = tmp_path / "quiz.db"
    with open_gradebook(book_path) as book:
        book.record_quiz("zoe", "activations", "shallow-networks", [
            {"question_id": "lecture-01-tanh-vs-sigmoid", "answer": "false", "correct": False,
             "score": 0.0, "max_score": 1.0}])
    written = build_report(book_path, out=tmp_path / "r", course=course.root)
    page = written.html.read_text()
    assert written.graded == 0 and written.missing == ("zoe",)
    assert "No submission was graded for this assignment." in page
    assert "missing (took the quiz)" in section(page, "students")
    questions = section(page, "questions")
    assert "lecture-01-tanh-vs-sigmoid" in questions and "0 %" in questions
    assert page.count("<img ") == 1  # the review questions' chart only
