"""One batch of a tenant's group-events stream, one transaction: the group-call facts it changes,
one `ingested_group_events` row per event, and the stream position, written together.

As for the engine's stream (`reports.batch`): a process killed at any point leaves the whole batch
or none of it, and an event met again (a replayed stream, the same event published twice) is
recognised by its identity and skipped. Unreadable entries go to `rejected_entries`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, assert_never

from sqlalchemy import Connection, Engine, select

from reports.batch import IngestStats
from reports.bulk_sql import as_tuples, clip, insert_rows, text_limits, update_rows
from reports.group_fold import GroupCallEvent, GroupWorkingSet, fold_group_event, parse_group_event
from reports.models import GROUP_EVENTS, GROUP_FACTS, REJECTED_ENTRIES
from reports.streams import Entry, event_field, fields_dict, save_position, text

log = logging.getLogger(__name__)

CHUNK = 500
"""Most ids per lookup statement (SQLite caps the bound parameters of a statement)."""
FACT_COLUMNS = tuple(c.name for c in GROUP_FACTS.columns if c.name != "id")
FACT_MUTABLE = [c.name for c in GROUP_FACTS.columns if c.name not in {"id", "tenant"}]
FACT_LIMITS = text_limits(GROUP_FACTS)
EVENT_COLUMNS = ("tenant", "identity", "type", "timestamp", "status", "reason", "raw")
REJECTED_COLUMNS = ("stream", "entry_id", "reason", "raw")


def _parse(
    tenant: str, stream: str, entries: Sequence[Entry]
) -> tuple[list[GroupCallEvent], list[dict[str, Any]]]:
    events: list[GroupCallEvent] = []
    rejected: list[dict[str, Any]] = []
    for raw_id, fields in entries:
        payload = event_field(fields)
        parsed = (
            "entry has no 'event' field"
            if payload is None
            else parse_group_event(payload, expected_tenant=tenant)
        )
        if isinstance(parsed, GroupCallEvent):
            events.append(parsed)
            continue
        entry_id = text(raw_id)
        log.warning("rejected group event %s of %s: %s", entry_id, stream, parsed)
        raw = text(payload) if isinstance(payload, bytes | str) else json.dumps(fields_dict(fields))
        rejected.append({"stream": stream, "entry_id": entry_id, "reason": parsed, "raw": raw})
    return events, rejected


def _fresh(
    connection: Connection, tenant: str, events: list[GroupCallEvent]
) -> list[GroupCallEvent]:
    """Events whose identity is new: not stored, not earlier in the batch."""
    identities = sorted({event.identity for event in events})
    seen: set[str] = set()
    for start in range(0, len(identities), CHUNK):
        query = select(GROUP_EVENTS.c.identity).where(
            GROUP_EVENTS.c.tenant == tenant,
            GROUP_EVENTS.c.identity.in_(identities[start : start + CHUNK]),
        )
        seen.update(connection.execute(query).scalars())
    fresh: list[GroupCallEvent] = []
    for event in events:
        if event.identity not in seen:
            seen.add(event.identity)
            fresh.append(event)
    return fresh


def _working_set(
    connection: Connection, tenant: str, events: list[GroupCallEvent]
) -> GroupWorkingSet:
    ws = GroupWorkingSet(tenant)
    calls = sorted({event.call_id for event in events})
    for start in range(0, len(calls), CHUNK):
        query = select(GROUP_FACTS).where(
            GROUP_FACTS.c.tenant == tenant, GROUP_FACTS.c.call_id.in_(calls[start : start + CHUNK])
        )
        for row in sorted(connection.execute(query).mappings(), key=lambda r: r["offered_at"]):
            ws.load_fact(dict(row))
    return ws


def ingest_group_batch(
    engine: Engine, tenant: str, stream: str, entries: Sequence[Entry], read_after: str
) -> IngestStats:
    """Fold and store a batch of one tenant's group-events stream, read after `read_after`, with
    its new position (`reports.streams.save_position`)."""
    stats = IngestStats(entries=len(entries))
    if not entries:
        return stats
    events, rejected = _parse(tenant, stream, entries)
    stats.rejected += len(rejected)
    with engine.begin() as connection:
        fresh = _fresh(connection, tenant, events)
        stats.duplicates += len(events) - len(fresh)
        ws = _working_set(connection, tenant, fresh)
        event_rows: list[tuple[Any, ...]] = []
        for event in fresh:
            status, reason = fold_group_event(ws, event)
            match status:
                case "folded":
                    stats.folded += 1
                case "rejected":
                    log.warning("rejected %s of %s: %s", event.type, stream, reason)
                    stats.rejected += 1
                case "recorded":
                    stats.recorded += 1
                case unknown:
                    assert_never(unknown)
            raw = event.raw if status == "rejected" else None
            event_rows.append(
                (tenant, event.identity, event.type.value, event.timestamp, status, reason, raw)
            )
        changed = ws.changed_loaded_facts()
        clip(ws.new_facts, FACT_LIMITS)
        clip(changed, FACT_LIMITS)
        if changed:
            update_rows(connection, GROUP_FACTS, changed, FACT_MUTABLE)
        if ws.new_facts:
            insert_rows(
                connection, GROUP_FACTS, FACT_COLUMNS, as_tuples(ws.new_facts, FACT_COLUMNS)
            )
        if event_rows:
            insert_rows(connection, GROUP_EVENTS, EVENT_COLUMNS, event_rows)
        if rejected:
            clip(rejected, text_limits(REJECTED_ENTRIES))
            insert_rows(
                connection,
                REJECTED_ENTRIES,
                REJECTED_COLUMNS,
                as_tuples(rejected, REJECTED_COLUMNS),
            )
        save_position(connection, stream, text(entries[-1][0]), read_after)
    return stats
