"""Folding domain events into report facts, in memory, one batch at a time.

`WorkingSet` holds the rows a batch of events can touch (loaded by the ingester, or created here)
as plain dicts keyed by column name, so the ingester can write them with a few bulk statements.
`fold_event` is the only writer of those rows: it applies one event or says why it will not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

from queueing.events import TERMINAL_CALL_EVENTS, EventType
from reports.call_detail import DEFAULT_HOME_COUNTRY_CODE, call_detail_row, categorize
from reports.event_parsing import CALL_DETAIL, Event
from reports.models import CallDirection, Outcome

Row = dict[str, Any]

# Plain strings for the per-event hot path (enum member lookups cost a descriptor call each).
WAITING = Outcome.WAITING.value
ANSWERED = Outcome.ANSWERED.value
ABANDONED = Outcome.ABANDONED.value
CALLED_BACK = Outcome.CALLBACK_ANSWERED.value
WITH_AGENT = frozenset({ANSWERED, CALLED_BACK})
"""Outcomes of a stay that ended talking with an agent: released, given a disposition."""
Status = Literal["folded", "recorded", "rejected"]
"""`EventStatus`'s values, typed so that a match over them is checked (a test keeps them equal)."""
FOLDED: Final = "folded"
RECORDED: Final = "recorded"
REJECTED: Final = "rejected"

# Terminal events and the outcome they give the fact: the outcome is named after the event, so a
# new terminal event without an outcome stops the import here (KeyError) instead of folding wrong.
TERMINAL_OUTCOMES: dict[str, str] = {
    event: Outcome[event.removeprefix("CALL_")].value for event in sorted(TERMINAL_CALL_EVENTS)
}
ARRIVAL_TREATMENTS = frozenset(
    {EventType.CALL_OVERFLOWED, EventType.CALL_STRANDED, EventType.CALL_DIVERTED}
)
"""Terminal events that can take a call on arrival, without a CALL_ADDED before them."""

RECORD_ONLY = frozenset(
    {
        EventType.CALL_CENTER_UPDATED,
        EventType.INPUT_REJECTED,
        EventType.CALL_RESUMED,
        # A callback's course; its stay ends with CALLBACK_ANSWERED or CALLBACK_ABANDONED.
        EventType.CALLBACK_REQUESTED,
        EventType.CALLBACK_DIALING,
        EventType.CALLBACK_RETRY,
    }
)


class Verdict(NamedTuple):
    status: Status
    reason: str | None = None


_FOLDED = Verdict(FOLDED)
_RECORDED = Verdict(RECORDED)


class FoldRejection(Exception):
    """Raised inside the fold when an event cannot be applied; the message is the reason."""


def new_fact(event: Event, *, entered: bool, arrived_at: float) -> Row:
    return {
        "tenant": event.tenant,
        "call_center_id": event.call_center_id,
        "call_id": event.call_id,
        "first_sequence": event.sequence,
        "caller": event.caller,
        "called": None,
        "priority": None,
        "arrived_at": arrived_at,
        "entered": entered,
        "offered": False,
        "offer_count": 0,
        "bounce_count": 0,
        "hold_count": 0,
        "entrance_done": False,
        "outcome": WAITING,
        "outcome_trigger": None,
        "outcome_action": None,
        "destination": None,
        "abandoned_during_entrance": None,
        "ended_at": None,
        "wait_seconds": None,
        "agent": None,
        "answered_at": None,
        "released_at": None,
        "talk_seconds": None,
        "released_by": None,
        "disposition": None,
    }


@dataclass
class WorkingSet:
    """The rows one batch may read and change. Loaded rows carry their `id`; new ones do not."""

    tenant: str
    home_country_code: str = DEFAULT_HOME_COUNTRY_CODE
    facts: dict[str, list[Row]] = field(default_factory=dict)
    """call_id -> its facts, oldest first."""
    queue_cdrs: dict[str, Row] = field(default_factory=dict)
    """call_id -> the CDR derived from its queue events."""
    pbx_cdr_calls: set[str] = field(default_factory=set)
    """call_ids that already have a CALL_DETAIL record."""
    open_states: dict[str, Row] = field(default_factory=dict)
    """agent -> its open state interval."""
    new_facts: list[Row] = field(default_factory=list)
    new_cdrs: list[Row] = field(default_factory=list)
    new_states: list[Row] = field(default_factory=list)
    closed_states: list[Row] = field(default_factory=list)
    """Loaded intervals that this batch closed (to be updated)."""
    memberships: list[Row] = field(default_factory=list)
    _snapshots: list[tuple[Row, Row]] = field(default_factory=list)

    def load_fact(self, row: Row) -> None:
        self.facts.setdefault(row["call_id"], []).append(row)
        self._snapshots.append((row, dict(row)))

    def load_queue_cdr(self, row: Row) -> None:
        self.queue_cdrs[row["call_id"]] = row
        self._snapshots.append((row, dict(row)))

    def load_open_state(self, row: Row) -> None:
        self.open_states[row["agent"]] = row

    def changed_loaded_rows(self) -> tuple[list[Row], list[Row]]:
        """(facts, cdrs) that were loaded from the database and changed by this batch."""
        facts: list[Row] = []
        cdrs: list[Row] = []
        for row, before in self._snapshots:
            if row != before:
                (facts if "first_sequence" in row else cdrs).append(row)
        return facts, cdrs


def _waiting_fact(ws: WorkingSet, event: Event) -> Row | None:
    for fact in reversed(ws.facts.get(event.call_id or "", [])):
        if fact["outcome"] == WAITING and fact["call_center_id"] == event.call_center_id:
            return fact
    return None


def _require_waiting(ws: WorkingSet, event: Event) -> Row:
    fact = _waiting_fact(ws, event)
    if fact is None:
        raise FoldRejection(
            f"no waiting call {event.call_id!r} in call center {event.call_center_id!r}"
        )
    if event.timestamp < fact["arrived_at"]:
        raise FoldRejection(
            f"timestamp {event.timestamp} is before the call's arrival at {fact['arrived_at']}"
        )
    return fact


def _answered_fact(ws: WorkingSet, event: Event, *, unreleased: bool) -> Row | None:
    for fact in reversed(ws.facts.get(event.call_id or "", [])):
        if fact["outcome"] not in WITH_AGENT:
            continue
        if event.call_center_id is not None and fact["call_center_id"] != event.call_center_id:
            continue
        if unreleased and fact["released_at"] is not None:
            continue
        return fact
    return None


def _queue_cdr(ws: WorkingSet, event: Event, fact: Row) -> Row:
    """The call's queue-derived CDR: one per call, following it through its call centers."""
    call_id = fact["call_id"]
    cdr = ws.queue_cdrs.get(call_id)
    if cdr is None:
        cdr = {
            "tenant": ws.tenant,
            "origin": "queue",
            "call_id": call_id,
            "usage_type": "voice",
            "direction": CallDirection.INBOUND.value,
            "category": categorize(fact["caller"], ws.home_country_code),
            "caller": fact["caller"],
            "called": fact["called"] or fact["call_center_id"],
            "number": fact["called"] or fact["call_center_id"],
            "profile": None,
            "start_at": fact["arrived_at"],
            "answer_at": None,
            "end_at": None,
            "duration_seconds": None,
            "quantity": 0.0,
            "outcome": WAITING,
            "agent": None,
            "call_center_id": fact["call_center_id"],
            "disposition": None,
            "recording_url": None,
        }
        ws.queue_cdrs[call_id] = cdr
        ws.new_cdrs.append(cdr)
    return cdr


def _wait(event: Event, fact: Row) -> float:
    wait = event.number("wait_seconds")
    return wait if wait is not None else max(0.0, event.timestamp - fact["arrived_at"])


_INTEGER_COLUMN = range(-(2**31), 2**31)


def _priority(event: Event) -> int | None:
    """`data.priority` when the integer column can hold it (a boolean or a huge number not)."""
    value = event.data.get("priority")
    return value if type(value) is int and value in _INTEGER_COLUMN else None


def _fold_added(ws: WorkingSet, event: Event) -> None:
    if _waiting_fact(ws, event) is not None:
        raise FoldRejection(
            f"call {event.call_id!r} is already waiting in call center {event.call_center_id!r}"
        )
    fact = new_fact(event, entered=True, arrived_at=event.timestamp)
    fact["called"] = event.text("called")
    fact["priority"] = _priority(event)
    ws.facts.setdefault(event.call_id or "", []).append(fact)
    ws.new_facts.append(fact)
    cdr = _queue_cdr(ws, event, fact)
    # A call moved to another call center keeps one CDR that follows it there.
    cdr.update(call_center_id=fact["call_center_id"], outcome=WAITING, end_at=None)


def _fold_terminal(ws: WorkingSet, event: Event) -> None:
    outcome = TERMINAL_OUTCOMES[event.type]
    fact = _waiting_fact(ws, event)
    if fact is None:
        if event.type not in ARRIVAL_TREATMENTS:
            raise FoldRejection(
                f"{event.type} for call {event.call_id!r} that is not waiting in call center "
                f"{event.call_center_id!r}"
            )
        wait = event.number("wait_seconds") or 0.0
        fact = new_fact(event, entered=False, arrived_at=event.timestamp - wait)
        ws.facts.setdefault(event.call_id or "", []).append(fact)
        ws.new_facts.append(fact)
    elif event.timestamp < fact["arrived_at"]:
        raise FoldRejection(
            f"timestamp {event.timestamp} is before the call's arrival at {fact['arrived_at']}"
        )
    during_entrance = event.data.get("during_entrance")
    if outcome == ABANDONED and not isinstance(during_entrance, bool | None):
        raise FoldRejection(f"data.during_entrance is not a boolean: {during_entrance!r}")
    wait = _wait(event, fact)
    fact.update(
        outcome=outcome,
        ended_at=event.timestamp,
        wait_seconds=wait,
        outcome_trigger=event.text("trigger"),
        outcome_action=event.text("action") or event.text("by"),
        destination=event.text("destination"),
    )
    cdr = _queue_cdr(ws, event, fact)
    cdr.update(outcome=outcome, call_center_id=fact["call_center_id"])
    if outcome in WITH_AGENT:
        fact.update(agent=event.agent, answered_at=event.timestamp)
        cdr.update(agent=event.agent)
        if cdr["answer_at"] is None:
            cdr["answer_at"] = event.timestamp
    else:
        if outcome == ABANDONED:
            fact["abandoned_during_entrance"] = bool(during_entrance)
        cdr["end_at"] = event.timestamp


def _fold_released(ws: WorkingSet, event: Event) -> None:
    fact = _answered_fact(ws, event, unreleased=True)
    if fact is None:
        raise FoldRejection(f"CALL_RELEASED for call {event.call_id!r} that no agent answered")
    if event.timestamp < fact["answered_at"]:
        raise FoldRejection(f"released at {event.timestamp}, before its answer")
    talk = event.number("talk_seconds")
    talk = talk if talk is not None else event.timestamp - fact["answered_at"]
    fact.update(
        released_at=event.timestamp, talk_seconds=talk, released_by=event.text("released_by")
    )
    cdr = _queue_cdr(ws, event, fact)
    cdr.update(end_at=event.timestamp, duration_seconds=talk, quantity=talk)


def _fold_disposition(ws: WorkingSet, event: Event) -> None:
    fact = _answered_fact(ws, event, unreleased=False)
    if fact is None:
        raise FoldRejection(f"disposition for call {event.call_id!r} that no agent answered")
    code = event.text("code")
    if not code:
        raise FoldRejection("DISPOSITION_ENTERED without data.code")
    fact["disposition"] = code
    _queue_cdr(ws, event, fact)["disposition"] = code


# One handler per event type (the route table dispatches): each requires the call to be waiting.


def _fold_offered(ws: WorkingSet, event: Event) -> None:
    fact = _require_waiting(ws, event)
    fact["offered"] = True
    fact["offer_count"] += 1


def _fold_bounced(ws: WorkingSet, event: Event) -> None:
    _require_waiting(ws, event)["bounce_count"] += 1


def _fold_promoted(ws: WorkingSet, event: Event) -> None:
    fact = _require_waiting(ws, event)
    priority = _priority(event)
    if priority is not None:
        fact["priority"] = priority


def _fold_reordered(ws: WorkingSet, event: Event) -> None:
    _require_waiting(ws, event)  # the position is live state, not a report figure


def _fold_updated(ws: WorkingSet, event: Event) -> None:
    fact = _require_waiting(ws, event)
    if event.text("what") == "entrance_done":
        fact["entrance_done"] = True


def _fold_held(ws: WorkingSet, event: Event) -> None:
    # An agent holds an answered call; a waiting call cannot be held, but be lenient about order.
    fact = _answered_fact(ws, event, unreleased=True) or _waiting_fact(ws, event)
    if fact is None:
        raise FoldRejection(f"CALL_HELD for unknown call {event.call_id!r}")
    fact["hold_count"] += 1


def _fold_agent_state(ws: WorkingSet, event: Event) -> None:
    if not event.agent:
        raise FoldRejection("AGENT_STATE_CHANGED without agent")
    state = event.text("state")
    if not state:
        raise FoldRejection("AGENT_STATE_CHANGED without data.state")
    current = ws.open_states.get(event.agent)
    if current is not None:
        if event.timestamp < current["started_at"]:
            raise FoldRejection(
                f"state change at {event.timestamp} is older than agent {event.agent}'s current "
                f"state {current['state']} since {current['started_at']}"
            )
        current["ended_at"] = event.timestamp
        if "id" in current:
            ws.closed_states.append(current)
    interval = {
        "tenant": event.tenant,
        "agent": event.agent,
        "sequence": event.sequence,
        "state": state[:16],
        "previous": event.text("previous"),
        "unavailable_code": event.text("unavailable_code"),
        "cause": event.text("cause"),
        "reason": event.reason,
        "call_center_id": event.call_center_id,
        "started_at": event.timestamp,
        "ended_at": None,
    }
    ws.open_states[event.agent] = interval
    ws.new_states.append(interval)


def _fold_membership(ws: WorkingSet, event: Event) -> None:
    if not event.agent or not event.call_center_id:
        raise FoldRejection(f"{event.type} needs agent and call_center_id")
    ws.memberships.append(
        {
            "tenant": event.tenant,
            "sequence": event.sequence,
            "agent": event.agent,
            "call_center_id": event.call_center_id,
            "joined": event.type == EventType.AGENT_JOINED,
            "at": event.timestamp,
        }
    )


def _fold_call_detail(ws: WorkingSet, event: Event) -> None:
    row = call_detail_row(event, ws.home_country_code)
    if row["call_id"] in ws.pbx_cdr_calls:
        raise FoldRejection(f"duplicate CALL_DETAIL for call {row['call_id']!r}")
    ws.pbx_cdr_calls.add(row["call_id"])
    ws.new_cdrs.append(row)


Handler = Callable[[WorkingSet, Event], None]

_CALL_EVENT_HANDLERS: dict[str, Handler] = {
    EventType.CALL_ADDED: _fold_added,
    EventType.CALL_OFFERED: _fold_offered,
    EventType.CALL_BOUNCED: _fold_bounced,
    EventType.CALL_PROMOTED: _fold_promoted,
    EventType.CALL_REORDERED: _fold_reordered,
    EventType.CALL_UPDATED: _fold_updated,
    EventType.CALL_RELEASED: _fold_released,
    EventType.DISPOSITION_ENTERED: _fold_disposition,
    EventType.CALL_HELD: _fold_held,
    **dict.fromkeys(TERMINAL_OUTCOMES, _fold_terminal),
}


class _Route(NamedTuple):
    handler: Handler | None
    """None: the event is only recorded."""
    needs_call_id: bool
    needs_call_center: bool


def _routes() -> dict[str, _Route]:
    """Per known type, what folding it takes: one lookup per event instead of several."""
    routes: dict[str, _Route] = {kind: _Route(None, False, False) for kind in RECORD_ONLY}
    for kind, handler in _CALL_EVENT_HANDLERS.items():
        needs_call_center = kind not in {
            EventType.CALL_RELEASED,
            EventType.DISPOSITION_ENTERED,
            EventType.CALL_HELD,
        }
        routes[kind] = _Route(handler, True, needs_call_center)
    routes[EventType.AGENT_STATE_CHANGED] = _Route(_fold_agent_state, False, False)
    routes[EventType.AGENT_JOINED] = _Route(_fold_membership, False, False)
    routes[EventType.AGENT_LEFT] = _Route(_fold_membership, False, False)
    routes[CALL_DETAIL] = _Route(_fold_call_detail, False, False)
    return routes


ROUTES = _routes()

IDENTIFIER_LIMITS = (("call_id", 128), ("call_center_id", 64), ("agent", 64))
"""Column sizes of the identifiers facts are keyed by: longer ones are refused, not cut."""
_SHORTEST_IDENTIFIER_LIMIT = min(limit for _, limit in IDENTIFIER_LIMITS)


def _too_long_identifier(event: Event) -> str | None:
    for name, limit in IDENTIFIER_LIMITS:
        value = getattr(event, name)
        if value is not None and len(value) > limit:
            return f"{name} longer than {limit} characters"
    return None


def fold_event(ws: WorkingSet, event: Event) -> Verdict:
    """Apply `event` to the working set; never raises for bad input, returns why instead."""
    route = ROUTES.get(event.type)
    if route is None:
        return Verdict(REJECTED, f"unknown event type {event.type!r}")
    # Identifiers are short: one cheap test decides whether the exact check is needed at all.
    shortest = _SHORTEST_IDENTIFIER_LIMIT
    if (
        len(event.call_id or "") > shortest
        or len(event.call_center_id or "") > shortest
        or len(event.agent or "") > shortest
    ):
        too_long = _too_long_identifier(event)
        if too_long is not None:
            return Verdict(REJECTED, too_long)
    handler = route.handler
    if handler is None:
        return Verdict(RECORDED, _unknown_fields_note(event)) if event.unknown_fields else _RECORDED
    if route.needs_call_id and not event.call_id:
        return Verdict(REJECTED, f"{event.type} needs call_id")
    if route.needs_call_center and not event.call_center_id:
        return Verdict(REJECTED, f"{event.type} needs call_center_id")
    try:
        handler(ws, event)
    except (FoldRejection, ValueError) as error:
        return Verdict(REJECTED, str(error))
    return Verdict(FOLDED, _unknown_fields_note(event)) if event.unknown_fields else _FOLDED


def _unknown_fields_note(event: Event) -> str:
    return "unknown fields kept in raw: " + ", ".join(event.unknown_fields)
