"""What a batch reads before it folds: which of its events are stored already, and the stored
rows its events change (the working set: the calls' facts and CDRs, the agents' open states).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    String,
    any_,
    bindparam,
    select,
)

from reports.event_parsing import CALL_DETAIL, Event
from reports.fold import WorkingSet
from reports.models import CDRS, EVENTS, FACTS, STATES

log = logging.getLogger(__name__)


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

Numbered = tuple[bytes | str, Event]
"""An event with the id of the stream entry that carried it."""


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def drop_seen(connection: Connection, tenant: str, events: list[Numbered]) -> list[Numbered]:
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
    fresh: list[Numbered] = []
    for entry_id, event in events:
        if event.sequence in seen:
            log.debug("skipping duplicate event %s/%s", tenant, event.sequence)
            continue
        seen.add(event.sequence)
        fresh.append((entry_id, event))
    return fresh


def load_working_set(
    connection: Connection, tenant: str, events: list[Event], home_country_code: str
) -> WorkingSet:
    ws = WorkingSet(tenant=tenant, home_country_code=home_country_code)
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
