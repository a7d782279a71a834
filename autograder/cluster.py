"""Grade submissions on a Dask distributed cluster; the client records each result as it arrives.

``grade_on_cluster(submissions, address=...)`` is ``batch.grade_many`` with Dask's workers in
place of local worker processes. ``address`` is ``tcp://host:8786`` (or ``tls://``) for a running
scheduler, or ``local:N`` to start a ``LocalCluster`` of N worker processes here.

The client reads each notebook (a regular file, never through a link, within the reader's size
limit) and sends its bytes, their sha256, the Submission's metadata and the Options; a file it
cannot send that way is graded here, so its one-line reason is exactly a local run's. A bounded
window of tasks is in flight (the scheduler never holds the whole class); results come back as
they finish (``as_completed``) and the CLIENT records each one in the gradebook, one
transaction each, then calls ``on_result`` as ``grade_many`` does.

Each worker thread (one per worker process, as ``local:N`` starts them) grades with a Sandbox of
its own, started before the first task (``prepare_worker``) and kept, whose uid slot is a lock
file held for the life of the process, so two workers on one machine never share uids; the
course is built once per process (from the client's exercise files, which travel with the
tasks, so a worker machine needs no copy of the course). The notebook is written to a private
temporary file and graded; the result's paths are the submitted ones again, so a result is the
same as a local run's. A worker lacking a layer the client machine has is named in the warnings
and in the results it grades; ``require_layers`` refuses such a worker (one line).

A worker that dies costs nothing: Dask reschedules its task elsewhere, and a task whose workers
keep dying ends as a ``failed`` record with the reason (the scheduler's allowed-failures:
``local:N`` retries once, like ``grade_many``; a running scheduler keeps its own setting). A
cluster left without workers, or a client without its scheduler, for ``WORKER_WAIT_S`` ends the
run with one line; what was recorded stays. Recording is idempotent on (student, assignment,
file hash, seed, grader version): a grading that another grader (or a restarted client)
recorded after this run sent the submission is not recorded again (``record_once``: the check
and the insert are one transaction); ``resume`` skips what is already graded, on any cluster;
without it, a submission already graded before the run is graded and recorded again, as a local
run does. Dask and distributed are imported only here, only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .batch import RETRIES, failed_result
from .grade import SUFFIXES, seed_for
from .results import SubmissionResult

SLOT_BASE = 64  # local `--jobs N` runs take slots 0..N-1: cluster workers stay clear of them
SLOT_COUNT = 4096
WINDOW_PER_THREAD = 4  # tasks in flight per worker thread
CONNECT_S = 15
WORKER_WAIT_S = 60
CONFIG = {
    "distributed.scheduler.allowed-failures": RETRIES,  # a death is retried once, then failed
    "distributed.scheduler.worker-saturation": 1.0,  # a worker holds only what it runs
    "distributed.worker.profile.enabled": False,  # its sampling thread slows grading
}


class ClusterError(Exception):
    """The cluster cannot grade (one line: the address, then the problem)."""


@dataclass
class ClusterRun:
    """What a cluster run did: results in submission order, submissions skipped, warnings."""

    results: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    missing_layers: tuple = ()  # one line per host and layer it lacks
    workers: dict = field(default_factory=dict)  # address -> worker_report()


def parse_address(address: str):
    """("local", N) or ("remote", address); ClusterError for anything else."""
    text = str(address).strip()
    match = re.fullmatch(r"local:(\d{1,4})", text)
    if match and int(match.group(1)) >= 1:
        return "local", int(match.group(1))
    if re.fullmatch(r"(tcp|tls)://[^\s/:@]+(:\d{1,5})?/?", text) or \
            re.fullmatch(r"(tcp|tls)://\[[0-9a-fA-F:]+\](:\d{1,5})?/?", text):
        return "remote", text.rstrip("/")
    raise ClusterError(f"{address}: not a cluster address (tcp://host:8786 for a running Dask "
                       f"scheduler, or local:N to start N worker processes here)")


# -- the cluster -----------------------------------------------------------------------------

def local_cluster(workers: int, *, threads: int = 1):
    """A LocalCluster of ``workers`` processes (``threads`` each) with the grader's settings."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                            host="127.0.0.1", dashboard_address="127.0.0.1:0",
                            scheduler_kwargs={"dashboard": False}, memory_limit=0,
                            silence_logs=logging.CRITICAL)


def _quiet():
    """Dask's own log lines (a worker's death, a lost connection) stay off the terminal: the
    results and the one-line errors say what happened. For the rest of the process: Dask's
    threads log the end of a lost connection after the run has returned."""
    with contextlib.suppress(ImportError):
        import distributed  # noqa: F401 - its import sets its loggers' levels: set them after

    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextlib.contextmanager
def connect(address: str):
    """A distributed Client for ``address`` (a LocalCluster started for ``local:N``), with at
    least one worker (N for ``local:N``); closed, with the cluster it started, afterwards."""
    kind, value = parse_address(address)
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(f"{address}: grading on a cluster needs Dask "
                           f"(pip install 'dask[distributed]')") from None

    cluster = client = None
    try:
        if kind == "local":
            try:
                cluster = local_cluster(value)
                client = Client(cluster, set_as_default=False)
            except Exception as exc:  # noqa: BLE001 - one line, never a traceback
                raise ClusterError(f"{address}: cannot start a local cluster "
                                   f"({_exc_line(exc)})") from None
        else:
            try:
                client = Client(value, timeout=CONNECT_S, set_as_default=False)
            except Exception as exc:  # noqa: BLE001
                raise ClusterError(f"{address}: no Dask scheduler answers there "
                                   f"({_exc_line(exc)})") from None
        try:
            client.wait_for_workers(value if kind == "local" else 1, timeout=WORKER_WAIT_S)
        except Exception:  # noqa: BLE001 - a timeout, whatever its class
            raise ClusterError(f"{address}: the scheduler has no workers after "
                               f"{WORKER_WAIT_S} s (start some: dask worker {value})") from None
        yield client
    finally:
        for thing in (client, cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()


def _exc_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the workers' side -----------------------------------------------------------------------

_LOCAL = threading.local()
_SLOTS: list = []  # (slot, lock fd) held by this process, for its whole life
_COURSES: dict = {}  # (root, digest) -> the course folder on this machine
_READY: list = []  # sandboxes warmed ahead, not yet taken by a worker thread
_SLOT_LOCK = threading.Lock()


def slot_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"shallow-grader-slots-{os.geteuid()}"


def acquire_slot() -> int:
    """A uid slot no other process on this machine holds: the first free lock file, locked
    (flock) until this process ends, however it ends."""
    import fcntl

    folder = slot_folder()
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise ClusterError(f"{folder}: not a private folder of this user (the uid slots' locks)")
    with _SLOT_LOCK:
        for slot in range(SLOT_BASE, SLOT_BASE + SLOT_COUNT):
            fd = os.open(folder / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            _SLOTS.append((slot, fd))
            return slot
    raise ClusterError(f"{folder}: all {SLOT_COUNT} uid slots are taken")


_SWEPT = []


def _sweep_orphans():
    """Remove the submission folders a killed worker process left (their names carry its
    pid; only this user's, only of processes that no longer exist). Once per process."""
    if _SWEPT:
        return
    _SWEPT.append(True)
    for folder in Path(tempfile.gettempdir()).glob("shallow-grade-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
            if folder.stat().st_uid != os.geteuid() or pid == os.getpid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            continue


def worker_sandbox():
    """This worker thread's Sandbox: one warmed ahead by ``prepare_worker``, else a new one
    (its uid slot taken then); the same one for every task the thread runs."""
    sandbox = getattr(_LOCAL, "sandbox", None)
    if sandbox is None:
        with _SLOT_LOCK:
            sandbox = _READY.pop() if _READY else None
        if sandbox is None:
            from .isolation.sandbox import Sandbox

            sandbox = Sandbox(slot=acquire_slot())
        _LOCAL.sandbox = sandbox
    return sandbox


def prepare_worker(course=None, dask_worker=None) -> dict:
    """Start this worker's sandboxes now (one per thread it has), so their zygotes import
    numpy while the client sends the first tasks, and build the course (``course``: a
    ``course_bundle``) once; then ``worker_report()``."""
    from .course import default_course
    from .isolation.sandbox import Sandbox

    report = worker_report()
    if course is not None:
        default_course(_course_root(course))
    threads = getattr(getattr(dask_worker, "state", None), "nthreads", 1)
    while len(_READY) + len(_SLOTS) < threads:  # created here, in the worker's main thread
        sandbox = Sandbox(slot=acquire_slot())
        sandbox.warm()
        with _SLOT_LOCK:
            _READY.append(sandbox)
    report["slots"] = [slot for slot, _ in _SLOTS]
    return report


def _where() -> str:
    try:
        from distributed import get_worker

        address = get_worker().address
    except Exception:  # noqa: BLE001 - not inside a Dask worker (a test calling it directly)
        address = f"pid {os.getpid()}"
    return f"{address} on {socket.gethostname()}"


def worker_report() -> dict:
    """What a worker offers: its grader version, isolation layers (and why some are missing),
    host and process (run on each worker with ``Client.run``)."""
    from .isolation import layers as L

    layers, missing = L.detect(sys.executable)
    return {"version": __version__, "layers": list(layers), "missing": list(missing),
            "host": socket.gethostname(), "pid": os.getpid(),
            "slots": [slot for slot, _ in _SLOTS]}


def course_bundle(root) -> dict:
    """The instructor's exercise files under ``root`` (``solutions/*/exercises.py``), as bytes,
    with one digest: what a worker needs to build the same course."""
    files = {}
    if root:
        for path in sorted(Path(root).glob("solutions/*/exercises.py")):
            if path.is_file() and not path.is_symlink():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return {"root": str(root) if root else None, "files": files, "digest": digest.hexdigest()}


def _course_root(bundle):
    """A course folder on this machine holding the client's exercise files: the client's own
    folder when it is here unchanged (the same messages), else a private copy (once)."""
    if bundle["root"] is None:
        return None
    key = (bundle["root"], bundle["digest"])
    if key not in _COURSES:
        if course_bundle(bundle["root"])["digest"] == bundle["digest"]:
            _COURSES[key] = bundle["root"]
        else:
            folder = tempfile.mkdtemp(prefix="shallow-course-")
            for name, data in bundle["files"].items():
                target = Path(folder, *name.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            _COURSES[key] = folder
    return _COURSES[key]


def grade_task(payload: dict) -> str:
    """Grade one submission on this worker; its result's dict as JSON. Never raises: any
    failure is a ``failed`` result with the reason."""
    submission, options = payload["submission"], payload["options"]
    try:
        result = _grade_payload(payload)
    except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
        result = failed_result(submission, f"the worker {_where()} failed on it "
                                           f"({_exc_line(exc)})", options)
    return json.dumps(result.to_dict())


def _grade_payload(payload):
    from .grade import grade_submission

    submission, options = payload["submission"], payload["options"]
    data = payload["data"]
    if hashlib.sha256(data).hexdigest() != payload["sha256"]:
        return failed_result(submission, "its bytes arrived damaged (their sha256 is not the "
                                         "client's)", options)
    if payload["version"] != __version__:
        return failed_result(submission, f"worker {_where()} runs shallow-grader {__version__}"
                                         f", the client {payload['version']}", options)
    if payload["require"]:
        from .isolation import layers as L

        lacking = [x for x in payload["require"] if x not in L.detect(sys.executable)[0]]
        if lacking:
            return failed_result(submission, _lacks(_where(), lacking), options)
    sandbox = worker_sandbox()
    options = dataclasses.replace(options, course_root=_course_root(payload["course"]))
    _sweep_orphans()
    folder = tempfile.mkdtemp(prefix=f"shallow-grade-{os.getpid()}-")
    private = os.path.join(folder, "submission" + _suffix(submission.path))
    try:
        with open(private, "xb") as handle:
            handle.write(data)
        try:
            result = grade_submission(dataclasses.replace(submission, path=private), options,
                                      sandbox=sandbox)
        except Exception as exc:  # noqa: BLE001 - as batch.grade_many records it
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return failed_result(submission, f"the grader failed on this submission "
                                             f"({detail.replace(private, submission.path)})",
                                 options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = _submitted_paths(result, private, submission.path)
    lacking = [x for x in payload["client_layers"] if x not in result.layers]
    if lacking and payload["require"]:
        return failed_result(submission, _lacks(_where(), lacking), options)
    if lacking:
        result.notes.append(f"graded on worker {_where()}, which lacks the isolation layer(s) "
                            f"{', '.join(lacking)} that the grading client's machine has")
    return result


def _lacks(where, lacking):
    return f"worker {where} lacks the isolation layer(s) {', '.join(lacking)} that the " \
           f"grading client's machine has (--require-layers)"


def _suffix(path) -> str:
    return ".py" if os.fsdecode(path).lower().endswith(".py") else ".ipynb"


def _submitted_paths(result, private, original):
    """The result with the private copy's path replaced by the submitted one, as a local run
    writes it (the reader's one-line form in the reason of an unreadable file)."""
    from .notebook import NotebookError

    shown = NotebookError(original, "").path if result.status == "unreadable" else original

    def fix(value, key=""):
        if isinstance(value, str):
            return value.replace(private, shown if key in ("reason", "problems") else original)
        if isinstance(value, list):
            return [fix(v, key) for v in value]
        if isinstance(value, dict):
            return {k: fix(v, k) for k, v in value.items()}
        return value

    data = fix(result.to_dict())
    data["path"] = original
    return SubmissionResult.from_dict(data)


# -- the client's side -----------------------------------------------------------------------

def read_for_cluster(path):
    """The file's bytes when a worker can grade it from them (a regular file, not a link, of a
    gradable type, within the reader's size limit), else None: the client grades it itself."""
    from .notebook import MAX_BYTES_DEFAULT

    try:
        if not os.fsdecode(path).lower().endswith(SUFFIXES):
            return None
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES_DEFAULT:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as handle:
            data = handle.read(MAX_BYTES_DEFAULT + 1)
    except (OSError, ValueError, TypeError):
        return None
    return data if len(data) <= MAX_BYTES_DEFAULT else None


def check_workers(reports: dict, client_layers, *, require: bool) -> tuple:
    """Refuse workers that cannot grade like the client (another grader version; with
    ``require``, a layer the client has and they lack); the warnings for the others."""
    lines = {}
    for address, report in sorted(reports.items()):
        where = f"{address} on {report['host']}"
        if report["version"] != __version__:
            raise ClusterError(f"worker {where} runs shallow-grader {report['version']}, this "
                               f"client {__version__}: install the same version on every worker")
        lacking = [x for x in client_layers if x not in report["layers"]]
        if lacking and require:
            why = [m for m in report["missing"] if m.split(":")[0] in lacking]
            raise ClusterError(_lacks(where, lacking) + (f": {why[0]}" if why else ""))
        for line in report["missing"]:
            lines.setdefault((report["host"], line), []).append(address)
    return tuple(f"on {host} (worker {addresses[0]}"
                 + (f" and {len(addresses) - 1} more" if len(addresses) > 1 else "")
                 + f"): {line}" for (host, line), addresses in lines.items())


def grade_on_cluster(submissions, *, address, gradebook=None, options=None, resume=False,
                     on_result=None, require_layers=False) -> ClusterRun:
    """Grade ``submissions`` on the cluster at ``address``; see the module docstring.

    ``gradebook``: a path, URL or open gradebook to record into (None: record nothing).
    ``on_result(kind, item)``: ("graded", result) or ("skipped", submission), as each is done.
    """
    from .grade import Options
    from .gradebook import open_gradebook
    from .isolation import layers as L

    submissions = list(submissions)
    options = options or Options()
    own = gradebook is not None and not hasattr(gradebook, "record")
    book = open_gradebook(gradebook) if own else gradebook
    run = ClusterRun()
    try:
        client_layers = tuple(L.detect(sys.executable)[0])
        _quiet()
        with connect(address) as client:
            bundle = course_bundle(options.course_root)
            try:
                run.workers = client.run(prepare_worker, bundle)
            except Exception as exc:  # noqa: BLE001 - a worker without the grader
                raise ClusterError(f"{address}: a worker cannot run the grader "
                                   f"({_exc_line(exc)}): install shallow-grader {__version__} "
                                   f"on every worker") from None
            run.missing_layers = check_workers(run.workers, client_layers,
                                               require=require_layers)
            batch = _Batch(client, address, book, options, resume, on_result, run, base={
                "options": options, "course": bundle,
                "version": __version__, "client_layers": client_layers,
                "require": client_layers if require_layers else ()})
            batch.grade(submissions)
        if batch.local:  # what the client graded itself, with its own sandbox
            from .isolation.sandbox import default_sandbox

            run.missing_layers += tuple(f"on this client: {line}"
                                        for line in default_sandbox().missing)
    finally:
        if own and book is not None:
            book.close()
    order = {s.path: i for i, s in enumerate(submissions)}
    run.results.sort(key=lambda r: order.get(r.path, 0))
    return run


class _Batch:
    """One cluster run's bookkeeping: the window of tasks in flight and the recording."""

    def __init__(self, client, address, book, options, resume, on_result, run, base):
        self.client, self.address, self.book, self.options = client, address, book, options
        self.resume, self.on_result, self.run, self.base = resume, on_result, run, base
        self.pending = {}  # task key -> (submission, was it graded before it was sent?)
        self.spent = {}  # student -> grading seconds of their notebooks so far
        self.local = 0  # submissions the client graded itself
        self.gone = ""  # why the watch gave up on the cluster
        self.window = max(2, WINDOW_PER_THREAD * sum(client.nthreads().values()))

    def grade(self, submissions):
        from distributed import as_completed

        todo = iter(submissions)
        self.queue = as_completed(loop=self.client.loop)
        for _ in range(self.window):
            if not self._send_next(todo):
                break
        stop = threading.Event()
        threading.Thread(target=self._watch, args=(stop,), daemon=True).start()
        try:
            for future in self.queue:
                submission, before = self.pending.pop(future.key)
                self._finish(future, submission, before)
                future.release()
                self._send_next(todo)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.queue.futures))
            raise
        finally:
            stop.set()

    def _watch(self, stop):
        """Give up (cancel what is in flight) when the cluster has had no worker, or the
        client no scheduler, for WORKER_WAIT_S: Dask itself would wait for ever."""
        since = None
        while not stop.wait(1.0):
            try:
                alive = self.client.status == "running" and bool(self.client.nthreads())
            except Exception:  # noqa: BLE001 - no scheduler to ask
                alive = False
            if alive:
                since = None
                continue
            since = since or time.monotonic()
            if time.monotonic() - since >= WORKER_WAIT_S:
                self.gone = f"no worker or scheduler for {WORKER_WAIT_S} s"
                with contextlib.suppress(Exception):
                    self.client.cancel(list(self.queue.futures))
                return

    def _send_next(self, todo) -> bool:
        """Send the next submission that needs the cluster (grading here those it cannot
        take, skipping those already graded); False when there are none left."""
        for submission in todo:
            used = self.spent.get(submission.student, 0.0)
            if used >= self.options.student_budget_s:  # as batch.grade_many refuses it
                self._record(failed_result(
                    submission, f"not graded: {submission.student}'s notebooks used up their "
                                f"{self.options.student_budget_s:g} s grading budget for this "
                                f"batch ({used:.0f} s)", self.options), None, submission)
                continue
            data = read_for_cluster(submission.path)
            if data is None:  # the client's reader says why, exactly as a local run does
                from .batch import _grade_safely, _unchanged

                if self.resume and self.book is not None and \
                        _unchanged(self.book, submission, self.options):
                    self._report("skipped", submission)
                else:
                    self.local += 1
                    self._record(_grade_safely(submission, self.options), None, submission)
                continue
            sha = hashlib.sha256(data).hexdigest()
            before = self._graded(submission, sha)
            if before and self.resume:
                self._report("skipped", submission)
                continue
            future = self.client.submit(
                grade_task, {**self.base, "submission": submission, "data": data, "sha256": sha},
                key=f"shallow-grade-{_key_part(submission.student)}-{sha[:16]}-"
                    f"{os.urandom(6).hex()}", pure=False)
            self.pending[future.key] = (submission, before)
            self.queue.add(future)
            return True
        return False

    def _graded(self, submission, sha):
        """Whether the gradebook holds this grading already (None: cannot tell before
        grading, the assignment is guessed from the notebook)."""
        if self.book is None or submission.assignment is None:
            return None
        seed, _ = seed_for(self.options, submission.student, submission.assignment, sha)
        return self.book.is_graded(submission.student, submission.assignment, sha,
                                   __version__, seed)

    def _finish(self, future, submission, before):
        from distributed import KilledWorker

        if future.status == "finished":
            result = SubmissionResult.from_dict(json.loads(future.result()))
        else:
            try:
                error = future.exception()
            except Exception as exc:  # noqa: BLE001 - cancelled: the cluster is gone
                error = exc
            if isinstance(error, KilledWorker):
                result = failed_result(submission, _killed(error), self.options)
            elif future.status == "cancelled" or self.client.status != "running":
                why = self.gone or (_exc_line(error) if error is not None else
                                    "the scheduler stopped answering")
                raise ClusterError(f"{self.address}: the cluster went away while grading "
                                   f"({why}); every result shown as graded is recorded: run "
                                   f"again with --resume") from None
            else:
                result = failed_result(submission, f"the cluster failed on it "
                                                   f"({_exc_line(error)})", self.options)
        self._record(result, before, submission)

    def _record(self, result, before, submission):
        """Record one result (once: not when another grader recorded the same grading since
        it was sent), then report it."""
        self.spent[submission.student] = self.spent.get(submission.student, 0.0) + \
            (result.duration_s or 0.0)
        if self.book is not None:
            if before is False and hasattr(self.book, "record_once"):
                if self.book.record_once(result) is None:
                    self._report("skipped", submission)
                    return
            else:
                self.book.record(result)
        self.run.results.append(result)
        self._report("graded", result)

    def _report(self, kind, item):
        if kind == "skipped":
            self.run.skipped.append(item)
        if self.on_result:
            self.on_result(kind, item)


def _killed(error) -> str:
    """Why a task Dask gave up on (its workers kept dying) is recorded as failed."""
    tries = getattr(error, "allowed_failures", None)
    last = getattr(getattr(error, "last_worker", None), "address", None)
    times = f"{tries + 1} times" if isinstance(tries, int) else "several times"
    return f"the worker process grading it died {times}" + \
        (f" (the last one {last})" if last else "") + "; the cluster gave up on it"


def _key_part(text) -> str:
    return re.sub(r"[^\w.-]", "_", str(text))[:40] or "_"
