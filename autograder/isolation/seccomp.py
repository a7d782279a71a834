"""A seccomp filter for the child: no namespaces, mounts, tracing or kernel-facing extras.

Standard library only: the child loads this file from its sandbox. ``program(arch)`` builds the
classic-BPF program (pure, unit-tested); ``install()`` applies it to the calling process (after
``PR_SET_NO_NEW_PRIVS``; it is inherited by every process the child starts and cannot be lifted).

Refused with EPERM: ``unshare`` and ``setns`` (no new user, mount, network... namespace: the
sandbox's namespaces are the last ones), ``clone`` with any namespace flag, mounting
(``mount``, ``umount2``, ``pivot_root``, ``chroot``, the new mount API), tracing another
process (``ptrace``, ``process_vm_readv``/``writev``, ``kcmp``), the kernel keyring, ``bpf``,
``perf_event_open``, ``userfaultfd``, ``io_uring``, modules, reboot, swap, clock and host name
changes, and file handles. ``clone3`` answers ENOSYS (its flags live in memory a filter cannot
read), so the C library falls back to ``clone``, whose flags it can. Any other architecture
than the one the filter was built for (the x32 ABI included) is killed.
"""

from __future__ import annotations

import os
import platform
import struct

EPERM, ENOSYS = 1, 38
CLONE_NAMESPACES = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                    | 0x20000000 | 0x40000000 | 0x00000080)
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME."""

ARCHES = {
    # audit arch, x32 bit (None: none), syscall numbers
    "x86_64": (0xC000003E, 0x40000000, {
        "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
        "pivot_root": 155, "chroot": 161, "ptrace": 101, "process_vm_readv": 310,
        "process_vm_writev": 311, "kcmp": 312, "keyctl": 250, "add_key": 248,
        "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "kexec_load": 246, "kexec_file_load": 320,
        "init_module": 175, "finit_module": 313, "delete_module": 176, "reboot": 169,
        "swapon": 167, "swapoff": 168, "acct": 163, "settimeofday": 164, "clock_settime": 227,
        "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
        "quotactl": 179, "name_to_handle_at": 303, "open_by_handle_at": 304,
    }),
    "aarch64": (0xC00000B7, None, {
        "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
        "pivot_root": 41, "chroot": 51, "ptrace": 117, "process_vm_readv": 270,
        "process_vm_writev": 271, "kcmp": 272, "keyctl": 219, "add_key": 217,
        "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "kexec_load": 104, "kexec_file_load": 294,
        "init_module": 105, "finit_module": 273, "delete_module": 106, "reboot": 142,
        "swapon": 224, "swapoff": 225, "acct": 89, "settimeofday": 170, "clock_settime": 112,
        "sethostname": 161, "setdomainname": 162, "quotactl": 60, "name_to_handle_at": 264,
        "open_by_handle_at": 265,
    }),
}

# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
RET_KILL = 0x80000000  # SECCOMP_RET_KILL_PROCESS
RET_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


def program(arch: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for ``arch`` ("x86_64" or "aarch64")."""
    audit, x32, numbers = ARCHES[arch]
    denied = sorted(n for name, n in numbers.items() if name not in ("clone", "clone3"))
    tail = [
        ("ret", RET_ALLOW),  # allow
        ("ret", RET_ERRNO | EPERM),  # eperm
        ("ret", RET_ERRNO | ENOSYS),  # enosys
        ("ret", RET_KILL),  # kill
    ]
    body = [("ld", _OFF_ARCH), ("jne_kill", audit), ("ld", _OFF_NR)]
    if x32 is not None:
        body.append(("jge_kill", x32))
    body.append(("jeq_to", numbers["clone3"], "enosys"))
    for number in denied:
        body.append(("jeq_to", number, "eperm"))
    body += [("jeq_skip", numbers["clone"]), ("ld", _OFF_ARG0),
             ("jset_to", CLONE_NAMESPACES, "eperm"), ("jmp_to", "allow")]
    # Resolve: the tail's labels sit right after the body.
    labels = {"allow": len(body), "eperm": len(body) + 1, "enosys": len(body) + 2,
              "kill": len(body) + 3}
    out = []
    for i, (op, *rest) in enumerate(body):
        def to(label, i=i):
            offset = labels[label] - i - 1
            if not 0 <= offset <= 255:
                raise ValueError("seccomp program too long for a jump")
            return offset
        if op == "ld":
            out.append((_LD_W_ABS, 0, 0, rest[0]))
        elif op == "jne_kill":
            out.append((_JEQ_K, 0, to("kill"), rest[0]))
        elif op == "jge_kill":
            out.append((_JGE_K, to("kill"), 0, rest[0]))
        elif op == "jeq_to":
            out.append((_JEQ_K, to(rest[1]), 0, rest[0]))
        elif op == "jeq_skip":  # not clone: allow; clone: look at its flags
            out.append((_JEQ_K, 0, to("allow"), rest[0]))
        elif op == "jset_to":
            out.append((_JSET_K, to(rest[1]), 0, rest[0]))
        elif op == "jmp_to":  # an always-true test: jump to the label
            out.append((_JGE_K, to(rest[0]), to(rest[0]), 0))
    for _, k in tail:
        out.append((_RET_K, 0, 0, k))
    return out


def evaluate(instructions, nr: int, arch_value: int, arg0: int = 0) -> int:
    """Run the filter on one system call (for tests): the action it returns."""
    data = {_OFF_NR: nr, _OFF_ARCH: arch_value, _OFF_ARG0: arg0 & 0xFFFFFFFF}
    acc, pc = 0, 0
    while pc < len(instructions):
        code, jt, jf, k = instructions[pc]
        if code == _LD_W_ABS:
            acc = data[k]
            pc += 1
        elif code == _RET_K:
            return k
        else:
            hit = {_JEQ_K: acc == k, _JGE_K: acc >= k, _JSET_K: bool(acc & k)}[code]
            pc += 1 + (jt if hit else jf)
    raise ValueError("the filter fell off its end")


def current_arch() -> str | None:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64",
            "arm64": "aarch64"}.get(machine)


_PREPARED = []


def prepare():
    """Build the filter for this machine once (the zygote does, before it forks): then
    ``install`` in each child is two system calls. None when done, else why it cannot be."""
    if _PREPARED:
        return _PREPARED[0] if isinstance(_PREPARED[0], str) else None
    import ctypes

    arch = current_arch()
    if arch is None:
        _PREPARED.append(f"no seccomp filter for this architecture ({platform.machine()})")
        return _PREPARED[0]
    instructions = program(arch)
    raw = b"".join(struct.pack("HBBI", *ins) for ins in instructions)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(instructions), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    _PREPARED.append((libc, prog, buffer, ctypes.addressof(prog), ctypes.get_errno))
    return None


def install() -> str | None:
    """Apply the filter to this process; None when done, else why it could not be."""
    problem = prepare()
    if problem is not None:
        return problem
    libc, _prog, _buffer, address, get_errno = _PREPARED[0]
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return f"PR_SET_NO_NEW_PRIVS failed ({os.strerror(get_errno())})"
    if libc.prctl(22, 2, address, 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        return f"seccomp failed ({os.strerror(get_errno())})"
    return None
