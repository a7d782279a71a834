"""Loading an instructor's own exercises and assignments from the course folder.

Next to an assignment's solution notebook, ``solutions/<assignment>/exercises.py`` may define
records with the same classes the built-in course uses::

    from autograder.course import Assignment, CaseSpec, Exercise

    def double(x):                      # the reference: the right answer
        return 2 * x

    def build(rng):                     # the cases: the first one is visible
        return [CaseSpec((rng.normal(size=(2, 3)),)) for _ in range(3)]

    EXERCISES = [Exercise("double", "doubling", 4, double, ("x",), build)]
    ASSIGNMENT = Assignment("week0", ("double",), notebook="week0.ipynb")

``EXERCISES`` (a list of ``Exercise``) adds or replaces exercises by name; ``ASSIGNMENT`` (an
``Assignment``, optional) adds the assignment; its exercises may be built-in ones too. The file
is the instructor's trusted code: it runs in the grader, never in the sandbox, and never in a
student's view. A file that fails to load stops the command with one line naming it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

COURSE_FILE = "exercises.py"


def load_course_files(course, root: Path) -> list[Path]:
    """Add every ``solutions/*/exercises.py`` under ``root`` to ``course``; return the files."""
    from . import CourseError

    folder = root / "solutions"
    loaded = []
    if not folder.is_dir():
        return loaded
    for path in sorted(folder.glob(f"*/{COURSE_FILE}")):
        if path.is_symlink() or not path.is_file():
            raise CourseError(f"{path}: not a regular file")
        module = _import(path)
        exercises = getattr(module, "EXERCISES", [])
        if not isinstance(exercises, (list, tuple)):
            raise CourseError(f"{path}: EXERCISES must be a list of Exercise records")
        try:
            for exercise in exercises:
                course.add_exercise(exercise)
            assignment = getattr(module, "ASSIGNMENT", None)
            if assignment is not None:
                course.add_assignment(assignment)
        except CourseError as exc:
            raise CourseError(f"{path}: {exc}") from None
        loaded.append(path)
    return loaded


def _import(path: Path):
    from . import CourseError

    name = f"shallow_course_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CourseError(f"{path}: cannot be loaded as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the instructor's file: one line, not a traceback
        sys.modules.pop(name, None)
        where = ""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        raise CourseError(f"{path}: could not be loaded{where}: {text}") from None
    return module
