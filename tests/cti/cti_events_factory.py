"""Small builders for domain events in tests."""

from __future__ import annotations

import time
from typing import Any

from queueing.events import DomainEvent, EventType


def event(
    sequence: int,
    tenant: str = "demo",
    type_: EventType = EventType.CALL_ADDED,
    call_center_id: str | None = "7001",
    agent: str | None = None,
    call_id: str | None = None,
    caller: str | None = "+31201234567",
    data: dict[str, Any] | None = None,
) -> DomainEvent:
    return DomainEvent(
        type=type_,
        sequence=sequence,
        timestamp=time.time(),
        tenant=tenant,
        reason=f"test event {sequence}",
        call_center_id=call_center_id,
        call_id=call_id or f"c-{sequence}",
        agent=agent,
        caller=caller,
        data=data if data is not None else {"priority": 0, "position": 1, "called": "7001"},
    )
