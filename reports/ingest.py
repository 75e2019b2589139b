"""Ingestion of the per-tenant Redis streams into report facts, exactly once.

Streams read per tenant (docs/events.md, docs/reports.md):
- `{prefix}:{tenant}:events`: domain events of the queue engine, identity `(tenant, sequence)`;
- `{prefix}:{tenant}:cdrs`: CALL_DETAIL records from the PBX layer, identity `(tenant, call_id)`.

Each batch of stream entries is folded and written in ONE database transaction together with the
stream position (`stream_cursors`) and one `ingested_events` row per event. A process killed at any
point therefore leaves either the whole batch or none of it; on restart it resumes from the stored
position, and events it meets again (a replayed stream) are recognised by their identity and
skipped. Bad entries are stored with a logged reason and never stop the ingester.

Run it with `python -m reports.ingest --tenant demo` (see `main`), or embed `Ingester`.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from redis import Redis
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Table,
    any_,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from common.redis_keys import DEFAULT_PREFIX, cdr_stream, event_stream, is_event_stream
from reports.call_detail import DEFAULT_HOME_COUNTRY_CODE
from reports.db import make_engine, migrate
from reports.event_parsing import CALL_DETAIL, Event, Rejection, parse_event
from reports.fold import FOLDED, REJECTED, Row, WorkingSet, fold_event
from reports.models import (
    AgentMembershipEvent,
    AgentStateInterval,
    CallDetailRecord,
    IngestedEvent,
    QueueCallFact,
    RejectedEntry,
    StreamCursor,
)

log = logging.getLogger(__name__)


DEFAULT_BATCH_SIZE = 5000
"""Entries per XREAD and transaction: an upper bound, XREAD returns what is there. Bigger batches
mean fewer commits, and fewer calls whose facts span two batches (loaded and updated again)."""

FACTS: Table = cast(Table, QueueCallFact.__table__)
CDRS: Table = cast(Table, CallDetailRecord.__table__)
STATES: Table = cast(Table, AgentStateInterval.__table__)
MEMBERSHIPS: Table = cast(Table, AgentMembershipEvent.__table__)
EVENTS: Table = cast(Table, IngestedEvent.__table__)
REJECTED_ENTRIES: Table = cast(Table, RejectedEntry.__table__)
CURSORS: Table = cast(Table, StreamCursor.__table__)


def events_stream(tenant: str, prefix: str = DEFAULT_PREFIX) -> str:
    return event_stream(prefix, tenant)


def cdrs_stream(tenant: str, prefix: str = DEFAULT_PREFIX) -> str:
    return cdr_stream(prefix, tenant)


@dataclass
class IngestStats:
    """What one or more batches did (sums over all streams read)."""

    entries: int = 0
    folded: int = 0
    recorded: int = 0
    rejected: int = 0
    duplicates: int = 0

    def add(self, other: IngestStats) -> None:
        self.entries += other.entries
        self.folded += other.folded
        self.recorded += other.recorded
        self.rejected += other.rejected
        self.duplicates += other.duplicates


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _raw_reply(response: Any, **_options: Any) -> Any:
    return response


def _event_field(fields: Any) -> Any:
    """The `event` value of an entry's fields (a flat [field, value, ...] list or a dict)."""
    if isinstance(fields, dict):
        value = fields.get(b"event")
        return fields.get("event") if value is None else value
    for index in range(0, len(fields) - 1, 2):
        if fields[index] in (b"event", "event"):
            return fields[index + 1]
    return None


def _fields_dict(fields: Any) -> dict[str, str]:
    items = (
        fields.items() if isinstance(fields, dict) else zip(fields[::2], fields[1::2], strict=False)
    )
    return {_text(k): _text(v) for k, v in items}


def _text_limits(table: Table) -> list[tuple[str, int]]:
    return [
        (column.name, column.type.length)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    ]


def _clip(rows: list[Row], limits: list[tuple[str, int]]) -> None:
    """Cut free-text values to their column size: PostgreSQL refuses longer ones (SQLite not)."""
    for name, limit in limits:
        # Over-long values are rare: find the longest in C and only then walk the rows.
        if max(map(len, filter(None, map(itemgetter(name), rows))), default=0) <= limit:
            continue
        for row in rows:
            value = row[name]
            if value is not None and len(value) > limit:
                row[name] = value[:limit]


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _insert_rows(
    connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT many complete rows, values in the order of `names`: the ingester's hot path.

    Our rows already hold driver-ready values (str, int, float, bool, None), so SQLAlchemy's
    per-row parameter processing is not needed. PostgreSQL gets one COPY per table and batch:
    with psycopg's pipelined executemany (adapting, preparing, one Bind/Execute per row) the
    benchmark's ingestion took 2.3-2.6 s of its own CPU, with COPY 0.7-1.0 s (docs/reports.md).
    sqlite3 gets positional parameters, which it binds faster than named ones. Other drivers go
    through SQLAlchemy.
    """
    driver = connection.dialect.driver
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    if driver == "psycopg":
        _copy_rows(connection, f"COPY {quote(table.name)} ({columns}) FROM STDIN", rows)
    elif driver == "pysqlite":
        markers = ", ".join("?" * len(names))
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({markers})", rows
        )
    else:
        connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _copy_rows(connection: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    dbapi = connection.dialect.loaded_dbapi
    driver_connection: Any = connection.connection.driver_connection
    try:
        with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as error:
        # Raised past SQLAlchemy, so wrap it as SQLAlchemy would: a value the database refuses
        # must arrive as DataError / IntegrityError to be set aside like any other refusal.
        raise DBAPIError.instance(sql, None, error, dbapi.Error) from error


def _as_tuples(rows: list[Row], names: Sequence[str]) -> list[tuple[Any, ...]]:
    return list(map(itemgetter(*names), rows))


@dataclass(frozen=True)
class Lookups:
    """The working set's SELECTs by call ids or agents, one set per kind of database."""

    facts: Select[Any]
    queue_cdrs: Select[Any]
    pbx_calls: Select[Any]
    open_states: Select[Any]
    chunk: int
    """Most ids per statement."""


def _lookups(*, arrays: bool) -> Lookups:
    def one_of(column: ColumnElement[str]) -> ColumnElement[bool]:
        if arrays:
            return column == any_(bindparam("ids", type_=ARRAY(String())))
        # A typed expanding parameter: SQLAlchemy need not infer a type for each value.
        return column.in_(bindparam("ids", expanding=True, type_=String()))

    tenant = bindparam("tenant", type_=String())
    return Lookups(
        # No ORDER BY: with one, SQLite walks the (tenant, first_sequence) index over all of the
        # tenant's facts instead of probing (tenant, call_id); the rows are sorted in Python.
        facts=select(FACTS).where(FACTS.c.tenant == tenant, one_of(FACTS.c.call_id)),
        queue_cdrs=select(CDRS).where(
            CDRS.c.tenant == tenant, CDRS.c.origin == "queue", one_of(CDRS.c.call_id)
        ),
        pbx_calls=select(CDRS.c.call_id).where(
            CDRS.c.tenant == tenant, CDRS.c.origin == "pbx", one_of(CDRS.c.call_id)
        ),
        open_states=select(STATES).where(
            STATES.c.tenant == tenant, one_of(STATES.c.agent), STATES.c.ended_at.is_(None)
        ),
        # SQLite caps the bound parameters of a statement; an array is one parameter.
        chunk=10_000 if arrays else 500,
    )


# Built once: constructing a statement costs more than running it from SQLAlchemy's cache.
# PostgreSQL takes the ids as one array: the statement text then stays the same for any number
# of ids, where an expanding list of 500 parameters measured ~100 ms per statement (parsed,
# typed and planned each time) against ~2 ms for the array.
LOOKUPS = {"postgresql": _lookups(arrays=True)}
PORTABLE_LOOKUPS = _lookups(arrays=False)
SEEN_SEQUENCES = select(EVENTS.c.sequence).where(
    EVENTS.c.tenant == bindparam("tenant", type_=String()),
    EVENTS.c.sequence >= bindparam("low", type_=BigInteger()),
    EVENTS.c.sequence <= bindparam("high", type_=BigInteger()),
)


def _update_rows(
    connection: Connection, table: Table, rows: list[Row], columns: Sequence[str]
) -> None:
    """UPDATE many loaded rows by primary key, through the driver like `_insert_rows`."""
    marker = {"pysqlite": ":{}", "psycopg": "%({})s"}.get(connection.dialect.driver)
    if marker is None:
        # Bind names are prefixed: SQLAlchemy reserves plain column names for the SET clause.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in columns})
        )
        params = [
            {"b_id": row["id"], **{f"b_{name}": row[name] for name in columns}} for row in rows
        ]
        connection.execute(statement, params)
        return
    quote = connection.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = {marker.format(name)}" for name in columns)
    sql = f"UPDATE {quote(table.name)} SET {assignments} WHERE id = {marker.format('id')}"
    connection.exec_driver_sql(sql, rows)


TEXT_LIMITS = {
    table.name: _text_limits(table)
    for table in (FACTS, CDRS, STATES, MEMBERSHIPS, REJECTED_ENTRIES)
}
WRITTEN_COLUMNS = {
    table.name: tuple(column.name for column in table.columns if column.name != "id")
    for table in (FACTS, CDRS, STATES, MEMBERSHIPS, REJECTED_ENTRIES)
}
"""Columns of the rows the fold creates: all but the surrogate `id` the database numbers."""
EVENT_COLUMNS = ("tenant", "sequence", "type", "timestamp", "status", "reason", "raw")
"""The order of the tuples `_ingest_batch` builds for `ingested_events` (one per event)."""
FACT_MUTABLE = [c.name for c in FACTS.columns if c.name not in {"id", "tenant", "first_sequence"}]
CDR_MUTABLE = [c.name for c in CDRS.columns if c.name not in {"id", "tenant", "origin", "call_id"}]


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
        # A client of our own on the same pool whose XREAD answer is left raw: redis-py's
        # conversion of every entry into a dict is a measurable share of ingestion time.
        self._raw_redis = Redis(connection_pool=redis.connection_pool)
        self._raw_redis.set_response_callback("XREAD", _raw_reply)
        self.prefix = prefix
        self.batch_size = batch_size
        self.home_country_code = home_country_code
        self._positions: dict[str, str] = {}

    # -- positions ---------------------------------------------------------------------------

    def position(self, stream: str) -> str:
        """The last entry id of `stream` that is in the database ("0-0" when none)."""
        if stream not in self._positions:
            with self.engine.connect() as connection:
                stored = connection.execute(
                    select(CURSORS.c.last_id).where(CURSORS.c.stream == stream)
                ).scalar_one_or_none()
            self._positions[stream] = stored or "0-0"
        return self._positions[stream]

    def _save_position(self, connection: Connection, stream: str, last_id: str) -> None:
        updated = connection.execute(
            update(CURSORS).where(CURSORS.c.stream == stream).values(last_id=last_id)
        )
        if updated.rowcount == 0:
            connection.execute(insert(CURSORS).values(stream=stream, last_id=last_id))

    # -- reading -----------------------------------------------------------------------------

    def _streams(self, tenants: Iterable[str]) -> dict[str, str]:
        """stream key -> tenant, for every stream the ingester follows."""
        keys: dict[str, str] = {}
        for tenant in tenants:
            keys[events_stream(tenant, self.prefix)] = tenant
            keys[cdrs_stream(tenant, self.prefix)] = tenant
        return keys

    def _read(self, streams: dict[str, str], block_ms: int | None) -> list[tuple[str, Any]]:
        """(stream key, entries), entries as Redis sent them: [[id, [field, value, ...]], ...]."""
        request = {key: self.position(key) for key in streams}
        reply: Any = self._raw_redis.xread(
            request,  # type: ignore[arg-type]
            count=self.batch_size,
            block=block_ms,
        )
        if not reply:
            return []
        # RESP3 answers a map {key: entries}, RESP2 a list of [key, entries].
        pairs = reply.items() if isinstance(reply, dict) else reply
        return [(_text(key), entries) for key, entries in pairs if entries]

    def ingest_available(self, tenants: str | Iterable[str]) -> IngestStats:
        """Ingest everything the tenants' streams hold now, then return (no blocking)."""
        streams = self._streams([tenants] if isinstance(tenants, str) else tenants)
        total = IngestStats()
        while True:
            batches = self._read(streams, block_ms=None)
            if not batches:
                return total
            for key, entries in batches:
                total.add(self.ingest_entries(streams[key], key, entries))

    def run(
        self,
        tenants: Iterable[str],
        *,
        stop: threading.Event | None = None,
        block_ms: int = 1000,
    ) -> None:
        """Follow the tenants' streams until `stop` is set (or forever), retrying after errors."""
        streams = self._streams(tenants)
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                for key, entries in self._read(streams, block_ms=block_ms):
                    self.ingest_entries(streams[key], key, entries)
            except Exception:
                # A database or Redis outage must not end the ingester: nothing was committed for
                # the failed batch, so waiting and reading again from the stored position is safe.
                log.exception("ingestion batch failed; retrying from the stored position")
                self._positions.clear()
                stop.wait(1.0)

    # -- one batch, one transaction ------------------------------------------------------------

    def ingest_entries(self, tenant: str, stream: str, entries: Sequence[Any]) -> IngestStats:
        """Fold entries `(id, fields)` of one tenant's stream and store them with the position.

        `fields` may be a flat `[field, value, ...]` list (raw Redis) or a dict (redis-py).
        Should the database refuse a batch's rows (a value it cannot store), the batch is retried
        in halves, down to the single entry it still refuses, which is kept in
        `rejected_entries`: one bad entry can never stop the stream, and costs a few
        transactions, not one per entry of the batch.
        """
        try:
            return self._ingest_batch(tenant, stream, entries)
        except (DataError, IntegrityError) as error:
            if len(entries) > 1:
                log.warning(
                    "database refused a batch of %d entries of %s (%s); retrying in halves",
                    len(entries),
                    stream,
                    error.orig,
                )
                half = len(entries) // 2
                total = self.ingest_entries(tenant, stream, entries[:half])
                total.add(self.ingest_entries(tenant, stream, entries[half:]))
                return total
            return self._quarantine(stream, entries[0], error)

    def _quarantine(
        self, stream: str, entry: Any, error: DataError | IntegrityError
    ) -> IngestStats:
        entry_id = _text(entry[0])
        reason = f"database refused the entry: {error.orig}"
        log.error("rejected entry %s of %s: %s", entry_id, stream, reason)
        row = {
            "stream": stream,
            "entry_id": entry_id,
            "reason": reason,
            "raw": json.dumps(_fields_dict(entry[1])),
        }
        try:
            with self.engine.begin() as connection:
                names = WRITTEN_COLUMNS[REJECTED_ENTRIES.name]
                _insert_rows(connection, REJECTED_ENTRIES, names, _as_tuples([row], names))
                self._save_position(connection, stream, entry_id)
        except IntegrityError:  # kept already (a replayed entry): only move past it
            with self.engine.begin() as connection:
                self._save_position(connection, stream, entry_id)
        self._positions[stream] = entry_id
        return IngestStats(entries=1, rejected=1)

    def _ingest_batch(self, tenant: str, stream: str, entries: Sequence[Any]) -> IngestStats:
        stats = IngestStats(entries=len(entries))
        if not entries:
            return stats
        by_sequence = is_event_stream(stream)
        events: list[tuple[bytes | str, Event]] = []
        rejected_entries: list[Row] = []
        for raw_id, fields in entries:
            payload = _event_field(fields)
            if payload is None:
                parsed: Event | Rejection = Rejection(
                    "entry has no 'event' field", json.dumps(_fields_dict(fields))
                )
            else:
                parsed = parse_event(payload, expected_tenant=tenant)
            if type(parsed) is Event:
                events.append((raw_id, parsed))
                continue
            assert isinstance(parsed, Rejection)
            entry_id = _text(raw_id)
            log.warning("rejected entry %s of %s: %s", entry_id, stream, parsed.reason)
            rejected_entries.append(
                {"stream": stream, "entry_id": entry_id, "reason": parsed.reason, "raw": parsed.raw}
            )
            stats.rejected += 1

        with self.engine.begin() as connection:
            if by_sequence:
                events = self._drop_seen(connection, tenant, events, stats)
            ws = self._load_working_set(connection, tenant, [event for _, event in events])
            event_rows: list[tuple[Any, ...]] = []
            for raw_entry_id, event in events:
                status, reason = fold_event(ws, event)
                if status is FOLDED:
                    stats.folded += 1
                elif status is REJECTED:
                    log.warning(
                        "rejected %s seq %s of %s: %s", event.type, event.sequence, stream, reason
                    )
                    stats.rejected += 1
                else:
                    stats.recorded += 1
                if reason and status is not REJECTED:
                    log.info("%s seq %s: %s", event.type, event.sequence, reason)
                keep_raw = status is REJECTED or bool(event.unknown_fields)
                if by_sequence:
                    event_rows.append(
                        (
                            tenant,
                            event.sequence,
                            event.type[:40],
                            event.timestamp,
                            status,
                            reason,
                            event.raw_text if keep_raw else None,
                        )
                    )
                elif status is REJECTED:
                    rejected_entries.append(
                        {
                            "stream": stream,
                            "entry_id": _text(raw_entry_id),
                            "reason": reason or "rejected",
                            "raw": event.raw_text,
                        }
                    )
            self._write(connection, ws, event_rows, rejected_entries)
            last_id = _text(entries[-1][0])
            self._save_position(connection, stream, last_id)
        self._positions[stream] = last_id
        return stats

    def _drop_seen(
        self,
        connection: Connection,
        tenant: str,
        events: list[tuple[bytes | str, Event]],
        stats: IngestStats,
    ) -> list[tuple[bytes | str, Event]]:
        """Events whose identity `(tenant, sequence)` is new (not stored, not earlier in batch)."""
        if not events:
            return events
        sequences = [event.sequence for _, event in events]
        # One index range scan: sequences of a batch are (nearly) consecutive, and a long IN list
        # costs more to plan than the scan on PostgreSQL.
        seen: set[int] = set(
            connection.execute(
                SEEN_SEQUENCES, {"tenant": tenant, "low": min(sequences), "high": max(sequences)}
            ).scalars()
        )
        if not seen and len(set(sequences)) == len(sequences):
            return events  # the usual batch: all new, no sequence twice
        fresh: list[tuple[bytes | str, Event]] = []
        for entry_id, event in events:
            if event.sequence in seen:
                log.debug("skipping duplicate event %s/%s", tenant, event.sequence)
                stats.duplicates += 1
                continue
            seen.add(event.sequence)
            fresh.append((entry_id, event))
        return fresh

    def _load_working_set(
        self, connection: Connection, tenant: str, events: list[Event]
    ) -> WorkingSet:
        ws = WorkingSet(tenant=tenant, home_country_code=self.home_country_code)
        queue_calls = sorted({e.call_id for e in events if e.call_id and e.type != CALL_DETAIL})
        pbx_calls = sorted({e.call_id for e in events if e.call_id and e.type == CALL_DETAIL})
        agents = sorted({e.agent for e in events if e.agent and e.type == "AGENT_STATE_CHANGED"})
        lookups = LOOKUPS.get(connection.dialect.name, PORTABLE_LOOKUPS)
        for chunk in _chunks(queue_calls, lookups.chunk):
            facts = connection.execute(lookups.facts, {"tenant": tenant, "ids": chunk})
            known: set[str] = set()
            for fact in sorted(facts.mappings(), key=lambda row: row["first_sequence"]):
                ws.load_fact(dict(fact))
                known.add(fact["call_id"])
            if not known:
                continue
            # A call has a queue CDR exactly when it has a fact (the first fact creates it), so
            # brand-new calls, most of a batch, cost no second query.
            cdrs = connection.execute(lookups.queue_cdrs, {"tenant": tenant, "ids": sorted(known)})
            for cdr in cdrs.mappings():
                ws.load_queue_cdr(dict(cdr))
        for chunk in _chunks(pbx_calls, lookups.chunk):
            ws.pbx_cdr_calls.update(
                connection.execute(lookups.pbx_calls, {"tenant": tenant, "ids": chunk}).scalars()
            )
        for chunk in _chunks(agents, lookups.chunk):
            states = connection.execute(lookups.open_states, {"tenant": tenant, "ids": chunk})
            for state in states.mappings():
                ws.load_open_state(dict(state))
        return ws

    def _write(
        self,
        connection: Connection,
        ws: WorkingSet,
        event_rows: list[tuple[Any, ...]],
        rejected_entries: list[Row],
    ) -> None:
        changed_facts, changed_cdrs = ws.changed_loaded_rows()
        _clip(ws.new_facts, TEXT_LIMITS["queue_call_facts"])
        _clip(changed_facts, TEXT_LIMITS["queue_call_facts"])
        _clip(ws.new_cdrs, TEXT_LIMITS["call_detail_records"])
        _clip(changed_cdrs, TEXT_LIMITS["call_detail_records"])
        _clip(ws.new_states, TEXT_LIMITS["agent_state_intervals"])
        _clip(ws.memberships, TEXT_LIMITS["agent_membership_events"])
        _clip(rejected_entries, TEXT_LIMITS["rejected_entries"])
        if changed_facts:
            _update_rows(connection, FACTS, changed_facts, FACT_MUTABLE)
        if changed_cdrs:
            _update_rows(connection, CDRS, changed_cdrs, CDR_MUTABLE)
        if ws.closed_states:
            _update_rows(connection, STATES, ws.closed_states, ["ended_at"])
        for table, rows in (
            (FACTS, ws.new_facts),
            (CDRS, ws.new_cdrs),
            (STATES, ws.new_states),
            (MEMBERSHIPS, ws.memberships),
            (REJECTED_ENTRIES, rejected_entries),
        ):
            if rows:
                names = WRITTEN_COLUMNS[table.name]
                _insert_rows(connection, table, names, _as_tuples(rows, names))
        if event_rows:
            _insert_rows(connection, EVENTS, EVENT_COLUMNS, event_rows)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m reports.ingest --tenant demo`: migrate, then follow the tenants' streams."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--tenant", action="append", required=True)
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
        engine, Redis.from_url(args.redis_url), prefix=args.prefix, batch_size=args.batch_size
    )
    if args.until_idle:
        stats = ingester.ingest_available(args.tenant)
        log.info("ingested %s", stats)
        return
    started = time.monotonic()
    log.info("following %s", ", ".join(args.tenant))
    try:
        ingester.run(args.tenant)
    except KeyboardInterrupt:
        log.info("stopped after %.0f s", time.monotonic() - started)


if __name__ == "__main__":
    main()
