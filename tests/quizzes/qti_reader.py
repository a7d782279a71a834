"""Read back the QTI package that the real ``text2qti`` makes: what Canvas imports.

Opens the zip, parses the assessment XML (QTI 1.2, as Canvas reads it) and returns, for each
item: its title, Canvas question type, points, the prompt and choices as shown (HTML rendered to
text), the right choices or accepted answers or numerical range, and the feedback texts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from moodle_gift import html_to_text

NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}


@dataclass
class QtiItem:
    title: str
    type: str
    points: str
    prompt: str
    choices: dict = field(default_factory=dict)  # ident -> text shown
    right: list = field(default_factory=list)  # idents (choices) or texts (short answer)
    low: Decimal | None = None
    high: Decimal | None = None
    exact: Decimal | None = None
    feedback: dict = field(default_factory=dict)  # feedback ident -> text shown


def _html(element):
    return html_to_text(element.text or "") if element is not None else ""


def read_package(path):
    """Every item of the assessment in a text2qti zip, in order."""
    with zipfile.ZipFile(path) as package:
        names = [n for n in package.namelist() if n.endswith(".xml")
                 and "assessment_meta" not in n and "imsmanifest" not in n]
        assert len(names) == 1, names
        root = ET.fromstring(package.read(names[0]))
    return [_item(item) for item in root.iter(f"{{{NS['q']}}}item")]


def _meta(item):
    fields = {}
    for entry in item.iterfind(".//q:qtimetadatafield", NS):
        fields[entry.findtext("q:fieldlabel", "", NS)] = entry.findtext("q:fieldentry", "", NS)
    return fields


def _item(item):
    meta = _meta(item)
    presentation = item.find("q:presentation", NS)
    prompt = _html(presentation.find("q:material/q:mattext", NS))
    result = QtiItem(item.get("title"), meta["question_type"], meta["points_possible"], prompt)
    for label in presentation.iterfind(".//q:response_label", NS):
        result.choices[label.get("ident")] = _html(label.find(".//q:mattext", NS))
    for condition in item.iterfind(".//q:respcondition", NS):
        score = condition.find("q:setvar", NS)
        if score is None or score.text != "100":
            continue
        variables = condition.find("q:conditionvar", NS)
        kind = result.type
        if kind == "multiple_answers_question":
            conjunction = variables.find("q:and", NS)
            result.right = [v.text for v in conjunction.findall("q:varequal", NS)]
        elif kind == "numerical_question":
            low = variables.find(".//q:vargte", NS)
            high = variables.find(".//q:varlte", NS)
            exact = variables.find(".//q:varequal", NS)
            result.low = Decimal(low.text) if low is not None else None
            result.high = Decimal(high.text) if high is not None else None
            result.exact = Decimal(exact.text) if exact is not None else None
        else:
            result.right = [v.text for v in variables.findall("q:varequal", NS)]
    for feedback in item.iterfind("q:itemfeedback", NS):
        result.feedback[feedback.get("ident")] = _html(feedback.find(".//q:mattext", NS))
    return result


def accepts(item, number):
    """Whether Canvas would accept ``number`` for a numerical item."""
    if item.exact is not None and number == item.exact:
        return True
    return item.low is not None and item.low <= number <= item.high
