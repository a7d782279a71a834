"""A newcomer's exercise: one record in a course folder's ``exercises.py`` (softplus, with one
catalogued mistake), and nothing else, is graded in the sandbox, reported, exported and
explained like the lecture's own."""

import csv
import textwrap

from click.testing import CliRunner

from autograder.cli import main
from notebooks import write_notebook

COURSE_FILE = '''
import numpy as np

from autograder.course import Assignment, CaseSpec, Exercise, Mutation


def softplus(Z):
    """log(1 + e^Z) element by element (Z: any shape)."""
    return np.log1p(np.exp(Z))


def build(rng):
    return [CaseSpec((rng.normal(size=(3, 4)),)) for _ in range(4)]


def mutant(case, flags):
    return np.log(np.exp(case.args[0])) if flags == {"softplus_without_one"} else None


EXERCISES = [Exercise(
    "softplus", "the softplus activation", 6, softplus, ("Z",), build,
    mutations=(Mutation("softplus_without_one", "log(e^Z) without the 1",
                        "softplus is log(1 + e^Z): np.log1p(np.exp(Z))"),),
    mutant=mutant)]
ASSIGNMENT = Assignment("week0", ("softplus",), notebook="week0.ipynb", title="Week 0")
'''

STUDENTS = {
    "ada": "import numpy as np\n\ndef softplus(Z):\n    return np.log(1 + np.exp(Z))\n",
    "ben": "import numpy as np\n\ndef softplus(Z):\n    return np.log(np.exp(Z))\n",
    "cat": "import numpy as np\n\ndef smooth_relu(Z):\n    return np.log1p(np.exp(Z))\n",
}


def _course(tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / "week0").mkdir(parents=True)
    (root / "solutions" / "week0" / "exercises.py").write_text(textwrap.dedent(COURSE_FILE))
    (root / "shallow.yaml").write_text("assignments:\n  week0:\n    due: 2099-03-01T23:59:00Z\n")
    for student, source in STUDENTS.items():
        write_notebook(root / "submitted" / student / "week0" / "week0.ipynb", source)
    return root


def test_one_record_is_graded_reported_and_exported(tmp_path):
    root = _course(tmp_path)
    db = tmp_path / "grades.db"
    runner = CliRunner()
    graded = runner.invoke(main, ["grade", str(root), "--course", str(root), "--gradebook",
                                  str(db), "--seed", "3"])
    assert graded.exit_code == 0, graded.output
    summary = graded.output.splitlines()
    assert any(line.split()[:1] == ["ada"] and "6 / 6" in line for line in summary), summary
    assert any(line.split()[:1] == ["ben"] and "softplus_without_one" in line
               for line in summary), summary
    assert any(line.split()[:1] == ["cat"] and "defines none of week0's functions" in line
               for line in summary), summary

    ben = runner.invoke(main, ["grade", str(root / "submitted" / "ben" / "week0" / "week0.ipynb"),
                               "--course", str(root), "--no-gradebook", "--seed", "3"])
    assert ben.exit_code == 0 and "Traceback" not in ben.output, ben.output
    assert "Likely mistake: log(e^Z) without the 1" in ben.output
    assert "Hint: softplus is log(1 + e^Z): np.log1p(np.exp(Z))" in ben.output
    assert "review questions" not in ben.output  # the assignment asks none: nothing to say

    report = runner.invoke(main, ["report", "--gradebook", str(db), "--assignment", "week0",
                                  "--out", str(tmp_path / "reports"), "--course", str(root)])
    assert report.exit_code == 0, report.output
    page = (tmp_path / "reports" / "report-week0.html").read_text()
    assert "softplus" in page and "log(e^Z) without the 1" in page

    exported = runner.invoke(main, ["export", "--gradebook", str(db), "--assignment", "week0",
                                    "-o", str(tmp_path / "week0.csv"), "--course", str(root)])
    assert exported.exit_code == 0, exported.output
    with open(tmp_path / "week0.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"ada", "ben", "cat"}
    score = {student: (float(row["score"]), float(row["softplus"]), row["status"])
             for student, row in rows.items()}  # the new exercise has a column of its own
    assert score == {"ada": (6, 6, "graded"), "ben": (0, 0, "graded"), "cat": (0, 0, "empty")}


def test_settings_that_export_would_refuse_stop_grading_with_one_line(tmp_path):
    root = _course(tmp_path)
    (root / "shallow.yaml").write_text("course: week0\n")  # not a setting
    graded = CliRunner().invoke(main, ["grade", str(root), "--course", str(root),
                                       "--no-gradebook"])
    assert graded.exit_code != 0
    [line] = [line for line in graded.output.splitlines() if line != "grading"]  # the bar
    assert line == f"Error: {root / 'shallow.yaml'}: unknown setting(s) course"
