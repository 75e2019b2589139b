"""Group-call events as `cti.group_events` publishes them, for the reports' tests: a call a member
answers, one the caller abandons, one forwarded, written to a tenant's real group-events stream."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from redis import Redis

from common.event_types import EventType as T
from common.redis_keys import group_event_stream
from cti.group_events import EVENT_FIELD, GroupEvent

T0 = 1_764_057_600.0  # 2025-11-25 08:00:00 UTC


def group_event(type_: T, at: float, call_id: str, **extra: Any) -> GroupEvent:
    return GroupEvent(
        type=type_,
        timestamp=at,
        tenant=extra.pop("tenant", "demo"),
        group=extra.pop("group", "7100"),
        call_id=call_id,
        caller="+31201234567",
        reason="test",
        member=extra.pop("member", None),
        data=extra,
    )


def answered(call_id: str, at: float) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 1, call_id, member="1001", policy="circular", ring_seconds=15
        ),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 16, call_id, member="1002", policy="circular", ring_seconds=15
        ),
        group_event(T.GROUP_CALL_ANSWERED, at + 20, call_id, member="1002", wait_seconds=20.0),
    ]


def abandoned(call_id: str, at: float) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 1, call_id, member="1001", policy="circular", ring_seconds=15
        ),
        group_event(T.GROUP_CALL_ABANDONED, at + 9, call_id, wait_seconds=9.0),
    ]


def forwarded(call_id: str, at: float, trigger: str, destination: str | None) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_CALL_FORWARDED,
            at + 30,
            call_id,
            trigger=trigger,
            destination=destination,
            wait_seconds=30.0,
        ),
    ]


def of_tenant(events: list[GroupEvent], tenant: str) -> list[GroupEvent]:
    return [replace(event, tenant=tenant) for event in events]


def publish(redis: Redis, prefix: str, events: list[GroupEvent]) -> None:
    """Each event into its own tenant's stream, as the CTI's publisher writes them."""
    for event in events:
        redis.xadd(group_event_stream(prefix, event.tenant), {EVENT_FIELD: event.to_json()})
