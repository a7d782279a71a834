"""Run student code in a separate, limited child process and collect what its functions return.

The grading process never imports student code. It starts ``child.py`` in a new session, with a
clean environment, a private temporary working directory, rlimits (CPU, address space, file size,
open files, no core dumps) and whichever stronger isolation layers this machine offers, sends it
the notebook's definitions and the calls to make, and reads back plain values over a pipe.

Each exercise has its own time budget. When the child hangs, crashes or ends itself during an
exercise, the grader kills the child's whole process group, marks the rest of that exercise, and
starts a fresh child for the exercises still to come: a hang costs its own budget once.

Isolation layers (``detect_layers``): each one is tried once per process and used when it works;
the result of every submission lists the layers that were active.

- ``rlimits``: CPU, address space, file size, open files, no core dumps (always).
- ``session``: a new session and process group, killed as a whole at the end (always).
- ``clean-env``: a minimal environment and a private temporary working directory (always).
- ``netns``, ``pidns``: new network and pid namespaces through ``unshare`` (when it works here):
  no network at all, and every process the student starts dies with the child.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import child as child_module

CHILD_PATH = Path(child_module.__file__).resolve()
BLOCKED_MODULES = ("shallow_ref", "autograder", "quizzes")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024  # address space (numpy needs ~200 MiB per OpenBLAS thread; 1 thread)
    file_mb: int = 16  # largest file the child may write (its stdout and stderr included)
    open_files: int = 64
    load_timeout_s: float = 10.0  # wall time to start and load the notebook's definitions
    exercise_timeout_s: float = 10.0  # wall time per exercise, unless the rubric says otherwise
    channel_mb: int = 64  # most the child may send back in all
    stdout_cap: int = 65536  # characters of printed output kept per call


@dataclass
class CallOutcome:
    """What one call of a student function did."""

    id: str
    status: str  # "ok", "error", "timeout", "crashed" or "not-run"
    value: object = None
    error: str | None = None
    stdout: str = ""
    seconds: float = 0.0
    args_after: list | None = None


@dataclass
class RunOutcome:
    """Everything the child reported for one submission."""

    calls: dict[str, CallOutcome] = field(default_factory=dict)
    cell_errors: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    layers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each, for the instructor
    children: int = 0
    stderr: str = ""


@lru_cache(maxsize=1)
def detect_layers():
    """The isolation layers this machine offers, strongest last, and why any is missing."""
    layers = ["rlimits", "session", "clean-env"]
    missing = []
    unshare = shutil.which("unshare")
    if unshare is None:
        missing.append("netns/pidns: the unshare command is not installed")
    else:
        probe = subprocess.run([unshare, "--net", "--pid", "--fork", "--kill-child", "true"],
                               capture_output=True, text=True, timeout=10)
        if probe.returncode == 0:
            layers += ["netns", "pidns"]
        else:
            reason = (probe.stderr.strip().splitlines() or ["failed"])[-1]
            missing.append(f"netns/pidns: unshare does not work here ({reason})")
    return tuple(layers), tuple(missing)


class Sandbox:
    """Runs calls on a submission's definitions in isolated child processes."""

    def __init__(self, limits=Limits(), *, layers=None, python=None, oracle=None):
        available, self.missing = detect_layers()
        self.layers = tuple(available if layers is None else layers)
        unknown = set(self.layers) - set(available)
        if unknown:
            raise ValueError(f"isolation layers not available here: {sorted(unknown)}")
        self.limits = limits
        self.python = python or sys.executable
        # oracle(function, args, kwargs, rng_state) -> (value, rng_state): right answers for the
        # graded functions that the exercise under test calls (see child._oracle).
        self.oracle = oracle

    def run(self, chunks, calls, budgets=None):
        """Load ``chunks`` ([(cell, source)]) in a child and make ``calls`` (request dicts).

        ``budgets`` maps exercise names to their time budget in seconds.
        """
        budgets = budgets or {}
        outcome = RunOutcome(layers=list(self.layers))
        pending = list(calls)
        first = True
        while True:
            finished = self._run_child(chunks, pending, budgets, outcome, first)
            first = False
            if finished:
                break
            pending = [c for c in pending if c["id"] not in outcome.calls]
            if not pending:
                break
        for call in calls:
            outcome.calls.setdefault(call["id"], CallOutcome(call["id"], "not-run"))
        return outcome

    # -- one child -------------------------------------------------------------------------

    def _argv(self, result_fd, cpu_seconds):
        limits = self.limits
        spec = (f"as={limits.memory_mb << 20},cpu={cpu_seconds},fsize={limits.file_mb << 20},"
                f"nofile={limits.open_files}")
        argv = [self.python, "-I", str(CHILD_PATH), "--limits", spec, "--result-fd",
                str(result_fd)]
        if "netns" in self.layers or "pidns" in self.layers:
            flags = []
            if "netns" in self.layers:
                flags.append("--net")
            if "pidns" in self.layers:
                flags += ["--pid", "--fork", "--kill-child"]
            argv = [shutil.which("unshare"), *flags, "--", *argv]
        return argv

    def _environment(self, workdir):
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
        }

    def _run_child(self, chunks, calls, budgets, outcome, first):
        """Start one child for ``calls``; return True if it reported "done"."""
        limits = self.limits
        exercises = list(dict.fromkeys(c["exercise"] for c in calls))
        total = limits.load_timeout_s + sum(
            budgets.get(e, limits.exercise_timeout_s) for e in exercises)
        request = json.dumps({
            "chunks": [list(chunk) for chunk in chunks],
            "calls": calls,
            "blocked": list(BLOCKED_MODULES),
            "stdout_cap": limits.stdout_cap,
        }).encode() + b"\n"
        outcome.children += 1
        with tempfile.TemporaryDirectory(prefix="shallow-child-") as workdir:
            read_fd, write_fd = os.pipe()
            log = open(os.path.join(workdir, ".stderr"), "w+b")  # noqa: SIM115
            try:
                proc = subprocess.Popen(
                    self._argv(write_fd, int(total) + 2),
                    stdin=subprocess.PIPE, stdout=log, stderr=log, cwd=workdir,
                    env=self._environment(workdir), pass_fds=(write_fd,),
                    start_new_session=True, close_fds=True,
                )
            except OSError as exc:
                os.close(read_fd)
                os.close(write_fd)
                log.close()
                outcome.notes.append(f"could not start the grading child: {exc}")
                for call in calls:
                    outcome.calls[call["id"]] = CallOutcome(call["id"], "crashed",
                                                            error="the grader could not start")
                return True
            os.close(write_fd)
            try:
                proc.stdin.write(request)
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
            try:
                return self._collect(proc, read_fd, calls, budgets, outcome, first)
            finally:
                _kill_group(proc)
                os.close(read_fd)
                log.seek(0)
                tail = log.read(4096).decode("utf-8", "replace")
                log.close()
                if tail.strip() and not outcome.stderr:
                    outcome.stderr = tail

    def _collect(self, proc, read_fd, calls, budgets, outcome, first):
        limits = self.limits
        by_id = {c["id"]: c for c in calls}
        deadline = time.monotonic() + limits.load_timeout_s
        loaded = False
        current = None
        buffer = b""
        received = 0
        cap = limits.channel_mb << 20
        cause = None

        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                cause = "timeout"
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(read_fd, 1 << 16)
            if not data:
                cause = "eof"
                break
            received += len(data)
            if received > cap:
                cause = "flood"
                break
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = _parse(line)
                event = message.get("event") if message else None
                if event == "cell" and first:
                    outcome.cell_errors.append(
                        f"cell {message.get('cell')}: {str(message.get('error'))[:300]}")
                elif event == "loaded":
                    loaded = True
                    outcome.names = {str(n) for n in message.get("names", [])}
                    deadline = time.monotonic() + limits.exercise_timeout_s
                elif event == "begin":
                    current = str(message.get("exercise"))
                    deadline = time.monotonic() + budgets.get(current, limits.exercise_timeout_s)
                elif event == "result" and message.get("id") in by_id:
                    outcome.calls[message["id"]] = _call_outcome(message)
                elif event == "oracle":
                    self._answer(proc, message)
                elif event == "done":
                    return True
                elif message is None:
                    outcome.notes.append("the child sent a malformed message; ignored")

        # The child hung, died or flooded the channel: find the exercise it was in.
        if cause == "eof":
            try:  # it died, or closed its end of the channel and lives on
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                cause = "closed"
        _kill_group(proc)
        code = proc.returncode
        if not loaded:
            what = {
                "timeout": f"loading the notebook's definitions took longer than "
                           f"{limits.load_timeout_s:g} s",
                "flood": "the notebook's definitions sent too much output",
            }.get(cause, f"the notebook's definitions ended the grading process "
                         f"({_describe_exit(code)})")
            outcome.notes.append(what)
            for call in calls:
                outcome.calls.setdefault(call["id"], CallOutcome(
                    call["id"], "timeout" if cause == "timeout" else "crashed", error=what))
            return True
        if current is None:  # died between loading and the first exercise
            current = calls[0]["exercise"] if calls else None
        budget = budgets.get(current, limits.exercise_timeout_s)
        if cause == "timeout":
            status, why = "timeout", f"{current} did not finish within its {budget:g} s budget"
        elif cause == "flood":
            status, why = "crashed", f"{current} sent more than {limits.channel_mb} MB of output"
        elif cause == "closed":
            status, why = "crashed", f"{current} closed the grader's result channel"
        else:
            status, why = "crashed", f"{current} ended the grading process ({_describe_exit(code)})"
        outcome.notes.append(why)
        for call in calls:
            if call["exercise"] == current:
                outcome.calls.setdefault(call["id"], CallOutcome(call["id"], status, error=why))
        return False


    def _answer(self, proc, message):
        """Reply to the child's "oracle" question with the right answer, or an error line."""
        from .child import decode, encode

        try:
            if self.oracle is None:
                raise ValueError("no stand-in is available")
            args = [decode(a) for a in message.get("args", [])]
            kwargs = {str(k): decode(v) for k, v in dict(message.get("kwargs", {})).items()}
            rng = decode(message["rng"]) if message.get("rng") is not None else None
            value, rng = self.oracle(str(message.get("function")), args, kwargs, rng)
            reply = {"value": encode(value), "rng": encode(rng) if rng is not None else None}
        except Exception as exc:  # noqa: BLE001 - any bad question gets an error line back
            reply = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
        try:
            proc.stdin.write(json.dumps(reply).encode() + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass


def _parse(line):
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def _call_outcome(message):
    from .child import decode

    error = message.get("error")
    stdout = str(message.get("stdout") or "")[:65536]
    seconds = float(message.get("seconds") or 0.0)
    if error is not None:
        return CallOutcome(str(message["id"]), "error", error=str(error)[:500], stdout=stdout,
                           seconds=seconds)
    try:
        value = decode(message.get("value"))
        after = message.get("args_after")
        args_after = [decode(a) for a in after] if isinstance(after, list) else None
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return CallOutcome(str(message["id"]), "error", error=f"returned a value that could not "
                           f"be read back ({exc})", stdout=stdout, seconds=seconds)
    return CallOutcome(str(message["id"]), "ok", value=value, stdout=stdout, seconds=seconds,
                       args_after=args_after)


def _describe_exit(code):
    if code is None:
        return "still running"
    if code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else ""
        meaning = {
            "SIGXCPU": "CPU time limit reached", "SIGKILL": "killed",
            "SIGXFSZ": "file size limit reached", "SIGSEGV": "segmentation fault",
        }.get(name, "")
        return f"signal {name or number}{': ' + meaning if meaning else ''}"
    if code == 0:
        return "it exited with status 0 before the grader was done, e.g. os._exit(0)"
    return f"exit status {code}"


def _kill_group(proc):
    """SIGKILL the child's whole process group (it leads its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that will not die
        pass
