"""The tenants' Redis streams as the ingester reads them, and its position in each.

Streams read per tenant (docs/events.md, docs/reports.md):
- `{prefix}:{tenant}:events`: domain events of the queue engine, identity `(tenant, sequence)`;
- `{prefix}:{tenant}:cdrs`: CALL_DETAIL records from the PBX layer, identity `(tenant, call_id)`;
- `{prefix}:{tenant}:group-events`: the group services' call events, Redis ids, identity a digest
  of the event (`reports.group_fold`).

The position in a stream is the last entry id stored in `stream_cursors`; it is saved in the
transaction that stores the entries' rows, so position and facts never disagree after a crash,
and only if it is still the one the batch was read after (`save_position`), so a database that
lost committed batches (a promoted replica) is noticed and those entries are read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from redis import Redis
from sqlalchemy import Connection, Engine, insert, select, update

from common.redis_keys import (
    cdr_stream,
    event_stream,
    group_event_stream,
    tenant_of_stream,
    tenant_stream_patterns,
)
from reports.models import CURSORS

NO_POSITION = "0-0"
"""The position in a stream nothing of which is stored yet: read from its start."""

Entry = tuple[bytes | str, Any]
"""A stream entry as Redis sends it: (id, [field, value, ...]) raw, or (id, {field: value})."""


def stream_keys(tenants: Iterable[str], prefix: str) -> dict[str, str]:
    """stream key -> tenant, for every stream the ingester follows."""
    keys: dict[str, str] = {}
    for tenant in tenants:
        keys[event_stream(prefix, tenant)] = tenant
        keys[cdr_stream(prefix, tenant)] = tenant
        keys[group_event_stream(prefix, tenant)] = tenant
    return keys


def discovered_tenants(redis: Redis, prefix: str) -> set[str]:
    """Every tenant with an event, CDR or group-event stream under `prefix` now (SCAN: never
    blocks Redis)."""
    found: set[str] = set()
    for pattern in tenant_stream_patterns(prefix):
        for key in redis.scan_iter(match=pattern, count=1000, _type="STREAM"):
            tenant = tenant_of_stream(prefix, text(key))
            if tenant is not None:
                found.add(tenant)
    return found


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def event_field(fields: Any) -> Any:
    """The `event` value of an entry's fields (a flat [field, value, ...] list or a dict)."""
    if isinstance(fields, dict):
        value = fields.get(b"event")
        return fields.get("event") if value is None else value
    for index in range(0, len(fields) - 1, 2):
        if fields[index] in (b"event", "event"):
            return fields[index + 1]
    return None


def fields_dict(fields: Any) -> dict[str, str]:
    items = (
        fields.items() if isinstance(fields, dict) else zip(fields[::2], fields[1::2], strict=False)
    )
    return {text(k): text(v) for k, v in items}


class PositionMoved(RuntimeError):
    """The stored position of a stream is not the one a batch was read after.

    The database lost batches it had committed (a promoted replica that never received them,
    docs/deploy.md), or another ingester moved the position: the batch is not stored, and the
    reader must read from the stored position again."""

    def __init__(self, stream: str, read_after: str, stored: str | None) -> None:
        super().__init__(f"position of {stream} is {stored or 'none'}, not {read_after}")


def save_position(connection: Connection, stream: str, last_id: str, read_after: str) -> None:
    """Store `last_id` as the position in `stream`, inside the caller's transaction, provided the
    stored position is still `read_after` (the one the batch was read after); else raise
    `PositionMoved`, so the caller's transaction stores nothing of the batch."""
    updated = connection.execute(
        update(CURSORS)
        .where(CURSORS.c.stream == stream, CURSORS.c.last_id == read_after)
        .values(last_id=last_id)
    )
    if updated.rowcount == 1:
        return
    stored = connection.execute(
        select(CURSORS.c.last_id).where(CURSORS.c.stream == stream)
    ).scalar_one_or_none()
    if stored is not None or read_after != NO_POSITION:
        raise PositionMoved(stream, read_after, stored)
    connection.execute(insert(CURSORS).values(stream=stream, last_id=last_id))


def _raw_reply(response: Any, **_options: Any) -> Any:
    return response


class StreamReader:
    """Reads the streams from the stored positions, remembering them between batches."""

    def __init__(self, engine: Engine, redis: Redis, batch_size: int) -> None:
        self._engine = engine
        # A client of our own on the same pool whose XREAD answer is left raw: redis-py's
        # conversion of every entry into a dict is a measurable share of ingestion time.
        self._redis = Redis(connection_pool=redis.connection_pool)
        self._redis.set_response_callback("XREAD", _raw_reply)
        self._batch_size = batch_size
        self._positions: dict[str, str] = {}

    def position(self, stream: str) -> str:
        """The last entry id of `stream` that is in the database ("0-0" when none)."""
        if stream not in self._positions:
            with self._engine.connect() as connection:
                stored = connection.execute(
                    select(CURSORS.c.last_id).where(CURSORS.c.stream == stream)
                ).scalar_one_or_none()
            self._positions[stream] = stored or NO_POSITION
        return self._positions[stream]

    def moved(self, stream: str, last_id: str) -> None:
        """The position of `stream` after a committed batch."""
        self._positions[stream] = last_id

    def forget(self) -> None:
        """Read the positions from the database again (after a failed batch)."""
        self._positions.clear()

    def read(self, streams: Iterable[str], block_ms: int | None) -> list[tuple[str, Any]]:
        """(stream key, entries), entries as Redis sent them: [[id, [field, value, ...]], ...]."""
        request = {key: self.position(key) for key in streams}
        reply: Any = self._redis.xread(
            request,  # type: ignore[arg-type]
            count=self._batch_size,
            block=block_ms,
        )
        if not reply:
            return []
        # RESP3 answers a map {key: entries}, RESP2 a list of [key, entries].
        pairs = reply.items() if isinstance(reply, dict) else reply
        return [(text(key), entries) for key, entries in pairs if entries]
