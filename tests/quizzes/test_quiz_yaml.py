"""Reading banks and answers files safely: size caps, no aliases, bounded depth, plain data only,
and every problem one line with FILE:LINE, through the real ``shallow`` command."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.bank import validate_bank
from quizzes.safeyaml import ANSWERS_MAX_BYTES, BANK_MAX_BYTES, YamlError, load_file, loads

SHALLOW = str(Path(sys.executable).parent / "shallow")

LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
answers: {x: *i}
"""


def _grade(path, *args):
    return subprocess.run([SHALLOW, "quiz", "grade", str(path), "--no-gradebook", *args],
                          capture_output=True, text=True, timeout=60)


def _one_line_error(out, where):
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith(where), out.stderr
    return lines[0]


def test_seed_that_is_not_a_number_is_one_line_with_file_and_line(tmp_path):
    path = tmp_path / "ann.yaml"
    path.write_text("bank: shallow-networks\nseed: abc\nanswers:\n  lecture-05-keepdims: 4x1\n")
    line = _one_line_error(_grade(path), f"{path}:2:")
    assert "seed must be a whole number, got 'abc'" in line


def test_nested_aliases_are_refused_before_they_expand(tmp_path):
    path = tmp_path / "ann.yaml"
    path.write_text(LAUGHS)
    start = time.perf_counter()
    line = _one_line_error(_grade(path), f"{path}:2:")
    assert time.perf_counter() - start < 20
    assert "aliases (*a) are not allowed" in line
    bank = tmp_path / "bank.yaml"
    bank.write_text("bank: x\ntitle: &t T\nquestions: []\nother: *t\n")
    [problem] = validate_bank(bank)
    assert problem == f"{bank}:4: YAML aliases (*t) are not allowed"


def test_size_caps_for_answers_files_and_banks(tmp_path):
    big = tmp_path / "ann.yaml"
    big.write_text("# " + "x" * ANSWERS_MAX_BYTES + "\nanswers: {}\n")
    assert "larger than 1 MB" in _one_line_error(_grade(big), f"{big}:")
    bank = tmp_path / "bank.yaml"
    with open(bank, "w") as handle:
        handle.write("#" * (BANK_MAX_BYTES + 1))
    [problem] = validate_bank(bank)
    assert problem == f"{bank}: larger than 10 MB: not read"
    assert load_file(big, max_bytes=ANSWERS_MAX_BYTES + 100) == {"answers": {}}


def test_depth_is_bounded(tmp_path):
    path = tmp_path / "ann.yaml"
    path.write_text("answers:\n  x: " + "[" * 30 + "]" * 30 + "\n")
    assert "nested more than 20 levels deep" in _one_line_error(_grade(path), f"{path}:2:")
    assert loads("a: " + "[" * 19 + "]" * 19) == {"a": [[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}


def test_no_code_runs_and_odd_files_are_one_line_errors(tmp_path):
    marker = tmp_path / "ran"
    cases = {
        "python.yaml": f"answers: !!python/object/apply:os.system ['touch {marker}']\n",
        "dup.yaml": "answers:\n  a: 1\n  a: 2\n",
        "latin1.yaml": "answers:\n  a: caf\xe9\n".encode("latin-1"),
        "binary.yaml": b"answers:\n  a: \x00\x01\x02\n",
        "syntax.yaml": "answers:\n  a: [unclosed\n",
        "bigint.yaml": "seed: " + "9" * 5000 + "\nanswers: {}\n",
        "key.yaml": "answers:\n  ? [a, b]\n  : 1\n",
        "list.yaml": "- a\n- b\n",
    }
    expected = {"python.yaml": "python/object", "dup.yaml": "duplicate key 'a' (first at line 2)",
                "latin1.yaml": "not UTF-8 text", "binary.yaml": "not text",
                "syntax.yaml": "YAML syntax error", "bigint.yaml": "a number of 5000 digits",
                "key.yaml": "a mapping key must be a plain value",
                "list.yaml": "expected a mapping"}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        line = _one_line_error(_grade(path), f"{path}:")
        assert expected[name] in line, (name, line)
        if name != "latin1.yaml":  # (its line is known too, but 1 for a one-line file)
            assert re.match(rf"{re.escape(str(path))}:\d+: ", line), line
    assert not marker.exists()
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(YamlError, match="is a folder"):
        load_file(folder, max_bytes=100)


def test_scalars_follow_yaml_1_2_core():
    data = loads("a: no\nb: yes\nc: 012\nd: 1e-5\ne: 1:20\nf: 2024-01-31\ng: true\nh: ~\n"
                 "i: .inf\nj: -3\nk: on\n")
    assert data == {"a": "no", "b": "yes", "c": 12, "d": 1e-5, "e": "1:20", "f": "2024-01-31",
                    "g": True, "h": None, "i": float("inf"), "j": -3, "k": "on"}
    assert data.line_of("e") == 5


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,? \n\t0129.")), max_size=80))
def test_any_text_reads_or_fails_with_a_yaml_error(text):
    try:
        loads(text, "fuzz.yaml")
    except YamlError as exc:
        assert str(exc).startswith("fuzz.yaml") and "\n" not in str(exc)
