"""Build the bundled example class that `make demo` grades: examples/course/submitted/.

Each example student starts from the released student notebook (assignments/) and fills in the
solution cells the way a student would: with the instructor's solution, or with one of the
classic mistakes. Run `.venv/bin/python examples/build_examples.py` after `shallow release`; the
output is committed, and a test checks that the grader diagnoses what each student got wrong.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "course" / "submitted"

# student -> assignment -> {solution cell grade_id: replacement source}
BUGS = {
    "ada": {"activations": {}, "planar_classifier": {}},
    "ben": {
        "activations": {"tanh_derivative_solution": "def tanh_derivative(z):\n"
                                                    "    return 1 - np.tanh(z)\n"},
        "planar_classifier": {
            "backward_propagation_solution": None,  # filled below: no keepdims
            "compute_cost_solution": "def compute_cost(A2, Y):\n"
                                     "    m = Y.shape[1]\n"
                                     "    Y = Y.astype(float)\n"
                                     "    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)\n"
                                     "    return -np.sum(logprobs, axis=1, keepdims=True) / m\n",
        },
    },
    "cleo": {
        "planar_classifier": {
            "forward_propagation_solution": None,  # filled below: sigmoid on the hidden layer
            "initialize_parameters_solution": "def initialize_parameters(n_x, n_h, n_y):\n"
                                              "    W1 = np.zeros((n_h, n_x))\n"
                                              "    b1 = np.zeros((n_h, 1))\n"
                                              "    W2 = np.zeros((n_y, n_h))\n"
                                              "    b2 = np.zeros((n_y, 1))\n"
                                              "    return {'W1': W1, 'b1': b1, 'W2': W2, "
                                              "'b2': b2}\n",
            "review_5_answer": "q_keepdims_shape = (4,)\n",
        },
    },
    "dev": {"planar_classifier": {
        "nn_model_solution": "def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):\n"
                             "    while True:  # oops: the loop never ends\n"
                             "        pass\n"}},
}
BROKEN = {"emil": "planar_classifier"}  # a notebook cut off in the middle of saving


def student_source(solution_source):
    """What a student writes: the solution without nbgrader's markers."""
    lines = [line for line in solution_source.splitlines()
             if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(lines)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    for student, assignments in BUGS.items():
        for assignment, bugs in assignments.items():
            release = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb",
                                    as_version=4)
            solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb",
                                     as_version=4)
            solved = {c.metadata["nbgrader"]["grade_id"]: student_source(c.source)
                      for c in solution.cells if c.metadata["nbgrader"].get("solution")}
            for cell in release.cells:
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                if grade_id not in solved:
                    continue
                if grade_id in bugs:
                    cell.source = bugs[grade_id] or mutate(grade_id, solved[grade_id])
                else:
                    # keep the answer-variable template line, as a student would
                    cell.source = solved[grade_id]
            path = OUT / student / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(release, path)
    for student, assignment in BROKEN.items():
        good = (OUT / "ada" / assignment / f"{assignment}.ipynb").read_text()
        path = OUT / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(good[: len(good) // 2])
    print(f"wrote {sum(1 for _ in OUT.rglob('*.ipynb'))} notebooks under {OUT}")


def mutate(grade_id, source):
    if grade_id == "backward_propagation_solution":
        mutated = re.sub(r",\s*keepdims\s*=\s*True", "", source)
    elif grade_id == "forward_propagation_solution":
        mutated = re.sub(r"np\.tanh\(Z1\)", "sigmoid(Z1)", source)
    else:
        raise KeyError(grade_id)
    assert mutated != source, f"the mutation of {grade_id} changed nothing"
    return mutated


if __name__ == "__main__":
    main()
