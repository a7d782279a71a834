"""Support for the report tests: a class graded for real (notebooks, sandboxed children, the
SQLite gradebook): nbgrader's submitted/ layout with its files (one a link to a secret, one a
FIFO), late and on-time submissions under a course late policy, an unreadable and an empty
notebook, a hostile student id, a manual grade, quiz attempts and a roster."""

import os
from types import SimpleNamespace

from autograder.batch import grade_many
from autograder.grade import Options, Submission
from autograder.gradebook import open_gradebook
from notebooks import CORRECT, replace_function, write_notebook

ASSIGNMENT = "planar_classifier"
EVIL = "<script>alert('x')</script>\x1b[31m\u202e"
DUE = "2026-03-01T23:59:00Z"

KEEPDIMS = """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""
ZEROS = """
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)),
            "W2": np.zeros((n_y, n_h)), "b2": np.zeros((n_y, 1))}
"""
RAISES = """
def predict(parameters, X):
    raise ValueError("<img src=x onerror=alert(1)> \\"quoted\\" & 'single'")
"""

BOB = replace_function(CORRECT, "backward_propagation", KEEPDIMS).replace(
    "q_keepdims_shape = (4, 1)", "q_keepdims_shape = (4,)")
CAROL = replace_function(CORRECT, "initialize_parameters", ZEROS).replace(
    'q_zero_init = "d"', 'q_zero_init = "a"')
HOSTILE = replace_function(CORRECT, "predict", RAISES).replace(
    'q_zero_init = "d"', 'q_zero_init = "<script>alert(3)</script>"')
# student -> (notebook source or raw bytes, submitted at)
CLASS = {
    "alice": (CORRECT, "2026-03-01T10:00:00Z"),
    "bob": (BOB, "2026-03-03T08:00:00Z"),  # late: 2 started days
    "carol": (CAROL, "2026-03-01T20:00:00Z"),
    "dave": (b"{not json", "2026-03-01T21:00:00Z"),  # unreadable
    "erin": ("x = 1\n", "2026-03-01T22:00:00Z"),  # empty: none of the functions
    EVIL: (HOSTILE, ""),  # a flat file, no submission time
}
ROSTER = "id,first_name,last_name\nalice,Alice,A\nbob,Bob,B\ncarol,Carol,C\ndave,Dave,D\n" \
         "erin,Erin,E\nfrank,Frank,F\ngrace,Grace,G\n"
POLICY = f"""assignments:
  {ASSIGNMENT}:
    due: {DUE}
late:
  penalty: 10%
  per: day
"""


def _answer(question_id, answer, correct, points=1.0):
    return {"question_id": question_id, "answer": answer, "correct": correct,
            "score": points if correct else 0.0, "max_score": points}


def build_class(root):
    """Grade the class in ``root``; return its SimpleNamespace (see the module docstring)."""
    (root / "shallow.yaml").write_text(POLICY)
    secret = root / "instructor-secret.txt"
    secret.write_text("the instructor's private key")
    submissions = []
    for student, (source, submitted_at) in CLASS.items():
        if student == EVIL:
            path = write_notebook(root / "flat" / f"{ASSIGNMENT}.ipynb", source)
        else:
            folder = root / "submitted" / student / ASSIGNMENT
            path = folder / f"{ASSIGNMENT}.ipynb"
            if isinstance(source, bytes):
                folder.mkdir(parents=True)
                path.write_bytes(source)
            else:
                write_notebook(path, source)
            (folder / "timestamp.txt").write_text("2026-03-01 09:00:00.000000 UTC")
            (folder / "submission_secret.txt").write_text(f"secret-{student}")
        submissions.append(Submission(str(path), student, ASSIGNMENT, submitted_at=submitted_at,
                                      submitted_at_source="command line" if submitted_at
                                      else ""))
    bob = root / "submitted" / "bob" / ASSIGNMENT
    (bob / "submission_secret.txt").unlink()
    (bob / "submission_secret.txt").symlink_to(secret)  # a student's link to any file
    carol = root / "submitted" / "carol" / ASSIGNMENT
    (carol / "timestamp.txt").unlink()
    os.mkfifo(carol / "timestamp.txt")  # reading it would hang
    gradebook = root / "gradebook.db"
    results = grade_many(submissions, gradebook=str(gradebook), jobs=2,
                         options=Options(seed=0, course_root=str(root)))
    assert len(results) == len(CLASS)
    with open_gradebook(gradebook) as book:
        book.override("carol", ASSIGNMENT, "initialize_parameters", 5,
                      reason="<b>explained it in office hours</b>", author="prof")
        book.record_quiz("alice", ASSIGNMENT, "shallow-networks", [
            _answer("lecture-05-keepdims", "(4, 1)", True),
            _answer("lecture-06-zero-init", "d", True),
            _answer("parametric-parameter-count", "3", False)])
        book.record_quiz("frank", ASSIGNMENT, "shallow-networks", [
            _answer("lecture-05-keepdims", "(4,)", False),
            _answer("lecture-06-zero-init", "A", False)])
        latest = {r.student: r for r in book.latest_per_student(ASSIGNMENT)}
    roster = root / "roster.csv"
    roster.write_text(ROSTER)
    return SimpleNamespace(root=root, gradebook=gradebook, roster=roster, results=latest,
                           secret=secret)
