"""Every message is one line that names its cell (or file) and is safe to store and print."""

import json
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.notebook import (
    NotebookError,
    extract_from_notebook_bytes,
    extract_from_python_source,
    read_submission,
)

UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def notebook_bytes(*sources):
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": s} for s in sources]
    # ensure_ascii keeps lone surrogates as \\udc80 escapes: the JSON is valid UTF-8
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}).encode()


def messages(gs):
    texts = list(gs.problems) + list(gs.unparsed.values())
    for entries in gs.unrun_globals.values():
        texts += [reason for _, _, reason in entries]
    return texts


def assert_safe(text):
    assert "\n" not in text and "\r" not in text
    assert not UNSAFE.search(text), repr(text)
    text.encode("utf-8")  # no lone surrogate
    with sqlite3.connect(":memory:") as db:
        db.execute("create table t (message text)")
        db.execute("insert into t values (?)", (text,))
        assert db.execute("select message from t").fetchone() == (text,)


def test_invalid_unicode_in_a_cell_is_replaced_in_the_message():
    gs = extract_from_notebook_bytes(notebook_bytes("def f():\n    return '\udc80'\n"))
    assert gs.unparsed[0].startswith("the code contains invalid Unicode")
    assert gs.unparsed[0].endswith("(line 2)")
    assert gs.broken_defs == {"f": 0}
    for text in messages(gs):
        assert_safe(text)


def test_control_characters_are_escaped_and_ordinary_text_kept():
    gs = extract_from_notebook_bytes(notebook_bytes(
        "X = !echo \x1b[2J\u202e héllo 中文 🙂\ndef f():\n    return X\n",
        "x = 1 +\x1b[2J\n",
    ))
    ((_, _, reason),) = gs.unrun_globals["f"]
    assert reason == ("its value comes from the shell command !echo \\x1b[2J\\u202e héllo 中文 🙂,"
                      " which is not run while grading")
    assert gs.unparsed[1] == "invalid non-printable character U+001B (line 1)"
    for text in messages(gs):
        assert_safe(text)


def test_the_file_level_error_names_the_path_on_one_safe_line(tmp_path):
    path = tmp_path / "bad\x1b[31m\u202ename\udcff.ipynb"
    try:
        path.write_bytes(b"{")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses such a file name")
    with pytest.raises(NotebookError) as info:
        read_submission(path)
    message = str(info.value)
    assert_safe(message)
    assert message.startswith(str(tmp_path)) and message.endswith(
        ": not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)")
    assert "bad\\x1b[31m\\u202ename\ufffd.ipynb" in message


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_messages_from_any_text_are_safe(sources):
    gs = extract_from_notebook_bytes(notebook_bytes(*sources))
    for text in messages(gs):
        assert_safe(text)
    for cell, reason in gs.unparsed.items():
        assert f"cell {cell} could not be parsed: {reason}" in gs.problems or any(
            p.startswith(f"cell {cell} ") for p in gs.problems)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_messages_from_any_python_file_are_safe(text):
    gs = extract_from_python_source(text)
    for message in messages(gs):
        assert_safe(message)
        assert not message.startswith("cell ")
