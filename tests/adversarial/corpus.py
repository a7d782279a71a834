"""The manifest of hostile submissions: what each one attacks and what the grader must do.

Every entry starting from a ``.py`` file in this folder is the correct submission
(``notebooks.CORRECT``) with ONE graded function replaced by that file (``replaces``; a tuple of
names: those functions removed and the file appended), or with the file appended as extra cells
(``replaces=None``: imports, classes, defaults and assignments that attack while the grader
loads the definitions; ``.ipy`` files hold IPython syntax). ``_lib.py`` (helpers: every open
descriptor, the child's own functions found through gc, a process marker) comes first, as a cell
of its own. Entries with ``build`` make their file themselves (a huge notebook, a symlink...).

Words written in capitals inside the attack files are filled in by the test for each run:
``ADV_MARKER`` (a short unique word; processes the attack starts carry it in their name or
command line), ``ADV_TMP`` (the test's own folder, outside the sandbox), ``ADV_PORT`` (a TCP
listener on 127.0.0.1), ``ADV_SECRETS`` / ``ADV_CLOBBER`` / ``ADV_CREATE`` / ``ADV_PROBE``
(``|``-separated paths to read, to overwrite, to create and to open for writing), ``ADV_RESULTS``
(a results folder holding another student's results.json) and ``ADV_REPO`` (the repository).

For each entry the test grades the attack and then a correct student (bob) in one batch into a
gradebook that already holds a correct student (alice), and asserts:

- only the exercises in ``lose`` lose points ("*": any may), and together they keep at most
  ``keep`` points: never a forged score; every other exercise scores as in the correct notebook
  (with ``collateral``: at most as in the correct notebook, when the attack sabotages the rest
  of its own notebook, e.g. by killing the grader's fork server);
- alice's record is unchanged, bob scores full marks, the gradebook is still valid;
- the grading takes less than ``spend`` exercise budgets plus ``spend_load`` load budgets plus a
  margin (plus ``extra_s``);
- no process is left behind (the sandbox's uid, the marker, the test runner's descendants);
- one reason the instructor can read matches ``reason`` (a regular expression), if given;
- ``check(ctx)`` (side effects) returns no problem.

``protected_by`` names the layers, any one of which the entry's side-effect ``check`` (and, for
an entry that ``writes`` outside its folder, the gradebook's integrity; for ``pidns``, the
processes left behind) depends on: under a layer combination without them, what happened is
reported as a skip with the reason, never as a silent pass. ``requires`` names layers one of
which must be active for the attack to run at all (it could hurt the test machine otherwise).
``hole`` marks a known hole in the grader: the test is a strict xfail with that reason (skipped
where ``hole_when(sandbox)`` says the hole's precondition, e.g. a zygote, is absent).

Why a correct ndarray subclass may keep its points (``ndarray_subclass_correct``, keep=2): its
values are the right ones, so full credit would be deserved; the grader gives none, because a
subclass carries the student's own methods and does not travel back to the grader (refusing it
is allowed, accepting wrong values is not: see ``ndarray_subclass_lying``, keep=0).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.course import default_course
from notebooks import ALL_COURSE, CORRECT, cells_of, notebook_json, replace_function

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Entry:
    id: str
    attack: str  # what it attacks, one line
    source: str | None = None  # file in this folder with the hostile code
    replaces: str | tuple | None = None  # the graded function(s) it replaces (None: extra cells)
    build: Callable | None = None  # build(folder, tokens) -> path, for file-level attacks
    lose: tuple = ()  # exercises allowed to lose points; ("*",): any
    keep: float = 0.0  # most points the `lose` exercises may keep together
    reason: str | None = None  # regex one of the instructor's reasons must match
    spend: int = 0  # exercise budgets the attack may use up
    spend_load: int = 0  # load budgets it may use up
    extra_s: float = 0.0  # more wall time it may take (a big but honest notebook)
    protected_by: tuple = ()  # any one of these layers guarantees `check`
    requires: tuple = ()  # run only when one of these layers is active
    check: Callable | None = None  # check(ctx) -> list of problems (side effects)
    writes: bool = False  # it writes the gradebook: its integrity depends on protected_by
    collateral: bool = False  # other exercises of the SAME notebook may lose (never gain) points
    settle_s: float = 0.0  # how long after grading its processes may take to show up
    everywhere: bool = False  # run it under every layer combination, not only the strongest
    hole: str | None = None  # a known hole: strict xfail with this reason
    hole_when: Callable | None = None  # hole_when(sandbox): whether the hole applies there
    attempts: int = 1  # how many times the attack is graded (as the same student) before bob
    secret_seeds: bool = False  # grade with per-student seeds from a course secret


# -- building a submission -------------------------------------------------------------------

def fill(text, tokens):
    """``text`` with every ADV_* word replaced (longest first)."""
    for word in sorted(tokens, key=len, reverse=True):
        text = text.replace(word, str(tokens[word]))
    return text


def attack_source(entry, tokens):
    """The whole student source (cells separated by '# %%') for a file-based entry."""
    lib = (HERE / "_lib.py").read_text()
    hostile = fill((HERE / entry.source).read_text(), tokens)
    if isinstance(entry.replaces, str):
        body = replace_function(CORRECT, entry.replaces, hostile)
    elif entry.replaces:  # several functions: the originals removed, the file at the end
        body = CORRECT
        for name in entry.replaces:
            body = replace_function(body, name, "")
        body += "\n# %%\n" + hostile
    else:
        body = CORRECT + "\n# %%\n" + hostile
    return lib + "\n# %%\n" + body


def write_submission(entry, folder, tokens):
    """The submission file for ``entry`` in ``folder`` (mallory's notebook)."""
    if entry.build is not None:
        return entry.build(Path(folder), tokens)
    path = Path(folder) / "mallory.ipynb"
    path.write_text(json.dumps(notebook_json(cells_of(attack_source(entry, tokens)))))
    return path


def _notebook(path, source):
    path.write_text(json.dumps(notebook_json(cells_of(source))))
    return path


def build_huge_notebook(folder, tokens):
    """30 MB: a correct notebook with a 30 MB markdown cell."""
    data = notebook_json(cells_of(CORRECT))
    data["cells"].append({"cell_type": "markdown", "metadata": {},
                          "source": ["lorem ipsum " * (30 * 2**20 // 12)]})
    path = folder / "mallory.ipynb"
    path.write_text(json.dumps(data))
    return path


def build_deep_json(folder, tokens):
    """A notebook whose cells list is nested 200,000 levels deep."""
    path = folder / "mallory.ipynb"
    depth = 200_000
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
                    + "[" * depth + "]" * depth + "}")
    return path


def build_ten_thousand_cells(folder, tokens):
    """The correct notebook followed by 10,000 cells of harmless definitions."""
    extra = "".join(f"# %%\ndef helper_{i}(x, k={i}):\n    return x + k\n"
                    for i in range(10_000))
    return _notebook(folder / "mallory.ipynb", CORRECT + "\n" + extra)


def build_binary(folder, tokens):
    path = folder / "mallory.ipynb"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    return path


def build_symlink_to_reference(folder, tokens):
    """The submission is a symlink to the instructor's solution notebook."""
    target = Path(tokens["ADV_REPO"]) / "solutions" / "planar_classifier" / \
        "planar_classifier.ipynb"
    path = folder / "mallory.ipynb"
    path.symlink_to(target)
    return path


def build_lookup_table(folder, tokens):
    """forward_propagation answers from a table of the reference's answers for the cases of
    seed 0 (an earlier batch graded with --seed 0, the same cases for everybody)."""
    import hashlib

    from autograder.isolation import wire

    course = default_course(str(ALL_COURSE))
    exercise = course.exercises["forward_propagation"]
    table = {}
    for graded in course.graded_cases(exercise, 0):
        X, parameters = graded.case.args
        key = hashlib.sha256(X.tobytes() + b"".join(parameters[k].tobytes()
                                                    for k in sorted(parameters))).hexdigest()
        table[key] = wire.encode(graded.expected)
    code = f"""
import json as _adv_json
_ADV_TABLE = _adv_json.loads({json.dumps(json.dumps(table))})


def forward_propagation(X, parameters):
    import hashlib
    key = hashlib.sha256(X.tobytes() + b"".join(parameters[k].tobytes()
                                                for k in sorted(parameters))).hexdigest()
    if key in _ADV_TABLE:
        return _adv_grader_function("decode")(_ADV_TABLE[key])
    return np.zeros((1, X.shape[1])), {{}}
"""
    lib = (HERE / "_lib.py").read_text()
    body = replace_function(CORRECT, "forward_propagation", "")
    return _notebook(folder / "mallory.ipynb", lib + "\n# %%\n" + body + "\n# %%\n" + code)


def build_magics(folder, tokens):
    hostile = fill((HERE / "magics_and_shell_escapes.ipy").read_text(), tokens)
    return _notebook(folder / "mallory.ipynb", CORRECT + "\n# %%\n" + hostile)


# -- side-effect checks: check(ctx) -> list of problems ----------------------------------------
#
# ctx.result: mallory's SubmissionResult (None if the batch raised); ctx.texts: every error and
# test output of it, joined; ctx.tmp, ctx.marker, ctx.tokens; ctx.received: what the loopback
# listener received; ctx.secrets: {path: text that must never appear}; ctx.sha_before:
# {path: sha256 before grading}; ctx.sha(path): sha256 now (None if missing).

def check_secrets_unread(ctx):
    problems = []
    if "READ-OK" in ctx.texts:
        read = dict.fromkeys(re.findall(r"READ-OK (\S+)", ctx.texts))
        problems.append(f"the child read {', '.join(read)}")
    for path, secret in ctx.secrets.items():
        if secret and secret in ctx.texts:
            problems.append(f"the contents of {path} appear in the result")
    return problems


def check_files_untouched(ctx):
    problems = []
    for path, before in ctx.sha_before.items():
        if ctx.sha(path) != before:
            text = Path(path).read_bytes() if Path(path).exists() else b""
            repo = str(path).startswith(str(ctx.tokens["ADV_REPO"]))
            # Other developers edit the repository meanwhile: only the marker proves a write.
            if not repo or ctx.marker.encode() in text:
                problems.append(f"{path} was modified")
    for path in ctx.tokens["ADV_CREATE"].split("|"):
        if Path(path).exists():
            problems.append(f"{path} was created")
    # WROTE/CREATED reports prove nothing by themselves (under bwrap the child writes its own
    # private /tmp); the files above were checked where they really are. WRITABLE is the probe of
    # the grader's code, opened for writing without a byte written: that report is the proof.
    for path in dict.fromkeys(re.findall(r"WRITABLE (\S+)", ctx.texts)):
        problems.append(f"the child could open {path} for writing")
    return problems


def check_result_files(ctx):
    problems = check_files_untouched(ctx)
    mallory = Path(ctx.tokens["ADV_RESULTS"]) / "mallory" / "all" / "results.json"
    if mallory.exists():
        problems.append(f"the child wrote {mallory}")
    return problems


def check_no_connection(ctx):
    problems = []
    if ctx.received:
        problems.append(f"the loopback listener received {ctx.received!r}")
    if "CONNECTED" in ctx.texts:
        problems.append("the child connected to 127.0.0.1")
    return problems


def check_nothing_unpickled(ctx):
    path = Path(ctx.tmp) / f"pickle-{ctx.marker}"
    return [f"{path} exists: a payload was unpickled outside the sandbox"] if path.exists() else []


def check_no_shell(ctx):
    path = Path(ctx.tmp) / f"shell-{ctx.marker}"
    return [f"{path} exists: a shell escape ran"] if path.exists() else []


def check_forks_limited(ctx):
    counts = [int(n) for n in re.findall(r"FORKED (\d+) processes", ctx.texts)]
    if not counts:
        return []
    if max(counts) >= 300:
        return [f"one call started {max(counts)} processes: no process limit stopped it"]
    return []


def check_symlink_refused(ctx):
    if ctx.result is not None and "link" not in ctx.result.reason and not any(
            "link" in e for e in ctx.result.errors):
        return ["the symlinked submission was read without a word about the link"]
    return []


# -- the corpus --------------------------------------------------------------------------------

ALL = ("*",)
EXERCISES = default_course(str(ALL_COURSE)).assignment("all").exercises
CODE = tuple(EXERCISES)  # every graded function (the review answers are graded apart)
UNIMPLEMENTED = ("forward_propagation", "compute_cost", "backward_propagation",
                 "update_parameters")
LOAD_ENDED = r"definitions ended the grading process"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "sigmoid_derivative", "tanh_derivative",
               "relu_derivative", "leaky_relu_derivative")

ENTRIES = [
    # At import time: while the grader loads the definitions.
    Entry("load_exit_class_body", "os._exit(0) in a class body, at load time",
          "load_exit_class_body.py", lose=ALL, reason=LOAD_ENDED, everywhere=True),
    Entry("load_exit_default_argument", "os._exit(0) in a default argument, at load time",
          "load_exit_default_argument.py", lose=ALL, reason=LOAD_ENDED),
    Entry("load_exit_graded_assignment", "sigmoid = os._exit(0): a kept graded assignment",
          "load_exit_graded_assignment.py", lose=ALL, reason=LOAD_ENDED),
    Entry("load_sys_exit_class_body", "sys.exit(0) in a class body: costs nothing",
          "load_sys_exit_class_body.py", reason=r"sys\.exit\(0\)"),
    Entry("load_hang_decorator", "a decorator that loops forever, at load time",
          "load_hang_decorator.py", lose=ALL, spend_load=1,
          reason=r"loading the notebook's definitions took longer than"),
    Entry("load_kill_parent", "kill the parent and every python process, at load time",
          "load_kill_parent.py", lose=ALL, keep=113, requires=("pidns", "uid"), collateral=True,
          everywhere=True),
    # Hangs.
    Entry("loop_plain", "while True: pass", "loop_plain.py", replaces="tanh", lose=("tanh",),
          spend=1, reason=r"tanh did not finish within its 1 s budget"),
    Entry("loop_swallow_keyboard_interrupt", "a busy loop that swallows KeyboardInterrupt",
          "loop_swallow_keyboard_interrupt.py", replaces="relu", lose=("relu",), spend=1,
          reason=r"did not finish within its 1 s budget"),
    Entry("loop_ignore_signals", "a busy loop that ignores SIGXCPU, SIGTERM, SIGINT...",
          "loop_ignore_signals.py", replaces="leaky_relu", lose=("leaky_relu",), spend=1,
          reason=r"did not finish within its 1 s budget", everywhere=True),
    Entry("sleep_forever", "threading.Event().wait()", "sleep_forever.py", replaces="sigmoid",
          lose=("sigmoid",), spend=1, reason=r"did not finish within its 1 s budget"),
    # Resources.
    Entry("memory_numpy_10gb", "np.zeros and np.ones of 10 GB", "memory_numpy_10gb.py",
          replaces="forward_propagation", lose=("forward_propagation",), spend=1,
          reason=r"MemoryError", everywhere=True),
    Entry("memory_growing_list", "a list that grows until memory runs out",
          "memory_growing_list.py", replaces="compute_cost", lose=("compute_cost",), spend=1,
          reason=r"MemoryError|did not finish"),
    Entry("fork_bomb_capped", "300 sleeping forks per call (capped in the attack)",
          "fork_bomb_capped.py", replaces="relu", lose=("relu",), spend=1,
          reason=r"FORKED|did not finish|ended the grading process", everywhere=True),
    Entry("fork_bomb_process_limit", "the same fork bomb: is it stopped by a process limit?",
          "fork_bomb_capped.py", replaces="relu", lose=("relu",), spend=1,
          check=check_forks_limited, protected_by=("uid",), everywhere=True),
    Entry("daemon_double_fork", "setsid + double fork + re-forking chains that outlive grading",
          "daemon_double_fork.py", replaces="relu", lose=("relu",), keep=2, spend=1,
          settle_s=2.5, protected_by=("pidns",), everywhere=True),
    # Exits.
    Entry("exit_in_function", "os._exit(0) inside a graded function", "exit_in_function.py",
          replaces="relu", lose=("relu",), reason=r"relu ended the grading process",
          everywhere=True),
    Entry("sys_exit_in_function", "sys.exit(0) inside a graded function",
          "sys_exit_in_function.py", replaces="relu", lose=("relu",),
          reason=r"sys\.exit\(0\)"),
    # Forged output and results.
    Entry("print_fake_scores", "prints fake scores and JSON on stdout, then a wrong answer",
          "print_fake_scores.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"wrong values"),
    Entry("forged_results_every_fd", "forged result lines on every fd, stdout, /proc/self/fd/1",
          "forged_results_every_fd.py", replaces="sigmoid",
          # the forged line for the call being made is taken as its answer (as good as
          # returning it); the genuine result that follows answers no call: a protocol
          # violation voids the exercise. Other exercises run in other processes.
          lose=("sigmoid",), reason=r"result for another call|wrong values", everywhere=True),
    Entry("fake_result_files", "writes results.json files claiming full marks",
          "fake_result_files.py", replaces="sigmoid", lose=("sigmoid",), reason=r"wrong values",
          protected_by=("bwrap", "uid"), check=check_result_files, writes=True,
          everywhere=True),
    Entry("forged_result_then_exit", "a forged result line for each case, then os._exit(0)",
          "forged_result_then_exit.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"ended the grading process|another call"),
    Entry("forged_result_then_done", "forged results for each case, a forged 'loaded', a wrong "
          "answer", "forged_result_then_done.py", replaces="sigmoid", lose=("sigmoid",)),
    Entry("overwrite_earlier_results", "predict rewrites forward_propagation's results with the "
          "stand-in's answers", "overwrite_earlier_results.py",
          replaces=("forward_propagation", "predict"), lose=("forward_propagation",)),
    Entry("standin_own_exercise", "relu asks the grader for a stand-in answer of relu",
          "standin_own_exercise.py", replaces="relu", lose=("relu",),
          reason=r"asked a stand-in for 'relu'"),
    Entry("malformed_channel_message", "result lines with fields of the wrong types",
          "malformed_channel_message.py", replaces="sigmoid", lose=("sigmoid",)),
    Entry("standin_reply_never_read", "a stand-in question it may not ask, then a sleep",
          "standin_reply_never_read.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"may not call"),
    Entry("standin_heavy_work_in_grader", "32 stand-in questions of 16M random numbers at once",
          "standin_heavy_work_in_grader.py", replaces="nn_model", lose=("nn_model",),
          # the 32 answers (misses: no reference runs) reach nn_model's own stand-ins first,
          # which then read answers to questions they did not ask: its own loss only
          ),
    Entry("result_keepalive", "a message every 0.5 s to keep the exercise's clock alive",
          "result_keepalive.py", replaces="sigmoid", lose=("sigmoid",), spend=1),
    # The unforgeable-scores issue: no oracle, no state across exercises or submissions.
    Entry("no_oracle_planar", "four functions unimplemented, answered from a cache that the "
          "stand-ins fill, kept in globals, files, /tmp, /dev/shm, SysV shm and a daemon; "
          "graded twice as the same student", "no_oracle_planar.py",
          replaces=UNIMPLEMENTED + ("nn_model", "predict"), lose=UNIMPLEMENTED, attempts=2,
          settle_s=1.0),
    Entry("standin_made_up_input", "nn_model asks a stand-in about made-up inputs and tries "
          "to carry the answer out", "standin_made_up_input.py",
          replaces=("nn_model", "forward_propagation"), lose=("nn_model", "forward_propagation"),
          reason=r"NOLEAK NotImplementedError", check=lambda ctx:
          ["the stand-in answered a made-up input"] if "LEAK 0." in ctx.texts else []),
    Entry("answers_learnt_elsewhere", "forward_propagation returns answers learnt for another "
          "student's hidden cases (a lookup table)", build=lambda folder, tokens:
          build_lookup_table(folder, tokens), lose=("forward_propagation",), keep=5,
          secret_seeds=True),
    # Monkeypatching and lying values.
    Entry("monkeypatch_numpy", "np.allclose/array_equal/isclose always true, wrong answer",
          "monkeypatch_numpy.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"wrong values"),
    Entry("monkeypatch_builtins", "builtins.isinstance/issubclass always true, wrong answer",
          "monkeypatch_builtins.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"sigmoid|wrong values"),
    Entry("ndarray_subclass_correct", "the right values in an ndarray subclass",
          "ndarray_subclass_correct.py", replaces="sigmoid", lose=("sigmoid",), keep=2,
          reason=r"ndarray subclass|correct"),
    Entry("ndarray_subclass_lying", "a subclass named numpy.ndarray, equal to everything",
          "ndarray_subclass_lying.py", replaces="sigmoid", lose=("sigmoid",),
          reason=r"ndarray subclass"),
    Entry("always_equal_object", "a tuple subclass whose __eq__ is always True",
          "always_equal_object.py", replaces="layer_sizes", lose=("layer_sizes",),
          reason=r"should be"),
    Entry("always_equal_review_answer", "a review answer object equal to everything",
          "always_equal_review_answer.py", lose=("q_keepdims_shape",), reason=r"q_keepdims"),
    # Outputs.
    Entry("nan_output", "NaN everywhere", "nan_output.py", replaces="sigmoid",
          lose=("sigmoid",), reason=r"contains NaN"),
    Entry("inf_output", "an infinite cost", "inf_output.py", replaces="compute_cost",
          lose=("compute_cost",), reason=r"contains inf"),
    Entry("huge_float_output", "a cost of 1e308", "huge_float_output.py",
          replaces="compute_cost", lose=("compute_cost",), reason=r"wrong value"),
    Entry("huge_int_output", "layer sizes of 10**400", "huge_int_output.py",
          replaces="layer_sizes", lose=("layer_sizes",), reason=r"OverflowError|should be"),
    Entry("huge_array_output", "a 10^8-element array", "huge_array_output.py",
          replaces="tanh", lose=("tanh",), spend=1, reason=r"too large"),
    Entry("deeply_nested_output", "a list nested 10,000 deep", "deeply_nested_output.py",
          replaces="relu", lose=("relu",), reason=r"nested too deeply|should be"),
    Entry("recursion_unbounded", "unbounded recursion", "recursion_unbounded.py",
          replaces="relu", lose=("relu",), spend=1, reason=r"RecursionError"),
    Entry("recursion_deep_stack", "recursion with the limit raised to 10^8",
          "recursion_deep_stack.py", replaces="relu", lose=("relu",), spend=1,
          reason=r"did not finish|MemoryError|RecursionError|ended the grading process"),
    # Floods.
    Entry("flood_print", "100 MB of print(), then the right answer", "flood_print.py",
          replaces="sigmoid", lose=("sigmoid",), keep=2, spend=1),
    Entry("flood_stdout_stderr", "100 MB each to fds 1 and 2", "flood_stdout_stderr.py",
          replaces="tanh", lose=("tanh",), keep=2, spend=1,
          reason=r"File too large|file size limit|did not finish"),
    Entry("flood_result_channel", "100 MB without a newline on every fd",
          "flood_result_channel.py", replaces="relu", lose=("relu",), spend=1,
          reason=r"sent more than \d+ MB|did not finish|malformed|not JSON|another call"),
    # Reaching out of the sandbox.
    Entry("read_secrets", "read the reference, rubric, bank, solution, gradebook, a classmate",
          "read_secrets.py", replaces="relu", lose=("relu",), check=check_secrets_unread,
          protected_by=("bwrap",), everywhere=True),
    Entry("write_outside", "overwrite the gradebook, a classmate's files, the grader's code",
          "write_outside.py", replaces="relu", lose=("relu",), check=check_files_untouched,
          protected_by=("bwrap", "uid"), writes=True, everywhere=True),
    Entry("kill_parent", "kill the parent and every python process in sight",
          "kill_parent.py", replaces="relu", lose=("relu",), requires=("pidns", "uid"),
          reason=r"KILLED|ended the grading process|relu", collateral=True, everywhere=True),
    Entry("zygote_stopped", "SIGSTOP to the parent (the grader's fork server)",
          "zygote_stopped.py", replaces="relu", lose=("relu",), keep=2, collateral=True,
          requires=("pidns", "uid")),
    Entry("loopback_connect", "connect to a listener on 127.0.0.1", "loopback_connect.py",
          replaces="relu", lose=("relu",), check=check_no_connection, protected_by=("netns",),
          everywhere=True),
    Entry("pickle_payload", "pickle payloads returned and forged on the channel",
          "pickle_payload.py", replaces="relu", lose=("relu",), collateral=True,
          check=check_nothing_unpickled,
          reason=r"Payload|bytes|could not be read back|is a|another call|malformed"),
    # Red team: a state channel the entries above do not cover.
    Entry("posix_mqueue_carry", "relu leaves a message in a POSIX message queue (mq_open); "
          "the unimplemented leaky_relu answers right only if it finds it",
          "posix_mqueue_carry.py", replaces=("relu", "leaky_relu"), lose=("leaky_relu",),
          reason=r"NotImplementedError", protected_by=("ipcns",),
          check=lambda ctx: ["a message queue reached the next child"]
          if ctx.result is not None and any(c.exercise == "leaky_relu" and c.points
                                            for c in ctx.result.cases) else []),
    # Whole files.
    Entry("huge_notebook", "a 30 MB notebook", build=build_huge_notebook, lose=ALL,
          reason=r"file is 30\.\d MB, over the 20\.0 MB limit"),
    Entry("deeply_nested_json", "a notebook nested 200,000 levels deep",
          build=build_deep_json, lose=ALL,
          reason=r"nested too deeply|too deeply nested|not valid JSON"),
    Entry("ten_thousand_cells", "10,000 cells of definitions", build=build_ten_thousand_cells,
          extra_s=10.0),
    Entry("binary_notebook", "an ELF binary named .ipynb", build=build_binary, lose=ALL,
          reason=r"not a text notebook"),
    Entry("magics_and_shell_escapes", "!shell, %system, %%bash, get_ipython().system",
          build=build_magics, check=check_no_shell),
    Entry("symlink_to_reference", "the submission is a symlink to the solution notebook",
          build=build_symlink_to_reference, lose=ALL, check=check_symlink_refused),
]

BY_ID = {entry.id: entry for entry in ENTRIES}
assert len(BY_ID) == len(ENTRIES), "duplicate ids"
