"""The chaos harness's failover faults (bench/chaos.py, docs/chaos.md): the product started on
the high-availability layout of docs/deploy.md for that one fault, and the fault itself.

- `redis-failover`: the product's `REDIS_URL` is `redis+sentinel://` to a private primary, 2
  replicas and 3 Sentinels (tests/redis_sentinel_set.py; two replicas as docs/deploy.md
  recommends, so the engine lease's `WAIT` is confirmed while one is away). The fault is
  kill -9 of the primary; the Sentinels promote a replica on their own.
- `postgres-failover`: the product's `DATABASE_URL` names a private primary and its streaming
  replica (tests/postgres_replica_set.py, `target_session_attrs=read-write`). The fault crashes
  the primary (`pg_ctl stop -m immediate`) and promotes the replica `PROMOTE_AFTER_SECONDS`
  later, from a timer, as Patroni would after its own detection (docs/deploy.md "PostgreSQL with
  a streaming replica"), so the probe calls run meanwhile.

The layouts are the product's for the whole of that fault's run: the harness starts a product
for each of them apart from the product of the other faults.

`kill_into_batch` (`--failover-during-arrival`): the fault that many seconds after the batch's
first caller, while callers still arrive and write, instead of at the harness's usual moment
(every caller waiting), so that writes not yet on a replica can be lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.postgres_replica_set import PostgresReplicaSet, postgres_replica_set
from tests.redis_sentinel_set import RedisSentinelSet, redis_sentinel_set

REDIS_FAILOVER = "redis-failover"
POSTGRES_FAILOVER = "postgres-failover"
FAILOVER_FAULTS = (REDIS_FAILOVER, POSTGRES_FAILOVER)
PROMOTE_AFTER_SECONDS = 5.0
"""From the primary's crash to the replica's promotion. Patroni with docs/deploy.md's settings
(`ttl` 30, `loop_wait` 10) takes ~30-40 s; the harness promotes sooner so that a batch need not
wait that out (docs/chaos.md has a run with 35 s)."""
EXTRA_HOLD_SECONDS = 10.0
"""The batch's callers hold this much longer than in the other faults, so that they hang up
after the promotion."""


class Failover:
    """One failover layout: the URLs the product is started with, and the fault."""

    def __init__(
        self, redis: RedisSentinelSet | None = None, postgres: PostgresReplicaSet | None = None,
        kill_into_batch: float | None = None,
    ) -> None:  # fmt: skip
        self.redis = redis
        self.postgres = postgres
        self.kill_into_batch = kill_into_batch
        self._injected = threading.Lock()
        self.promoted_after: float | None = None
        """Seconds from the fault until the promoted server took writes (None: not seen)."""
        self._watch: threading.Thread | None = None

    @property
    def redis_url(self) -> str | None:
        return self.redis.url() if self.redis is not None else None

    @property
    def database_url(self) -> str | None:
        return self.postgres.url() if self.postgres is not None else None

    def batch_started(self) -> None:
        """The batch's first caller dials now: with `kill_into_batch`, the fault comes then."""
        if self.kill_into_batch is not None:
            threading.Timer(self.kill_into_batch, self.inject).start()

    def inject(self) -> None:
        """The fault, once (a second call does nothing); returns at once, the promotion follows
        (the Sentinels', or a timer's)."""
        if not self._injected.acquire(blocking=False):
            return
        fault_at = time.monotonic()
        if self.redis is not None:
            self.redis.kill(self.redis.primary_port)
            promote = self._sentinels_promote
        else:
            self._crash_postgres()
            promote = self._promote_postgres
        self._watch = threading.Thread(target=promote, args=(fault_at,), daemon=True)
        self._watch.start()

    def wait_promoted(self, timeout: float = 60.0) -> None:
        if self._watch is not None:
            self._watch.join(timeout)

    def _sentinels_promote(self, fault_at: float) -> None:
        assert self.redis is not None
        deadline = fault_at + 60
        while time.monotonic() < deadline:
            if self.redis.promoted():
                self.promoted_after = time.monotonic() - fault_at
                return
            time.sleep(0.05)

    def _crash_postgres(self) -> None:
        assert self.postgres is not None
        self.postgres.primary.crash()

    def _promote_postgres(self, fault_at: float) -> None:
        assert self.postgres is not None
        time.sleep(max(fault_at + PROMOTE_AFTER_SECONDS - time.monotonic(), 0.0))
        self.postgres.replica.promote()  # returns once it accepts writes
        self.promoted_after = time.monotonic() - fault_at


@contextmanager
def failover_layout(
    fault: str, work: Path, kill_into_batch: float | None = None
) -> Iterator[Failover]:
    """The servers of `fault`'s layout, started; all stopped on leaving."""
    if fault == REDIS_FAILOVER:
        directory = work / "redis-sentinel"
        directory.mkdir()
        with redis_sentinel_set(directory, sentinels=3, replicas=2) as servers:
            yield Failover(redis=servers, kill_into_batch=kill_into_batch)
    elif fault == POSTGRES_FAILOVER:
        with postgres_replica_set() as pair:
            yield Failover(postgres=pair, kill_into_batch=kill_into_batch)
    else:
        raise ValueError(f"{fault} is not a failover fault ({', '.join(FAILOVER_FAULTS)})")
