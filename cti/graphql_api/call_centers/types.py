"""GraphQL types of call centers, their waiting calls and queue events."""

from __future__ import annotations

import time

import strawberry
from strawberry.scalars import JSON

from cti.graphql_api.enums import AgentState, QueueEventType
from cti.snapshots import CallCenterSnapshot, WaitingCallSnapshot
from queueing.events import DomainEvent


@strawberry.type
class WaitingCall:
    call_id: strawberry.ID
    caller: str
    position: int
    priority: int
    waiting_seconds: float
    callback: bool = strawberry.field(
        description="A callback: the caller hung up and is called back in turn (docs/callback.md)."
    )

    @classmethod
    def of(cls, call: WaitingCallSnapshot, now: float) -> WaitingCall:
        return cls(
            call_id=strawberry.ID(call.call_id),
            caller=call.caller,
            position=call.position,
            priority=call.priority,
            waiting_seconds=round(max(0.0, now - call.arrived_at), 3),
            callback=call.callback,
        )


@strawberry.type
class CallCenterAgent:
    extension: str
    state: AgentState


@strawberry.type
class CallCenter:
    id: strawberry.ID
    number: str
    name: str
    tier: str
    max_waiters: int
    night_service_override: bool | None
    forced_forwarding: bool
    service_level_seconds: int = strawberry.field(
        description="Seconds within which an answered call counts as in time (service level)"
    )
    waiting_calls: list[WaitingCall]
    agents: list[CallCenterAgent]

    @classmethod
    def of(cls, cc: CallCenterSnapshot, states: dict[str, AgentState]) -> CallCenter:
        now = time.time()
        return cls(
            id=strawberry.ID(cc.id),
            number=cc.number,
            name=cc.name,
            tier=cc.tier,
            max_waiters=cc.max_waiters,
            night_service_override=cc.night_service_override,
            forced_forwarding=cc.forced_forwarding,
            service_level_seconds=cc.service_level_seconds,
            waiting_calls=[
                WaitingCall.of(w, now) for w in sorted(cc.waiting_calls, key=lambda w: w.position)
            ],
            agents=[
                CallCenterAgent(extension=m, state=states.get(m, AgentState.SIGN_OUT))
                for m in cc.members
            ],
        )


@strawberry.type
class QueueEvent:
    type: QueueEventType
    call_id: strawberry.ID | None
    call_center_id: strawberry.ID | None
    caller: str | None
    agent: str | None
    reason: str
    sequence: int
    timestamp: float
    data: JSON

    @classmethod
    def of(cls, event: DomainEvent) -> QueueEvent:
        return cls(
            type=QueueEventType[event.type.name],
            call_id=strawberry.ID(event.call_id) if event.call_id else None,
            call_center_id=strawberry.ID(event.call_center_id) if event.call_center_id else None,
            caller=event.caller,
            agent=event.agent,
            reason=event.reason,
            sequence=event.sequence,
            timestamp=event.timestamp,
            data=JSON(event.data),
        )
