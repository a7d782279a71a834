"""The class report and the feedback pages in a real headless Chromium: no console or policy
error, every image decodes, nothing wider than the window, the sort buttons work from the
keyboard under the page's Content-Security-Policy, and axe-core's audit finds no serious or
critical violation (contrast, labels, table headers, landmarks, alt texts...)."""

import base64

import pytest
from report_browser import Browser, MissingTool, axe_source, chromium_path
from report_class import ASSIGNMENT

from autograder.reports.class_report import build_report
from autograder.reports.feedback import build_feedback

pytestmark = pytest.mark.slow
SERIOUS = ("serious", "critical")
_missing = []


def _need(function):
    """Run ``function``; when a tool is missing, fail: with the whole message the first time,
    pointing to it afterwards (never a silent skip)."""
    if _missing:
        pytest.fail(f"see the first browser test's failure: {_missing[0]}"[:200], pytrace=False)
    try:
        return function()
    except MissingTool as exc:
        _missing.append(str(exc))
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def browser():
    executable = _need(chromium_path)
    chrome = Browser(executable)
    yield chrome
    chrome.close()


@pytest.fixture(scope="module")
def axe():
    return _need(axe_source)


@pytest.fixture(scope="module")
def site(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    report = build_report(course.gradebook, out=root / "reports", roster=course.roster,
                          course=course.root, feedback_dir=root / "feedback")
    run = build_feedback(course.gradebook, out=root / "feedback", course=course.root)
    return report, run


def serious(violations):
    return [v for v in violations if v["impact"] in SERIOUS]


def test_the_checks_see_errors_broken_images_and_violations(browser, axe, tmp_path):
    """Not vacuous: a broken image, a script error, a missing alt text, unlabelled input, low
    contrast and a table without headers are all seen."""
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        '<img src="data:image/png;base64,iVBORw0KGgoAAAA=">'
        f'<img src="data:image/png;base64,{png}" alt="x">'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p>'
        "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    opened = browser.open(page)
    loaded = opened.checks()
    assert [image["decoded"] for image in loaded["images"]] == [False, False]
    assert any("boom" in error for error in loaded["errors"])
    assert any("undefinedFunction" in error for error in loaded["errors"])
    found = {v["id"] for v in serious(opened.audit(axe))}
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= found, found
    opened.close()


def test_report_in_chromium(browser, axe, site):
    report, _ = site
    page = browser.open(report.html)
    loaded = page.checks()
    assert loaded["errors"] == []  # a blocked style or script would be a policy error here
    assert loaded["title"] == f"Class report: {ASSIGNMENT}"
    assert len(loaded["images"]) == 4
    for image in loaded["images"]:
        assert image["decoded"] and image["complete"] and image["width"] > 0, image
        assert len(image["alt"]) > 20
    assert loaded["scroll"] <= loaded["view"]  # nothing wider than the window
    violations = page.audit(axe)
    assert serious(violations) == [], violations
    page.close()


def test_report_sorts_from_the_keyboard(browser, site):
    report, _ = site
    page = browser.open(report.html)
    order = "Array.from(document.querySelectorAll('#student-table tbody tr'), " \
            "r => r.cells[0].textContent.trim())"
    before = page.evaluate(order)
    assert before == sorted(before)
    page.evaluate("document.querySelectorAll('#student-table thead button')[2].focus()")
    assert page.evaluate("document.activeElement.textContent") == "score"
    page.key("Enter")
    scores = page.evaluate("Array.from(document.querySelectorAll('#student-table tbody tr'),"
                           " r => r.cells[2].getAttribute('data-sort'))")
    numbers = [float(s) for s in scores if s]
    assert numbers == sorted(numbers) and scores[len(numbers):] == [""] * (
        len(scores) - len(numbers))  # students without a score last
    assert page.evaluate("document.querySelectorAll('#student-table thead th')[2]"
                         ".getAttribute('aria-sort')") == "ascending"
    assert "Sorted by score, ascending" in page.evaluate(
        "document.getElementById('sort-status').textContent")
    page.key("Enter")
    again = page.evaluate("Array.from(document.querySelectorAll('#student-table tbody tr'),"
                          " r => r.cells[2].getAttribute('data-sort'))")
    assert [float(s) for s in again if s] == sorted(numbers, reverse=True)
    page.evaluate("document.querySelector('nav a[href=\"#weakest\"]').click()")
    assert page.evaluate("location.hash") == "#weakest"
    assert page.errors() == []
    page.close()


def test_feedback_pages_in_chromium(browser, axe, site):
    _, run = site
    assert len(run.pages) == 6
    for path in run.pages:
        page = browser.open(path)
        loaded = page.checks()
        assert loaded["errors"] == [], path
        assert loaded["title"].startswith(f"Feedback: {ASSIGNMENT}")
        assert loaded["scroll"] <= loaded["view"], path
        violations = page.audit(axe)
        assert serious(violations) == [], (path, violations)
        page.close()


def test_report_links_open_the_feedback_pages(browser, site):
    """Every student link, the hostile id's percent-encoded one included, opens that student's
    page in the browser."""
    report, run = site
    page = browser.open(report.html)
    links = page.evaluate("Array.from(document.querySelectorAll('#student-table tbody a'),"
                          " a => [a.href, a.textContent])")
    page.close()
    assert len(links) == len(run.pages) == 6
    for href, student in links:
        target = browser.open(href)
        title = target.evaluate("document.title")
        heading = target.evaluate("document.querySelector('p.sub b').textContent")
        target.close()
        assert title.startswith(f"Feedback: {ASSIGNMENT}") and heading == student, href
