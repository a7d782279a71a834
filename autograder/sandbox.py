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
- ``netns``, ``pidns``: new network and pid namespaces (bubblewrap's, or ``unshare``'s): no
  network at all, and every process the student starts dies with the child.
- ``bwrap``: bubblewrap gives the child a minimal read-only file system (see ``bwrap_argv``): the
  course, the submissions, the gradebook and the grader's own packages are not in its view.
- ``uid``: when the grader runs as root, the child runs as an unprivileged uid, one per
  parallel worker, so it cannot read root's files nor signal another worker's children.

Each missing layer is listed in ``Sandbox.missing`` with the reason, and ``shallow grade``
prints that list: the grader falls back loudly, never silently.
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
    processes: int = 64  # processes and threads of the child's uid (binds the uid layer only)
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


UID_BASE = 61000  # unprivileged uids for the children: UID_BASE + a number per worker
SANDBOX_WORK = "/sandbox/work"  # the child's working directory inside bubblewrap
SANDBOX_CHILD = "/sandbox/child.py"


def worker_uid():
    """The unprivileged uid for this grading process's zygote (one per parallel worker)."""
    return UID_BASE + os.getpid() % 4000


_CHILDREN = iter(range(1, 1 << 30))


def child_uid():
    """A fresh unprivileged uid for one child started without a zygote: without a pid
    namespace, what one child leaves behind (zombies, a daemon) then never counts against the
    next child's process limit, nor can it signal it."""
    return UID_BASE + (os.getpid() * 131 + next(_CHILDREN)) % 4000


@lru_cache(maxsize=1)
def _secret_dirs():
    """Folders of the grader's own packages: hidden from the child (the reference, the rubric,
    the bank)."""
    import importlib.util

    found = []
    for name in BLOCKED_MODULES:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(os.path.realpath(location))
    return tuple(found)


@lru_cache(maxsize=1)
def _data_files():
    """Files the child may read although they live in a hidden folder: the data sets.

    Found without importing ``shallow_ref`` (which would import numpy before the zygote starts).
    """
    import importlib.util

    spec = importlib.util.find_spec("shallow_ref")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "datasets.py")
        if os.path.exists(path):
            return (os.path.realpath(path),)
    return ()


def _python_trees(python):
    """Folders the interpreter needs: its installation and the virtual environment."""
    trees = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    real = os.path.realpath(python)
    if not any(real.startswith(tree + os.sep) for tree in trees):
        trees.add(os.path.dirname(os.path.dirname(real)))
    return sorted(trees)


def bwrap_argv(python, workdir, *, net=True, pid=True, uid=None):
    """The bubblewrap command line that starts ``python`` in a minimal, read-only file system.

    The child sees /usr, /etc, the interpreter and its packages (read-only), a private /tmp, its
    own working directory at /sandbox/work, and nothing else: not the course, not the
    submissions, not the gradebook, not the grader's packages (only the data sets file).
    """
    bwrap = shutil.which("bwrap")
    argv = [bwrap, "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    # /tmp, /proc and /dev first: a later bind inside /tmp (a checkout under /tmp, say) must
    # land on top of the private /tmp, not under it.
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    made = {"/", "/usr", "/etc", "/tmp", "/proc", "/dev"}

    def parents(path):
        out = []
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:i])
            if folder not in made:
                made.add(folder)
                out += ["--perms", "0755", "--dir", folder]  # bwrap would make them 0700
        return out

    secrets = _secret_dirs()
    for tree in _python_trees(python):
        argv += parents(tree) + ["--ro-bind", tree, tree]
        made.add(tree)
    for secret in secrets:
        if any(secret.startswith(tree + os.sep) for tree in _python_trees(python)):
            argv += ["--tmpfs", secret]  # an installed (not editable) grader: hide it
    for data in _data_files():
        argv += parents(data) + ["--ro-bind", data, data]
    argv += ["--perms", "0755", "--dir", "/sandbox",
             "--bind", str(workdir), SANDBOX_WORK, "--chdir", SANDBOX_WORK,
             "--ro-bind", str(CHILD_PATH), SANDBOX_CHILD,
             "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]
    if net:
        argv.append("--unshare-net")
    if pid:
        argv.append("--unshare-pid")
    argv.append("--")
    if uid is not None:
        argv += _setpriv(uid)
    return argv


def _setpriv(uid):
    return [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}",
            "--clear-groups", "--no-new-privs"]


def _probe(argv, timeout=20):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1][:200]


def _optimistic_layers():
    """Every layer, when the tools for them are here (the zygote's start then confirms it)."""
    if os.getuid() == 0 and shutil.which("bwrap") and shutil.which("setpriv"):
        return ("rlimits", "session", "clean-env", "netns", "pidns", "bwrap", "uid")
    return None


@lru_cache(maxsize=1)
def detect_layers(python=None):
    """The isolation layers this machine offers, and why any is missing (tried once)."""
    python = python or sys.executable
    layers = ["rlimits", "session", "clean-env"]
    missing = []
    check = [python, "-I", "-S", "-c", "pass"]
    root = os.getuid() == 0
    uid = worker_uid() if root else None
    # Strongest first: bubblewrap with an unprivileged uid (one probe in the usual case).
    if shutil.which("bwrap") is None:
        missing.append("bwrap: bubblewrap is not installed (Debian package bubblewrap)")
    else:
        with tempfile.TemporaryDirectory(prefix="shallow-probe-") as workdir:
            if root:
                os.chown(workdir, uid, uid)
                if _probe(bwrap_argv(python, workdir, uid=uid) + check) is None:
                    return tuple(layers + ["netns", "pidns", "bwrap", "uid"]), ()
            problem = _probe(bwrap_argv(python, workdir) + check)
        if problem is None:
            layers += ["netns", "pidns", "bwrap"]
        else:
            missing.append(f"bwrap: bubblewrap does not work here ({problem})")
    if "netns" not in layers:
        unshare = shutil.which("unshare")
        problem = "the unshare command is not installed" if unshare is None else _probe(
            [unshare, "--net", "--pid", "--fork", "--kill-child", "true"])
        if problem is None:
            layers += ["netns", "pidns"]
        else:
            missing.append(f"netns/pidns: no namespaces ({problem})")
    if not root:
        missing.append("uid: the grader is not root, so children keep its uid")
    elif "bwrap" not in layers:  # bubblewrap with the uid failed or is missing: setpriv alone
        with tempfile.TemporaryDirectory(prefix="shallow-probe-") as workdir:
            os.chown(workdir, uid, uid)
            problem = _probe(_setpriv(uid) + check)
        if problem is None:
            layers += ["uid"]
        else:
            missing.append(f"uid: the interpreter cannot run as uid {uid} ({problem}); an "
                           f"interpreter under a 0700 home needs the bwrap layer")
    else:
        missing.append(f"uid: bubblewrap could not start the interpreter as uid {uid}")
    return tuple(layers), tuple(missing)


class Sandbox:
    """Runs calls on a submission's definitions in isolated child processes."""

    def __init__(self, limits=Limits(), *, layers=None, python=None, oracle=None,
                 prefork=True):
        # The usual case (root, bubblewrap installed, a zygote) skips the probes: the zygote's
        # own start is the probe, and a failed start falls back to detect_layers().
        self._optimistic = layers is None and prefork and _optimistic_layers() is not None
        if self._optimistic:
            self.layers, self.missing = _optimistic_layers(), ()
        else:
            available, self.missing = detect_layers(python)
            self.layers = tuple(available if layers is None else layers)
            unknown = set(self.layers) - set(available)
            if unknown:
                raise ValueError(f"isolation layers not available here: {sorted(unknown)}")
        self.limits = limits
        self.python = python or sys.executable
        # oracle(function, args, kwargs, rng_state) -> (value, rng_state): right answers for the
        # graded functions that the exercise under test calls (see child._oracle).
        self.oracle = oracle
        # A zygote (fork server) that imported numpy once forks each child, when bubblewrap's
        # pid namespace (with its own /proc) lets it kill everything a child started.
        # Otherwise: one process per child.
        self.prefork = prefork and "pidns" in self.layers and "bwrap" in self.layers
        self._zygote = None

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

    def _argv(self, tail, workdir, uid=None):
        """The command line that runs ``python -I child.py *tail`` with the active layers."""
        child = SANDBOX_CHILD if "bwrap" in self.layers else str(CHILD_PATH)
        argv = [self.python, "-I", child, *tail]
        uid = (uid or worker_uid()) if "uid" in self.layers else None
        if "bwrap" in self.layers:
            return bwrap_argv(self.python, workdir, net="netns" in self.layers,
                              pid="pidns" in self.layers, uid=uid) + argv
        if uid is not None:
            argv = _setpriv(uid) + argv
        if "netns" in self.layers or "pidns" in self.layers:
            flags = []
            if "netns" in self.layers:
                flags.append("--net")
            if "pidns" in self.layers:
                flags += ["--pid", "--fork", "--kill-child"]
            argv = [shutil.which("unshare"), *flags, "--", *argv]
        return argv

    def _environment(self, workdir):
        inside = SANDBOX_WORK if "bwrap" in self.layers else workdir
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": inside,
            "TMPDIR": inside,
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
            "package_dirs": {"shallow_ref": [os.path.dirname(f) for f in _data_files()]},
            "stdout_cap": limits.stdout_cap,
        }).encode() + b"\n"
        outcome.children += 1
        spec = self._limits_spec(int(total) + 2)
        read_fd, write_fd = os.pipe()
        log = tempfile.TemporaryFile(prefix="shallow-stderr-")  # outside the child's view
        try:
            handle = self._start(spec, write_fd, log)
        except OSError as exc:
            os.close(read_fd)
            log.close()
            outcome.notes.append(f"could not start the grading child: {exc}")
            for call in calls:
                outcome.calls[call["id"]] = CallOutcome(call["id"], "crashed",
                                                        error="the grader could not start")
            return True
        finally:
            os.close(write_fd)
        _write_all(handle.stdin, request, time.monotonic() + limits.load_timeout_s)
        try:
            return self._collect(handle, read_fd, calls, budgets, outcome, first)
        finally:
            handle.kill()
            os.close(read_fd)
            log.seek(0)
            tail = log.read(4096).decode("utf-8", "replace")
            log.close()
            if tail.strip() and not outcome.stderr:
                outcome.stderr = tail

    def _limits_spec(self, cpu_seconds):
        limits = self.limits
        return (f"as={limits.memory_mb << 20},cpu={cpu_seconds},fsize={limits.file_mb << 20},"
                f"nofile={limits.open_files},nproc={limits.processes}")

    def warm(self):
        """Start the zygote now, so that it imports numpy while the grader does other work."""
        if self.prefork and (self._zygote is None or not self._zygote.usable()):
            self._zygote = _Zygote(self)

    def _start(self, spec, result_fd, log):
        """A running child for one request: forked by the zygote when there is one."""
        for _ in range(2 if self.prefork else 0):
            self.warm()
            try:
                return self._zygote.spawn(spec, result_fd, log)
            except OSError:
                self._zygote.close()
                self._zygote = None
                if self._optimistic:  # the strongest layers did not start: probe them
                    self._optimistic = False
                    self.layers, self.missing = detect_layers(self.python)
                    self.prefork = "pidns" in self.layers and "bwrap" in self.layers
                    return self._start(spec, result_fd, log)
        if self.prefork:  # twice no zygote: fall back loudly to one process per child
            self.prefork = False
            self.missing = (*self.missing, "prefork: the zygote did not start; one process "
                                           "per child instead")
        return _PopenChild(self, spec, result_fd, log)

    def close(self):
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def _collect(self, proc, read_fd, calls, budgets, outcome, first):
        """Read the child's messages under a strict protocol; return True when it is done.

        The grader owns the clock and the order. Results must come for the calls in the order
        they were sent, one each; an exercise's results count only once all of them came in;
        an exercise's time budget starts when the previous exercise ended (or the definitions
        loaded), and the whole child has a hard deadline (loading plus every budget). A message
        out of order, malformed, or a stand-in question the current call may not ask, is a
        protocol violation: the exercise gets no points and a fresh child carries on.
        """
        limits = self.limits

        def budget(exercise):
            return budgets.get(exercise, limits.exercise_timeout_s)

        exercises = list(dict.fromkeys(c["exercise"] for c in calls))
        hard = time.monotonic() + limits.load_timeout_s + sum(budget(e) for e in exercises)
        deadline = time.monotonic() + limits.load_timeout_s
        loaded = False
        index = 0  # the next call a result is expected for
        held = {}  # results of the exercise in progress
        current = None
        buffer = b""
        received = 0
        cap = limits.channel_mb << 20
        cause = violation = None

        while cause is None:
            remaining = min(deadline, hard) - time.monotonic()
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
                try:
                    if event == "cell" and not loaded:
                        if first:
                            outcome.cell_errors.append(
                                f"cell {message.get('cell')}: {str(message.get('error'))[:300]}")
                    elif event == "loaded" and not loaded:
                        loaded = True
                        outcome.names = {str(n) for n in list(message.get("names", []))[:10000]}
                        if calls:
                            current = calls[0]["exercise"]
                            deadline = time.monotonic() + budget(current)
                    elif event == "begin" and loaded and index < len(calls) and \
                            message.get("exercise") == calls[index]["exercise"]:
                        pass  # informational: the grader's clock does not move
                    elif event == "oracle" and loaded and index < len(calls) and \
                            message.get("function") in calls[index].get("oracles", ()):
                        if not self._answer(proc, message, min(deadline, hard)):
                            cause = "timeout"
                            break
                    elif event == "result" and loaded and index < len(calls) and \
                            message.get("id") == calls[index]["id"]:
                        held[calls[index]["id"]] = _call_outcome(message)
                        index += 1
                        if index == len(calls) or calls[index]["exercise"] != current:
                            outcome.calls.update(held)  # the whole exercise came in
                            held = {}
                            if index < len(calls):
                                current = calls[index]["exercise"]
                                deadline = time.monotonic() + budget(current)
                    elif event == "done" and loaded and index == len(calls):
                        return True
                    else:
                        violation = "sent a message out of order or malformed"
                except (TypeError, ValueError, KeyError, AttributeError):
                    violation = "sent a malformed message"
                if violation:
                    cause = "violation"
                    break

        # The child hung, died, flooded the channel or broke the protocol.
        if cause == "eof" and proc.wait_exit(1.0) is None:
            cause = "closed"  # it closed its end of the channel and lives on
        code = proc.kill()
        if not loaded:
            what = {
                "timeout": f"loading the notebook's definitions took longer than "
                           f"{limits.load_timeout_s:g} s",
                "flood": "the notebook's definitions sent too much output",
                "violation": f"the notebook's definitions {violation}",
            }.get(cause, f"the notebook's definitions ended the grading process "
                         f"({_describe_exit(code)})")
            outcome.notes.append(what)
            for call in calls:
                outcome.calls.setdefault(call["id"], CallOutcome(
                    call["id"], "timeout" if cause == "timeout" else "crashed", error=what))
            return True
        if current is None:
            return True
        status, why = "crashed", {
            "timeout": f"{current} did not finish within its {budget(current):g} s budget",
            "flood": f"{current} sent more than {limits.channel_mb} MB of output",
            "closed": f"{current} closed the grader's result channel",
            "violation": f"{current} {violation} on the grader's channel (forged?); no "
                         f"exercise this process reported on gets points",
        }.get(cause, f"{current} ended the grading process ({_describe_exit(code)})")
        if cause == "timeout":
            status = "timeout"
        outcome.notes.append(why)
        # Results already held for this exercise do not count. After a protocol violation,
        # nothing this child reported counts: forged messages may have come before it.
        void = {current} | (set(exercises[:exercises.index(current)])
                            if cause == "violation" else set())
        for call in calls:
            if call["exercise"] in void:
                outcome.calls[call["id"]] = CallOutcome(call["id"], status, error=why)
        return False

    def _answer(self, proc, message, deadline):
        """Reply to a stand-in question with the right answer, or an error line.

        Returns False when the grader's own clock ran out (the exercise then times out).
        """
        from .child import decode, encode

        try:
            if self.oracle is None:
                raise ValueError("no stand-in is available")
            args = [decode(a) for a in message.get("args", [])]
            kwargs = {str(k): decode(v) for k, v in dict(message.get("kwargs", {})).items()}
            if _size(args) + _size(list(kwargs.values())) > MAX_ORACLE_ELEMENTS:
                raise ValueError("arguments too large for a stand-in")
            rng = decode(message["rng"]) if message.get("rng") is not None else None
            value, rng = self.oracle(str(message.get("function")), args, kwargs, rng)
            reply = {"value": encode(value), "rng": encode(rng) if rng is not None else None}
        except Exception as exc:  # noqa: BLE001 - any bad question gets an error line back
            reply = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
        if time.monotonic() > deadline:
            return False
        return _write_all(proc.stdin, json.dumps(reply).encode() + b"\n", deadline)


MAX_ORACLE_ELEMENTS = 200_000  # the rubric's largest case has a few hundred numbers


def _size(values):
    """How many numbers the decoded values hold (arrays, containers, scalars)."""
    total = 0
    stack = list(values)
    while stack:
        item = stack.pop()
        if hasattr(item, "size") and hasattr(item, "shape"):
            total += int(item.size)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        else:
            total += 1
    return total


def _write_all(stream, data, deadline):
    """Write to the child's stdin without ever blocking past ``deadline``."""
    try:
        stream.flush()
        fd = stream.fileno()
        os.set_blocking(fd, False)
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _, writable, _ = select.select([], [fd], [], remaining)
            if writable:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    continue
        return True
    except (BrokenPipeError, OSError, ValueError):
        return True  # the child is gone: the channel's end tells the rest


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


class _PopenChild:
    """A child started as its own process (python + numpy import each time)."""

    def __init__(self, sandbox, spec, result_fd, log):
        self.workdir = tempfile.mkdtemp(prefix="shallow-child-")
        uid = child_uid()
        if "uid" in sandbox.layers:
            os.chown(self.workdir, uid, uid)
        self.proc = subprocess.Popen(
            sandbox._argv(["--limits", spec, "--result-fd", str(result_fd)], self.workdir, uid),
            stdin=subprocess.PIPE, stdout=log, stderr=log, cwd=self.workdir,
            env=sandbox._environment(self.workdir), pass_fds=(result_fd,),
            start_new_session=True, close_fds=True)
        self.stdin = self.proc.stdin
        self.returncode = None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """SIGKILL the child's whole process group (it leads its own session)."""
        if self.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that will not die
                pass
            self.returncode = self.proc.returncode
            try:
                self.stdin.close()
            except OSError:
                pass
            shutil.rmtree(self.workdir, ignore_errors=True)
        return self.returncode


ZYGOTE_START_S = 60.0  # numpy's import on a loaded machine
ZYGOTE_ANSWER_S = 3.0  # a zygote silent this long (stopped by a child?) is replaced


class _Zygote:
    """The fork server of one grading process (see ``child.zygote``), inside the sandbox."""

    def __init__(self, sandbox):
        import socket

        self.owner = os.getpid()
        self.workdir = tempfile.mkdtemp(prefix="shallow-zygote-")
        if "uid" in sandbox.layers:
            os.chown(self.workdir, worker_uid(), worker_uid())
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control = ours
        self.reader = ours.makefile("rb")
        self.proc = subprocess.Popen(
            sandbox._argv(["--zygote", "--control-fd", str(theirs.fileno())], self.workdir),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self.workdir, env=sandbox._environment(self.workdir),
            pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True)
        theirs.close()

        self.ready = False  # it says so once numpy is imported; until then we need not wait

    def usable(self):
        return self.owner == os.getpid() and self.proc.poll() is None

    def ask(self, message, fds=()):
        """One command and its answer; OSError if the zygote is gone or silent (stopped)."""
        import socket

        if not self.ready:
            self.control.settimeout(ZYGOTE_START_S)
            if not self.reader.readline():
                raise OSError("the zygote did not start")
            self.ready = True
        self.control.settimeout(ZYGOTE_ANSWER_S)
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(self.control, [data], list(fds))
        else:
            self.control.sendall(data)
        line = self.reader.readline()
        if not line:
            raise OSError("the zygote stopped")
        return json.loads(line)

    def spawn(self, spec, result_fd, log):
        stdin_read, stdin_write = os.pipe()
        try:
            self.ask({"op": "spawn", "limits": spec}, (stdin_read, result_fd, log.fileno()))
        finally:
            os.close(stdin_read)
        return _ZygoteChild(self, os.fdopen(stdin_write, "wb"))

    def close(self):
        try:
            self.control.close()
        except OSError:
            pass
        if self.owner == os.getpid():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


class _ZygoteChild:
    """A child forked by the zygote; killing it kills everything else in the sandbox too."""

    def __init__(self, zygote, stdin):
        self.zygote = zygote
        self.stdin = stdin
        self.returncode = None
        self.done = False

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.zygote.ask({"op": "poll"})["status"]
            except OSError:
                return -signal.SIGKILL
            if status is not None or time.monotonic() >= deadline:
                return status
            time.sleep(0.02)

    def kill(self):
        if not self.done:
            self.done = True
            try:
                self.stdin.close()
            except OSError:
                pass
            try:
                self.returncode = self.zygote.ask({"op": "reap"})["status"]
            except OSError:  # the zygote itself was killed: the whole sandbox went with it
                self.returncode = -signal.SIGKILL
                self.zygote.close()
        return self.returncode
