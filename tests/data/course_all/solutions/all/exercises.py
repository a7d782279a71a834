"""A course file of the tests: one assignment, "all", with every built-in exercise and every
review question of the lecture, so one notebook (tests/data/student_correct.py) exercises the
whole grader. It also proves that an assignment can come from a course folder."""

from autograder.course import Assignment
from autograder.course.builtin import ASSIGNMENTS

EXERCISES = []
ASSIGNMENT = Assignment(
    "all", tuple(name for a in ASSIGNMENTS for name in a.exercises),
    review=tuple(sorted(n for a in ASSIGNMENTS for n in a.review)), notebook="all.ipynb",
    versions=ASSIGNMENTS[0].versions, title="Every exercise of the lecture")
