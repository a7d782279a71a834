"""The code that runs inside the sandboxed child process.

It is deliberately small and self-contained: standard library and numpy only, nothing from the
grader, the reference or the rubric, so that the child's view of the file system can exclude
them. The parent starts it as ``python -I child.py --result-fd N`` and writes one JSON request on
its standard input (one line):

    {"chunks": [[cell, source], ...],          # the notebook's definitions, in order
     "calls": [{"id", "exercise", "function", "args", "kwargs", "seed", "mutation",
                "oracles"} or {"id", "exercise", "variable"}, ...],
     "blocked": ["shallow_ref", ...],          # modules the student may not import
     "stdout_cap": 65536}

It answers with JSON lines on file descriptor N (a pipe to the parent):

    {"event": "cell", "cell": k, "error": "..."}       a cell whose definitions raised
    {"event": "loaded", "names": [...]}                 callables now defined
    {"event": "begin", "exercise": "..."}               before the first call of an exercise
    {"event": "oracle", "function", "args", "kwargs", "rng"}  asks the parent (see _oracle)
    {"event": "result", "id", "value", "error", "stdout", "seconds", "args_after"}
    {"event": "done"}

The request is the first line of standard input; the parent's answers to "oracle" questions
follow, one line each, on the same pipe (the student's code sees /dev/null as its stdin).

Values travel as tagged JSON (``encode``/``decode`` below): plain numbers, strings, tuples,
lists, dicts with string keys and numeric or boolean numpy arrays. Nothing is pickled, and the
parent never executes anything the child sends. The parent computes expected values itself: the
child never sees them.
"""

from __future__ import annotations

import ast
import base64
import builtins
import io
import json
import os
import sys
import time

MAX_DEPTH = 8
MAX_ITEMS = 1000
MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_STR = 10_000
ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats
RANDOM_FUNCTIONS = ("initialize_parameters",)  # stand-ins that draw from the global generator


class Foreign:
    """A returned value of a kind that does not travel (an object, an ndarray subclass...)."""

    def __init__(self, type_name, detail=""):
        self.type_name = type_name
        self.detail = detail

    def __repr__(self):
        return f"<{self.type_name}{' ' + self.detail if self.detail else ''}>"

    def __eq__(self, other):
        return (isinstance(other, Foreign) and other.type_name == self.type_name
                and other.detail == self.detail)

    __hash__ = None


def _type_name(value):
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def encode(value, depth=0):
    """A JSON-ready description of ``value`` that reads no attribute the student defined."""
    import numpy as np

    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": value if abs(value) < 2**63 else float(value)}
    if kind is float:
        return {"t": "float", "v": value}
    if kind is str:
        return {"t": "str", "v": value[:MAX_STR]}
    if kind is np.ndarray:
        if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
            return {"t": "foreign", "type": "numpy.ndarray",
                    "detail": f"of dtype {value.dtype}"}
        if value.nbytes > MAX_ARRAY_BYTES:
            return {"t": "foreign", "type": "numpy.ndarray",
                    "detail": f"too large ({value.nbytes} bytes, shape {value.shape})"}
        data = np.ascontiguousarray(value)
        return {"t": "nd", "dtype": data.dtype.str, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.kind not in ARRAY_KINDS:
            return {"t": "foreign", "type": _type_name(value)}
        return {"t": "np", "dtype": value.dtype.str,
                "b64": base64.b64encode(value.tobytes()).decode("ascii")}
    if depth >= MAX_DEPTH:
        return {"t": "foreign", "type": _type_name(value), "detail": "nested too deeply"}
    if kind in (tuple, list):
        if len(value) > MAX_ITEMS:
            return {"t": "foreign", "type": kind.__name__, "detail": f"of {len(value)} items"}
        return {"t": kind.__name__, "items": [encode(v, depth + 1) for v in value]}
    if kind is dict:
        if len(value) > MAX_ITEMS:
            return {"t": "foreign", "type": "dict", "detail": f"of {len(value)} items"}
        items = []
        for key, item in dict.items(value):
            if type(key) is not str:
                return {"t": "foreign", "type": "dict", "detail": "with a key that is not a str"}
            items.append([key, encode(item, depth + 1)])
        return {"t": "dict", "items": items}
    if isinstance(value, np.ndarray):
        shape = ndarray_shape(value)
        return {"t": "foreign", "type": _type_name(value),
                "detail": f"(an ndarray subclass) of shape {shape}"}
    return {"t": "foreign", "type": _type_name(value)}


def ndarray_shape(value):
    import numpy as np

    return tuple(np.ndarray.__dict__["shape"].__get__(value))


def decode(obj, depth=0):
    """Inverse of ``encode``; rejects anything malformed with ValueError.

    Used by the parent on what the child sent: it builds only plain numbers, strings, containers
    and read-only numeric arrays.
    """
    import numpy as np

    if depth > MAX_DEPTH + 1 or type(obj) is not dict:
        raise ValueError("malformed value")
    tag = obj.get("t")
    if tag == "none":
        return None
    if tag in ("bool", "int", "float", "str"):
        value = obj.get("v")
        expected = {"bool": bool, "int": (int, float), "float": (float, int), "str": str}[tag]
        if not isinstance(value, expected) or (tag != "bool" and type(value) is bool):
            raise ValueError("malformed scalar")
        return float(value) if tag == "float" else value
    if tag in ("nd", "np"):
        dtype = np.dtype(str(obj.get("dtype")))
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
            raise ValueError("array of a forbidden dtype")
        raw = base64.b64decode(obj.get("b64", ""), validate=True)
        if len(raw) > MAX_ARRAY_BYTES:
            raise ValueError("array too large")
        if tag == "np":
            if len(raw) != dtype.itemsize:
                raise ValueError("malformed numpy scalar")
            return np.frombuffer(raw, dtype=dtype)[0]
        shape = tuple(int(n) for n in obj.get("shape", []))
        if any(n < 0 for n in shape) or len(shape) > 32:
            raise ValueError("malformed shape")
        array = np.frombuffer(raw, dtype=dtype).reshape(shape)
        return array
    if tag in ("tuple", "list"):
        items = [decode(v, depth + 1) for v in obj.get("items", [])]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        result = {}
        for pair in obj.get("items", []):
            key, value = pair
            if type(key) is not str:
                raise ValueError("malformed dict key")
            result[key] = decode(value, depth + 1)
        return result
    if tag == "foreign":
        return Foreign(str(obj.get("type", "?"))[:200], str(obj.get("detail", ""))[:200])
    raise ValueError(f"unknown value tag {tag!r}")


class _CappedText(io.TextIOBase):
    """A text sink that keeps the first ``cap`` characters and drops the rest."""

    def __init__(self, cap):
        self.cap = cap
        self.parts = []
        self.size = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        return len(text)

    def getvalue(self):
        return "".join(self.parts)


class _Blocker:
    """A meta-path finder that keeps the grader's own packages away from student code.

    ``shallow_ref.datasets`` (data, not answers) stays importable, so a notebook's
    ``from shallow_ref.datasets import load_planar_dataset`` still works; the rest of
    ``shallow_ref`` (the answers), ``autograder`` and ``quizzes`` raise ImportError. The package
    ``shallow_ref`` itself becomes an empty shell, so its ``__init__`` (which imports the
    answers) never runs.
    """

    ALLOWED = ("shallow_ref.datasets",)
    STUBS = {"autograder.notebook_checks": ("check", "check_answer")}

    def __init__(self, names, package_dirs=None):
        self.names = tuple(names)
        self.package_dirs = dict(package_dirs or {})

    def find_spec(self, fullname, path=None, target=None):
        import importlib.util

        top = fullname.split(".")[0]
        if top not in self.names or fullname in self.ALLOWED:
            return None
        if fullname in self.STUBS or fullname == "autograder":
            # The notebooks' own test helpers: harmless no-ops while grading, so that a
            # notebook's `from autograder.notebook_checks import check` is not an error.
            spec = importlib.util.spec_from_loader(fullname, _StubLoader(self.STUBS.get(
                fullname, ())), is_package=fullname == "autograder")
            if fullname == "autograder":
                spec.submodule_search_locations = []
            return spec
        if fullname == "shallow_ref" and "shallow_ref" in self.names:
            real = None
            for finder in sys.meta_path:
                if finder is not self and hasattr(finder, "find_spec"):
                    real = finder.find_spec(fullname, path, target)
                    if real is not None:
                        break
            locations = (real.submodule_search_locations if real is not None else None) or \
                self.package_dirs.get(fullname)
            if locations:
                spec = importlib.util.spec_from_loader(fullname, _ShellLoader(), is_package=True)
                spec.submodule_search_locations = list(locations)
                return spec
        raise ImportError(f"{fullname} is not available while grading")


LAZY_MODULES = ("matplotlib", "seaborn", "pandas", "sklearn", "scipy", "IPython", "tqdm",
                "plotly", "PIL")
"""Heavy libraries a notebook imports for its plots and experiments: loaded only when a graded
function really uses them, so a definitions-only run stays fast."""


class _LazyProxy(type(sys)):
    """Stands for a heavy module until code really uses it, then forwards to the real one.

    ``import matplotlib.pyplot as plt`` binds proxies; the first attribute that is not a
    submodule (``plt.plot``) imports the real module and answers from it.
    """

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_Lazy.real(self.__name__), name)


class _Lazy:
    """A meta-path finder that hands out _LazyProxy modules for LAZY_MODULES."""

    active = True
    loaded = set()  # top-level packages imported for real: no more proxies for them

    def find_spec(self, fullname, path=None, target=None):
        import importlib.machinery

        top = fullname.split(".")[0]
        if not _Lazy.active or top not in LAZY_MODULES or top in _Lazy.loaded:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _LazyProxy(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        return None

    @staticmethod
    def real(name):
        """Import the real module (and its packages), in place of the proxies."""
        import importlib

        top = name.split(".")[0]
        proxies = {key: module for key, module in list(sys.modules.items())
                   if (key == top or key.startswith(top + ".")) and isinstance(module,
                                                                               _LazyProxy)}
        for key in proxies:
            del sys.modules[key]
        _Lazy.loaded.add(top)
        _Lazy.active = False
        try:
            return importlib.import_module(name)
        finally:
            _Lazy.active = True


class _StubLoader:
    def __init__(self, names):
        self.names = names

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        for name in self.names:
            setattr(module, name, lambda *args, **kwargs: None)


class _ShellLoader:
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        return None


def _one_line(exc):
    """'NameError: name x is not defined (line 3)' for the student's own frames."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<cell"):
            line = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        text = "KeyboardInterrupt"
    if line:
        text += f" ({line[0].strip('<>')}, line {line[1]})"
    return text[:500]


def apply_limits(spec):
    """Lower this process's rlimits (before any student code runs; they cannot be raised again).

    ``spec`` is "as=BYTES,cpu=SECONDS,fsize=BYTES,nofile=N,nproc=N"; any part may be missing
    (nproc binds only an unprivileged uid: root ignores it). Also asks
    the kernel to kill this process if the grader dies (PR_SET_PDEATHSIG).
    """
    import resource

    names = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU,
             "fsize": resource.RLIMIT_FSIZE, "nofile": resource.RLIMIT_NOFILE,
             "nproc": resource.RLIMIT_NPROC}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for part in filter(None, spec.split(",")):
        key, _, value = part.partition("=")
        soft = int(value)
        # CPU: SIGXCPU at the soft limit, SIGKILL one second later at the hard one.
        hard = soft + 1 if key == "cpu" else soft
        resource.setrlimit(names[key], (soft, hard))
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def zygote(control_fd):
    """A fork server: import numpy once, then fork one fresh child per submission.

    Runs inside the sandbox (the same namespaces, file system view and uid as a child) and never
    runs student code itself. The parent sends, over a Unix socket, one JSON command per message:

    - ``{"op": "spawn", "limits": SPEC}`` with three file descriptors (the child's standard input,
      its result channel and its log): fork a child in a new session, in a fresh working folder,
      with lowered rlimits, that runs ``main``; answer ``{"pid": N}``;
    - ``{"op": "reap"}``: kill every other process in this pid namespace (the child and anything
      it started, daemons included), collect the child's exit status, wipe its folder and /tmp;
      answer ``{"status": CODE}`` (a negative code is a signal, as in subprocess);
    - ``{"op": "poll"}``: the child's exit status if it has ended, else null.
    """
    import shutil
    import signal
    import socket

    import numpy  # noqa: F401 - imported once here, shared by every forked child

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0)  # PR_SET_DUMPABLE 0: no ptrace by children
    except (OSError, AttributeError):  # pragma: no cover
        pass
    control = socket.socket(fileno=control_fd)
    base = os.getcwd()
    child = None
    status = None
    number = 0

    def answer(message):
        control.sendall(json.dumps(message).encode() + b"\n")

    def collect(block):
        nonlocal status
        if child is None or status is not None:
            return status
        try:
            pid, code = os.waitpid(child, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return status
        if pid:
            status = -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)
        return status

    answer({"ready": True})
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 65536, 4)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)
        command = json.loads(data)
        if command["op"] == "spawn":
            number += 1
            folder = os.path.join(base, f"s{number}")
            os.mkdir(folder, 0o700)
            status = None
            child = os.fork()
            if child == 0:  # the fresh child: nothing of the zygote's control stays open
                try:
                    control.close()
                    os.setsid()
                    stdin, result, log = fds
                    os.dup2(stdin, 0)
                    os.dup2(log, 1)
                    os.dup2(log, 2)
                    for fd in (stdin, log):
                        os.close(fd)
                    os.chdir(folder)
                    os.environ["HOME"] = os.environ["TMPDIR"] = folder
                    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
                    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False),
                                                  line_buffering=True)
                    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False),
                                                  line_buffering=True)
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    main(["--limits", command["limits"], "--result-fd", str(result)])
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            answer({"pid": child})
        elif command["op"] == "poll":
            answer({"status": collect(block=False)})
        elif command["op"] == "reap":
            me = os.getpid()
            if _own_proc():  # /proc shows our pid namespace only: end everything but us
                victims = [int(e) for e in os.listdir("/proc")
                           if e.isdigit() and int(e) not in (1, me)]
            else:  # never guess with another namespace's pids: the child's group only
                victims = [-child] if child else []
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            code = collect(block=True)
            while True:  # reap anything else that was ours
                try:
                    if os.waitpid(-1, 0)[0] == 0:
                        break
                except ChildProcessError:
                    break
            for folder in (base, "/tmp", "/dev/shm"):
                for name in os.listdir(folder) if os.path.isdir(folder) else []:
                    path = os.path.join(folder, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        try:
                            os.unlink(path)
                        except OSError:
                            pass
            child = None
            answer({"status": code})


def _own_proc():
    """Whether /proc is this pid namespace's own (bubblewrap mounts a fresh one)."""
    try:
        return int(os.readlink("/proc/self")) == os.getpid()
    except (OSError, ValueError):
        return False


def main(argv=None):
    """The child: a relay that holds the grader's channel, and a process for the student's code.

    The relay reads the request, then forks the process that loads the notebook's definitions
    and makes the calls; that process gets only a private pipe to the relay, never the grader's
    channel. The relay sends it one call at a time, takes exactly one answer per call (stand-in
    questions are passed on to the grader and back), and writes the grader's messages itself, so
    student code cannot forge them. The relay is not dumpable: another process of the same
    unprivileged uid cannot open its file descriptors through /proc.
    """
    argv = sys.argv[1:] if argv is None else argv
    if "--zygote" in argv:
        zygote(int(argv[argv.index("--control-fd") + 1]))
        return
    if "--limits" in argv:
        apply_limits(argv[argv.index("--limits") + 1])
    fd = int(argv[argv.index("--result-fd") + 1])
    replies = os.fdopen(os.dup(0), "rb")  # the parent's line-by-line answers, after the request
    request = json.loads(replies.readline())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # student code reads nothing from the grader
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0)  # PR_SET_DUMPABLE 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    up_read, up_write = os.pipe()  # student process -> relay
    down_read, down_write = os.pipe()  # relay -> student process
    worker = os.fork()
    if worker == 0:
        try:
            for handle in (fd, replies.fileno(), up_read, down_write):
                os.close(handle)
            _student_process(request, os.fdopen(up_write, "w", buffering=1, encoding="utf-8"),
                             os.fdopen(down_read, "rb"))
        finally:
            os._exit(0)  # skip any atexit handler the student registered
    os.close(up_write)
    os.close(down_read)
    channel = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    _relay(request, channel, replies, os.fdopen(up_read, "rb"), os.fdopen(down_write, "wb"),
           worker)


MAX_LINE = 64 * 1024 * 1024


def _relay(request, channel, replies, from_worker, to_worker, worker):
    """Pass the student process's answers on to the grader, one per call, in order."""

    def send(message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    def receive():
        line = from_worker.readline(MAX_LINE)
        if not line:
            _exit_like(worker)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return {}
        return message if type(message) is dict else {}

    while True:  # loading: cell errors, then the names
        message = receive()
        if message.get("event") == "cell":
            send({"event": "cell", "cell": _int(message.get("cell")),
                  "error": str(message.get("error"))[:500]})
        elif message.get("event") == "loaded":
            names = message.get("names")
            send({"event": "loaded", "names": [str(n)[:200] for n in (
                names if type(names) is list else [])[:10000]]})
            break
    current = None
    for call in request.get("calls", []):
        if call["exercise"] != current:
            current = call["exercise"]
            send({"event": "begin", "exercise": current})
        to_worker.write(json.dumps(call).encode() + b"\n")
        to_worker.flush()
        while True:
            message = receive()
            if message.get("event") == "oracle":
                send({"event": "oracle", "function": str(message.get("function")),
                      "args": message.get("args") if type(message.get("args")) is list else [],
                      "kwargs": message.get("kwargs") if type(message.get("kwargs")) is dict
                      else {}, **({"rng": message["rng"]} if "rng" in message else {})})
                line = replies.readline()
                if not line:
                    _exit_like(worker)
                to_worker.write(line)
                to_worker.flush()
                continue
            result = {"event": "result", "id": call["id"], "value": None, "stdout": "",
                      "seconds": 0.0, "error": "the function's process sent a malformed answer"}
            if message.get("event") == "result":
                error = message.get("error")
                seconds = message.get("seconds")
                result.update(
                    value=message.get("value") if type(message.get("value")) is dict else None,
                    error=str(error)[:500] if error is not None else None,
                    stdout=str(message.get("stdout", ""))[:65536],
                    seconds=float(seconds) if type(seconds) in (int, float) else 0.0)
                if error is None and result["value"] is None:
                    result["error"] = "the function's process sent no value"
                if type(message.get("args_after")) is list:
                    result["args_after"] = message["args_after"]
            send(result)
            break
    send({"event": "done"})
    channel.close()
    os._exit(0)


def _int(value):
    return value if type(value) is int else -1


def _exit_like(worker):
    """The student process ended: end the same way, so the grader reads the same status."""
    import signal

    deadline = time.monotonic() + 1.0
    status = None
    while status is None and time.monotonic() < deadline:
        pid, code = os.waitpid(worker, os.WNOHANG)
        if pid:
            status = code
        else:
            time.sleep(0.01)
    if status is None:  # it closed its pipe and lives on: the grader's clock will end it
        while True:
            time.sleep(3600)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _student_process(request, out, inp):
    """Load the notebook's definitions, then answer the relay's calls one at a time."""

    def send(message):
        out.write(json.dumps(message) + "\n")
        out.flush()

    def ask(message):
        send(message)
        line = inp.readline()
        if not line:
            raise RuntimeError("the grader did not answer")
        return json.loads(line)

    import numpy as np

    if request.get("blocked"):
        sys.meta_path.insert(0, _Blocker(request["blocked"], request.get("package_dirs")))
    sys.meta_path.insert(1 if request.get("blocked") else 0, _Lazy())
    cap = int(request.get("stdout_cap", 65536))
    real_stdout = sys.stdout
    namespace = {"__name__": "__main__", "__builtins__": builtins}

    for cell, source in request.get("chunks", []):
        # One statement at a time: an import that fails does not hide the definitions after it.
        for statement in ast.parse(source).body:
            sink = _CappedText(cap)
            sys.stdout = sink
            try:
                code = compile(ast.Module([statement], []), f"<cell {cell}>", "exec")
                exec(code, namespace)
            except BaseException as exc:  # noqa: BLE001 - any failure of student code is reported
                send({"event": "cell", "cell": cell, "error": _one_line(exc)})
            finally:
                sys.stdout = real_stdout
    send({"event": "loaded",
          "names": sorted(k for k, v in list(namespace.items()) if callable(v))})
    while True:
        line = inp.readline()
        if not line:
            return
        send(_run_call(json.loads(line), namespace, cap, np, ask))


def _oracle(name, ask, np):
    """A stand-in for the graded function ``name`` that asks the parent for the right answer.

    While one exercise is graded, the other graded functions the student's code calls are these
    stand-ins, so a mistake in one exercise costs points on that exercise alone. The stand-in for
    a function that draws random numbers sends numpy's global generator state along and takes the
    advanced state back, so seeding in the student's code keeps its meaning.
    """

    def stand_in(*args, **kwargs):
        message = {"event": "oracle", "function": name,
                   "args": [encode(a) for a in args],
                   "kwargs": {k: encode(v) for k, v in kwargs.items()}}
        if name in RANDOM_FUNCTIONS:
            message["rng"] = encode(np.random.get_state())
        reply = ask(message)
        if reply.get("error"):
            raise ValueError(f"{name}: {reply['error']}")
        if reply.get("rng") is not None:
            np.random.set_state(_writable(decode(reply["rng"])))
        return _writable(decode(reply["value"]))

    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


def _run_call(call, namespace, cap, np, ask):
    result = {"event": "result", "id": call["id"], "value": None, "error": None,
              "stdout": "", "seconds": 0.0}
    if call.get("variable"):  # an answer cell: send the variable's value back
        name = call["variable"]
        if name not in namespace:
            result["error"] = f"variable {name} not found"
        else:
            result["value"] = encode(namespace[name])
        return result
    function = namespace.get(call["function"])
    if function is None:
        result["error"] = f"function {call['function']} not found"
        return result
    if not callable(function):
        result["error"] = f"{call['function']} is not a function"
        return result
    try:
        args = [decode(a) for a in call.get("args", [])]
        kwargs = {k: decode(v) for k, v in call.get("kwargs", {}).items()}
        args = [_writable(a) for a in args]
        kwargs = {k: _writable(v) for k, v in kwargs.items()}
    except ValueError as exc:  # pragma: no cover - the parent sends well-formed requests
        result["error"] = f"grader error: {exc}"
        return result
    if call.get("seed") is not None:
        np.random.seed(call["seed"])
    missing = object()
    saved = {name: namespace.get(name, missing) for name in call.get("oracles", [])
             if name != call["function"]}
    for name in saved:
        namespace[name] = _oracle(name, ask, np)
    sink = _CappedText(cap)
    real_stdout = sys.stdout
    sys.stdout = sink
    start = time.perf_counter()
    try:
        value = function(*args, **kwargs)
        result["value"] = encode(value)
    except BaseException as exc:  # noqa: BLE001
        result["error"] = _one_line(exc)
    finally:
        sys.stdout = real_stdout
        result["seconds"] = time.perf_counter() - start
        for name, original in saved.items():
            if original is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = original
    result["stdout"] = sink.getvalue()
    if call.get("mutation"):
        result["args_after"] = [encode(a) for a in args]
    return result


def _writable(value):
    """Decoded arrays are read-only views of the message; students get ordinary arrays."""
    import numpy as np

    if type(value) is np.ndarray:
        return value.copy()
    if type(value) is dict:
        return {k: _writable(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_writable(v) for v in value)
    return value


if __name__ == "__main__":
    main()
