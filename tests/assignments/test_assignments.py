"""The nbgrader assignments, with the real tools: a Jupyter kernel, nbgrader's own commands and
`shallow grade`, which must agree with nbgrader's verdicts."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import default_course, review
from autograder.grade import Options, Submission, grade_submission
from autograder.release.authoring import review_cells, sync_review_cells
from autograder.results import as_fraction

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ASSIGNMENTS = ["activations", "planar_classifier"]
SOURCES = {name: ROOT / "solutions" / name / f"{name}.ipynb" for name in ASSIGNMENTS}
RELEASES = {name: ROOT / "assignments" / name / f"{name}.ipynb" for name in ASSIGNMENTS}


def tool_env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # nbgrader calls alembic
    return env


def nbgrader(*args, cwd):
    done = subprocess.run([str(BIN / "nbgrader"), *args, "--log-level=WARN"], cwd=cwd,
                          env=tool_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


COURSE = default_course()


def exercises_for(name):
    return COURSE.exercises_for(name)


def review_questions(name):
    return review.questions(COURSE.assignment(name))


def full_marks(name):
    return sum(as_fraction(e.points) for e in exercises_for(name)) + sum(
        as_fraction(q.points) for q in review_questions(name))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_notebooks_are_valid_with_outputs_cleared(name):
    for path in (SOURCES[name], RELEASES[name]):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            assert cell.metadata["nbgrader"]["schema_version"] == 3
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path
        ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_points_and_review_questions_come_from_the_rubric_and_bank(name):
    nb = nbformat.read(SOURCES[name], as_version=4)
    points = sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells
                 if c.metadata["nbgrader"]["grade"])
    assert points == full_marks(name)
    assert not sync_review_cells(nb), "review cells differ from the bank: run shallow release"
    numbers = [c.metadata["shallow"]["review"] for c in nb.cells
               if c.metadata.get("shallow", {}).get("review")]
    assert sorted(numbers) == sorted(q.lecture for q in review_questions(name))
    for question in review_questions(name):
        markdown, _, _ = review_cells(question)
        assert any(c.source == markdown for c in nb.cells)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.metadata["nbgrader"]["grade"]}
    assert {f"{e.name}_test" for e in exercises_for(name)} <= graded


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(name):
    source = nbformat.read(SOURCES[name], as_version=4)
    release = RELEASES[name].read_text()
    assert "BEGIN SOLUTION" not in release and "BEGIN HIDDEN TESTS" not in release
    assert "hidden=True" not in release and "grader_check" not in release
    for cell in source.cells:
        text = cell.source
        while "### BEGIN SOLUTION" in text:
            start = text.index("### BEGIN SOLUTION") + len("### BEGIN SOLUTION")
            end = text.index("### END SOLUTION")
            for line in text[start:end].strip().splitlines():
                if line.strip() and not line.strip().startswith("#"):
                    assert json.dumps(line)[1:-1] not in release, f"solution line: {line}"
            text = text[end + len("### END SOLUTION"):]
    assert release.count("raise NotImplementedError()") >= len(exercises_for(name))


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_notebook_runs_top_to_bottom_in_a_kernel(name, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(SOURCES[name], as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    for exercise in exercises_for(name):
        assert f"{exercise.name}: all 1 visible case(s) pass" in printed
        assert f"{exercise.name}: all 2 hidden case(s) pass" in printed or \
            f"{exercise.name}: all 1 hidden case(s) pass" in printed
    for question in review_questions(name):
        assert f"{question.variable}: correct" in printed
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []


def _course(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


@pytest.mark.slow
def same_release_file(committed: bytes, fresh: bytes, name: str) -> bool:
    """The same bytes, or for the cases file the same cases whose floating-point values
    agree to 1e-12 relative: numpy's kernels differ from one CPU to the next in the last bit
    (this machine's AVX-512 against another's AVX2), and an array's pool key is its hash."""
    if committed == fresh:
        return True
    if not name.endswith(".json"):
        return False
    return _close(_resolved(json.loads(committed)), _resolved(json.loads(fresh)))


def _resolved(doc):
    pool = doc.pop("pool", {})

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"ref"}:
                return walk(pool[node["ref"]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(doc)


def _close(a, b):
    import base64

    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        if a.get("t") == "nd" and "b64" in a:
            if (a["dtype"], a["shape"]) != (b["dtype"], b["shape"]):
                return False
            x, y = (np.frombuffer(base64.b64decode(v["b64"]), dtype=v["dtype"]) for v in (a, b))
            if x.dtype.kind != "f":
                return bool(np.array_equal(x, y))
            return bool(np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True))
        return all(_close(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        import math

        return math.isclose(a, b, rel_tol=1e-12)
    return type(a) is type(b) and a == b


def test_a_release_file_differs_only_in_the_last_bits_of_its_numbers():
    import base64

    import numpy as np

    def doc(value):
        array = {"t": "nd", "dtype": "<f8", "shape": [2],
                 "b64": base64.b64encode(np.array(value).tobytes()).decode()}
        key = str(hash(array["b64"]))
        return json.dumps({"calls": {"f/1": {"expected": {"ref": key}}},
                           "pool": {key: array}}).encode()

    x = 0.1 + 0.2
    assert same_release_file(doc([x, 1.0]), doc([np.nextafter(x, 1), 1.0]), "cases.json")
    assert not same_release_file(doc([x, 1.0]), doc([x * (1 + 1e-9), 1.0]), "cases.json")
    assert not same_release_file(doc([x, 1.0]), doc([x, 2.0]), "cases.json")
    assert not same_release_file(b"a = 1\n", b"a = 2\n", "checking.py")


def test_committed_release_is_up_to_date(tmp_path):
    course = _course(tmp_path)
    out = subprocess.run([str(BIN / "shallow"), "release", "--course", str(course)],
                         capture_output=True, text=True, env=tool_env(), timeout=600)
    assert out.returncode == 0, out.stderr
    for name in ASSIGNMENTS:
        fresh = json.loads((course / "assignments" / name / f"{name}.ipynb").read_text())
        committed = json.loads(RELEASES[name].read_text())
        assert fresh == committed, f"assignments/{name} is stale: run `shallow release`"
        for path in sorted((course / "assignments" / name / "shallow_checks").iterdir()):
            committed_file = ROOT / "assignments" / name / "shallow_checks" / path.name
            assert same_release_file(committed_file.read_bytes(), path.read_bytes(),
                                     path.name), \
                f"assignments/{name}/shallow_checks/{path.name} is stale: run `shallow release`"
        assert (course / "solutions" / name / f"{name}.ipynb").read_text() == \
            SOURCES[name].read_text(), "the source notebook was not in sync with the bank"


@pytest.mark.slow
def test_nbgrader_round_trip_and_shallow_grade_agree(tmp_path):
    course = _course(tmp_path)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    out = subprocess.run([str(BIN / "shallow"), "release", "--course", str(course)],
                         capture_output=True, text=True, env=tool_env(), timeout=600)
    assert out.returncode == 0, out.stderr  # nbgrader's generate_assignment and the bundles
    for name in ASSIGNMENTS:
        nbgrader("release_assignment", name, "--force", cwd=course)

    students = {"alice": "solution", "bob": "untouched", "mallory": "wraps the reference"}
    for student, version in students.items():
        home = tmp_path / student
        home.mkdir()
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = 'shallow-networks'\n"
            f"c.Exchange.root = {str(exchange)!r}\n")
        for name in ASSIGNMENTS:
            nbgrader("fetch_assignment", name, cwd=home)
            fetched = home / name / f"{name}.ipynb"
            assert fetched.exists()
            assert (home / name / "shallow_checks" / "cases.json").exists()  # the self-check
            if version == "solution":
                shutil.copy(SOURCES[name], fetched)
            elif version == "wraps the reference":
                shutil.copy(_wrapping_the_reference(name, tmp_path), fetched)
            nbgrader("submit", name, f"--student={student}", cwd=home)

    for name in ASSIGNMENTS:
        nbgrader("collect", name, cwd=course)
        nbgrader("autograde", name, "--force", cwd=course)
    nbgrader("export", "--to=grades.csv", cwd=course)
    with open(course / "grades.csv") as handle:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(handle)}

    for name in ASSIGNMENTS:
        top = full_marks(name)
        assert float(rows[(name, "alice")]["max_score"]) == top
        assert float(rows[(name, "alice")]["score"]) == top
        assert float(rows[(name, "bob")]["score"]) == 0
        # the hidden tests see the calls into shallow_ref: only the review answers count
        wrapped = float(rows[(name, "mallory")]["score"])
        answers = sum(q.points for q in review_questions(name))
        assert wrapped == answers, (name, wrapped)
        for student in ("alice", "bob"):
            path = course / "submitted" / student / name / f"{name}.ipynb"
            ours = grade_submission(Submission(str(path), student, name), Options(seed=0))
            assert ours.max_points == top
            assert ours.score == float(rows[(name, student)]["score"]), (student, name)
            assert not any("Traceback" in e for e in ours.errors)


def _wrapping_the_reference(name, tmp_path):
    """The solution with every graded function a wrapper of shallow_ref's."""
    nb = nbformat.read(SOURCES[name], as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id.endswith("_solution"):
            function = grade_id[:-len("_solution")]
            cell.source = (f"import shallow_ref\n\ndef {function}(*args, **kwargs):\n"
                           f"    return shallow_ref.{function}(*args, **kwargs)\n")
    path = tmp_path / f"wrapped-{name}.ipynb"
    nbformat.write(nb, path)
    return path
