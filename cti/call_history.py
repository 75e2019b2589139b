"""An agent's recent calls, read back from the tenant's event stream.

Reports will keep call-detail records in SQL; until then the stream's recent past is enough for
the agent client's "my call history" list.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from cti.event_log import EventLog, decode, stream_entries
from queueing.events import DomainEvent, EventType

_ANSWERS = frozenset({EventType.CALL_ANSWERED, EventType.CALLBACK_ANSWERED})
"""A queued call answered, or a callback whose customer answered (docs/callback.md)."""
_HISTORY_TYPES = _ANSWERS | {EventType.CALL_RELEASED, EventType.DISPOSITION_ENTERED}


@dataclass
class CallHistoryEntry:
    call_id: str
    caller: str | None
    call_center_id: str | None
    answered_at: float | None = None
    released_at: float | None = None
    talk_seconds: float | None = None
    disposition: str | None = None


async def recent_calls(
    redis: Redis, event_log: EventLog, tenant: str, extension: str, *, limit: int, scan: int
) -> list[CallHistoryEntry]:
    """Newest first: calls `extension` answered, among the last `scan` events of the tenant."""
    entries: dict[str, CallHistoryEntry] = {}
    order: list[str] = []
    raw = stream_entries(await redis.xrevrange(event_log.stream_key(tenant), count=scan))
    for _, fields in raw:
        event: DomainEvent = decode(fields)
        if event.agent != extension or event.type not in _HISTORY_TYPES or not event.call_id:
            continue
        entry = entries.get(event.call_id)
        if entry is None:
            entry = CallHistoryEntry(event.call_id, event.caller, event.call_center_id)
            entries[event.call_id] = entry
            order.append(event.call_id)
        if event.type in _ANSWERS:
            entry.answered_at = event.timestamp
        elif event.type is EventType.CALL_RELEASED:
            entry.released_at = event.timestamp
            talk = event.data.get("talk_seconds")
            entry.talk_seconds = float(talk) if talk is not None else None
        elif event.type is EventType.DISPOSITION_ENTERED:
            entry.disposition = str(event.data.get("code"))
    return [entries[c] for c in order if entries[c].answered_at is not None][:limit]
