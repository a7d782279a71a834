"""The Gradescope autograder end to end: `shallow gradescope build` writes the zip, which is
unpacked into a temporary root laid out as Gradescope lays out /autograder (source/,
submission/, results/, submission_metadata.json) and graded by the real run_autograder."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.cli_integrations import HIDDEN_VISIBILITIES as CLI_CHOICES
from autograder.integrations import gradescope
from autograder.seeds import load_secret
from notebooks import ALL_COURSE, CORRECT, full, replace_function, write_notebook

FULL = float(full("all"))


class Source:
    """A notebook to hand in, made from this source (cells separated by '# %%')."""

    def __init__(self, text):
        self.text = text


WRONG_COST = Source(replace_function(CORRECT, "compute_cost", "def compute_cost(A2, Y):\n"
                                     "    return -float(np.mean(Y * np.log(A2)))\n"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A course folder (the "all" course, a settings file, a solution notebook that must not
    be shipped) and the zip built from it, hidden cases hidden."""
    base = tmp_path_factory.mktemp("gradescope")
    course = base / "course"
    shutil.copytree(ALL_COURSE, course)
    (course / "shallow.yaml").write_text("assignments:\n  all:\n    due: 2026-03-01T23:59:00Z\n")
    write_notebook(course / "solutions" / "all" / "all.ipynb")  # the instructor's solution
    target = base / "out" / "autograder.zip"
    out = CliRunner().invoke(main, ["gradescope", "build", "--course", str(course),
                                    "--assignment", "all", "--hidden-visibility", "hidden",
                                    "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert "grades all; hidden cases hidden" in out.output
    return course, target


def unpack(zip_path, dest):
    """Unzip as Gradescope does: the entries' Unix modes kept."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = archive.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)


def gradescope_root(tmp_path, zip_path, files, metadata):
    root = tmp_path / "autograder"
    unpack(zip_path, root / "source")
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    for name, content in files.items():
        path = root / "submission" / name
        if content is None:
            write_notebook(path)
        elif isinstance(content, Source):
            write_notebook(path, content.text)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def run_autograder(root):
    """The real run_autograder of the zip, with this interpreter and the zip's own grader."""
    env = dict(os.environ, AUTOGRADER_ROOT=str(root),
               PYTHONPATH=str(root / "source" / "shallow"))
    done = subprocess.run([sys.executable, str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]
    return json.loads((root / "results" / "results.json").read_text()), done.stdout


METADATA = {"id": 123456, "created_at": "2026-03-01T14:22:32.365935-07:00",
            "assignment": {"title": "Every exercise", "total_points": str(FULL)},
            "users": [{"email": "ann@example.org", "id": 1234, "name": "Ann Lee", "sid": "a123"}],
            "previous_submissions": []}


def test_the_zip_holds_what_gradescope_runs_and_the_course_files_only(built):
    course, target = built
    with zipfile.ZipFile(target) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = set(infos)
        config = json.loads(archive.read("gradescope.json"))
        secret = archive.read("course/.shallow/secret").strip()
        setup = archive.read("setup.sh").decode()
    for executable in ("setup.sh", "run_autograder"):
        assert (infos[executable].external_attr >> 16) & 0o777 == 0o755
    assert (infos["course/.shallow/secret"].external_attr >> 16) & 0o777 == 0o600
    assert {"shallow/pyproject.toml", "shallow/README.md",
            "shallow/autograder/integrations/gradescope.py", "shallow/shallow_ref/network.py",
            "shallow/quizzes/banks/shallow_networks.yaml",
            "shallow/autograder/reports/templates/report.html",
            "course/shallow.yaml", "course/solutions/all/exercises.py"} <= names
    assert not any(n.endswith((".ipynb", ".pyc")) or "__pycache__" in n for n in names)
    assert not any(n.startswith(("shallow/tests", "course/submitted")) for n in names)
    assert secret == load_secret(course, create=False)  # the same hidden cases as shallow grade
    assert config == {"assignment": "all", "hidden_visibility": "hidden",
                      "grader_version": config["grader_version"]}
    assert set(CLI_CHOICES) == set(gradescope.HIDDEN_VISIBILITIES)
    # the same course always gives the same zip (fixed entry times, sorted walk)
    again = target.with_name("again.zip")
    gradescope.build_autograder(course, again, assignment="all", hidden_visibility="hidden")
    assert again.read_bytes() == target.read_bytes()
    assert "apt-get install" in setup and "bubblewrap" in setup


def test_setup_sh_is_valid_bash_that_installs_the_shipped_project(built, tmp_path):
    _, target = built
    unpack(target, tmp_path)
    setup = tmp_path / "setup.sh"
    checked = subprocess.run(["bash", "-n", str(setup)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    lines = [line.strip() for line in setup.read_text().splitlines()]
    assert lines[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in lines
    assert any(line.startswith("apt-get install") and "bubblewrap" in line and "python3-venv"
               in line for line in lines)
    assert f"python3 -m venv {gradescope.VENV}" in lines
    assert f"{gradescope.VENV}/bin/python -m pip install /autograder/source/shallow" in lines
    assert "chmod -R go-rwx /autograder/source" in lines
    assert (tmp_path / "run_autograder").read_text().startswith(f"#!{gradescope.VENV}/bin/python3")
    # what pip installs: a project with its metadata and every package it declares
    pyproject = (tmp_path / "shallow" / "pyproject.toml").read_text()
    for package in gradescope.PACKAGES:
        assert f'"{package}*"' in pyproject and (tmp_path / "shallow" / package).is_dir()


def test_a_correct_notebook_among_other_files_gets_one_result_with_full_marks(built, tmp_path):
    _, target = built
    root = gradescope_root(tmp_path, target, {
        "work/all.ipynb": None, "notes.txt": "my notes", "scratch.ipynb": None,
        "helpers.py": "x = 1\n"}, METADATA)
    data, log = run_autograder(root)
    assert f"from {root / 'source' / 'shallow' / 'autograder'}" in log  # the zip's own grader
    assert data["score"] == FULL == data["max_score"]
    assert isinstance(data["execution_time"], float) and data["execution_time"] > 0
    assert data["output_format"] == "text" and data["stdout_visibility"] == "hidden"
    assert data["visibility"] == "visible"
    assert data["output"].splitlines()[0] == f"Graded work/all.ipynb as all: {FULL:g} of " \
                                              f"{FULL:g} points."
    assert "Not graded (only work/all.ipynb is): helpers.py, notes.txt, scratch.ipynb." \
        in data["output"]
    assert data["extra_data"]["ignored"] == ["helpers.py", "notes.txt", "scratch.ipynb"]
    assert data["extra_data"]["student"] == "a123"  # the first user's sid
    assert data["extra_data"]["submitted_at"] == "2026-03-01T21:22:32Z"  # created_at, in UTC
    assert data["extra_data"]["seed_source"] == "course-secret"
    hidden = [t for t in data["tests"] if ": case " in t["name"] and "(visible)" not in t["name"]]
    assert hidden and {t["visibility"] for t in hidden} == {"hidden"}  # --hidden-visibility
    assert all(t["visibility"] == "visible" for t in data["tests"] if "(visible)" in t["name"])
    assert all({"name", "score", "max_score", "status", "output"} <= set(t)
               for t in data["tests"])


def test_the_same_cases_and_points_as_shallow_grade_for_that_student(built, tmp_path):
    course, target = built
    root = gradescope_root(tmp_path, target, {"all.ipynb": WRONG_COST},
                           {**METADATA, "users": [{"email": "bo@example.org", "id": 7}]})
    data, _ = run_autograder(root)
    assert data["extra_data"]["student"] == "bo@example.org"  # no sid: the email
    local = CliRunner().invoke(main, [
        "grade", str(root / "submission" / "all.ipynb"), "--student", "bo@example.org",
        "--assignment", "all", "--course", str(course), "--format", "json", "--no-gradebook"])
    assert local.exit_code == 0, local.output
    expected = json.loads(local.stdout)
    assert data["score"] == expected["score"] < FULL
    assert [(t["name"], t["score"], t["status"], t["output"]) for t in data["tests"]] == \
        [(t["name"], t["score"], t["status"], t["output"]) for t in expected["tests"]]
    assert any(t["status"] == "failed" and t["tags"] == ["compute_cost"] for t in data["tests"])


@pytest.mark.parametrize("files, words", [
    ({}, "Your submission is empty: hand in your all.ipynb."),
    ({"README.txt": "hello", "answers.pdf": "%PDF"},
     "No notebook found in your submission (it has README.txt, answers.pdf): hand in your "
     "all.ipynb."),
    ({"a.ipynb": None, "b.ipynb": None},
     "Your submission has 2 notebooks and none is named all.ipynb: a.ipynb, b.ipynb. Hand in "
     "only your all.ipynb."),
])
def test_no_gradable_notebook_still_gives_one_result_that_says_why(built, tmp_path, files,
                                                                   words):
    _, target = built
    data, log = run_autograder(gradescope_root(tmp_path, target, files, METADATA))
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"] == words and words in log
    assert data["extra_data"]["status"] == "no notebook"


def test_one_notebook_with_another_name_is_graded_and_a_broken_file_scores_zero(built,
                                                                               tmp_path):
    _, target = built
    root = gradescope_root(tmp_path, target, {"homework.ipynb": "{not json", "data.csv": "1,2"},
                           None)  # no submission_metadata.json at all
    data, _ = run_autograder(root)
    assert data["score"] == 0 and data["max_score"] == FULL
    assert data["extra_data"]["student"] == "student" and data["extra_data"]["submitted_at"] == ""
    assert data["extra_data"]["status"] == "unreadable"
    lines = data["output"].splitlines()
    assert lines[0] == f"Graded homework.ipynb as all: 0 of {FULL:g} points."
    assert lines[1] == "Not graded (only homework.ipynb is): data.csv."
    assert lines[2].startswith("homework.ipynb: not valid JSON (line 1")  # as handed in
    assert "Traceback" not in data["output"]


def test_a_broken_autograder_still_writes_one_result_without_a_traceback(built, tmp_path):
    _, target = built
    root = gradescope_root(tmp_path, target, {"all.ipynb": None}, METADATA)
    (root / "source" / "course" / ".shallow" / "secret").unlink()
    data, log = run_autograder(root)
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith("The autograder could not grade this submission")
    assert "the grader failed: SecretError" in log and "Traceback" not in log


def test_build_errors_are_one_line(tmp_path, built):
    course, _ = built
    runner = CliRunner()
    out = runner.invoke(main, ["gradescope", "build", "--course", str(course), "--assignment",
                               "nosuch", "-o", str(tmp_path / "a.zip")])
    assert out.exit_code == 1
    assert out.output.strip().startswith("Error: --assignment 'nosuch' is not an assignment")
    assert len(out.output.strip().splitlines()) == 1
    out = runner.invoke(main, ["gradescope", "build", "--course", str(course), "-o",
                               str(tmp_path)])
    assert out.exit_code != 0 and "Traceback" not in out.output
    assert not list(tmp_path.glob("*.partial"))


def test_the_readme_way_from_an_empty_course_folder(tmp_path):
    """The README's Gradescope way: an empty course folder, `shallow gradescope build` for the
    lecture's assignment, and a student handing in the solution notebook."""
    course = tmp_path / "course"
    course.mkdir()
    target = tmp_path / "autograder.zip"
    out = CliRunner().invoke(main, ["gradescope", "build", "--course", str(course),
                                    "--assignment", "planar_classifier", "-o", str(target)])
    assert out.exit_code == 0, out.output
    solution = Path(__file__).resolve().parents[2] / "solutions" / "planar_classifier" / \
        "planar_classifier.ipynb"
    root = gradescope_root(tmp_path, target, {"planar_classifier.ipynb": solution.read_text()},
                           METADATA)
    data, _ = run_autograder(root)
    assert data["score"] == data["max_score"] == 91
    hidden = [t for t in data["tests"] if ": case " in t["name"] and "(visible)" not in t["name"]]
    assert {t["visibility"] for t in hidden} == {"after_due_date"}  # the default


def test_a_grader_that_cannot_even_start_still_writes_one_result(built, tmp_path):
    _, target = built
    root = gradescope_root(tmp_path, target, {"all.ipynb": None}, METADATA)
    (root / "source" / "shallow" / "autograder" / "integrations" / "gradescope.py").unlink()
    done = subprocess.run([sys.executable, "-I", "-S", str(root / "source" / "run_autograder")],
                          env=dict(os.environ, AUTOGRADER_ROOT=str(root)), capture_output=True,
                          text=True, timeout=120)  # -I -S: no installed grader to fall back on
    assert done.returncode == 0, done.stderr
    assert "the grader cannot start: ModuleNotFoundError" in done.stdout
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == [] and "could not start" in data["output"]
