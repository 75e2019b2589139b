"""Ingestion of the per-tenant Redis streams into report facts, exactly once: the loop and its CLI.

`Ingester` follows the tenants' streams (`reports.streams`) and hands each batch to
`reports.batch` (`reports.group_batch` for the group-events stream), which folds it and stores it
in one transaction with the stream position. A batch the database refuses is retried in halves;
a database or Redis outage is waited out.

Run it with `python -m reports.ingest --all-tenants` (or `--tenant demo`; see `main`), or embed
`Ingester`.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from common.redis_connect import sync_client
from common.redis_keys import DEFAULT_PREFIX, is_group_event_stream
from reports.batch import IngestStats, ingest_batch, quarantine
from reports.call_detail import DEFAULT_HOME_COUNTRY_CODE
from reports.db import make_engine, migrate
from reports.group_batch import ingest_group_batch
from reports.streams import (
    Entry,
    PositionMoved,
    StreamReader,
    discovered_tenants,
    stream_keys,
    text,
)

log = logging.getLogger(__name__)


DEFAULT_BATCH_SIZE = 5000
"""Entries per XREAD and transaction: an upper bound, XREAD returns what is there. Bigger batches
mean fewer commits, and fewer calls whose facts span two batches (loaded and updated again)."""


class Ingester:
    """Folds tenants' streams into the reports database. One ingester per tenant at a time."""

    def __init__(
        self,
        engine: Engine,
        redis: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = DEFAULT_BATCH_SIZE,
        home_country_code: str = DEFAULT_HOME_COUNTRY_CODE,
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.prefix = prefix
        self.batch_size = batch_size
        self.home_country_code = home_country_code
        self._reader = StreamReader(engine, redis, batch_size)

    def ingest_available(self, tenants: str | Iterable[str]) -> IngestStats:
        """Ingest everything the tenants' streams hold now, then return (no blocking)."""
        streams = stream_keys([tenants] if isinstance(tenants, str) else tenants, self.prefix)
        total = IngestStats()
        while True:
            batches = self._reader.read(streams, block_ms=None)
            if not batches:
                return total
            for key, entries in batches:
                total.add(self.ingest_entries(streams[key], key, entries))

    def run(
        self,
        tenants: Iterable[str] | None,
        *,
        stop: threading.Event | None = None,
        block_ms: int = 1000,
        rescan_seconds: float = 5.0,
    ) -> None:
        """Follow the tenants' streams until `stop` is set (or forever), retrying after errors.

        `tenants` None: every tenant's, found by scanning Redis again every `rescan_seconds`,
        so a company created while this runs is reported too (its first entries wait at most
        that long; none is missed: a new stream is read from its start).
        """
        fixed = None if tenants is None else stream_keys(tenants, self.prefix)
        streams: dict[str, str] = fixed or {}
        scanned_at = -rescan_seconds
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                if fixed is None and time.monotonic() - scanned_at >= rescan_seconds:
                    streams = stream_keys(discovered_tenants(self.redis, self.prefix), self.prefix)
                    scanned_at = time.monotonic()
                if not streams:
                    stop.wait(min(rescan_seconds, block_ms / 1000))
                    continue
                for key, entries in self._reader.read(streams, block_ms=block_ms):
                    self.ingest_entries(streams[key], key, entries)
            except Exception:
                # A database or Redis outage must not end the ingester: nothing was committed for
                # the failed batch, so waiting and reading again from the stored position is safe.
                log.exception("ingestion batch failed; retrying from the stored position")
                self._reader.forget()
                stop.wait(1.0)

    def ingest_entries(self, tenant: str, stream: str, entries: Sequence[Entry]) -> IngestStats:
        """Fold entries `(id, fields)` of one tenant's stream and store them with the position.

        `fields` may be a flat `[field, value, ...]` list (raw Redis) or a dict (redis-py).
        Should the database refuse a batch's rows (a value it cannot store), the batch is retried
        in halves, down to the single entry it still refuses, which is kept in
        `rejected_entries`: one bad entry can never stop the stream, and costs a few
        transactions, not one per entry of the batch. Should the stored position not be the one
        the entries were read after, nothing is stored and the positions are read again
        (`reports.streams.PositionMoved`): the next read brings the entries the database lacks.
        """
        try:
            stats = self._store(tenant, stream, entries, self._reader.position(stream))
        except PositionMoved as moved:
            # The database lost batches it had committed (a promoted replica that never got
            # them) or another ingester moved on: read again from what the database holds.
            log.warning("%s; reading the stream again from the stored position", moved)
            self._reader.forget()
            return IngestStats()
        if entries:
            self._reader.moved(stream, text(entries[-1][0]))
        return stats

    def _store(
        self, tenant: str, stream: str, entries: Sequence[Entry], read_after: str
    ) -> IngestStats:
        try:
            if is_group_event_stream(stream):
                return ingest_group_batch(self.engine, tenant, stream, entries, read_after)
            return ingest_batch(
                self.engine, tenant, stream, entries, self.home_country_code, read_after
            )
        except (DataError, IntegrityError) as error:
            if len(entries) == 1:
                return quarantine(self.engine, stream, entries[0], error, read_after)
            log.warning(
                "database refused a batch of %d entries of %s (%s); retrying in halves",
                len(entries),
                stream,
                error.orig,
            )
            half = len(entries) // 2
            total = self._store(tenant, stream, entries[:half], read_after)
            # The second half was read after the first half's last entry, stored just now.
            total.add(self._store(tenant, stream, entries[half:], text(entries[half - 1][0])))
            return total


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m reports.ingest --tenant demo`: migrate, then follow the tenants' streams."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", action="append", help="follow this tenant (repeatable)")
    which.add_argument(
        "--all-tenants", action="store_true", help="follow every tenant, new ones too"
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--until-idle", action="store_true", help="stop when the streams hold nothing new"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = make_engine(args.database_url)
    migrate(engine)
    # What exists now (modules, SQLAlchemy's metadata and caches) lives as long as the process;
    # frozen, it is no longer walked by every full collection the batches' garbage triggers.
    gc.collect()
    gc.freeze()
    ingester = Ingester(
        engine, sync_client(args.redis_url), prefix=args.prefix, batch_size=args.batch_size
    )
    if args.until_idle:
        tenants = args.tenant or discovered_tenants(ingester.redis, args.prefix)
        stats = ingester.ingest_available(tenants)
        log.info("ingested %s", stats)
        return
    started = time.monotonic()
    log.info("following %s", ", ".join(args.tenant or ["every tenant"]))
    try:
        ingester.run(args.tenant)
    except KeyboardInterrupt:
        log.info("stopped after %.0f s", time.monotonic() - started)


if __name__ == "__main__":
    main()
