"""A PostgreSQL server of the chaos harness's own (bench/chaos.py), so the harness can crash and
restart it: the machine's shared PostgreSQL must never be restarted.

Debian's PostgreSQL 15 binaries on a data folder made with `initdb` (trust auth, listening on
127.0.0.1 only, a free port). PostgreSQL refuses to run as root, so under root (CI) the server
runs as the `postgres` user, in a folder that user owns. `crash_and_restart` is
`pg_ctl stop -m immediate` (what a crash leaves: no checkpoint, crash recovery from the WAL at
the next start) and a start on the same port and data.

`PrivatePostgres(primary=other)` is a streaming replica of `other` instead (the production layout
of docs/deploy.md): its data is `pg_basebackup -R` of the primary's, so it starts as a hot standby
following the primary's WAL, and `promote()` makes it the primary (tests/postgres_replica_set.py).
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
    def __init__(self, primary: PrivatePostgres | None = None) -> None:
        if not (BIN / "postgres").exists():
            raise RuntimeError(f"{BIN / 'postgres'} is missing: apt install postgresql-15")
        self.port = free_port(socket.SOCK_STREAM)
        # Not under the caller's temporary folder: under root that one is closed to `postgres`.
        self.dir = Path(tempfile.mkdtemp(prefix="opencc-chaos-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        if primary is None:
            # initdb's pg_hba.conf also trusts replication connections from 127.0.0.1, and
            # PostgreSQL 15's defaults (wal_level replica, 10 WAL senders) allow a replica.
            argv = [str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                    "--no-sync"]  # fmt: skip
        else:
            # -R writes primary_conninfo and standby.signal: the copy starts as a standby. A fast
            # checkpoint, or the copy waits for a spread one (minutes on an idle server).
            argv = [str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                    "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
                    "--checkpoint=fast", "--no-sync"]  # fmt: skip
        subprocess.run(_as_postgres(argv), check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"
        self.process = self._start()
        if primary is None:
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {DATABASE}")

    def dsn(self, database: str = DATABASE) -> str:
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
                with psycopg.connect(self.dsn("postgres"), connect_timeout=1):
                    return process
            except psycopg.OperationalError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        log = (self.dir / "postgres.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the private PostgreSQL did not start:\n{log}")

    def crash(self) -> None:
        """What a crash leaves: stopped with no checkpoint, crash recovery at the next start."""
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.process.wait(timeout=30)

    def crash_and_restart(self) -> None:
        self.crash()
        self.process = self._start()

    def promote(self) -> None:
        """A standby becomes the primary (what Patroni or an operator's `pg_ctl promote` does);
        returns once it accepts writes."""
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "promote", "-D", str(self.data), "-w", "-t", "30"]),
            check=True, capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # smart shutdown: the product has stopped before
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
