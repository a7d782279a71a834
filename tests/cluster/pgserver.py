"""A throwaway PostgreSQL server for the tests: Debian's initdb and pg_ctl in a temporary folder.

Its own data folder, TCP port (127.0.0.1 only) and unix-socket folder; no system service is
used or touched. As root the server runs as the ``postgres`` system user (``runuser``), since
PostgreSQL refuses to run as root. Password authentication (scram-sha-256) on every
connection, so a wrong password is a real refusal.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

SUPERUSER = "postgres"
PASSWORD = "s3cret-for-tests"
MISSING = ("PostgreSQL's initdb is not installed: `make test` installs it (Debian package "
           "postgresql)")


def find_bin() -> Path | None:
    """The folder of Debian's newest PostgreSQL programs (initdb, pg_ctl), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One running server; ``url(database)`` for a client, ``create_database()`` for a fresh
    empty database per test."""

    def __init__(self, bindir: Path, *, fsync=False):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="shallow-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)
        self._as_owner(["mkdir", "-p", str(self.sockets)])
        (pwfile := self.base / "pw").write_text(PASSWORD)
        if self.user:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self._as_owner([str(bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                        f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"])
        self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.base / "log"), "-w", "-t", "60", "-o",
                        f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                        f"-c fsync={'on' if fsync else 'off'} -c max_connections=60", "start"])

    def _as_owner(self, argv):
        if self.user is not None:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.base)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
        return done

    def url(self, database="postgres", *, password=PASSWORD, user=SUPERUSER) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement, database="postgres"):
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else None

    def create_database(self) -> str:
        """A new empty database's URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self):
        with contextlib.suppress(RuntimeError):
            self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"])
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running_server(*, fsync=False):
    """A server for the length of the block; a one-line failure when PostgreSQL is missing
    (``fsync=False``, the tests' default, trades durability for speed)."""
    import pytest

    bindir = find_bin()
    if bindir is None:
        pytest.fail(MISSING, pytrace=False)
    server = PostgresServer(bindir, fsync=fsync)
    try:
        yield server
    finally:
        server.stop()
