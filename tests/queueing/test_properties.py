"""Property tests over random event sequences: the engine's invariants hold after every step,
and replaying its journal rebuilds the same state and the same events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queueing.config import (
    Action,
    BouncePolicy,
    CallbackPolicy,
    Member,
    OverflowPolicy,
    RoutingPolicy,
    StrandedPolicy,
    TenantConfig,
    Tier,
    Treatment,
)
from queueing.engine import replay
from queueing.events import TERMINAL_CALL_EVENTS, DomainEvent, EventType
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentRejected,
    AgentState,
    CallArrived,
    CallbackAnswered,
    CallbackBooked,
    CallbackFailed,
    CallbackRequested,
    CallerHungUp,
    CallHeld,
    CallResumed,
    Cause,
    DtmfReceived,
    Input,
    MediaFinished,
    MoveCall,
    PromoteCall,
    ReorderCall,
    SetAgentState,
)
from queueing.simulator import Simulator
from queueing.state import IN_QUEUE, Phase
from tests.event_catalogue import undeclared
from tests.queueing.support import agents, center

EXTENSIONS = ("1001", "1002", "1003", "1004")
CENTERS = ("7001", "7002")


def make_config(policy: RoutingPolicy, make_unavailable: bool, strand: bool) -> TenantConfig:
    stranded = StrandedPolicy(Treatment(Action.BUSY)) if strand else StrandedPolicy()
    return TenantConfig(
        "prop",
        (
            center(
                "7001",
                tier=Tier.PREMIUM,
                members=(Member("1001", weight=2, skill_level=3), Member("1002"), Member("1003")),
                max_waiters=4,
                routing=policy,
                bounce=BouncePolicy(
                    ring_seconds=10,
                    make_agent_unavailable=make_unavailable,
                    hold_alert_seconds=20,
                    hold_bounce_seconds=40,
                ),
                overflow=OverflowPolicy(max_wait_seconds=90),
                stranded=stranded,
                wrap_up_seconds=5,
                escape_digit="0",
                escape_destination="1099",
                callback=CallbackPolicy(offer_above_seconds=10, attempts=2, retry_seconds=10),
            ),
            center("7002", tier=Tier.BASIC, members=("1001", "1004"), max_waiters=3),
        ),
        agents(*EXTENSIONS),
        seed=3,
    )


@dataclass
class Tracker:
    stays: Counter[str] = field(default_factory=Counter)
    terminals: Counter[str] = field(default_factory=Counter)
    agent_states: dict[str, str] = field(default_factory=dict)


def observe(tracker: Tracker, events: list[DomainEvent]) -> None:
    for event in events:
        if event.type is EventType.CALL_ADDED and "reentry" in event.data:
            tracker.stays[event.call_id or ""] += 1
        if event.type in TERMINAL_CALL_EVENTS:
            tracker.terminals[event.call_id or ""] += 1
        if event.type is EventType.AGENT_STATE_CHANGED:
            assert event.data["cause"] in {c.value for c in Cause}, event
            assert event.reason, event
            assert event.agent is not None
            tracker.agent_states[event.agent] = event.data["state"]


def check_invariants(sim: Simulator, tracker: Tracker, step_events: list[DomainEvent]) -> None:
    state = sim.engine.state
    # Never more waiters than the limit.
    for cc in state.call_centers.values():
        assert len(cc.waiting) <= cc.config.waiter_limit
        # The free-agent index agrees with the agents themselves.
        scanned = {
            e
            for e in cc.members
            if state.agents[e].takes_calls and cc.config.id in state.agents[e].joined
        }
        assert set(cc.free) == scanned
    # No agent offered two calls at once; offers and agents agree.
    ringing: Counter[str] = Counter()
    for call in state.calls.values():
        if call.phase is Phase.OFFERED:
            assert call.offered_to
            for extension in call.offered_to:
                ringing[extension] += 1
                assert state.agents[extension].offered_call == call.call_id
        else:
            assert call.offered_to == ()
    for agent in state.agents.values():
        assert ringing[agent.extension] == (1 if agent.offered_call else 0)
        assert not (agent.offered_call and agent.call)
    # Exactly one terminal outcome per stay in a queue.
    for call_id, stays in tracker.stays.items():
        found = state.calls.get(call_id)
        # A callback calling its customer is out of its queue, its stay not ended yet.
        waiting = found is not None and found.phase in IN_QUEUE | {Phase.DIALING}
        assert tracker.terminals[call_id] == stays - (1 if waiting else 0), call_id
    # Priority, then FIFO: an offered call is never behind a call still ready in its queue,
    # and no ready call waits while a joined agent is free.
    offered_now = {e.call_id for e in step_events if e.type is EventType.CALL_OFFERED}
    for cc in state.call_centers.values():
        best = cc.waiting.best_ready()
        if best is None:
            continue
        for extension in cc.members:
            agent = state.agents[extension]
            assert not (agent.takes_calls and cc.config.id in agent.joined), (extension, best)
        for offered_id in offered_now:
            offered = state.calls.get(offered_id or "")
            if (
                offered is not None
                and offered.phase is Phase.OFFERED
                and offered.call_center_id == cc.config.id
            ):
                assert (-offered.priority, offered.order) <= best[:2]
    # Every agent state has an event that explains it.
    for agent in state.agents.values():
        assert tracker.agent_states.get(agent.extension, "SIGN_OUT") == agent.state.value


def pick(sim: Simulator, index: int, phases: frozenset[Phase]) -> str | None:
    calls = [c for c in sim.engine.state.calls.values() if c.phase in phases]
    return calls[index % len(calls)].call_id if calls else None


def to_input(sim: Simulator, op: tuple[str, int, int]) -> Input | float | None:
    kind, a, b = op
    state = sim.engine.state
    if kind == "arrive":
        return CallArrived(f"c{len(sim.engine.journal)}", CENTERS[a % 2], f"+3120{a}", b % 3)
    if kind == "advance":
        return float(a % 30 + 1)
    if kind == "state":
        target = [
            AgentState.AVAILABLE,
            AgentState.UNAVAILABLE,
            AgentState.SIGN_OUT,
            AgentState.SIGN_IN,
            AgentState.WRAP_UP,
        ][b % 5]
        return SetAgentState(EXTENSIONS[a % 4], target, Cause.AGENT, "lunch")
    if kind == "garbage":
        return AgentAnswered(f"ghost{a}", EXTENSIONS[b % 4])
    if kind == "book":
        return CallbackBooked(f"w{len(sim.engine.journal)}", CENTERS[a % 2], f"020{b}", b % 3)
    call_id = pick(
        sim,
        a,
        {
            "hangup": frozenset(Phase),
            "answer": frozenset({Phase.OFFERED}),
            "reject": frozenset({Phase.OFFERED}),
            "agent_hangup": frozenset({Phase.TALKING, Phase.HELD}),
            "hold": frozenset({Phase.TALKING}),
            "resume": frozenset({Phase.HELD}),
            "media": frozenset({Phase.ENTRANCE, Phase.WAITING, Phase.OFFERED}),
            "move": IN_QUEUE,
            "promote": IN_QUEUE,
            "reorder": IN_QUEUE,
            "escape": IN_QUEUE,
            "callback": IN_QUEUE,
            "press": IN_QUEUE,
            "customer_answers": frozenset({Phase.DIALING}),
            "customer_fails": frozenset({Phase.DIALING}),
        }[kind],
    )
    if call_id is None:
        return None
    call = state.calls[call_id]
    if kind == "hangup":
        return CallerHungUp(call_id)
    if kind in ("answer", "reject"):
        agent = call.offered_to[b % len(call.offered_to)]
        return AgentAnswered(call_id, agent) if kind == "answer" else AgentRejected(call_id, agent)
    if kind == "agent_hangup":
        return AgentHungUp(call_id, call.agent or "")
    if kind == "hold":
        return CallHeld(call_id, call.agent or "")
    if kind == "resume":
        return CallResumed(call_id, call.agent or "")
    if kind == "media":
        return MediaFinished(call_id, "welcome")
    if kind == "move":
        return MoveCall(call_id, CENTERS[b % 2])
    if kind == "promote":
        return PromoteCall(call_id, b % 4)
    if kind == "reorder":
        return ReorderCall(call_id, b % 4 + 1)
    if kind == "callback":
        return CallbackRequested(call_id, f"06{b}")
    if kind == "press":
        return DtmfReceived(call_id, "1#*5"[b % 4])
    if kind == "customer_answers":
        return CallbackAnswered(call_id)
    if kind == "customer_fails":
        return CallbackFailed(call_id, "busy")
    return DtmfReceived(call_id, "0" if b % 2 else "5")


OPS = st.tuples(
    st.sampled_from(
        [
            "arrive",
            "arrive",
            "arrive",
            "advance",
            "advance",
            "state",
            "state",
            "state",
            "answer",
            "answer",
            "reject",
            "hangup",
            "agent_hangup",
            "hold",
            "resume",
            "media",
            "move",
            "promote",
            "reorder",
            "escape",
            "garbage",
            "book",
            "callback",
            "press",
            "press",
            "customer_answers",
            "customer_fails",
        ]
    ),
    st.integers(0, 1000),
    st.integers(0, 1000),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=st.sampled_from(list(RoutingPolicy)),
    make_unavailable=st.booleans(),
    strand=st.booleans(),
    ops=st.lists(OPS, min_size=20, max_size=150),
)
def test_invariants_hold_and_the_journal_replays(
    policy: RoutingPolicy, make_unavailable: bool, strand: bool, ops: list[tuple[str, int, int]]
) -> None:
    config = make_config(policy, make_unavailable, strand)
    sim = Simulator(config)
    tracker = Tracker()

    def checked_step(step: Callable[[Any], object], argument: Any) -> object:
        before = len(sim.events)
        result = step(argument)
        new = sim.events[before:]
        assert undeclared(new) == set(), "emitted but not in common/event_types.py DATA_FIELDS"
        observe(tracker, new)
        rejected_arrivals = {
            e.call_id
            for e in new
            if e.type is EventType.INPUT_REJECTED
            and e.data["input"] in ("CallArrived", "CallbackBooked")
        }
        for call_id in rejected_arrivals:
            tracker.stays[call_id or ""] -= 1
        check_invariants(sim, tracker, new)
        return result

    for op in ops:
        made = to_input(sim, op)
        if made is None:
            continue
        if isinstance(made, float):
            # Timer by timer: each is an engine step of its own, checked on its own.
            until = sim.now + made
            while checked_step(sim.fire_next, until):
                pass
            sim.now = until
        else:
            if isinstance(made, CallArrived | CallbackBooked):
                tracker.stays[made.call_id] += 1
            checked_step(sim.feed, made)

    rebuilt = replay(config, sim.engine.journal)
    assert rebuilt.state == sim.engine.state
    replayed_events: list[DomainEvent] = []
    again = Simulator(config)
    for event, now in sim.engine.journal:
        again.now = now
        replayed_events.extend(again.feed(event))
    assert replayed_events == sim.events
