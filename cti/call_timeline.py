"""A call's decision timeline: every queue-engine event of the call, with its reason and time,
read back from the tenant's event log (docs/events.md: each event says why it happened).

Where to read: the reports' facts (reports/call_stays.py) give the sequence at which the call
first arrived, so the log is read forward from there, up to a while after its last stay ended
(a disposition can follow in wrap-up). A call the reports have not seen yet (it arrived seconds
ago) is looked for among the newest events. Both reads are bounded, and say so when cut short.

Who may see it (pure, `may_see_timeline`): admins and API tokens in the tenant, a supervisor
when the call passed one of its call centers, an agent when the call was offered to it or
answered by it. The tenant is the reader's own: another tenant's call is simply not found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, assert_never

from redis.asyncio import Redis

from cti.event_log import EventLog, decode, stream_entries
from cti.principal import Principal, Role
from queueing.events import DomainEvent

MAX_FORWARD_EVENTS = 200_000
"""At most this many events read after the call's arrival (more than a busy tenant's day)."""
RECENT_EVENTS = 20_000
"""How far back a call the reports have not seen yet is looked for."""
AFTER_END_SECONDS = 3600.0
"""Events of the call are still looked for this long after its last stay ended."""


@dataclass(frozen=True, slots=True)
class Timeline:
    call_id: str
    stays: list[dict[str, Any]]
    events: list[DomainEvent]
    complete: bool
    """False when a read bound was reached: older or later events may be missing."""


def decision(event: DomainEvent) -> dict[str, Any]:
    """One line of the timeline: what the engine did, where, to whom, when and why."""
    return {
        "sequence": event.sequence,
        "type": event.type.value,
        "at": event.timestamp,
        "call_center_id": event.call_center_id,
        "agent": event.agent,
        "reason": event.reason,
        "data": dict(event.data),
    }


def read_until(stays: list[dict[str, Any]]) -> float:
    """The engine time after which the forward read stops."""
    ends = [stay["released_at"] or stay["ended_at"] for stay in stays]
    if not ends or any(end is None for end in ends):
        return math.inf  # a stay still open: everything to the log's end
    return float(max(ends)) + AFTER_END_SECONDS


def may_see_timeline(principal: Principal, timeline: Timeline) -> bool:
    call_centers = {e.call_center_id for e in timeline.events}
    call_centers |= {stay["call_center_id"] for stay in timeline.stays}
    agents = {e.agent for e in timeline.events} | {stay["agent"] for stay in timeline.stays}
    match principal.role:
        case Role.ADMIN | Role.API:
            return True
        case Role.SUPERVISOR:
            return not principal.call_centers.isdisjoint(call_centers)
        case Role.AGENT:
            return principal.extension is not None and principal.extension in agents
        case Role.OPERATOR:
            return False  # the platform's operator provisions tenants; calls are theirs
        case _:
            assert_never(principal.role)


async def read_timeline(
    redis: Redis,
    log: EventLog,
    tenant: str,
    call_id: str,
    stays: list[dict[str, Any]],
) -> Timeline:
    if not stays:
        raw = stream_entries(await redis.xrevrange(log.stream_key(tenant), count=RECENT_EVENTS))
        found = [e for e in (decode(fields) for _, fields in raw) if e.call_id == call_id]
        return Timeline(call_id, stays, found[::-1], len(raw) < RECENT_EVENTS)
    until = read_until(stays)
    events: list[DomainEvent] = []
    read = 0
    first = min(int(stay["first_sequence"]) for stay in stays)
    async for event in log.read_after(tenant, first - 1):
        if event.timestamp > until:
            return Timeline(call_id, stays, events, True)
        read += 1
        if read > MAX_FORWARD_EVENTS:
            return Timeline(call_id, stays, events, False)
        if event.call_id == call_id:
            events.append(event)
    return Timeline(call_id, stays, events, True)
