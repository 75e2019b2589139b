"""Synthetic domain events: a deterministic contact-center day with its ground truth.

Used for demo data, the benchmark (`bench/reports_ingest.py`) and the correctness tests. The ground
truth (`SimCall`, `SimAgentState`) is what "really happened"; the events are what the queue engine
would emit about it (docs/events.md). Tests compute expected report figures from the ground truth
alone, so they never share formulas with `reports.service`. Nothing here is used by ingestion.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

from redis import Redis

from common.redis_keys import cdr_stream, event_stream
from queueing.events import DomainEvent, EventType
from reports.models import Outcome

DAY_START = 1_764_028_800.0  # 2025-11-25 00:00:00 UTC
DAY = 86_400.0
ENTRANCE_SECONDS = 5.0
CALL_CENTERS: dict[str, list[str]] = {
    "7001": ["1001", "1002", "1003"],
    "7002": ["1004", "1005", "1006"],
    "7003": ["1007", "1008", "1009", "1010"],
}
SimKind = Literal[
    "answered",
    "abandoned",
    "abandoned_entrance",
    "overflowed_wait",
    "overflowed_full",
    "stranded",
    "transferred",
    "escaped",
    "diverted",
]
"""What happens to a simulated call (finer than its outcome: where and why it ended)."""
OUTCOME_OF: dict[SimKind, Outcome] = {
    "answered": Outcome.ANSWERED,
    "abandoned": Outcome.ABANDONED,
    "abandoned_entrance": Outcome.ABANDONED,
    "overflowed_wait": Outcome.OVERFLOWED,
    "overflowed_full": Outcome.OVERFLOWED,
    "stranded": Outcome.STRANDED,
    "transferred": Outcome.TRANSFERRED,
    "escaped": Outcome.ESCAPED,
    "diverted": Outcome.DIVERTED,
}
OUTCOMES: list[tuple[SimKind, int]] = [
    # (kind, weight)
    ("answered", 60),
    ("abandoned", 12),
    ("abandoned_entrance", 4),
    ("overflowed_wait", 5),
    ("overflowed_full", 3),
    ("stranded", 3),
    ("transferred", 4),
    ("escaped", 3),
    ("diverted", 4),
]


@dataclass
class SimCall:
    """One call's stay in one call center, as it happened."""

    call_id: str
    call_center: str
    caller: str
    arrival: float
    outcome: Outcome
    entered: bool
    wait: float | None = None
    bounces: int = 0
    agent: str | None = None
    talk: float | None = None
    during_entrance: bool = False
    disposition: str | None = None


@dataclass
class SimAgentState:
    agent: str
    state: str
    start: float
    end: float | None
    unavailable_code: str | None = None


@dataclass
class SimDay:
    calls: list[SimCall] = field(default_factory=list)
    states: list[SimAgentState] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    end: float = DAY_START + DAY
    """Time of the last event (the "now" of the day)."""


class _Emitter:
    def __init__(self) -> None:
        self.pending: list[tuple[float, int, EventType, dict[str, Any]]] = []
        self.order = 0

    def add(self, at: float, type_: EventType, **fields: Any) -> None:
        # `order` keeps a call's own events in causal order when two share a timestamp
        self.order += 1
        self.pending.append((at, self.order, type_, fields))

    def events(self, tenant: str) -> list[dict[str, Any]]:
        out = []
        for sequence, (at, _, type_, fields) in enumerate(sorted(self.pending), start=1):
            data = fields.pop("data", {})
            out.append(
                DomainEvent(
                    type=type_,
                    sequence=sequence,
                    timestamp=at,
                    tenant=tenant,
                    reason=f"synthetic {type_.value}",
                    data=data,
                    **fields,
                ).to_dict()
            )
        return out


def _caller(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"+44{rng.randrange(10**9, 10**10)}"
    return f"+31{rng.randrange(10**8, 10**9)}"


def _emit_call(em: _Emitter, call: SimCall, rng: random.Random, transfer_to: str | None) -> None:
    base = {"call_center_id": call.call_center, "call_id": call.call_id, "caller": call.caller}
    a = call.arrival
    if not call.entered:
        _emit_arrival_treatment(em, call, base)
        return
    em.add(
        a,
        EventType.CALL_ADDED,
        **base,
        data={"priority": 0, "position": 1, "called": call.call_center},
    )
    if call.outcome != Outcome.WAITING and (call.wait or 0.0) > ENTRANCE_SECONDS:
        em.add(a + ENTRANCE_SECONDS, EventType.CALL_UPDATED, **base, data={"what": "entrance_done"})
    assert call.wait is not None or call.outcome == Outcome.WAITING
    end = a + (call.wait or 0.0)
    match call.outcome:
        case Outcome.ANSWERED:
            _emit_answered(em, call, rng, base, end)
        case Outcome.ABANDONED:
            em.add(
                end,
                EventType.CALL_ABANDONED,
                **base,
                data={"wait_seconds": call.wait, "during_entrance": call.during_entrance},
            )
        case Outcome.OVERFLOWED:
            em.add(
                end,
                EventType.CALL_OVERFLOWED,
                **base,
                data={"trigger": "max_wait", "action": "busy", "wait_seconds": call.wait},
            )
        case Outcome.TRANSFERRED:
            em.add(
                end,
                EventType.CALL_TRANSFERRED,
                **base,
                data={"destination": transfer_to, "wait_seconds": call.wait, "by": "supervisor"},
            )
        case Outcome.ESCAPED:
            em.add(
                end,
                EventType.CALL_ESCAPED,
                **base,
                data={"wait_seconds": call.wait, "destination": "voicemail"},
            )
        case Outcome.LOST:
            em.add(end, EventType.CALL_LOST, **base, data={"wait_seconds": call.wait})
        case (
            Outcome.WAITING
            | Outcome.STRANDED
            | Outcome.DIVERTED
            | Outcome.CALLBACK_ANSWERED
            | Outcome.CALLBACK_ABANDONED
        ):
            # Still waiting at the day's end; stranded and diverted calls are simulated only on
            # arrival (above), never after entering the queue; no synthetic caller asks for a
            # callback.
            pass
        case unknown:
            assert_never(unknown)


def _emit_arrival_treatment(em: _Emitter, call: SimCall, base: dict[str, str]) -> None:
    """A call taken on arrival, never entering the queue."""
    wait = call.wait or 0.0
    match call.outcome:
        case Outcome.OVERFLOWED:
            em.add(
                call.arrival,
                EventType.CALL_OVERFLOWED,
                **base,
                data={"trigger": "queue_full", "action": "busy", "wait_seconds": wait},
            )
        case Outcome.STRANDED:
            em.add(
                call.arrival,
                EventType.CALL_STRANDED,
                **base,
                data={"trigger": "all_signed_out", "action": "busy", "wait_seconds": wait},
            )
        case Outcome.DIVERTED:
            em.add(
                call.arrival,
                EventType.CALL_DIVERTED,
                **base,
                data={"trigger": "night_service", "action": "transfer", "destination": "7002"},
            )
        case (
            Outcome.WAITING
            | Outcome.ANSWERED
            | Outcome.ABANDONED
            | Outcome.TRANSFERRED
            | Outcome.ESCAPED
            | Outcome.LOST
            | Outcome.CALLBACK_ANSWERED
            | Outcome.CALLBACK_ABANDONED
        ):
            raise ValueError(f"a call that is {call.outcome} entered the queue")
        case unknown:
            assert_never(unknown)


def _emit_answered(
    em: _Emitter, call: SimCall, rng: random.Random, base: dict[str, str], end: float
) -> None:
    agent = call.agent
    t = end - 2.0 - call.bounces * 15.0
    for _ in range(call.bounces):
        em.add(
            t,
            EventType.CALL_OFFERED,
            **base,
            agent=agent,
            data={"policy": "circular", "ring_timeout": 15},
        )
        em.add(t + 15.0, EventType.CALL_BOUNCED, **base, agent=agent, data={"trigger": "no_answer"})
        t += 15.0
    em.add(
        t,
        EventType.CALL_OFFERED,
        **base,
        agent=agent,
        data={"policy": "circular", "ring_timeout": 15},
    )
    em.add(end, EventType.CALL_ANSWERED, **base, agent=agent, data={"wait_seconds": call.wait})
    if rng.random() < 0.2:
        em.add(end + 10.0, EventType.CALL_HELD, **base, agent=agent)
        em.add(end + 20.0, EventType.CALL_RESUMED, **base, agent=agent)
    assert call.talk is not None
    em.add(
        end + call.talk,
        EventType.CALL_RELEASED,
        **base,
        agent=agent,
        data={"talk_seconds": call.talk, "released_by": "caller"},
    )
    if call.disposition:
        em.add(
            end + call.talk + 3.0,
            EventType.DISPOSITION_ENTERED,
            **base,
            agent=agent,
            data={"code": call.disposition},
        )


def _agent_day(em: _Emitter, agent: str, rng: random.Random, states: list[SimAgentState]) -> None:
    """Sign in around 08:00, alternate available / busy / wrap-up / unavailable, sign out ~17:00."""
    t = DAY_START + 8 * 3600 + rng.uniform(-900, 900)
    previous = "SIGN_OUT"
    plan: list[tuple[str, float, str | None]] = [("SIGN_IN", 30.0, None)]
    while t + sum(d for _, d, _ in plan) < DAY_START + 17 * 3600:
        roll = rng.random()
        if roll < 0.5:
            plan.append(("AVAILABLE", rng.uniform(30, 600), None))
        elif roll < 0.8:
            plan.append(("BUSY", rng.uniform(60, 400), None))
            plan.append(("WRAP_UP", 10.0, None))
        else:
            plan.append(("UNAVAILABLE", rng.uniform(300, 1800), rng.choice(["lunch", "meeting"])))
    plan.append(("SIGN_OUT", 0.0, None))
    for i, (state, duration, code) in enumerate(plan):
        last = i == len(plan) - 1
        states.append(SimAgentState(agent, state, t, None if last else t + duration, code))
        em.add(
            t,
            EventType.AGENT_STATE_CHANGED,
            agent=agent,
            data={"state": state, "previous": previous, "unavailable_code": code, "cause": "agent"},
        )
        previous = state
        t += duration


def generate_day(seed: int = 7, calls_per_center: int = 120, tenant: str = "demo") -> SimDay:
    """A day of calls (spread over 07:00-19:00 plus edge cases) and agent shifts."""
    rng = random.Random(seed)
    em = _Emitter()
    day = SimDay()
    names = [name for name, _ in OUTCOMES]
    weights = [weight for _, weight in OUTCOMES]
    counter = 0
    for cc, agents in CALL_CENTERS.items():
        for _ in range(calls_per_center):
            counter += 1
            arrival = round(DAY_START + rng.uniform(7 * 3600, 19 * 3600), 3)
            kind = rng.choices(names, weights)[0]
            call = SimCall(f"s-{counter}", cc, _caller(rng), arrival, OUTCOME_OF[kind], True)
            transfer_to = None
            match kind:
                case "answered":
                    call.wait = round(rng.uniform(3, 60), 3)
                    call.bounces = rng.choice([0, 0, 0, 1]) if call.wait > 35 else 0
                    call.agent = rng.choice(agents)
                    call.talk = round(rng.uniform(20, 600), 3)
                    call.disposition = rng.choice([None, "sale", "support"])
                case "abandoned" | "abandoned_entrance":
                    call.during_entrance = kind == "abandoned_entrance"
                    call.wait = round(
                        rng.uniform(0.5, 4.5) if call.during_entrance else rng.uniform(6, 100), 3
                    )
                case "overflowed_wait":
                    call.wait = 120.0
                case "overflowed_full" | "stranded" | "diverted":
                    call.entered, call.wait = False, 0.0
                case "transferred":
                    call.wait = round(rng.uniform(10, 90), 3)
                    transfer_to = rng.choice([c for c in CALL_CENTERS if c != cc])
                case "escaped":
                    call.wait = round(rng.uniform(10, 60), 3)
                case unknown:
                    assert_never(unknown)
            day.calls.append(call)
            _emit_call(em, call, rng, transfer_to)
            if transfer_to is not None:
                assert call.wait is not None
                counter += 1
                moved = SimCall(
                    call.call_id,
                    transfer_to,
                    call.caller,
                    call.arrival + call.wait,
                    Outcome.ANSWERED,
                    entered=True,
                    wait=round(rng.uniform(3, 30), 3),
                    agent=rng.choice(CALL_CENTERS[transfer_to]),
                    talk=round(rng.uniform(20, 300), 3),
                )
                day.calls.append(moved)
                _emit_call(em, moved, rng, None)
    # edge cases: a call arriving just before midnight answered after it, one still waiting
    late = SimCall(
        "s-late",
        "7001",
        "+31201234567",
        DAY_START + DAY - 10.0,
        Outcome.ANSWERED,
        True,
        wait=25.0,
        agent="1001",
        talk=100.0,
    )
    waiting = SimCall(
        "s-wait", "7002", "+31201234568", DAY_START + DAY - 5.0, Outcome.WAITING, True
    )
    for call in (late, waiting):
        day.calls.append(call)
        _emit_call(em, call, rng, None)
    for agents in CALL_CENTERS.values():
        for agent in agents:
            _agent_day(em, agent, rng, day.states)
    day.events = em.events(tenant)
    day.end = max(event["timestamp"] for event in day.events)
    return day


def bulk_events(n_calls: int, seed: int = 1, tenant: str = "bench") -> list[dict[str, Any]]:
    """Many calls for benchmarks: `generate_day` scaled by the number of calls per call center."""
    return generate_day(
        seed, calls_per_center=max(1, n_calls // len(CALL_CENTERS)), tenant=tenant
    ).events


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
        pipe.xadd(event_stream(prefix, tenant), {"event": json.dumps(event)})
    pipe.execute()


def publish_call_detail(
    redis: Redis, prefix: str, records: list[dict[str, Any]], tenant: str = "demo"
) -> None:
    pipe = redis.pipeline(transaction=False)
    for record in records:
        pipe.xadd(cdr_stream(prefix, tenant), {"event": json.dumps(record)})
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
