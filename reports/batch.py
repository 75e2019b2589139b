"""One batch of stream entries, one transaction: parse, fold, write the rows with the position.

Each batch is folded in memory and written in ONE database transaction together with the stream
position (`stream_cursors`) and one `ingested_events` row per event. A process killed at any
point therefore leaves either the whole batch or none of it; events met again (a replayed
stream) are recognised by their identity and skipped. Bad entries are stored with a logged
reason, never raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, assert_never

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from common.redis_keys import is_event_stream
from reports.batch_reads import Numbered, drop_seen, load_working_set
from reports.bulk_sql import as_tuples, clip, insert_rows, text_limits, update_rows
from reports.event_parsing import Event, Rejection, parse_event
from reports.fold import REJECTED, Row, WorkingSet, fold_event
from reports.models import CDRS, EVENTS, FACTS, MEMBERSHIPS, REJECTED_ENTRIES, STATES
from reports.streams import Entry, event_field, fields_dict, save_position, text

log = logging.getLogger(__name__)

TEXT_LIMITS = {
    table.name: text_limits(table) for table in (FACTS, CDRS, STATES, MEMBERSHIPS, REJECTED_ENTRIES)
}
WRITTEN_COLUMNS = {
    table.name: tuple(column.name for column in table.columns if column.name != "id")
    for table in (FACTS, CDRS, STATES, MEMBERSHIPS, REJECTED_ENTRIES)
}
"""Columns of the rows the fold creates: all but the surrogate `id` the database numbers."""
EVENT_COLUMNS = ("tenant", "sequence", "type", "timestamp", "status", "reason", "raw")
"""The order of the tuples `ingest_batch` builds for `ingested_events` (one per event)."""
FACT_MUTABLE = [c.name for c in FACTS.columns if c.name not in {"id", "tenant", "first_sequence"}]
CDR_MUTABLE = [c.name for c in CDRS.columns if c.name not in {"id", "tenant", "origin", "call_id"}]


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


def _parse_entries(
    tenant: str, stream: str, entries: Sequence[Entry]
) -> tuple[list[Numbered], list[Row]]:
    """The readable events, and a `rejected_entries` row for each unreadable entry."""
    events: list[Numbered] = []
    rejected_entries: list[Row] = []
    for raw_id, fields in entries:
        payload = event_field(fields)
        if payload is None:
            parsed: Event | Rejection = Rejection(
                "entry has no 'event' field", json.dumps(fields_dict(fields))
            )
        else:
            parsed = parse_event(payload, expected_tenant=tenant)
        if type(parsed) is Event:
            events.append((raw_id, parsed))
            continue
        assert isinstance(parsed, Rejection)
        entry_id = text(raw_id)
        log.warning("rejected entry %s of %s: %s", entry_id, stream, parsed.reason)
        rejected_entries.append(
            {"stream": stream, "entry_id": entry_id, "reason": parsed.reason, "raw": parsed.raw}
        )
    return events, rejected_entries


def ingest_batch(
    engine: Engine,
    tenant: str,
    stream: str,
    entries: Sequence[Entry],
    home_country_code: str,
    read_after: str,
) -> IngestStats:
    """Fold and store a batch of one tenant's stream, read after position `read_after`, with its
    new position (`PositionMoved` when the stored one is not `read_after`: nothing stored)."""
    stats = IngestStats(entries=len(entries))
    if not entries:
        return stats
    by_sequence = is_event_stream(stream)
    events, rejected_entries = _parse_entries(tenant, stream, entries)
    stats.rejected += len(rejected_entries)
    with engine.begin() as connection:
        if by_sequence:
            fresh = drop_seen(connection, tenant, events)
            stats.duplicates += len(events) - len(fresh)
            events = fresh
        ws = load_working_set(connection, tenant, [event for _, event in events], home_country_code)
        event_rows: list[tuple[Any, ...]] = []
        for raw_entry_id, event in events:
            status, reason = fold_event(ws, event)
            match status:
                case "folded":
                    stats.folded += 1
                case "rejected":
                    log.warning(
                        "rejected %s seq %s of %s: %s", event.type, event.sequence, stream, reason
                    )
                    stats.rejected += 1
                case "recorded":
                    stats.recorded += 1
                case unknown:
                    assert_never(unknown)
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
                        "entry_id": text(raw_entry_id),
                        "reason": reason or "rejected",
                        "raw": event.raw_text,
                    }
                )
        _write(connection, ws, event_rows, rejected_entries)
        save_position(connection, stream, text(entries[-1][0]), read_after)
    return stats


def quarantine(
    engine: Engine, stream: str, entry: Entry, error: DataError | IntegrityError, read_after: str
) -> IngestStats:
    """Keep an entry the database refuses in `rejected_entries` and move past it."""
    entry_id = text(entry[0])
    reason = f"database refused the entry: {error.orig}"
    log.error("rejected entry %s of %s: %s", entry_id, stream, reason)
    row = {
        "stream": stream,
        "entry_id": entry_id,
        "reason": reason,
        "raw": json.dumps(fields_dict(entry[1])),
    }
    try:
        with engine.begin() as connection:
            names = WRITTEN_COLUMNS[REJECTED_ENTRIES.name]
            insert_rows(connection, REJECTED_ENTRIES, names, as_tuples([row], names))
            save_position(connection, stream, entry_id, read_after)
    except IntegrityError:  # kept already (a replayed entry): only move past it
        with engine.begin() as connection:
            save_position(connection, stream, entry_id, read_after)
    return IngestStats(entries=1, rejected=1)


def _write(
    connection: Connection,
    ws: WorkingSet,
    event_rows: list[tuple[Any, ...]],
    rejected_entries: list[Row],
) -> None:
    changed_facts, changed_cdrs = ws.changed_loaded_rows()
    clip(ws.new_facts, TEXT_LIMITS["queue_call_facts"])
    clip(changed_facts, TEXT_LIMITS["queue_call_facts"])
    clip(ws.new_cdrs, TEXT_LIMITS["call_detail_records"])
    clip(changed_cdrs, TEXT_LIMITS["call_detail_records"])
    clip(ws.new_states, TEXT_LIMITS["agent_state_intervals"])
    clip(ws.memberships, TEXT_LIMITS["agent_membership_events"])
    clip(rejected_entries, TEXT_LIMITS["rejected_entries"])
    if changed_facts:
        update_rows(connection, FACTS, changed_facts, FACT_MUTABLE)
    if changed_cdrs:
        update_rows(connection, CDRS, changed_cdrs, CDR_MUTABLE)
    if ws.closed_states:
        update_rows(connection, STATES, ws.closed_states, ["ended_at"])
    for table, rows in (
        (FACTS, ws.new_facts),
        (CDRS, ws.new_cdrs),
        (STATES, ws.new_states),
        (MEMBERSHIPS, ws.memberships),
        (REJECTED_ENTRIES, rejected_entries),
    ):
        if rows:
            names = WRITTEN_COLUMNS[table.name]
            insert_rows(connection, table, names, as_tuples(rows, names))
    if event_rows:
        insert_rows(connection, EVENTS, EVENT_COLUMNS, event_rows)
