"""One gradebook as far as nbgrader is concerned, against the real nbgrader: a course made with
`shallow release`, submissions in submitted/, `shallow grade`, then `nbgrader export`,
formgrader's own API and `nbgrader generate_feedback` see the same numbers; manual grades and
comments set through nbgrader's API as formgrader sets them come back into `shallow export`,
idempotently.

The tests of this module share one course and run in file order: first what grading wrote,
then the manual grades."""

import csv
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import default_course
from autograder.gradebook import Gradebook
from autograder.integrations import nbgrader_sync
from notebooks import ALL_COURSE, write_notebook

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NAME = "planar_classifier"
NOTEBOOK = f"{NAME}.ipynb"

pytestmark = pytest.mark.slow


def tool_env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run(*args, cwd):
    done = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def wrong_sign_of_the_cost(source: Path, target: Path):
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "compute_cost_solution":
            assert "cost = -np.sum(logprobs) / m" in cell.source
            cell.source = cell.source.replace("cost = -np.sum(logprobs) / m",
                                              "cost = np.sum(logprobs) / m")
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course made with `shallow release`, three submissions in submitted/ (alice:
    the solution, with nbgrader's timestamp.txt; bob: the cost's sign flipped; carol: the
    released notebook untouched), graded with `shallow grade`, exported with `nbgrader export`."""
    folder = tmp_path_factory.mktemp("nbgrader") / "course"
    (folder / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / NAME, folder / "solutions" / NAME)
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    run("shallow", "release", "--course", ".", NAME, cwd=folder)
    assert (folder / "gradebook.db").is_file()
    submitted = {s: folder / "submitted" / s / NAME for s in ("alice", "bob", "carol")}
    for path in submitted.values():
        path.mkdir(parents=True)
    shutil.copy(folder / "solutions" / NAME / NOTEBOOK, submitted["alice"] / NOTEBOOK)
    (submitted["alice"] / "timestamp.txt").write_text("2026-03-01 10:00:00.123456 UTC\n")
    wrong_sign_of_the_cost(folder / "solutions" / NAME / NOTEBOOK, submitted["bob"] / NOTEBOOK)
    shutil.copy(folder / "assignments" / NAME / NOTEBOOK, submitted["carol"] / NOTEBOOK)
    graded = run("shallow", "grade", ".", "--course", ".", "--gradebook", "shallow.db",
                 cwd=folder)
    run("nbgrader", "export", "--to=nbgrader.csv", "--log-level=WARN", cwd=folder)
    return folder, graded


def nbgrader_rows(folder, name="nbgrader.csv"):
    with open(folder / name, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def shallow_rows(folder, *args, name="shallow.csv", in_process=True):
    """`shallow export` (in this process, or as its own command) read back by student."""
    if in_process:
        out = CliRunner().invoke(main, ["export", "--course", str(folder), "--gradebook",
                                        str(folder / "shallow.db"), "-o", str(folder / name),
                                        *args])
        assert out.exit_code == 0, out.output
    else:
        run("shallow", "export", "--course", ".", "--gradebook", "shallow.db", "-o", name,
            *args, cwd=folder)
    with open(folder / name, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def nbgrader_gradebook(folder):
    from nbgrader.api import Gradebook as NbGradebook

    return NbGradebook(f"sqlite:///{folder / 'gradebook.db'}", "shallow-networks")


def formgrader_api(folder):
    """nbgrader's own API behind formgrader, on this course."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    config.CourseDirectory.db_url = f"sqlite:///{folder / 'gradebook.db'}"  # run from elsewhere
    return NbGraderAPI(CourseDirectory(config=config, root=str(folder)), config=config)


def latest(folder):
    with Gradebook(folder / "shallow.db") as book:
        return {r.student: r for r in book.latest_per_student(NAME)}


def formgrader_overrides(folder):
    with Gradebook(folder / "shallow.db") as book:
        return [o for o in book.overrides(assignment=NAME) if o.author == "formgrader"]


# -- what `shallow grade` wrote ----------------------------------------------------------------


def test_nbgrader_export_gives_the_same_scores_as_shallow(course):
    folder, graded = course
    assert f"3 submission(s) of {NAME} written to nbgrader's gradebook" in graded.stderr
    ours, theirs = shallow_rows(folder, in_process=False), nbgrader_rows(folder)
    assert set(ours) == set(theirs) == {"alice", "bob", "carol"}
    for student, row in theirs.items():
        assert float(row["raw_score"]) == float(ours[student]["raw_score"]), student
        assert float(row["score"]) == float(ours[student]["score"]), student
        assert float(row["max_score"]) == float(ours[student]["max_score"]) == 91
    assert float(theirs["alice"]["score"]) == 91 and float(theirs["carol"]["score"]) == 0
    assert float(theirs["bob"]["score"]) == 81  # compute_cost: 0 of 10


def test_every_grade_cell_holds_its_exercises_points(course):
    folder, _ = course
    results = latest(folder)
    cells, _ = nbgrader_sync.cell_items(default_course(str(folder)), NAME)
    with nbgrader_gradebook(folder) as nb:
        notebook = nb.find_notebook(NAME, NAME)
        assert {cell.name for cell in notebook.grade_cells} == set(cells)  # every one mapped
        for student, result in results.items():
            points = result.exercise_points()
            for cell, item in cells.items():
                grade = nb.find_grade(cell, NAME, NAME, student)
                assert Fraction(str(grade.auto_score)) == points[item][0], (student, cell)
                assert grade.manual_score is None and not grade.needs_manual_grade
        stamp = nb.find_submission(NAME, "alice").timestamp
        assert stamp.isoformat() == "2026-03-01T10:00:00.123456"  # nbgrader's timestamp.txt
    # bob's folder had no timestamp.txt: one is written, as `nbgrader collect` writes it
    written = (folder / "submitted" / "bob" / NAME / "timestamp.txt").read_text().strip()
    assert written.endswith(" UTC") and written[:19].replace(" ", "T") + "Z" == \
        results["bob"].submitted_at


def test_formgrader_sees_every_submission_graded_with_the_same_numbers(course):
    folder, _ = course
    api = formgrader_api(folder)
    assert api.get_autograded_students(NAME) == {"alice", "bob", "carol"}
    scores = {s["student"]: s["score"] for s in api.get_submissions(NAME)}
    assert scores == {"alice": 91.0, "bob": 81.0, "carol": 0.0}
    for student in ("alice", "bob", "carol"):
        copy = folder / "autograded" / student / NAME / NOTEBOOK
        nb = json.loads(copy.read_text())
        assert nb["metadata"]["shallow"]["autograded_from"] == latest(folder)[student].sha256
        assert all(not cell.get("outputs") for cell in nb["cells"])  # cleared, as nbgrader does
        assert (folder / "autograded" / student / NAME / "timestamp.txt").is_file()


def test_grading_outside_an_nbgrader_course_never_imports_nbgrader(tmp_path):
    write_notebook(tmp_path / "class" / "ann.ipynb")
    code = (
        "import sys\n"
        "from autograder.commands import grade_paths, export_grades\n"
        f"run = grade_paths([{str(tmp_path / 'class')!r}], assignment='all', seed=0,\n"
        f"                  course={str(ALL_COURSE)!r}, gradebook={str(tmp_path / 'g.db')!r})\n"
        f"export_grades({str(tmp_path / 'g.db')!r}, course={str(ALL_COURSE)!r},\n"
        f"              output={str(tmp_path / 'g.csv')!r})\n"
        "print(len(run.results), 'nbgrader' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]


def test_a_folder_is_an_nbgrader_course_only_once_nbgrader_generated_something(tmp_path):
    assert nbgrader_sync.find_course(tmp_path) is None
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n"
                                                 "c.CourseDirectory.db_url = 'sqlite:///g.db'\n")
    assert nbgrader_sync.find_course(tmp_path) is None  # nothing generated yet
    (tmp_path / "g.db").write_bytes(b"")
    found = nbgrader_sync.find_course(tmp_path)
    assert found.db_url == f"sqlite:///{(tmp_path / 'g.db').absolute()}"
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nraise RuntimeError('x')\n")
    with pytest.raises(nbgrader_sync.SyncError, match="nbgrader_config.py: cannot be read"):
        nbgrader_sync.find_course(tmp_path)


# -- formgrader's manual grades and comments, back in shallow ---------------------------------


@pytest.fixture(scope="module")
def graded_by_hand(course):
    """As formgrader does: a manual score and a comment on bob's compute_cost, a comment alone
    on alice's review question 5; then `shallow export`, twice."""
    folder, _ = course
    with nbgrader_gradebook(folder) as nb:
        grade = nb.find_grade("compute_cost_test", NAME, NAME, "bob")
        grade.manual_score = 7.5
        grade.needs_manual_grade = False
        comment = nb.find_comment("compute_cost_solution", NAME, NAME, "bob")
        comment.manual_comment = "Right idea, wrong sign:\nJ = -(1/m) * sum(...)"
        nb.find_comment("review_5_answer", NAME, NAME, "alice").manual_comment = "Well put."
        nb.db.commit()
    first = shallow_rows(folder, in_process=False)
    second = shallow_rows(folder, name="again.csv")
    return folder, first, second


def test_a_manual_score_and_its_comment_come_back_into_shallow_export(graded_by_hand):
    folder, rows, _ = graded_by_hand
    assert float(rows["bob"]["raw_score"]) == 88.5 and float(rows["bob"]["compute_cost"]) == 7.5
    assert float(rows["alice"]["raw_score"]) == 91 and float(rows["carol"]["raw_score"]) == 0
    by = {(o.student, o.exercise): o for o in formgrader_overrides(folder)}
    assert set(by) == {("bob", "compute_cost"), ("alice", "q_keepdims_shape")}
    bob = by[("bob", "compute_cost")]
    assert bob.points == Fraction(15, 2)
    assert bob.reason == ("formgrader: compute_cost_test graded by hand: 7.5 of 10; comment on "
                          "compute_cost_solution: Right idea, wrong sign: J = -(1/m) * sum(...)")
    alice = by[("alice", "q_keepdims_shape")]
    assert alice.points == 1 and alice.reason == "formgrader: comment on review_5_answer: " \
                                                 "Well put."
    notes = latest(folder)["bob"].notes
    assert any("compute_cost: set by hand to 15/2 (formgrader: compute_cost_test" in n
               for n in notes)


def test_the_same_manual_grade_is_never_imported_twice(graded_by_hand):
    folder, first, second = graded_by_hand
    assert len(formgrader_overrides(folder)) == 2
    assert first == second
    out = CliRunner().invoke(main, ["nbgrader", "pull", "--course", str(folder),
                                    "--gradebook", str(folder / "shallow.db")])
    assert out.exit_code == 0, out.output
    assert "0 manual grade(s) imported" in out.output
    assert len(formgrader_overrides(folder)) == 2


def test_nbgrader_and_shallow_still_agree_and_feedback_shows_the_manual_grade(graded_by_hand):
    folder, rows, _ = graded_by_hand
    run("nbgrader", "export", "--to=after.csv", "--log-level=WARN", cwd=folder)
    theirs = nbgrader_rows(folder, "after.csv")
    assert {s: float(r["score"]) for s, r in theirs.items()} == \
        {s: float(r["score"]) for s, r in rows.items()}
    run("nbgrader", "generate_feedback", NAME, "--log-level=WARN", cwd=folder)
    page = (folder / "feedback" / "bob" / NAME / f"{NAME}.html").read_text()
    assert "Score: 88.5 / 91.0" in page and "Right idea, wrong sign" in page
    page = (folder / "feedback" / "carol" / NAME / f"{NAME}.html").read_text()
    assert "Score: 0.0 / 91.0" in page


def test_regrading_keeps_formgraders_manual_grade(graded_by_hand):
    folder, _, _ = graded_by_hand
    run("shallow", "grade", f"submitted/bob/{NAME}", "--course", ".", "--gradebook",
        "shallow.db", cwd=folder)
    with nbgrader_gradebook(folder) as nb:
        grade = nb.find_grade("compute_cost_test", NAME, NAME, "bob")
        assert grade.manual_score == 7.5 and grade.auto_score == 0
        assert grade.needs_manual_grade  # as nbgrader autograde marks it
    assert float(shallow_rows(folder)["bob"]["raw_score"]) == 88.5
    assert len(formgrader_overrides(folder)) == 2


def test_a_changed_then_removed_manual_grade_each_come_back_once(graded_by_hand):
    folder, _, _ = graded_by_hand
    with nbgrader_gradebook(folder) as nb:
        nb.find_grade("compute_cost_test", NAME, NAME, "bob").manual_score = 9
        nb.db.commit()
    assert float(shallow_rows(folder)["bob"]["compute_cost"]) == 9
    with nbgrader_gradebook(folder) as nb:
        grade = nb.find_grade("compute_cost_test", NAME, NAME, "bob")
        grade.manual_score = None
        nb.find_comment("compute_cost_solution", NAME, NAME, "bob").manual_comment = None
        nb.db.commit()
    for _ in range(2):
        rows = shallow_rows(folder)
        assert float(rows["bob"]["compute_cost"]) == 0 and float(rows["bob"]["raw_score"]) == 81
    bob = [o for o in formgrader_overrides(folder) if o.student == "bob"]
    assert [float(o.points) for o in bob] == [7.5, 9, 0]
    assert bob[-1].reason == f"formgrader: compute_cost_test: {nbgrader_sync.REMOVED}"


def test_the_report_and_an_lms_export_import_manual_grades_too(graded_by_hand, tmp_path):
    folder, _, _ = graded_by_hand
    with nbgrader_gradebook(folder) as nb:
        grade = nb.find_grade("predict_test", NAME, NAME, "carol")
        grade.manual_score = 2
        grade.extra_credit = 1
        nb.db.commit()
    out = CliRunner().invoke(main, ["report", "--course", str(folder), "--gradebook",
                                    str(folder / "shallow.db"), "--assignment", NAME,
                                    "--out", str(tmp_path / "reports")])
    assert out.exit_code == 0, out.output
    carol = [o for o in formgrader_overrides(folder) if o.student == "carol"]
    assert [(o.exercise, o.points) for o in carol] == [("predict", 3)]
    assert carol[0].reason == "formgrader: predict_test graded by hand: 2 of 5 plus 1 extra " \
                              "credit"
    target = tmp_path / "canvas.csv"
    out = CliRunner().invoke(main, ["export", "--course", str(folder), "--gradebook",
                                    str(folder / "shallow.db"), "--format", "canvas", "-o",
                                    str(target)])
    assert out.exit_code == 0, out.output
    with open(target, newline="") as handle:
        rows = {row[3]: row for row in csv.reader(handle)}
    assert rows["carol"][5] == "3" and rows["alice"][5] == "91"
    assert len([o for o in formgrader_overrides(folder) if o.student == "carol"]) == 1


def test_push_and_pull_say_so_in_one_line_outside_an_nbgrader_course(tmp_path):
    for command in ("push", "pull"):
        out = CliRunner().invoke(main, ["nbgrader", command, "--course", str(tmp_path),
                                        "--gradebook", str(tmp_path / "g.db")])
        assert out.exit_code == 1, out.output
        assert out.output.startswith("Error: ") and "not an nbgrader course" in out.output
        assert len(out.output.strip().splitlines()) == 1


def test_an_assignment_nbgrader_never_generated_is_said_and_skipped(graded_by_hand):
    folder, _, _ = graded_by_hand
    target = folder / "submitted" / "dan" / "activations" / "activations.ipynb"
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "activations" / "activations.ipynb", target)
    out = CliRunner().invoke(main, ["grade", str(target.parent), "--course", str(folder),
                                    "--gradebook", str(folder / "shallow.db")])
    assert out.exit_code == 0, out.output
    assert "dan/activations not written (activations is not in nbgrader's gradebook: " \
           "generate it with `shallow release activations`)" in out.output
    with nbgrader_gradebook(folder) as nb:
        assert [s.id for s in nb.students if s.id == "dan"] == []


def test_push_writes_every_latest_attempt_again(graded_by_hand):
    folder, _, _ = graded_by_hand
    out = CliRunner().invoke(main, ["nbgrader", "push", "--course", str(folder), "--gradebook",
                                    str(folder / "shallow.db"), "--assignment", NAME])
    assert out.exit_code == 0, out.output
    assert f"3 submission(s) of {NAME} written to nbgrader's gradebook" in out.output
    assert formgrader_api(folder).get_autograded_students(NAME) == {"alice", "bob", "carol"}
