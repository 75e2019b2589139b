"""Builds domain events the way the queue engine and the CTI layer publish them (docs/events.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from queueing.events import DomainEvent, EventType


@dataclass
class EventFactory:
    """Numbers events per tenant like the engine does (sequence + 1 each)."""

    tenant: str = "demo"
    next_sequence: int = 1
    published: list[dict[str, Any]] = field(default_factory=list)

    def make(
        self,
        type_: EventType,
        at: float,
        *,
        call_center: str | None = None,
        call_id: str | None = None,
        agent: str | None = None,
        caller: str | None = None,
        **data: Any,
    ) -> dict[str, Any]:
        event = DomainEvent(
            type=type_,
            sequence=self.next_sequence,
            timestamp=at,
            tenant=self.tenant,
            reason=f"test {type_.value}",
            call_center_id=call_center,
            call_id=call_id,
            agent=agent,
            caller=caller,
            data=data,
        ).to_dict()
        self.next_sequence += 1
        self.published.append(event)
        return event


def publish(redis: Redis, prefix: str, events: list[dict[str, Any]], tenant: str = "demo") -> None:
    """Append events to the tenant's stream exactly as the CTI layer does (one field `event`)."""
    pipe = redis.pipeline(transaction=False)
    for event in events:
        pipe.xadd(f"{prefix}:{tenant}:events", {"event": json.dumps(event)})
    pipe.execute()


def publish_call_detail(
    redis: Redis, prefix: str, records: list[dict[str, Any]], tenant: str = "demo"
) -> None:
    pipe = redis.pipeline(transaction=False)
    for record in records:
        pipe.xadd(f"{prefix}:{tenant}:cdrs", {"event": json.dumps(record)})
    pipe.execute()


def call_detail(
    call_id: str,
    *,
    caller: str,
    called: str,
    direction: str,
    start: float,
    answer: float | None,
    end: float,
    tenant: str = "demo",
    sequence: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A CALL_DETAIL record event as docs/reports.md defines it."""
    return {
        "type": "CALL_DETAIL",
        "sequence": sequence,
        "timestamp": end,
        "tenant": tenant,
        "reason": "call ended",
        "call_center_id": None,
        "call_id": call_id,
        "agent": None,
        "caller": caller,
        "data": {
            "called": called,
            "direction": direction,
            "start": start,
            "answer": answer,
            "end": end,
            **extra,
        },
    }
