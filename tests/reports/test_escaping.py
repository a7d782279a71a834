"""Hostile student text in every field a page shows (ids, file names, exception messages,
answers, with markup, quotes, control characters and invalid Unicode): escaped by the
templates alone, printable, and never a way out of an attribute or a link."""

import html
import re
from fractions import Fraction
from pathlib import Path

from markupsafe import Markup

from autograder.policy import Policy
from autograder.reports import render
from autograder.reports.class_report import report_context, report_html
from autograder.reports.feedback import feedback_context, feedback_html
from autograder.reports.source import ClassData
from autograder.results import CaseResult, MistakeNote, SubmissionResult
from autograder.roster import Person

HOSTILE = "\"'><script>alert(1)</script>&amp;\x00\x1b[2J\u202egnp.exe\udcff\u200b"
ID = "javascript:alert(1)//\"><img src=x onerror=alert(2)>\udcff"


def hostile_result(student=ID):
    def text(label):
        return f"{label}:{HOSTILE}"

    mistake = MistakeNote("m", text("title"), text("hint"), (text("label"),))
    cases = [
        CaseResult("ex", "code", 1, "visible", Fraction(0), Fraction(5), "failed",
                   call=text("call"), problems=[text("problem"), text("label") + " is wrong"],
                   mistakes=[mistake], submitted=text("submitted"), expected=text("expected"),
                   note=text("note")),
        CaseResult("ex", "code", 2, "hidden", Fraction(0), Fraction(5), "error",
                   call=text("call2"), problems=[text("raised")]),
        CaseResult("q_var", "review", 1, "visible", Fraction(0), Fraction(1), "failed",
                   question="lecture-05-keepdims", problems=[text("review")],
                   submitted=text("answer"), feedback=text("feedback")),
        CaseResult(text("manual"), "manual", 1, "visible", Fraction(2), Fraction(2), "passed",
                   note=text("override")),
    ]
    return SubmissionResult(student, "a1", path=f"flat/{HOSTILE}.ipynb", status="graded",
                            cases=cases, errors=[text("error")], notes=[text("notes")],
                            ignored=[text("ignored")], layers=[text("layer")],
                            graded_at=text("when"), submitted_at="")


def bank():
    from autograder.course import review

    return review.bank()


def assert_safe(page):
    assert page.encode("utf-8")  # no lone surrogate left: the page can be written
    assert "\udcff" not in page and "\ufffd" in page
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e\u200b]", page)
    assert "\\x1b[2J" in page and "\\u202e" in page and "\\x00" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&#34;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;" in page
    # No attribute is broken out of: every tag is one the templates write.
    tags = set(re.findall(r"<([a-zA-Z0-9]+)[\s>]", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "a", "header", "p",
                    "nav", "ul", "li", "main", "h1", "h2", "h3", "h4", "section", "b", "span",
                    "code", "table", "caption", "thead", "tr", "th", "tbody", "td", "div",
                    "footer", "button", "script", "details", "summary", "figure", "img",
                    "figcaption", "ol", "br", "i"}, tags


def test_feedback_page_escapes_every_field():
    page = feedback_html(feedback_context(hostile_result(), bank=bank(), policy=Policy()))
    assert_safe(page)
    for label in ("title", "hint", "call", "problem", "raised", "review", "answer",
                  "feedback", "override", "error", "ignored", "when"):
        assert f"{label}:&#34;&#39;&gt;&lt;script&gt;" in page, label
    assert page.count("<script") == 0


def test_class_report_escapes_every_field_and_link(tmp_path):
    result = hostile_result()
    other = hostile_result(student=f"{HOSTILE}-2")
    data = ClassData(str(tmp_path / "gb.db"), "a1", [result, other], {}, [], None, Policy(),
                     bank(), [Person(HOSTILE, HOSTILE, HOSTILE)], ["ex"], {"ex": HOSTILE})
    context = report_context(data, out_dir=tmp_path / "reports", feedback_dir=tmp_path / "fb")
    page = report_html(context)
    assert_safe(page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    links = [h for h in hrefs if not h.startswith("#")]
    assert links and all(h.startswith("./../fb/") for h in links), links
    for link in links:
        assert re.fullmatch(r"[A-Za-z0-9./%_-]+", link), link  # percent-encoded, nothing else
    assert page.count("<script") == 1


def test_printable_keeps_markup_and_numbers():
    assert render.printable("a\udcffb") == "a\ufffdb"
    assert render.printable("\x1b[31m") == "\\x1b[31m"
    assert render.printable(Markup("<b>")) == Markup("<b>")
    assert render.printable(3) == 3 and render.printable(None) == ""


def test_escaping_cannot_be_forgotten():
    """Autoescape is on for every template, whatever its name; no template opts out and no
    Python code marks text as markup but the static files' loader."""
    env = render.environment()
    assert env.autoescape is True
    assert str(env.from_string("{{ x }}").render(x="<i>")) == "&lt;i&gt;"
    folder = Path(render.__file__).parent
    for template in (folder / "templates").glob("*.html"):
        text = template.read_text()
        assert "|safe" not in text.replace(" ", "") and "autoescape" not in text, template
        assert "Markup" not in text, template
    for module in folder.glob("*.py"):
        text = module.read_text()
        assert "html.escape" not in text and "|safe" not in text, module
        if module.name != "render.py":
            assert "Markup" not in text, module
    assert html.escape  # (the tests use it; the package does not)


def test_chart_labels_cannot_break_the_chart():
    """matplotlib refuses lone surrogates and reads ``$...$`` as mathtext (an unbalanced ``$``
    raises): labels are made printable and literal first; the alt text keeps the words."""
    from autograder.reports import plots

    chart = plots.rate_bars(["$\\frac{1", "bad\udcff\x1b", "ok"], [0.5, 1.0, 0.0], what="t",
                            label_header="item", xlabel="x")
    assert chart.src.startswith("data:image/png;base64,") and len(chart.src) > 2000
    assert plots.label("a$b") == "a\\$b" and plots.label("\udcff") == "\ufffd"
    assert "$\\frac{1 50 %" in chart.alt and chart.rows[1] == ("bad\udcff\x1b", "100 %")
