"""The isolation layers: which ones this machine offers, and the command lines that apply them.

Layers, strongest last:

- ``rlimits`` (CPU, address space, file size, open files, processes, no core dumps),
  ``session`` (a new session, killed as a whole), ``clean-env`` (a minimal environment):
  always;
- ``seccomp``: a filter against new namespaces, mounts, tracing and kernel extras
  (``seccomp.py``); wherever the kernel allows no-new-privileges filters;
- ``netns``, ``pidns``: no network at all, and a pid namespace whose processes all die with it
  (bubblewrap's, or ``unshare``'s);
- ``ipcns``, ``tmpfs``: each child's own IPC namespace and private, size-limited tmpfs on every
  place it may write (its folder, /tmp, /dev/shm); both vanish with its last process (needs
  root);
- ``bwrap``: bubblewrap's minimal read-only file system: the course, the submissions, the
  gradebook and the grader's own packages are not in the child's view;
- ``uid``: each child runs as an unprivileged uid of its own (needs root).

Each combination is proven by running the real child (``child.py --probe``) with it, so a layer
that cannot start the child (an interpreter the sandbox's uid cannot reach, say) is dropped
with its reason and never blamed on a student.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache, lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSIDE = ("child.py", "wire.py", "seccomp.py")  # all of the grader the sandbox holds
CHILD_PATH = HERE / "child.py"
SANDBOX_DIR = "/sandbox"
SANDBOX_WORK = "/sandbox/work"
SANDBOX_CHILD = "/sandbox/child.py"
BLOCKED_MODULES = ("shallow_ref", "autograder", "quizzes")
UID_BASE = 1_100_000  # unprivileged uids, never a real user's: UID_BASE + slot * UID_SLOT + n
UID_SLOT = 10_000
ZYGOTE_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_ADMIN", "CAP_KILL")
"""What the zygote keeps of root inside bubblewrap: switching each child to its own uid,
giving it its own namespaces and tmpfs, and killing its processes. Children keep nothing."""

ALWAYS = ("rlimits", "session", "clean-env")
ORDER = ("rlimits", "session", "clean-env", "seccomp", "netns", "pidns", "ipcns", "tmpfs",
         "bwrap", "uid")


def sort_layers(layers):
    return tuple(sorted(set(layers), key=ORDER.index))


@lru_cache(maxsize=1)
def secret_dirs():
    """Folders of the grader's own packages (the reference, the rubric, the bank)."""
    import importlib.util

    found = []
    for name in BLOCKED_MODULES:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(os.path.realpath(location))
    return tuple(found)


@lru_cache(maxsize=1)
def data_files():
    """Files the child may read although they live in a hidden folder: the data sets."""
    import importlib.util

    spec = importlib.util.find_spec("shallow_ref")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "datasets.py")
        if os.path.exists(path):
            return (os.path.realpath(path),)
    return ()


def python_trees(python):
    """Folders the interpreter needs: its installation and the virtual environment."""
    trees = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    real = os.path.realpath(python)
    if not any(real.startswith(tree + os.sep) for tree in trees):
        trees.add(os.path.dirname(os.path.dirname(real)))
    return sorted(trees)


@cache
def site_dirs(python):
    """The folders a child started with ``-S`` imports numpy and the rest from: this
    interpreter's site-packages (and numpy's own folder, should a .pth file have put it
    elsewhere). Without the site module the child runs no .pth file (an editable install's
    import hook, for one) and starts ~15 ms sooner. None for another interpreter: it keeps
    its site module."""
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        return None
    import importlib.util
    import site

    found = [d for d in site.getsitepackages() if os.path.isdir(d)]
    spec = importlib.util.find_spec("numpy")
    if spec is not None and spec.origin:
        home = os.path.dirname(os.path.dirname(spec.origin))
        if home not in found:
            found.append(home)
    return tuple(found)


def bwrap_argv(python, *, net=True, pid=True, privileged=False, work_mb=64):
    """The bubblewrap command line that starts ``python`` in a minimal, read-only file system.

    The child sees /usr, /etc, the interpreter and its packages (read-only), a private /tmp,
    its folder /sandbox/work (a size-limited tmpfs) and the three files of ``INSIDE``; not the
    course, the submissions, the gradebook or the grader's packages (only the data sets file).
    ``privileged``: the process inside stays root with ``ZYGOTE_CAPS`` only (it isolates and
    drops each child itself); otherwise no capability at all.
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
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 << 20), "--tmpfs", "/tmp"]
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

    trees = python_trees(python)
    for tree in trees:
        argv += parents(tree) + ["--ro-bind", tree, tree]
        made.add(tree)
    for secret in secret_dirs():
        if any(secret.startswith(tree + os.sep) for tree in trees):
            argv += ["--tmpfs", secret]  # an installed (not editable) grader: hide it
    for data in data_files():
        argv += parents(data) + ["--ro-bind", data, data]
    argv += ["--perms", "0755", "--dir", SANDBOX_DIR,
             "--size", str(work_mb << 20), "--tmpfs", SANDBOX_WORK, "--chdir", SANDBOX_WORK]
    for name in INSIDE:
        argv += ["--ro-bind", str(HERE / name), f"{SANDBOX_DIR}/{name}"]
    argv += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent",
             "--new-session"]
    if privileged:
        argv += ["--cap-drop", "ALL"]
        for cap in ZYGOTE_CAPS:
            argv += ["--cap-add", cap]
    if net:
        argv.append("--unshare-net")
    if pid:
        argv.append("--unshare-pid")
    argv.append("--")
    return argv


def unshare_argv(*, net, pid, private):
    flags = []
    if net:
        flags.append("--net")
    if pid:
        flags += ["--pid", "--fork", "--kill-child"]
    if private:
        flags += ["--mount", "--ipc"]
    return [shutil.which("unshare") or "unshare", *flags, "--"]


def child_argv(python, layers, tail, *, workdir=None):
    """The command line of one child (or zygote) under ``layers``: ``python -I child.py *tail``
    wrapped in bubblewrap or unshare as they say."""
    layers = set(layers)
    root = os.geteuid() == 0
    if "bwrap" in layers:
        flags = ["-I", "-B"]
        found = site_dirs(python)
        if found is not None:  # no site module: no .pth file of the host runs in the sandbox
            flags = ["-I", "-S", "-B"]
            tail = ["--site", os.pathsep.join(found), *tail]
        return bwrap_argv(python, net="netns" in layers, pid="pidns" in layers,
                          privileged=root) + [python, *flags, SANDBOX_CHILD, *tail]
    # Without bubblewrap the child keeps its site module: what it imports there before its
    # uid changes is what a student's later imports find, as the interpreter's own folder
    # (under /root, say) may be closed to that uid.
    argv = [python, "-I", "-B", str(CHILD_PATH), *tail]
    if workdir is not None and root and "tmpfs" in layers:
        argv += ["--private", "--workdir", str(workdir)]
    wrap = {"netns", "pidns"} & layers or (root and "tmpfs" in layers)
    if wrap:
        argv = unshare_argv(net="netns" in layers, pid="pidns" in layers,
                            private=root and "tmpfs" in layers) + argv
    return argv


def environment(layers, workdir):
    inside = SANDBOX_WORK if "bwrap" in layers else str(workdir)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": inside, "TMPDIR": inside,
        "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    if "seccomp" in layers:
        env["SHALLOW_REQUIRE_SECCOMP"] = "1"
    return env


def probe(python, layers, uid=None, timeout=30):
    """None when the real child starts and imports what notebooks use under ``layers``,
    else the reason (one line)."""
    tail = ["--probe"]
    if uid is not None and "uid" in layers:
        tail += ["--uid", str(uid)]
    with tempfile.TemporaryDirectory(prefix="shallow-probe-") as workdir:
        if uid is not None and "uid" in layers and "bwrap" not in layers:
            os.chown(workdir, uid, uid)
        argv = child_argv(python, layers, tail, workdir=workdir)
        if "bwrap" in layers and os.geteuid() == 0:
            argv += ["--private", "--workdir", SANDBOX_WORK] if "tmpfs" in layers else []
        if "seccomp" in layers:
            argv.append("--seccomp")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  cwd=workdir, env=environment(layers, workdir))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
    if done.returncode == 0 and done.stdout.strip() == "ok":
        return None
    tail_line = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return tail_line[:200]


def optimistic():
    """Every layer, when the tools for them are here (the zygote's own start confirms them)."""
    if os.geteuid() == 0 and shutil.which("bwrap"):
        return ORDER
    return None


@lru_cache(maxsize=4)
def detect(python=None):
    """(layers, missing): the strongest combination whose probe runs the child, and why each
    stronger layer is missing. Tried once per process."""
    python = python or sys.executable
    root = os.geteuid() == 0
    uid = UID_BASE + UID_SLOT - 1 if root else None  # a uid no real child gets
    missing = []
    candidates = []
    if shutil.which("bwrap"):
        if root:
            candidates.append(ORDER)
        candidates.append(("rlimits", "session", "clean-env", "seccomp", "netns", "pidns",
                           "bwrap"))
    else:
        missing.append("bwrap: bubblewrap is not installed (Debian package bubblewrap)")
    if shutil.which("unshare"):
        if root:
            candidates.append(("rlimits", "session", "clean-env", "seccomp", "netns", "pidns",
                               "ipcns", "tmpfs", "uid"))
        candidates.append(("rlimits", "session", "clean-env", "seccomp", "netns", "pidns"))
    if root:
        candidates.append(("rlimits", "session", "clean-env", "seccomp", "uid"))
    candidates += [("rlimits", "session", "clean-env", "seccomp"), ALWAYS]
    seen_reasons = {}
    for layers in candidates:
        problem = probe(python, layers, uid)
        if problem is None:
            for layer in ORDER:
                if layer not in layers and not any(m.startswith(layer + ":") for m in missing):
                    why = seen_reasons.get(layer, "not available here")
                    missing.append(f"{layer}: {why}")
            if not root:
                missing = [m if not m.startswith(("uid:", "ipcns:", "tmpfs:")) else
                           m.split(":")[0] + ": the grader is not root" for m in missing]
            return sort_layers(layers), tuple(missing)
        for layer in layers:
            seen_reasons.setdefault(layer, f"the child did not start with it ({problem})")
    return ALWAYS, tuple(missing)
