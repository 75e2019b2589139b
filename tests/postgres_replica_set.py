"""A private PostgreSQL primary and its streaming replica, real servers (Debian's PostgreSQL 15
under bench/private_postgres.py) on free ports in temporary folders, for tests of a failover
(tests/e2e/test_postgres_failover.py): the production layout of docs/deploy.md on one machine.

The servers are started by this process with `setpriv --pdeathsig`, so they die with the test
run however it ends; `postgres_replica_set` also stops them and removes their folders."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from bench.private_postgres import DATABASE, PrivatePostgres

HOST = "127.0.0.1"
CONNECT_TIMEOUT = 2
"""Seconds libpq waits for each host: a dead machine that drops packets (no "connection refused")
costs this much before the next host is tried."""


@dataclass
class PostgresReplicaSet:
    primary: PrivatePostgres
    replica: PrivatePostgres

    def url(self, target_session_attrs: str = "read-write") -> str:
        """The product's `DATABASE_URL`: both hosts, libpq style, the writable one wanted."""
        hosts = f"{HOST}:{self.primary.port},{HOST}:{self.replica.port}"
        return (
            f"postgresql+psycopg://postgres@{hosts}/{DATABASE}"
            f"?target_session_attrs={target_session_attrs}&connect_timeout={CONNECT_TIMEOUT}"
        )

    def wait_replayed(self, timeout: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.dsn(), autocommit=True) as primary:
            row = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.replica.dsn(), autocommit=True) as replica:
            while True:
                caught_up = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)
                ).fetchone()
                if caught_up is not None and caught_up[0]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica did not replay up to {row[0]}")
                time.sleep(0.05)

    def cut_replication(self, timeout: float = 30.0) -> None:
        """The replica stops receiving the primary's WAL (what a lagging replica looks like at a
        crash): whatever the primary commits from now on is not on the replica."""
        with psycopg.connect(self.replica.dsn(), autocommit=True) as replica:
            replica.execute("ALTER SYSTEM SET primary_conninfo = ''")
            replica.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + timeout
            while replica.execute("SELECT count(*) FROM pg_stat_wal_receiver").fetchone() != (0,):
                if time.monotonic() > deadline:
                    raise AssertionError("the replica's WAL receiver did not stop")
                time.sleep(0.05)

    def fail_over(self) -> None:
        """The primary crashes (no checkpoint, no goodbye to its clients); the replica is
        promoted, as Patroni (or an operator's `pg_ctl promote`) would (docs/deploy.md)."""
        self.primary.crash()
        self.replica.promote()


@contextmanager
def postgres_replica_set() -> Iterator[PostgresReplicaSet]:
    primary = PrivatePostgres()
    try:
        replica = PrivatePostgres(primary=primary)
        try:
            yield PostgresReplicaSet(primary, replica)
        finally:
            replica.stop()
    finally:
        primary.stop()
