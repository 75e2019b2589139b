"""Folding the group services' call events into group-call facts, in memory, one batch at a time.

The events (docs/events.md, "Group calls") come from the tenant's group-events stream, written by
`cti.group_events`; nothing about an entry is trusted: `parse_group_event` turns it into a
`GroupCallEvent` or a reason. `fold_group_event` is the only writer of `group_call_facts` rows:
one fact per call and group, opened by GROUP_CALL_OFFERED and ended by an answer, the caller's
hang-up or a forward.

The events carry no sequence number, so an event's identity is a digest of its content
(`identity`): the batch skips the identities it has stored already, so one event delivered twice
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from common.event_types import (
    GROUP_CALL_EVENTS,
    GROUP_CALL_KINDS,
    RECORDED_ONLY_EVENTS,
    EventType,
)
from reports.fold import FOLDED, RECORDED, REJECTED, FoldRejection, Row, Verdict
from reports.models import GroupCallOutcome

WAITING = GroupCallOutcome.WAITING.value
ANSWERED = GroupCallOutcome.ANSWERED.value
ABANDONED = GroupCallOutcome.ABANDONED.value
FORWARDED = GroupCallOutcome.FORWARDED.value
FAILED = GroupCallOutcome.FAILED.value

IDENTIFIER_LIMITS = {"group": 64, "call_id": 128}
"""Column sizes of the identifiers a fact is keyed by: longer ones are refused, not cut."""


@dataclass(frozen=True, slots=True)
class GroupCallEvent:
    type: EventType
    timestamp: float
    group: str
    call_id: str
    caller: str | None
    member: str | None
    data: dict[str, Any]
    identity: str
    raw: str


def identity(payload: dict[str, Any]) -> str:
    """The event's content digest: equal for the same event however often it is delivered."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _number(value: Any) -> float | None:
    """A finite JSON number as a float; None for anything else (a boolean is not a number)."""
    if type(value) not in (int, float) or not math.isfinite(value):
        return None
    return float(value)


def _text(payload: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise FoldRejection(f"{name} is not a non-empty string: {value!r}")
    limit = IDENTIFIER_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise FoldRejection(f"{name} longer than {limit} characters")
    return value


def parse_group_event(raw: str | bytes, *, expected_tenant: str) -> GroupCallEvent | str:
    """The event of a stream entry's `event` field, or the reason it cannot be one."""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    try:
        payload = json.loads(text)
    except ValueError as error:
        return f"not JSON: {error}"
    if not isinstance(payload, dict):
        return "not a JSON object"
    try:
        kind = payload.get("type")
        if kind not in GROUP_CALL_EVENTS | RECORDED_ONLY_EVENTS:
            raise FoldRejection(f"not a group call event type: {kind!r}")
        if payload.get("tenant") != expected_tenant:
            # The stream is the tenant's own: an event naming another tenant is never folded.
            raise FoldRejection(f"tenant {payload.get('tenant')!r} in {expected_tenant}'s stream")
        timestamp = _number(payload.get("timestamp"))
        if timestamp is None:
            raise FoldRejection(f"timestamp is not a number: {payload.get('timestamp')!r}")
        data = payload.get("data", {})
        if not isinstance(data, dict):
            raise FoldRejection("data is not an object")
        group = _text(payload, "group", required=True)
        call_id = _text(payload, "call_id", required=True)
        assert group is not None and call_id is not None
        return GroupCallEvent(
            type=EventType(kind),
            timestamp=timestamp,
            group=group,
            call_id=call_id,
            caller=_text(payload, "caller", required=False),
            member=_text(payload, "member", required=False),
            data=data,
            identity=identity(payload),
            raw=text,
        )
    except FoldRejection as error:
        return str(error)


@dataclass
class GroupWorkingSet:
    """The facts one batch may read and change. Loaded rows carry their `id`; new ones do not."""

    tenant: str
    facts: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    """(group, call_id) -> its facts, oldest first."""
    new_facts: list[Row] = field(default_factory=list)
    _snapshots: list[tuple[Row, Row]] = field(default_factory=list)

    def load_fact(self, row: Row) -> None:
        self.facts.setdefault((row["group_number"], row["call_id"]), []).append(row)
        self._snapshots.append((row, dict(row)))

    def changed_loaded_facts(self) -> list[Row]:
        return [row for row, before in self._snapshots if row != before]


def _open_fact(ws: GroupWorkingSet, event: GroupCallEvent) -> Row | None:
    for fact in reversed(ws.facts.get((event.group, event.call_id), [])):
        if fact["outcome"] == WAITING:
            return fact
    return None


def _require_open(ws: GroupWorkingSet, event: GroupCallEvent) -> Row:
    fact = _open_fact(ws, event)
    if fact is None:
        raise FoldRejection(f"call {event.call_id!r} is not waiting in group {event.group!r}")
    if event.timestamp < fact["offered_at"]:
        raise FoldRejection(f"timestamp {event.timestamp} is before the call's offer")
    return fact


def _offer(ws: GroupWorkingSet, event: GroupCallEvent) -> None:
    if _open_fact(ws, event) is not None:
        raise FoldRejection(f"call {event.call_id!r} is already waiting in group {event.group!r}")
    kind = event.data.get("kind")
    if kind not in GROUP_CALL_KINDS:
        raise FoldRejection(f"data.kind is not one of {sorted(GROUP_CALL_KINDS)}: {kind!r}")
    fact: Row = {
        "tenant": ws.tenant,
        "group_number": event.group,
        "call_id": event.call_id,
        "kind": kind,
        "caller": event.caller,
        "offered_at": event.timestamp,
        "members_rung": 0,
        "outcome": WAITING,
        "ended_at": None,
        "wait_seconds": None,
        "answered_at": None,
        "member": None,
        "forward_trigger": None,
        "forward_destination": None,
    }
    ws.facts.setdefault((event.group, event.call_id), []).append(fact)
    ws.new_facts.append(fact)


def _end(fact: Row, event: GroupCallEvent, outcome: str) -> None:
    wait = _number(event.data.get("wait_seconds"))
    if wait is None or wait < 0:
        wait = event.timestamp - fact["offered_at"]
    fact.update(outcome=outcome, ended_at=event.timestamp, wait_seconds=wait)


def _text_data(event: GroupCallEvent, name: str) -> str | None:
    value = event.data.get(name)
    if value is not None and not isinstance(value, str):
        raise FoldRejection(f"data.{name} is not a string: {value!r}")
    return value


def _apply(ws: GroupWorkingSet, event: GroupCallEvent) -> None:
    match event.type:
        case EventType.GROUP_CALL_OFFERED:
            _offer(ws, event)
        case EventType.GROUP_MEMBER_RUNG:
            _require_open(ws, event)["members_rung"] += 1
        case EventType.GROUP_CALL_ANSWERED:
            if not event.member:
                raise FoldRejection("GROUP_CALL_ANSWERED without member")
            fact = _require_open(ws, event)
            _end(fact, event, ANSWERED)
            fact.update(answered_at=event.timestamp, member=event.member)
        case EventType.GROUP_CALL_ABANDONED:
            _end(_require_open(ws, event), event, ABANDONED)
        case EventType.GROUP_CALL_FORWARDED:
            trigger = _text_data(event, "trigger")
            if not trigger:
                raise FoldRejection("GROUP_CALL_FORWARDED without data.trigger")
            fact = _require_open(ws, event)
            _end(fact, event, FORWARDED)
            fact.update(
                forward_trigger=trigger, forward_destination=_text_data(event, "destination")
            )
        case EventType.GROUP_FAX_RECEIVED:  # the fax number answered and took the fax
            fact = _require_open(ws, event)
            _end(fact, event, ANSWERED)
            fact.update(answered_at=event.timestamp)
        case EventType.GROUP_FAX_FAILED:
            _end(_require_open(ws, event), event, FAILED)
        case _:  # parse_group_event lets only GROUP_CALL_EVENTS through
            raise FoldRejection(f"not a group call event type: {event.type}")


def fold_group_event(ws: GroupWorkingSet, event: GroupCallEvent) -> Verdict:
    """Apply `event` to the working set; never raises for bad input, returns why instead."""
    if event.type in RECORDED_ONLY_EVENTS:  # a room's join or leave, a pickup, a park: kept
        return Verdict(RECORDED)
    try:
        _apply(ws, event)
    except FoldRejection as error:
        return Verdict(REJECTED, str(error))
    return Verdict(FOLDED)
