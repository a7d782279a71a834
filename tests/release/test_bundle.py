"""The self-check a release ships (assignments/<name>/shallow_checks/): no answer key in it, it
runs with numpy alone, and it says what ``shallow check`` says."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bugs import BUGS

from autograder.course import default_course, review
from autograder.isolation import wire
from autograder.release.bundle import PACKAGE, SHIPPED, size

ROOT = Path(__file__).resolve().parents[2]
COURSE = default_course()
ASSIGNMENTS = ["activations", "planar_classifier"]
SHALLOW = str(Path(sys.executable).parent / "shallow")


def released_files(name):
    return sorted(p for p in (ROOT / "assignments" / name).rglob("*") if p.is_file())


def all_text(name):
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in released_files(name))


def all_lines(name):
    """Every line of every released file, stripped: the code cells of notebooks (their text may
    teach the lecture's formulas), every line of the other files."""
    lines = set()
    for path in released_files(name):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells
                             if c.cell_type == "code")
        lines.update(line.strip() for line in text.splitlines())
    return lines


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_bundle_is_small_and_only_the_shipped_files(name):
    folder = ROOT / "assignments" / name / PACKAGE
    assert {p.name for p in folder.iterdir()} == {*SHIPPED, "cases.json"}
    assert size(folder) < 200 * 1024, size(folder)
    for shipped, source in SHIPPED.items():
        assert (folder / shipped).read_bytes() == source.read_bytes(), \
            f"{shipped} is stale: run `shallow release`"


REFERENCE_LINES = [
    line.strip() for path in (ROOT / "shallow_ref" / "network.py",
                              ROOT / "shallow_ref" / "activations.py")
    for line in path.read_text().splitlines()
    if "=" in line and len(line.strip()) > 18 and not line.strip().startswith(("#", '"'))
    and ("np." in line or "@" in line or "dZ" in line)]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nothing_released_holds_the_reference_or_the_solution(name):
    text = all_lines(name)
    assert len(REFERENCE_LINES) > 15
    for line in REFERENCE_LINES:
        assert line not in text, f"a line of the reference is released: {line}"
    source = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    for cell in source.cells:
        body = cell.source
        while "### BEGIN SOLUTION" in body:
            start = body.index("### BEGIN SOLUTION") + len("### BEGIN SOLUTION")
            end = body.index("### END SOLUTION")
            for line in body[start:end].strip().splitlines():
                if len(line.strip()) >= 12 and not line.strip().startswith("#"):
                    assert line.strip() not in text, f"a solution line is released: {line}"
            body = body[end + len("### END SOLUTION"):]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_hidden_case_is_released(name):
    """No array of a hidden case's inputs or answer (of any seed) is in a released file
    (arrays of zeros or ones, which say nothing, aside)."""
    text = all_text(name)
    for seed in (0, 1, 12345, 2**40 + 7):
        for exercise in COURSE.exercises_for(name):
            for graded in COURSE.graded_cases(exercise, seed):
                if graded.case.visible:
                    continue
                for arg in graded.case.args:
                    encoded = json.dumps(wire.encode(arg))
                    for b64 in _informative(encoded):
                        assert b64 not in text, f"a hidden input of {exercise.name} is released"
                for b64 in _informative(json.dumps(wire.encode(graded.expected))):
                    assert b64 not in text, f"a hidden answer of {exercise.name} is released"


def _informative(encoded):
    return [b for b in re.findall(r'"b64": "([^"]{40,})"', encoded) if len(set(b)) > 6]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_graded_quiz_answer_is_released(name):
    data = json.loads((ROOT / "assignments" / name / PACKAGE / "cases.json").read_text())
    questions = review.questions(COURSE.assignment(name))
    by_variable = {q.variable: q for q in questions}
    assert {q["variable"] for q in data["questions"]} == set(by_variable)
    for entry in data["questions"]:
        question = by_variable[entry["variable"]]
        if not getattr(question, "practice", False):
            assert not {"answer", "accept", "tolerance", "feedback", "explanation"} & set(entry)
    release = (ROOT / "assignments" / name / f"{name}.ipynb").read_text()
    for question in questions:
        assert question.explanation.strip()[:60] not in all_text(name)
        assert f"{question.variable} = None" in release


# -- running it -----------------------------------------------------------------------------

def solved(name, folder, *, bug=None):
    """The released notebook filled in with the solution (or one buggy function)."""
    source = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    release = nbformat.read(ROOT / "assignments" / name / f"{name}.ipynb", as_version=4)
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            text = "\n".join(line for line in answers[grade_id].splitlines()
                             if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
            if bug and grade_id == f"{bug[0]}_solution":
                text = bug[1]
            cell.source = text
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-r", str(ROOT / "assignments" / name / PACKAGE), str(folder)],
                   check=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(release, path)
    return path


@pytest.fixture(scope="module")
def numpy_only_python(tmp_path_factory):
    """A virtual environment with numpy and the kernel's own runtime, nothing of this project."""
    folder = tmp_path_factory.mktemp("numpy-only")
    subprocess.run([sys.executable, "-m", "venv", str(folder / "env")], check=True)
    python = folder / "env" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "numpy", "ipykernel"],
                   check=True, timeout=600, capture_output=True)
    check = subprocess.run([str(python), "-c", "import autograder"], capture_output=True,
                           cwd=folder)
    assert check.returncode != 0, "the numpy-only environment can import the grader"
    check = subprocess.run([str(python), "-c", "import shallow_ref"], capture_output=True,
                           cwd=folder)
    assert check.returncode != 0, "the numpy-only environment can import the reference"
    kernels = folder / "share" / "jupyter" / "kernels" / "numpy-only"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "numpy only", "language": "python"}))
    return python, folder / "share" / "jupyter"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_a_solved_release_passes_its_checks_in_a_kernel_with_only_numpy(
        name, tmp_path, numpy_only_python, monkeypatch):
    from nbclient import NotebookClient

    python, jupyter = numpy_only_python
    path = solved(name, tmp_path / "student")
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="numpy-only", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    for exercise in COURSE.assignment(name).exercises:
        assert f"{exercise}: all 1 visible case(s) pass" in printed, exercise
    errors = [o["ename"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert "AssertionError" not in errors and "ModuleNotFoundError" not in errors, errors


def _normalized(text):
    return re.sub(r" \(cell \d+, line \d+\)", "", text)


@pytest.mark.parametrize("mistake, exercise, code",
                         [b for b in BUGS if b[1] in COURSE.assignment("planar_classifier")
                          .exercises or b[1] in COURSE.assignment("activations").exercises],
                         ids=[f"{m}-{e}" for m, e, _ in BUGS])
def test_each_mistake_gets_the_self_check_verdict_and_words_of_shallow_check(
        tmp_path, mistake, exercise, code):
    name = next(a for a in ASSIGNMENTS if exercise in COURSE.assignment(a).exercises)
    path = solved(name, tmp_path / "student", bug=(exercise, code))
    bundle = subprocess.run([sys.executable, "-m", PACKAGE, path.name], cwd=path.parent,
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": os.environ["PATH"], "PYTHONPATH": ""})
    ours = subprocess.run([SHALLOW, "check", str(path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert bundle.returncode == ours.returncode, (bundle.stdout, ours.stdout)
    if ours.returncode == 0:  # a mistake the visible case cannot show: both say so
        assert f"{exercise}: all 1 visible case(s) pass" in bundle.stdout
        return
    said = _failure(bundle.stdout, exercise)
    assert said, bundle.stdout
    lines = {re.sub(r"^- case \d+(?: \(visible\))?: ", "", line.strip())
             for line in _normalized(ours.stdout).splitlines()}
    for line in _normalized(said).splitlines():
        assert line.strip() in lines, (line, ours.stdout)


def _failure(stdout, exercise):
    """The first failed case's lines of ``exercise`` in the bundle's terminal output."""
    lines = stdout.splitlines()
    header = [i for i, line in enumerate(lines)
              if line.startswith(f"{exercise}: ") and "visible case(s) fail" in line]
    if not header:
        return ""
    out = []
    for line in lines[header[0] + 2:]:
        if not line.strip() or re.match(r"^[a-z_0-9]+: ", line) or " checks pass" in line:
            break
        out.append(line)
    return "\n".join(out)
