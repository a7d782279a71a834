"""The child's seccomp filter, evaluated instruction by instruction (pure), then for real."""

import os
import subprocess
import sys

import pytest

from autograder.isolation import seccomp

ARCH = "x86_64"
AUDIT, X32, NR = seccomp.ARCHES[ARCH]
ALLOW, KILL = seccomp.RET_ALLOW, seccomp.RET_KILL
EPERM = seccomp.RET_ERRNO | seccomp.EPERM
ENOSYS = seccomp.RET_ERRNO | seccomp.ENOSYS
PROGRAM = seccomp.program(ARCH)


def run(nr, arg0=0, arch=AUDIT):
    return seccomp.evaluate(PROGRAM, nr, arch, arg0)


@pytest.mark.parametrize("name", sorted(n for n in NR if n not in ("clone", "clone3")))
def test_every_listed_call_is_refused_with_eperm(name):
    assert run(NR[name]) == EPERM


def test_ordinary_calls_are_allowed():
    for nr in (0, 1, 2, 3, 9, 39, 57, 59, 60, 231):  # read write open close mmap getpid ...
        assert run(nr) == ALLOW


def test_clone_is_allowed_for_fork_and_threads_but_not_for_namespaces():
    fork_flags = 0x01200011  # SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID
    thread_flags = 0x003D0F00
    assert run(NR["clone"], fork_flags) == ALLOW
    assert run(NR["clone"], thread_flags) == ALLOW
    for flag in (0x10000000, 0x20000000, 0x40000000, 0x00020000, 0x08000000, 0x04000000):
        assert run(NR["clone"], fork_flags | flag) == EPERM, hex(flag)


def test_clone3_is_enosys_so_the_c_library_falls_back_to_clone():
    assert run(NR["clone3"]) == ENOSYS


def test_another_architecture_and_the_x32_abi_are_killed():
    assert run(NR["unshare"], arch=0x40000003) == KILL  # i386
    assert run(X32 | 1) == KILL


def test_the_aarch64_program_is_consistent():
    audit, _, numbers = seccomp.ARCHES["aarch64"]
    program = seccomp.program("aarch64")
    assert seccomp.evaluate(program, numbers["unshare"], audit) == EPERM
    assert seccomp.evaluate(program, numbers["clone"], audit, 0x11) == ALLOW
    assert seccomp.evaluate(program, 63, audit) == ALLOW  # read


PROBE = r"""
import ctypes, os, subprocess, sys, threading
sys.path.insert(0, sys.argv[1])
import seccomp
assert seccomp.install() is None
libc = ctypes.CDLL(None, use_errno=True)
results = {}
results["unshare_user"] = (libc.unshare(0x10000000), ctypes.get_errno())
results["unshare_ns"] = (libc.unshare(0x00020000), ctypes.get_errno())
results["mount"] = (libc.mount(b"x", b"/tmp", b"tmpfs", 0, None), ctypes.get_errno())
results["ptrace"] = (libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())
pid = os.fork()
if pid == 0:
    os._exit(7)
results["fork"] = os.waitpid(pid, 0)[1] >> 8
t = threading.Thread(target=lambda: None); t.start(); t.join()
results["thread"] = True
results["unshare_binary"] = subprocess.run(["unshare", "-U", "true"],
                                           capture_output=True).returncode
print(results)
"""


@pytest.mark.skipif(seccomp.current_arch() is None, reason="no filter for this architecture")
def test_the_real_filter_refuses_namespaces_mounts_and_tracing_but_not_fork_or_threads():
    folder = os.path.dirname(seccomp.__file__)
    out = subprocess.run([sys.executable, "-c", PROBE, folder], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    results = eval(out.stdout)  # noqa: S307 - our own probe's dict
    for call in ("unshare_user", "unshare_ns", "mount", "ptrace"):
        assert results[call] == (-1, 1), (call, results[call])  # EPERM
    assert results["fork"] == 7 and results["thread"] is True
    assert results["unshare_binary"] != 0
