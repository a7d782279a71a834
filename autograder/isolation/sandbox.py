"""Run one submission's code in isolated children, a fresh one per exercise (the first also
reports the review answers, before any call), and collect what they report.

``Sandbox.run`` is the whole job for one submission. Each child is forked by a zygote (a fork
server inside bubblewrap that imported numpy once) or, where there is none, started as a
process of its own; each is isolated by every layer of ``layers.py`` this machine offers,
talks to the grader through ``protocol.Conversation``, and is killed with all its processes
(and its private tmpfs and IPC namespace vanish) before the next one starts. So nothing one
exercise's calls did can reach the next exercise, or the next submission.

Time: the grader owns the clock. A submission has one budget for loading its definitions,
shared by all its children (starting another child never grants a fresh one); each exercise
has its own budget for its calls. A hang, a crash, a flood or a protocol violation costs that
exercise only.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field

from . import layers as L
from . import wire
from .protocol import CallOutcome, Conversation, Done, Send, Started

ZYGOTE_START_S = 60.0  # numpy's import on a loaded machine
CHILD_START_S = 30.0  # a child of its own: the interpreter and numpy, before it says "started"
ZYGOTE_ANSWER_S = 3.0  # a zygote silent this long (stopped by a child?) is replaced


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024  # address space (numpy needs ~200 MiB per OpenBLAS thread; 1 thread)
    file_mb: int = 16  # largest file the child may write (its stdout and stderr included)
    open_files: int = 64
    processes: int = 64  # processes and threads of the child's uid (binds the uid layer only)
    load_s: float = 10.0  # wall time to load the definitions, for ALL of a submission's children
    exercise_s: float = 10.0  # wall time per exercise, unless the exercise says otherwise
    channel_mb: int = 64  # most one child may send back
    stdout_cap: int = 65536  # characters of printed output kept per call


@dataclass
class ExerciseJob:
    """The calls of one exercise, and what its stand-ins may answer."""

    exercise: str
    calls: list  # call messages (op, id, function, args, kwargs, seed, mutation, standins)
    budget_s: float
    standins: tuple = ()  # graded functions answered by stand-ins
    random: tuple = ()  # those among them that draw random numbers
    answer: object = None  # answer(call_id, function, args, kwargs, rng) -> reply


@dataclass
class ExerciseRun:
    exercise: str
    calls: dict = field(default_factory=dict)  # call id -> CallOutcome
    note: str = ""  # why its calls did not all come back (one line), else ""
    standins: int = 0
    hits: int = 0


@dataclass
class SubmissionRun:
    """Everything the children of one submission reported."""

    loaded: bool = False
    names: set = field(default_factory=set)
    cell_errors: list = field(default_factory=list)
    review: dict = field(default_factory=dict)
    exercises: dict = field(default_factory=dict)  # exercise -> ExerciseRun
    notes: list = field(default_factory=list)  # one line each, for the student and instructor
    layers: list = field(default_factory=list)
    children: int = 0
    load_seconds: float = 0.0
    stderr: str = ""

    def outcome(self, call_id):
        for run in self.exercises.values():
            if call_id in run.calls:
                return run.calls[call_id]
        return None


def pin_to_cpu(index=None):
    """Keep this process on one CPU, with the zygote and children it starts from now on.

    The grader and its child take turns (a call, a stand-in question, an answer): on the same
    CPU each turn is a context switch of microseconds; across CPUs it is a wake-up, which on
    a virtual machine costs ~50 us each way (bench/bench_stages.py measures both). ``index``
    picks among the allowed CPUs (a batch's worker number); None keeps the current one.
    Returns the CPU, or None where affinity cannot be set."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
        if index is None:
            with open("/proc/self/stat", "rb") as handle:
                current = int(handle.read().rsplit(b")", 1)[1].split()[36])
            cpu = current if current in allowed else allowed[0]
        else:
            cpu = allowed[index % len(allowed)]
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError, ValueError, IndexError):
        return None


class SandboxError(Exception):
    """The sandbox cannot run children with the layers asked for (one line)."""


_LIVE = weakref.WeakSet()


_DEFAULT = None


def default_sandbox():
    """One Sandbox per process (layer detection runs once). It lives here, not in the grader,
    so that ``shallow grade`` can start its zygote before the grader's own modules load."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Sandbox()
    return _DEFAULT


def _cleanup_all(*_):
    for sandbox in list(_LIVE):
        sandbox.close()


atexit.register(_cleanup_all)


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by a real SIGTERM in the tests
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class Sandbox:
    """Runs submissions' code in isolated children (see the module docstring)."""

    def __init__(self, limits=Limits(), *, layers=None, python=None, prefork=True, slot=0):
        self.limits = limits
        self.python = python or sys.executable
        self.slot = slot  # which range of uids this worker's children take
        self._counter = 0
        optimistic = layers is None and prefork and L.optimistic()
        if optimistic:
            self.layers, self.missing = L.optimistic(), ()
            self._confirmed = False
        else:
            available, self.missing = L.detect(self.python)
            if layers is not None:
                unknown = set(layers) - set(available)
                if unknown:
                    raise SandboxError(f"isolation layers not available here: "
                                       f"{', '.join(sorted(unknown))} "
                                       f"({'; '.join(self.missing) or 'see detect()'})")
                probe_uid = L.UID_BASE + slot * L.UID_SLOT + L.UID_SLOT - 1 \
                    if os.geteuid() == 0 else None
                problem = L.probe(self.python, tuple(layers), probe_uid)
                if problem is not None:
                    raise SandboxError(f"the child cannot start with layers "
                                       f"{', '.join(layers)}: {problem}")
                available = L.sort_layers(layers)
            self.layers = tuple(available)
            self._confirmed = True
        self.prefork = prefork and {"bwrap", "pidns"} <= set(self.layers)
        self._zygote = None
        self._workdirs = set()
        _LIVE.add(self)
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            try:
                signal.signal(signal.SIGTERM, _on_sigterm)
            except ValueError:  # not the main thread
                pass

    def _uid(self):
        if "uid" not in self.layers or os.geteuid() != 0:
            return None
        self._counter = (self._counter + 1) % (L.UID_SLOT - 1)
        return L.UID_BASE + self.slot * L.UID_SLOT + self._counter

    # -- one submission ------------------------------------------------------------------

    def run(self, chunks, jobs, *, review=(), blocked=L.BLOCKED_MODULES) -> SubmissionRun:
        """Load ``chunks`` in a child that reports the ``review`` variables as soon as the
        definitions are loaded, before any call is sent, then runs the first ExerciseJob of
        ``jobs``; each other job runs in a fresh child of its own."""
        run = SubmissionRun()
        jobs = list(jobs)
        load_left = self.limits.load_s
        base = {"op": "load", "chunks": chunks, "blocked": list(blocked),
                "package_dirs": {"shallow_ref": [os.path.dirname(f) for f in L.data_files()]},
                "stdout_cap": self.limits.stdout_cap}
        for index, job in enumerate(jobs or [None]):
            if load_left <= 0:
                why = (f"loading the notebook's definitions used up its "
                       f"{self.limits.load_s:g} s budget before {job.exercise} could run")
                run.exercises[job.exercise] = ExerciseRun(job.exercise, {
                    c["id"]: CallOutcome(c["id"], "timeout", error=why) for c in job.calls},
                    note=why)
                run.notes.append(why)
                continue
            request = dict(base)
            if index == 0:
                request["review"] = list(review)
            calls = []
            if job is not None:
                request.update(standins=list(job.standins), random=list(job.random))
                calls = [{**c, "standins": list(job.standins), "nonce": secrets.token_hex(8)}
                         for c in job.calls]
            outcome, spent = self._child(request, calls, load_left,
                                         job.budget_s if job is not None else 0.0,
                                         job.answer if job is not None else None, run,
                                         review=review if index == 0 else ())
            load_left -= spent
            run.load_seconds += spent
            if index == 0:
                if outcome is None or not outcome.loaded:
                    why = self._load_failure(outcome)
                    run.notes.append(why)
                    for other in jobs:
                        run.exercises[other.exercise] = ExerciseRun(other.exercise, {
                            c["id"]: CallOutcome(c["id"], "timeout" if outcome and
                                                 outcome.end == "timeout" else "crashed",
                                                 error=why)
                            for c in other.calls}, note=why)
                    return run
                run.loaded = True
                run.names = outcome.names
                run.cell_errors = outcome.cell_errors
                run.review = outcome.review
            if job is not None:
                run.exercises[job.exercise] = self._exercise_run(job, outcome)
                if run.exercises[job.exercise].note:
                    run.notes.append(run.exercises[job.exercise].note)
        return run

    def _load_failure(self, outcome):
        limits = self.limits
        if outcome is None:
            return "the grader could not start a child process"
        return {
            "timeout": f"loading the notebook's definitions took longer than "
                       f"{limits.load_s:g} s",
            "flood": "the notebook's definitions sent too much output",
            "violation": f"the notebook's definitions {outcome.detail}",
        }.get(outcome.end, f"the notebook's definitions ended the grading process "
                           f"({outcome.detail or 'no answer'})")

    def _exercise_run(self, job, outcome):
        result = ExerciseRun(job.exercise)
        if outcome is None:
            why = "the grader could not start a child process"
        elif outcome.end == "done":
            result.calls = dict(outcome.calls)
            result.standins, result.hits = outcome.standins, outcome.hits
            return result
        else:
            why = {
                "timeout": f"{job.exercise} did not finish within its {job.budget_s:g} s budget",
                "flood": f"{job.exercise} sent more than {self.limits.channel_mb} MB back",
                "violation": f"{job.exercise} {outcome.detail} on the grader's channel; none of "
                             f"its results counts",
                "eof": f"{job.exercise} ended the grading process ({outcome.detail})",
            }.get(outcome.end, f"{job.exercise} stopped ({outcome.end})")
            if not outcome.loaded and outcome.end != "violation":
                why = f"{job.exercise}: {self._load_failure(outcome)}"
        status = "timeout" if outcome is not None and outcome.end == "timeout" else "crashed"
        result.note = why
        result.calls = {c["id"]: CallOutcome(c["id"], status, error=why) for c in job.calls}
        return result

    # -- one child ---------------------------------------------------------------------

    def _child(self, request, calls, load_left, budget_s, answer, run, *, review=()):
        """Start a child, converse with it, kill it: (Outcome or None, load seconds spent)."""
        limits = self.limits
        cpu = int(load_left + budget_s) + 2
        spec = (f"as={limits.memory_mb << 20},cpu={cpu},fsize={limits.file_mb << 20},"
                f"nofile={limits.open_files},nproc={limits.processes}")
        read_fd, write_fd = os.pipe()
        log = _log_file()
        start = time.monotonic()
        try:
            handle = self._start(spec, write_fd, log)
        except OSError as exc:
            os.close(read_fd)
            log.close()
            run.notes.append(f"could not start the grading child: {exc}")
            return None, 0.0
        finally:
            os.close(write_fd)
        run.children += 1
        # A child of its own starts a whole interpreter first: that is not the notebook's time.
        announced = isinstance(handle, _PopenChild)
        conversation = Conversation(calls, standin=answer, review=review, announced=announced)
        loaded_at = None
        try:
            _write_all(handle.stdin, wire.dumps(request),
                       start + max(load_left, 0.1) + (CHILD_START_S if announced else 0))
            outcome, loaded_at, start = self._converse(handle, read_fd, conversation, start,
                                                       load_left, budget_s)
            if outcome.end == "eof":
                code = handle.wait_exit(1.0)
                outcome.detail = _describe_exit(code) if code is not None else \
                    "it closed the grader's channel"
        finally:
            # Its exit status matters only when it ended on its own: else the zygote's answer
            # is read later, while the grader works on (the next command waits for it).
            code = handle.kill(wait=outcome is None or outcome.end != "done")
            os.close(read_fd)
            log.seek(0)
            tail = log.read(4096).decode("utf-8", "replace")
            log.close()
            if tail.strip() and not run.stderr:
                run.stderr = tail
        if outcome.end == "eof" and not outcome.detail:
            outcome.detail = _describe_exit(code)
        spent = (loaded_at if loaded_at is not None else time.monotonic()) - start
        return outcome, min(spent, load_left)

    def _converse(self, handle, read_fd, conversation, start, load_left, budget_s):
        """The thin I/O loop around the conversation: read lines, act, keep the clock.
        Returns (Outcome, when it loaded or None, when its load clock started)."""
        cap = self.limits.channel_mb << 20
        starting = conversation.state == "starting"
        deadline = start + (CHILD_START_S if starting else max(load_left, 0.0))
        loaded_at = None
        buffer = bytearray()  # grows in place: a long line costs its size, not its square
        received = 0
        while True:
            if loaded_at is None and conversation.state not in ("loading", "starting"):
                loaded_at = time.monotonic()
                deadline = loaded_at + budget_s
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _done(conversation.end("timeout")), loaded_at, start
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            try:
                data = os.read(read_fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                return _done(conversation.end("eof")), loaded_at, start
            received += len(data)
            if received > cap:
                return _done(conversation.end("flood")), loaded_at, start
            buffer += data
            if b"\n" not in data:
                continue
            *lines, rest = buffer.split(b"\n")
            buffer = bytearray(rest)
            for line in lines:
                try:
                    message = wire.loads(line, cap)
                except wire.WireError as exc:
                    conversation.outcome.detail = f"sent {exc}"[:200]
                    return _done(conversation._violation(str(exc))), loaded_at, start
                for action in conversation.receive(message, len(line)):
                    if isinstance(action, Started):
                        start = time.monotonic()
                        deadline = start + max(load_left, 0.0)
                    elif isinstance(action, Send):
                        if not _write_all(handle.stdin, wire.dumps(action.message), deadline):
                            return _done(conversation.end("timeout")), loaded_at, start
                    elif isinstance(action, Done):
                        if loaded_at is None and action.outcome.loaded:
                            loaded_at = time.monotonic()
                        return action.outcome, loaded_at, start

    # -- starting children -----------------------------------------------------------------

    def warm(self):
        """Start the zygote now, so it imports numpy while the grader does other work."""
        if self.prefork and (self._zygote is None or not self._zygote.usable()):
            self._zygote = _Zygote(self)

    def _start(self, spec, result_fd, log):
        for _ in range(2 if self.prefork else 0):
            self.warm()
            try:
                handle = self._zygote.spawn(spec, result_fd, log)
                if not self._confirmed:
                    self._adopt(self._zygote.layers)
                return handle
            except OSError:
                self._zygote.close()
                self._zygote = None
                if not self._confirmed:  # the strongest layers did not start: probe them
                    self._confirmed = True
                    self.layers, self.missing = L.detect(self.python)
                    self.prefork = {"bwrap", "pidns"} <= set(self.layers)
                    return self._start(spec, result_fd, log)
        if self.prefork:  # twice no zygote: fall back loudly to one process per child
            self.prefork = False
            self.missing = (*self.missing, "prefork: the zygote did not start; one process "
                                           "per child instead")
        return _PopenChild(self, spec, result_fd, log)

    def _adopt(self, per_child):
        """The layers the zygote's probe child confirmed (the optimistic guess, corrected)."""
        self._confirmed = True
        sandbox_wide = [x for x in self.layers if x not in ("seccomp", "ipcns", "tmpfs", "uid")]
        self.layers = L.sort_layers([*sandbox_wide, *per_child])
        lost = [x for x in ("seccomp", "ipcns", "tmpfs", "uid") if x not in per_child]
        self.missing = (*self.missing, *(f"{x}: the zygote's children could not take it"
                                         for x in lost))

    def close(self):
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        for folder in list(self._workdirs):
            shutil.rmtree(folder, ignore_errors=True)
            self._workdirs.discard(folder)


def _log_file():
    """Where a child's stdout and stderr go: a file in memory, outside the child's view
    (``memfd_create``: ~10 us where a temporary file on the host's disk costs ~150 us and an
    inode). The child's ``fsize`` limit bounds it as it bounds any file it writes."""
    try:
        return os.fdopen(os.memfd_create("shallow-stderr", os.MFD_CLOEXEC), "w+b")
    except (AttributeError, OSError):  # not Linux, or an old kernel
        return tempfile.TemporaryFile(prefix="shallow-stderr-")


def _done(actions):
    for action in actions:
        if isinstance(action, Done):
            return action.outcome
    raise AssertionError("the conversation did not end")  # pragma: no cover


def _write_all(stream, data, deadline):
    """Write to the child's stdin without ever blocking past ``deadline``."""
    try:
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


def _describe_exit(code):
    if code is None:
        return "still running"
    if code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else ""
        meaning = {"SIGXCPU": "CPU time limit reached", "SIGKILL": "killed",
                   "SIGXFSZ": "file size limit reached", "SIGSEGV": "segmentation fault"}.get(
            name, "")
        return f"signal {name or number}{': ' + meaning if meaning else ''}"
    if code == 0:
        return "it exited with status 0 before the grader was done, e.g. os._exit(0)"
    return f"exit status {code}"


class _PopenChild:
    """A child started as its own process (python + numpy import each time)."""

    def __init__(self, sandbox, spec, result_fd, log):
        self.workdir = tempfile.mkdtemp(prefix="shallow-child-")
        sandbox._workdirs.add(self.workdir)
        self.sandbox = sandbox
        uid = sandbox._uid()
        tail = ["--limits", spec, "--result-fd", str(result_fd), "--workdir",
                L.SANDBOX_WORK if "bwrap" in sandbox.layers else self.workdir]
        if uid is not None:
            tail += ["--uid", str(uid)]
            os.chown(self.workdir, uid, uid)
        if os.geteuid() == 0 and "tmpfs" in sandbox.layers and "bwrap" in sandbox.layers:
            tail.append("--private")
        argv = L.child_argv(sandbox.python, sandbox.layers, tail, workdir=self.workdir)
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=log, stderr=log, cwd=self.workdir,
            env=L.environment(sandbox.layers, self.workdir), pass_fds=(result_fd,),
            start_new_session=True, close_fds=True)
        self.stdin = self.proc.stdin
        self.returncode = None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, wait=True):  # noqa: ARG002 - always waits: its folder goes with it
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
            self.sandbox._workdirs.discard(self.workdir)
        return self.returncode


class _Zygote:
    """The fork server of one grading process (``child.zygote``), inside bubblewrap."""

    def __init__(self, sandbox):
        self.owner = os.getpid()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control = ours
        self.reader = ours.makefile("rb")
        root = os.geteuid() == 0
        base = L.UID_BASE + sandbox.slot * L.UID_SLOT
        tail = ["--zygote", "--control-fd", str(theirs.fileno()), "--uid-base", str(base),
                "--uid-count", str(L.UID_SLOT - 1 if root and "uid" in sandbox.layers else 0)]
        self.proc = subprocess.Popen(
            L.child_argv(sandbox.python, sandbox.layers, tail), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
            env=L.environment(sandbox.layers, L.SANDBOX_WORK), pass_fds=(theirs.fileno(),),
            start_new_session=True, close_fds=True)
        theirs.close()
        self.ready = False
        self.unread = 0  # commands sent whose answer is not read yet
        self.layers = []

    def usable(self):
        return self.owner == os.getpid() and self.proc.poll() is None

    def _wait_ready(self):
        if not self.ready:
            self.control.settimeout(ZYGOTE_START_S)
            line = self.reader.readline()
            if not line:
                raise OSError("the zygote did not start")
            self.layers = list(json.loads(line).get("layers", []))
            self.ready = True

    def ask(self, message, fds=()):
        """One command and its answer; OSError if the zygote is gone or silent (stopped)."""
        self.tell(message, fds)
        return self._answer()

    def tell(self, message, fds=()):
        """Send one command; its answer is read (and dropped) before the next command's."""
        self._wait_ready()
        self.control.settimeout(ZYGOTE_ANSWER_S)
        while self.unread:
            self._answer()
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self.control, [data], list(fds))
            else:
                self.control.sendall(data)
        except (TimeoutError, ValueError) as exc:
            raise OSError(f"the zygote did not answer ({exc})") from None
        self.unread += 1

    def _answer(self):
        try:
            line = self.reader.readline()
        except (TimeoutError, ValueError) as exc:
            raise OSError(f"the zygote did not answer ({exc})") from None
        if not line:
            raise OSError("the zygote stopped")
        self.unread -= 1
        return json.loads(line)

    def spawn(self, spec, result_fd, log):
        stdin_read, stdin_write = os.pipe()
        try:
            answer = self.ask({"op": "spawn", "limits": spec}, (stdin_read, result_fd,
                                                                log.fileno()))
        finally:
            os.close(stdin_read)
        if "pid" not in answer:
            os.close(stdin_write)
            raise OSError(f"the zygote could not fork: {answer.get('error')}")
        return _ZygoteChild(self, int(answer["pid"]), os.fdopen(stdin_write, "wb"))

    def close(self):
        try:
            self.control.close()
        except OSError:
            pass
        if self.owner == os.getpid() and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()


class _ZygoteChild:
    """A child forked by the zygote; killing it kills every process of its uid too."""

    def __init__(self, zygote, pid, stdin):
        self.zygote = zygote
        self.pid = pid
        self.stdin = stdin
        self.returncode = None
        self.done = False

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.zygote.ask({"op": "poll", "pid": self.pid})["status"]
            except OSError:
                return -signal.SIGKILL
            if status is not None or time.monotonic() >= deadline:
                return status
            time.sleep(0.01)

    def kill(self, wait=True):
        if not self.done:
            self.done = True
            try:
                if wait:
                    self.returncode = self.zygote.ask({"op": "kill", "pid": self.pid})["status"]
                else:
                    self.zygote.tell({"op": "kill", "pid": self.pid, "wait": False})
            except OSError:  # the zygote itself was killed: the whole sandbox went with it
                self.returncode = -signal.SIGKILL
                self.zygote.close()
            try:  # after the kill: closing first would wake the child for nothing
                self.stdin.close()
            except OSError:
                pass
        return self.returncode
