"""The ``shallow`` program's entry point: start the sandbox's zygote first, then the CLI.

A grade in this process (``shallow grade`` with one job, ``shallow check``) needs the zygote,
which imports numpy inside bubblewrap (about 150 ms). Started here, before click and the
grader's own modules load, that import runs on the other CPU while this process loads. Only
the command name and the options that move grading elsewhere (``--cluster``, ``--jobs N``)
are looked at; a guess that turns out wrong costs a zygote that ``atexit`` stops, never a
different result: the command itself parses everything again.
"""

from __future__ import annotations

import sys


def grades_here(argv) -> bool:
    """Whether ``argv`` (without the program name) grades in this process's own sandbox."""
    if not argv or argv[0] not in ("grade", "check"):
        return False
    args = list(argv[1:])
    for index, arg in enumerate(args):
        if arg in ("-h", "--help", "--cluster") or arg.startswith("--cluster="):
            return False
        if arg in ("--jobs", "-j"):
            value = args[index + 1] if index + 1 < len(args) else ""
        elif arg.startswith("--jobs="):
            value = arg.partition("=")[2]
        elif arg.startswith("-j") and len(arg) > 2:
            value = arg[2:]
        else:
            continue
        if value.strip() != "1":
            return False
    return True


def main():
    here = grades_here(sys.argv[1:])
    if here:
        try:
            from .isolation.sandbox import default_sandbox

            default_sandbox().warm()
        except Exception:  # noqa: BLE001 - the command reports the problem itself, in one line
            pass
    from .cli import main as cli

    if not here:
        return cli()
    try:
        cli()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code):
    """End a grade now, without Python's own teardown of every module (~50 ms once numpy and
    the grader are loaded). What that teardown would do that matters is done first: the exit
    handlers run (the zygote is stopped, the sandbox's folders and temporary files removed)
    and the output is flushed. The gradebook is closed by then: each command closes its own
    before it returns, and no thread is running (``--cluster`` and ``--jobs`` never get
    here)."""
    import atexit
    import os

    atexit._run_exitfuncs()
    if code is not None and not isinstance(code, int):  # sys.exit("why"), as Python prints it
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing more to say
            pass
    os._exit(code or 0)
