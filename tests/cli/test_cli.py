"""The command line: version, train, start-up without heavy imports, one-line errors."""

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from autograder import __version__
from autograder.cli import main

BIN = Path(sys.executable).parent


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_train_prints_an_accuracy_table():
    result = CliRunner().invoke(main, ["train", "--hidden-sizes", "1,4", "--iterations", "3000"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "%" in line]
    assert [int(row.split("|")[0]) for row in rows] == [1, 4]
    accuracies = [float(row.split("|")[1].strip(" %")) for row in rows]
    assert accuracies[0] < 70 < 88 < accuracies[1]


def test_bad_hidden_sizes_is_a_one_line_error():
    result = CliRunner().invoke(main, ["train", "--hidden-sizes", "4,x"])
    assert result.exit_code == 2
    assert "expected comma-separated integers" in result.output
    assert "Traceback" not in result.output


def test_console_script_starts_without_heavy_imports():
    code = ("import sys, autograder.cli; "
            "print(sorted(m for m in ('numpy', 'nbformat', 'nbgrader', 'matplotlib', 'yaml', "
            "'jinja2', 'autograder.course', 'autograder.isolation.sandbox') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    shallow = BIN / "shallow"
    if shallow.exists():  # installed by `make`: the real console script
        out = subprocess.run([str(shallow), "--version"], capture_output=True, text=True,
                             env={**os.environ}, check=True)
        assert __version__ in out.stdout


def test_grading_imports_no_notebook_or_report_library():
    """`shallow grade` reads notebooks as JSON: it never needs nbformat, nbgrader or matplotlib."""
    code = ("import sys; sys.argv = ['shallow', 'grade', '--help']\n"
            "from autograder.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "from autograder import grade, batch, submissions\n"
            "print(sorted(m for m in ('nbformat', 'nbgrader', 'matplotlib', 'jinja2') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_grade_starts_its_zygote_before_the_grader_and_numpy_load():
    """`shallow grade one.ipynb` starts the zygote first (it imports numpy on the other CPU):
    at that moment only the sandbox's own modules are loaded, not the grader or numpy."""
    code = ("import sys\n"
            "from autograder.isolation import sandbox\n"
            "def warm(self):\n"
            "    print(sorted(m for m in ('numpy', 'click', 'autograder.grade', "
            "'autograder.course', 'autograder.cli') if m in sys.modules))\n"
            "    raise SystemExit(0)\n"
            "sandbox.Sandbox.warm = warm\n"
            "sys.argv = ['shallow', 'grade', 'one.ipynb']\n"
            "from autograder.entry import main\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
