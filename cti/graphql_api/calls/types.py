"""GraphQL types of an agent's own calls, call history and call events with screen pop."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.scalars import JSON

from cti.call_history import CallHistoryEntry
from cti.graphql_api.enums import CallPhase, QueueEventType
from cti.screen_pop import ScreenPopRecord
from cti.snapshots import ActiveCallSnapshot
from queueing.events import DomainEvent


@strawberry.type(name="ScreenPopRecord")
class ScreenPop:
    crm: str
    record_id: str
    name: str
    url: str
    kind: str

    @classmethod
    def of(cls, record: ScreenPopRecord) -> ScreenPop:
        return cls(
            crm=record.crm,
            record_id=record.record_id,
            name=record.name,
            url=record.url,
            kind=record.kind,
        )


@strawberry.type
class MyCall:
    call_id: strawberry.ID
    agent: str
    caller: str
    phase: CallPhase
    since: float
    call_center_id: strawberry.ID | None
    recording: bool

    @classmethod
    def of(cls, call: ActiveCallSnapshot) -> MyCall:
        return cls(
            call_id=strawberry.ID(call.call_id),
            agent=call.agent,
            caller=call.caller,
            phase=call.phase,
            since=call.since,
            call_center_id=strawberry.ID(call.call_center_id) if call.call_center_id else None,
            recording=call.recording,
        )


@strawberry.type
class CallHistoryItem:
    call_id: strawberry.ID
    caller: str | None
    call_center_id: strawberry.ID | None
    answered_at: float | None
    released_at: float | None
    talk_seconds: float | None
    disposition: str | None

    @classmethod
    def of(cls, entry: CallHistoryEntry) -> CallHistoryItem:
        return cls(
            call_id=strawberry.ID(entry.call_id),
            caller=entry.caller,
            call_center_id=strawberry.ID(entry.call_center_id) if entry.call_center_id else None,
            answered_at=entry.answered_at,
            released_at=entry.released_at,
            talk_seconds=entry.talk_seconds,
            disposition=entry.disposition,
        )


@strawberry.type
class MyCallEvent:
    type: QueueEventType
    call_id: strawberry.ID
    call_center_id: strawberry.ID | None
    caller: str | None
    reason: str
    sequence: int
    timestamp: float
    data: JSON
    screen_pop: list[ScreenPop] = strawberry.field(
        description="CRM records matching the caller, on CALL_OFFERED (empty otherwise)"
    )

    @classmethod
    def of(cls, event: DomainEvent, records: Sequence[ScreenPopRecord]) -> MyCallEvent:
        return cls(
            type=QueueEventType[event.type.name],
            call_id=strawberry.ID(event.call_id or ""),
            call_center_id=strawberry.ID(event.call_center_id) if event.call_center_id else None,
            caller=event.caller,
            reason=event.reason,
            sequence=event.sequence,
            timestamp=event.timestamp,
            data=JSON(event.data),
            screen_pop=[ScreenPop.of(r) for r in records],
        )
