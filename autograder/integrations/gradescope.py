"""The Gradescope autograder: the zip Gradescope runs, and what its run_autograder does.

Gradescope's "Autograder Specifications": the zip has ``setup.sh`` (run once, as root, when
Gradescope builds the autograder's Ubuntu image) and ``run_autograder`` (run for each
submission, in ``/autograder``) at its root. Gradescope unpacks the zip into
``/autograder/source``, puts the student's files in ``/autograder/submission`` and what it knows
of the submission in ``/autograder/submission_metadata.json`` (``created_at``, ``users``...),
and reads exactly one ``/autograder/results/results.json``.

``build_autograder`` writes the zip (the instructor's: it holds the course secret; students
never see it):

- ``setup.sh``: installs Python, Debian's ``bubblewrap`` (the sandbox's strongest layer) and
  this project (the copy in the zip) into ``/autograder/venv``;
- ``run_autograder``: a launcher that calls ``run_autograder()`` below;
- ``shallow/``: the project's source (``pyproject.toml``, ``autograder``, ``shallow_ref``,
  ``quizzes``);
- ``course/``: the course files the grader needs and nothing else: ``shallow.yaml``,
  ``solutions/*/exercises.py`` and the course secret ``.shallow/secret`` (so each student gets
  the same hidden cases as ``shallow grade`` gives them); never a solution notebook;
- ``gradescope.json``: the assignment (or none: recognised from the notebook) and the
  Gradescope visibility of hidden cases.

``run_autograder(root)`` finds the notebook in ``submission/`` (the assignment's notebook name
wins, else the only notebook; every other file is listed and ignored), takes the student from
the first user of ``submission_metadata.json`` (their ``sid``, else their email) and the
submission time from ``created_at``, grades it with the course's rubric and writes exactly one
``results/results.json`` (Gradescope's format, ``SubmissionResult.to_gradescope``), whatever
happens: no notebook, several, a broken file, or a failure of the grader itself each give a
result with a clear ``output``. ``AUTOGRADER_ROOT`` stands in for ``/autograder`` (tests).
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..safety import one_line, storable

HIDDEN_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_HIDDEN_VISIBILITY = "after_due_date"
PACKAGES = ("autograder", "shallow_ref", "quizzes")
PROJECT_FILES = ("pyproject.toml", "README.md")  # README.md: pyproject's readme, pip needs it
CONFIG_NAME = "gradescope.json"
VENV = "/autograder/venv"
SUFFIXES = (".ipynb", ".py")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every entry's time: the same course gives the same zip

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or
# newer): Python, bubblewrap (the grader's strongest sandbox layer) and the grader, installed
# from the copy in this zip into {VENV}. Written by `shallow gradescope build`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup.sh: the grader needs Python 3.10 or newer: choose an Ubuntu 22.04 (or newer)" \\
         "base image in the autograder settings" >&2
    exit 1
fi
python3 -m venv {VENV}
{VENV}/bin/python -m pip install --upgrade pip
{VENV}/bin/python -m pip install /autograder/source/shallow
{VENV}/bin/python -m compileall -q {VENV}/lib
# The course files and the secret are the grader's: only root reads them (student code runs
# as another user, in a sandbox that does not see them).
chmod -R go-rwx /autograder/source
"""

RUN_AUTOGRADER = f'''#!{VENV}/bin/python3
"""Gradescope runs this for each submission: grade the notebook, write results/results.json.

Written by `shallow gradescope build`. AUTOGRADER_ROOT stands in for /autograder (tests).
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))

try:
    try:
        from autograder.integrations.gradescope import run_autograder
    except ImportError:  # not installed by setup.sh: the copy shipped in the zip
        sys.path.insert(0, str(ROOT / "source" / "shallow"))
        from autograder.integrations.gradescope import run_autograder
except Exception as exc:  # whatever happens, Gradescope reads one results.json
    print(f"run_autograder: the grader cannot start: {{type(exc).__name__}}: {{exc}}")
    (ROOT / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "results" / "results.json").write_text(json.dumps({{
        "score": 0.0, "execution_time": 0, "output_format": "text",
        "output": "The autograder could not start, so nothing was graded; your instructor "
                  "can see why in the autograder's log.",
        "visibility": "visible", "stdout_visibility": "hidden", "tests": []}}))
    sys.exit(0)

sys.exit(run_autograder(ROOT))
'''


class GradescopeError(Exception):
    """The autograder zip cannot be built (one line naming the file and the problem)."""


@dataclass
class Built:
    path: Path
    assignment: str | None
    hidden_visibility: str
    files: list = field(default_factory=list)  # the zip's entries


# -- building ----------------------------------------------------------------------------------


def project_root() -> Path:
    """The checkout this grader runs from (the folder with pyproject.toml and its packages)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise GradescopeError(f"{root}: no pyproject.toml next to the grader's packages: build "
                              f"the autograder from a checkout of the project")
    return root


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _package_files(root: Path, package: str):
    base = root / package
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith(".")
                         and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or name.endswith((".pyc", ".pyo")) or not _regular(path):
                continue
            yield path, path.relative_to(root).as_posix()


def course_entries(course_root: Path) -> list[tuple[Path, str]]:
    """(file, name in the zip) of what the grader needs from the course folder."""
    entries = []
    settings = course_root / "shallow.yaml"
    if _regular(settings):
        entries.append((settings, "course/shallow.yaml"))
    solutions = course_root / "solutions"
    if solutions.is_dir():
        for path in sorted(solutions.glob("*/exercises.py")):
            if _regular(path) and not path.parent.is_symlink():
                entries.append((path, f"course/solutions/{path.parent.name}/exercises.py"))
    return entries


def _add(archive, name, data: bytes, mode=0o644):
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.create_system = 3  # Unix: the modes below are kept by unzip
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_autograder(course_root, output, *, assignment=None,
                     hidden_visibility=DEFAULT_HIDDEN_VISIBILITY) -> Built:
    """Write the Gradescope autograder zip of the course at ``course_root`` to ``output``."""
    from ..course import CourseError, default_course
    from ..seeds import SecretError, load_secret

    if hidden_visibility not in HIDDEN_VISIBILITIES:
        raise GradescopeError(f"--hidden-visibility {hidden_visibility!r}: choose one of "
                              f"{', '.join(HIDDEN_VISIBILITIES)}")
    root = Path(course_root)
    try:
        course = default_course(str(root))
    except CourseError as exc:
        raise GradescopeError(str(exc)) from None
    if assignment is not None and assignment not in course.assignments:
        raise GradescopeError(f"--assignment {assignment!r} is not an assignment of the course "
                              f"in {root} ({', '.join(sorted(course.assignments))})")
    try:
        secret = load_secret(root)
    except SecretError as exc:
        raise GradescopeError(str(exc)) from None
    project = project_root()
    from .. import __version__

    config = {"assignment": assignment, "hidden_visibility": hidden_visibility,
              "grader_version": __version__}
    target = Path(output)
    if target.is_dir():
        raise GradescopeError(f"{target}: is a folder; give the zip's file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    names = []
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            def put(name, data, mode=0o644):
                _add(archive, name, data, mode)
                names.append(name)

            put("setup.sh", SETUP_SH.encode(), 0o755)
            put("run_autograder", RUN_AUTOGRADER.encode(), 0o755)
            put(CONFIG_NAME, (json.dumps(config, indent=1) + "\n").encode())
            for name in PROJECT_FILES:
                path = project / name
                if not _regular(path):
                    raise GradescopeError(f"{path}: missing (the project cannot be installed "
                                          f"without it)")
                put(f"shallow/{name}", path.read_bytes())
            for package in PACKAGES:
                for path, name in _package_files(project, package):
                    put(f"shallow/{name}", path.read_bytes())
            for path, name in course_entries(root):
                put(name, path.read_bytes())
            put("course/.shallow/secret", secret + b"\n", 0o600)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise GradescopeError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Built(target, assignment, hidden_visibility, names)


# -- grading one submission --------------------------------------------------------------------


@dataclass
class Found:
    """What is in the submission folder: the file to grade (or why none) and the others."""

    path: Path | None = None
    relative: str = ""
    assignment: str | None = None  # the assignment its name says, when it says one
    ignored: list = field(default_factory=list)  # every other file, relative to the folder
    problem: str = ""  # for the student, when nothing is graded


def _submitted_files(folder: Path) -> list[str]:
    """Every regular file under ``folder`` (relative, sorted); hidden ones and links skipped."""
    files = []
    if not folder.is_dir():
        return files
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX"
                         and not os.path.islink(os.path.join(here, d)))
        for name in sorted(names):
            path = Path(here) / name
            if not name.startswith(".") and _regular(path):
                files.append(path.relative_to(folder).as_posix())
    return sorted(files, key=lambda f: (f.count("/"), f))


def find_notebook(folder, course, assignment=None) -> Found:
    """The file of ``folder`` to grade (see the module docstring)."""
    folder = Path(folder)
    files = _submitted_files(folder)
    if assignment is not None:
        wanted = {course.assignment(assignment).notebook_name: assignment}
    else:
        wanted = {record.notebook_name: name for name, record in course.assignments.items()}
    expected = " or ".join(sorted(wanted))
    candidates = [f for f in files if f.endswith(SUFFIXES)]
    named = [f for f in candidates if f.rpartition("/")[2] in wanted]
    found = Found()
    if named:
        chosen = named[0]
        found.assignment = wanted[chosen.rpartition("/")[2]]
    else:
        notebooks = [f for f in candidates if f.endswith(".ipynb")] or candidates
        if len(notebooks) == 1:
            chosen = notebooks[0]
            found.assignment = assignment
        else:
            found.ignored = files
            if notebooks:
                found.problem = (f"Your submission has {len(notebooks)} notebooks and none is "
                                 f"named {expected}: {_listing(notebooks)}. Hand in only your "
                                 f"{expected}.")
            elif files:
                found.problem = (f"No notebook found in your submission (it has "
                                 f"{_listing(files)}): hand in your {expected}.")
            else:
                found.problem = f"Your submission is empty: hand in your {expected}."
            return found
    found.path, found.relative = folder / chosen, chosen
    found.ignored = [f for f in files if f != chosen]
    return found


def _listing(names, limit=10):
    shown = ", ".join(storable(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def submitter(metadata) -> str:
    """The student of ``submission_metadata.json``: the first user's sid, else their email."""
    users = metadata.get("users") if isinstance(metadata, dict) else None
    first = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    for key in ("sid", "email", "id"):
        value = first.get(key)
        if value is not None and str(value).strip():
            return storable(str(value)).strip()
    return "student"


def submitted_at(metadata) -> str:
    """``created_at`` as ISO 8601 UTC, or "" when it is missing or unreadable."""
    from ..policy import PolicyError, iso_utc, parse_time

    value = metadata.get("created_at") if isinstance(metadata, dict) else None
    if not value:
        return ""
    try:
        return iso_utc(parse_time(str(value), "created_at"))
    except (PolicyError, ValueError, OverflowError):
        return ""


def _read_json(path: Path):
    from ..safety import UnsafeFileError, read_regular_file

    try:
        return json.loads(read_regular_file(path, 10 << 20).decode("utf-8"))
    except (UnsafeFileError, UnicodeDecodeError, ValueError):
        return None


def _settings(source: Path) -> dict:
    config = _read_json(source / CONFIG_NAME)
    if not isinstance(config, dict):
        raise GradescopeError(f"{source / CONFIG_NAME}: missing or not JSON (build the zip "
                              f"with `shallow gradescope build`)")
    visibility = config.get("hidden_visibility")
    config["hidden_visibility"] = visibility if visibility in HIDDEN_VISIBILITIES else "hidden"
    return config


def _plain_result(output, **extra) -> dict:
    return {"score": 0.0, "execution_time": 0.0, "output": output, "output_format": "text",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": [],
            "extra_data": extra}


def grade_here(root: Path) -> tuple[dict, str]:
    """(results.json's object, a line for the log) for the submission under ``root``."""
    from ..course import default_course
    from ..grade import Options, Submission, grade_submission
    from ..seeds import load_secret

    source = root / "source"
    config = _settings(source)
    course_dir = source / "course"
    course = default_course(str(course_dir))
    assignment = config.get("assignment") or None
    metadata = _read_json(root / "submission_metadata.json") or {}
    student, when = submitter(metadata), submitted_at(metadata)
    found = find_notebook(root / "submission", course, assignment)
    if found.path is None:
        return _plain_result(found.problem, student=student, assignment=assignment,
                             status="no notebook", ignored=found.ignored), \
            f"{student}: nothing graded: {found.problem}"
    secret = load_secret(course_dir, create=False)
    submission = Submission(found.relative, student, found.assignment or assignment, when,
                            "submission_metadata.json" if when else "", tuple(found.ignored))
    here = os.getcwd()
    os.chdir(root / "submission")  # messages name the student's file as they handed it in
    try:
        result = grade_submission(submission, Options(secret=secret, course_root=str(course_dir)))
    finally:
        os.chdir(here)
    data = result.to_gradescope(hidden_visibility=config["hidden_visibility"])
    lines = [f"Graded {storable(found.relative)} as {result.assignment}: "
             f"{data['score']:g} of {data['max_score']:g} points."]
    if found.ignored:
        lines.append(f"Not graded (only {storable(found.relative)} is): "
                     f"{_listing(found.ignored, 20)}.")
    if data["output"]:
        lines.append(data["output"])
    data["output"] = "\n".join(lines)
    data["extra_data"]["ignored"] = list(found.ignored)
    data["extra_data"]["seed_source"] = result.seed_source
    layers = ", ".join(result.layers) or "none"
    return data, (f"{student}: {found.relative} graded as {result.assignment}: "
                  f"{data['score']:g}/{data['max_score']:g}; isolation layers: {layers}")


def write_results(root: Path, data: dict) -> Path:
    """results/results.json, written atomically (Gradescope reads exactly this one file)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "results.json"
    partial = folder / "results.json.partial"
    partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(partial, target)
    return target


def run_autograder(root) -> int:
    """Grade the submission under ``root`` (Gradescope's /autograder); always write exactly
    one results.json; return the exit status (0: Gradescope reads the results)."""
    import autograder

    start = time.perf_counter()
    root = Path(root).absolute()
    print(f"shallow-grader {autograder.__version__} from {Path(autograder.__file__).parent}")
    try:
        data, line = grade_here(root)
    except Exception as exc:  # the grader's own failure: still one results.json
        line = f"the grader failed: {type(exc).__name__}: {one_line(exc, 300)}"
        data = _plain_result("The autograder could not grade this submission (a problem of "
                             "the autograder, not of your notebook); your instructor can see "
                             "why in the autograder's log.", status="failed")
    data["execution_time"] = round(time.perf_counter() - start, 3)
    target = write_results(root, data)
    print(line)
    print(f"wrote {target}")
    return 0
