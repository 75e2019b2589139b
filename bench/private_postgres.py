"""A PostgreSQL server of the chaos harness's own (bench/chaos.py), so the harness can crash and
restart it: the machine's shared PostgreSQL must never be restarted.

Debian's PostgreSQL 15 binaries on a data folder made with `initdb` (trust auth, listening on
127.0.0.1 only, a free port). PostgreSQL refuses to run as root, so under root (CI) the server
runs as the `postgres` user, in a folder that user owns. `crash_and_restart` is
`pg_ctl stop -m immediate` (what a crash leaves: no checkpoint, crash recovery from the WAL at
the next start) and a start on the same port and data.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from common.child_processes import dies_with_parent
from tests.ports import free_port

BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "opencc"


def _as_postgres(argv: list[str]) -> list[str]:
    """`argv` run as the `postgres` user when this process is root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv") or "setpriv"
    return [setpriv, "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *argv]


class PrivatePostgres:
    def __init__(self) -> None:
        if not (BIN / "postgres").exists():
            raise RuntimeError(f"{BIN / 'postgres'} is missing: apt install postgresql-15")
        self.port = free_port(socket.SOCK_STREAM)
        # Not under the caller's temporary folder: under root that one is closed to `postgres`.
        self.dir = Path(tempfile.mkdtemp(prefix="opencc-chaos-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--no-sync"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"
        self.process = self._start()
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            dies_with_parent(_as_postgres([
                str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                "-c", "max_connections=200",
            ])),
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "postgres.log").open("ab"),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self._dsn("postgres"), connect_timeout=1):
                    return process
            except psycopg.OperationalError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        log = (self.dir / "postgres.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the private PostgreSQL did not start:\n{log}")

    def crash_and_restart(self) -> None:
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.process.wait(timeout=30)
        self.process = self._start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # smart shutdown: the product has stopped before
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
