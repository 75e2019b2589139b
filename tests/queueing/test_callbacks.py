"""Callback that keeps the place (queueing/callbacks.py, docs/callback.md): the call keeps its
place and priority without its caller, rings the agent first, then the customer, retries per the
policy, and survives a restart (journal replay, snapshot, calls lost with the process)."""

from __future__ import annotations

import json

import pytest

from queueing.commands import HangUpCall, OfferCall, OfferCallback, PlayPrompt
from queueing.config import CallbackPolicy, Media
from queueing.engine import Engine, replay
from queueing.errors import ConfigError
from queueing.events import EventType as E
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
    CallsLost,
    DtmfReceived,
    Input,
    MediaFinished,
    RetrieveCall,
    SetAgentState,
)
from queueing.journal_codec import decode_input, encode_input
from queueing.simulator import Simulator
from queueing.state import Phase
from queueing.state_codec import decode_state, encode_state
from tests.queueing.support import arrive, center, commands_of, of_type, simulator, tenant, types

POLICY = CallbackPolicy(offer_above_seconds=30, attempts=2, retry_seconds=60)


def callback_center(**kw: object) -> Simulator:
    config = tenant(
        center(media=Media(entrance_message=None), callback=POLICY, **kw),  # type: ignore[arg-type]
    )
    return simulator(config, available=["1001"])


def busy_agent_with_two_waiting() -> Simulator:
    """Agent 1001 talks with "b"; "a" waits first, "c" second."""
    sim = callback_center()
    arrive(sim, "b")
    sim.feed(AgentAnswered("b", "1001"))
    arrive(sim, "a")
    arrive(sim, "c")
    return sim


def press(sim: Simulator, call_id: str, keys: str) -> None:
    for digit in keys:
        sim.feed(DtmfReceived(call_id, digit))


def test_a_caller_who_presses_1_is_called_back_in_its_turn_after_the_caller_in_front() -> None:
    sim = busy_agent_with_two_waiting()
    press(sim, "a", "1")
    assert commands_of(sim, PlayPrompt)[-1].prompt == "callback_menu"
    press(sim, "a", "1")  # own number
    [requested] = of_type(sim, E.CALLBACK_REQUESTED)
    assert requested.data == {"number": "+3120a", "position": 1, "via": "phone"}
    assert commands_of(sim, PlayPrompt)[-1].prompt == "callback_confirm"
    sim.feed(MediaFinished("a", "callback_confirm"))
    assert commands_of(sim, HangUpCall)[-1].call_id == "a"
    assert sim.feed(CallerHungUp("a")) == []  # expected: not an abandonment
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["a", "c"]

    sim.advance(40)
    sim.feed(AgentHungUp("b", "1001"))  # the caller in front is served; the agent is free
    offer = commands_of(sim, OfferCallback)
    assert [(o.call_id, o.agent, o.number, o.attempt, o.intro) for o in offer] == [
        ("a", "1001", "+3120a", 1, "callback_intro")
    ]
    assert [c.call_id for c in commands_of(sim, OfferCall)] == ["b"]  # "c" waits behind
    sim.feed(AgentAnswered("a", "1001"))
    assert sim.engine.state.calls["a"].phase is Phase.DIALING
    assert sim.engine.state.agents["1001"].state is AgentState.BUSY
    events = sim.feed(CallbackAnswered("a"))
    assert types(events) == [E.CALLBACK_ANSWERED]
    assert events[0].data == {"wait_seconds": 40.0, "attempt": 1}
    sim.feed(AgentHungUp("a", "1001"))
    assert of_type(sim, E.CALL_RELEASED)[-1].call_id == "a"
    assert [c.call_id for c in commands_of(sim, OfferCall)] == ["b", "c"]
    assert E.CALL_ABANDONED not in types(sim.events)


def test_the_caller_can_enter_another_number_or_close_the_menu() -> None:
    sim = busy_agent_with_two_waiting()
    press(sim, "c", "1*")  # closed: "c" stays a normal waiting call
    assert of_type(sim, E.CALLBACK_REQUESTED) == []
    press(sim, "c", "10612345678#")
    [requested] = of_type(sim, E.CALLBACK_REQUESTED)
    assert (requested.call_id, requested.data["number"], requested.data["position"]) == (
        "c",
        "0612345678",
        2,
    )
    assert [e.data["what"] for e in of_type(sim, E.CALL_UPDATED)] == [
        "callback_menu",
        "callback_menu_closed",
        "callback_menu",
    ]


def test_a_callback_keeps_its_priority_and_place_ahead_of_later_callers() -> None:
    sim = busy_agent_with_two_waiting()
    sim.feed(CallbackRequested("c", "0201234567"))
    arrive(sim, "d", priority=0)
    arrive(sim, "vip", priority=5)
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["vip", "a", "c", "d"]


def test_an_unreached_customer_is_retried_from_the_same_place_then_given_up() -> None:
    sim = busy_agent_with_two_waiting()
    sim.feed(CallbackRequested("a", "0201234567"))
    sim.feed(AgentHungUp("b", "1001"))
    sim.feed(AgentAnswered("a", "1001"))
    events = sim.feed(CallbackFailed("a", "busy"))
    retry = [e for e in events if e.type is E.CALLBACK_RETRY]
    assert [e.data for e in retry] == [{"failure": "busy", "attempt": 1, "retry_seconds": 60}]
    # The agent is free at once (no wrap-up for a call that did not happen) and serves "c"
    # while the callback waits its retry interval in its own place.
    assert [c.call_id for c in commands_of(sim, OfferCall)] == ["b", "c"]
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["a", "c"]
    sim.feed(AgentAnswered("c", "1001"))
    sim.advance(61)
    sim.feed(AgentHungUp("c", "1001"))
    assert [o.attempt for o in commands_of(sim, OfferCallback)] == [1, 2]
    sim.feed(AgentAnswered("a", "1001"))
    events = sim.feed(CallbackFailed("a", "no_answer"))
    [given_up] = [e for e in events if e.type is E.CALLBACK_ABANDONED]
    assert given_up.data["attempts"] == 2 and given_up.data["failure"] == "no_answer"
    assert "a" not in sim.engine.state.calls
    assert sim.engine.state.agents["1001"].state is AgentState.AVAILABLE


def test_an_agent_who_declines_a_callback_bounces_it_like_an_offer() -> None:
    sim = callback_center(members=("1001", "1002"))
    sim.feed(SetAgentState("1002", AgentState.UNAVAILABLE))
    arrive(sim, "b")
    sim.feed(AgentAnswered("b", "1001"))
    arrive(sim, "a")
    sim.feed(CallbackRequested("a", "0201234567"))
    sim.feed(AgentHungUp("b", "1001"))
    sim.feed(AgentRejected("a", "1001", "busy"))
    assert of_type(sim, E.CALL_BOUNCED)[-1].data["trigger"] == "rejected"
    assert sim.engine.state.agents["1001"].state is AgentState.UNAVAILABLE
    sim.feed(SetAgentState("1002", AgentState.AVAILABLE))
    assert [(o.call_id, o.agent) for o in commands_of(sim, OfferCallback)] == [
        ("a", "1001"),
        ("a", "1002"),
    ]


def test_a_web_callback_enters_the_queue_without_a_caller() -> None:
    sim = busy_agent_with_two_waiting()
    before = len(sim.commands)
    events = sim.feed(CallbackBooked("web-1", "7001", "+31612345678"))
    assert types(events) == [E.CALL_ADDED, E.CALLBACK_REQUESTED]
    assert events[1].data == {"number": "+31612345678", "position": 3, "via": "web"}
    # Nothing to answer or play to: no caller leg; no overflow or comfort timer either.
    assert sim.commands[before:] == []
    rejected = sim.feed(CallbackBooked("web-2", "7001", "not a number"))
    assert [(e.type, e.data["error"]) for e in rejected] == [(E.INPUT_REJECTED, "bad_number")]
    refused = sim.feed(RetrieveCall("web-1", "1009"))
    assert [e.data["error"] for e in refused] == ["callback"]


def test_the_offer_is_announced_only_when_the_wait_is_long() -> None:
    config = tenant(
        center(
            members=("1001",),
            media=Media(entrance_message=None, comfort_interval_seconds=30),
            callback=CallbackPolicy(offer_above_seconds=100),
        )
    )
    sim = simulator(config, available=["1001"])
    arrive(sim, "b")
    sim.feed(AgentAnswered("b", "1001"))
    arrive(sim, "a")  # first in line: expected wait 0
    arrive(sim, "c")  # one ahead: 120 s at the default average handle time
    sim.advance(30)
    prompts = {(p.call_id, p.prompt) for p in commands_of(sim, PlayPrompt)}
    assert ("a", "comfort") in prompts and ("c", "callback_offer") in prompts
    assert ("c", "callback_offer") in {
        (e.call_id, e.data["what"]) for e in of_type(sim, E.CALL_UPDATED)
    }


def test_a_callback_digit_that_is_the_escape_digit_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"callback\.digit"):
        center(escape_digit="1", escape_destination="0201", callback=CallbackPolicy())


def pending_callbacks() -> Simulator:
    """Three callbacks in every state a restart can find them in: waiting, waiting for a retry,
    and calling the customer; plus a plain waiting caller."""
    sim = callback_center()
    steps: list[Input] = [
        *(CallArrived(i, "7001", f"+3120{i}") for i in ("x", "y", "z", "p", "q", "r", "plain")),
        AgentAnswered("x", "1001"),
        CallbackRequested("p", "0201"),
        CallbackRequested("q", "0202"),
        CallbackRequested("r", "0203"),
    ]
    for made in steps:
        sim.feed(made)
    return sim


def test_pending_callbacks_survive_replay_snapshot_and_a_restart() -> None:
    sim = pending_callbacks()
    for made in (
        AgentHungUp("x", "1001"),  # "y" and "z" were before the callbacks: they come first
        AgentAnswered("y", "1001"),
        AgentHungUp("y", "1001"),
        AgentAnswered("z", "1001"),
        AgentHungUp("z", "1001"),
        AgentAnswered("p", "1001"),
        CallbackFailed("p", "no_answer"),  # p waits for its retry
        AgentAnswered("q", "1001"),  # q is calling the customer when the process dies
    ):
        sim.feed(made)
    state = sim.engine.state
    assert {i: c.phase for i, c in state.calls.items()} == {
        "p": Phase.WAITING,
        "q": Phase.DIALING,
        "r": Phase.WAITING,
        "plain": Phase.WAITING,
    }
    # The journal, stored as JSON and replayed, and the snapshot give the same state.
    stored = [
        (decode_input(json.loads(json.dumps(encode_input(i)))), t) for i, t in sim.engine.journal
    ]
    assert replay(sim.config, stored).state == state
    document = json.loads(json.dumps(encode_state(state, sim.config)))
    restored = decode_state(document, sim.config)
    assert restored.exact and restored.state == state

    # The new process ends what died with the old one: the plain caller is lost, the callbacks
    # all wait in their own places, ready; the agent is free for the first of them.
    engine = Engine.from_state(sim.config, restored.state)
    result = engine.feed(CallsLost(tuple(state.calls), "PBX restarted"), sim.now + 5)
    assert [e.call_id for e in result.events if e.type is E.CALL_LOST] == ["plain"]
    after = engine.state
    assert after.call_centers["7001"].waiting.call_ids() == ["p", "q", "r"]
    assert after.calls["q"].callback_attempts == 0  # the attempt under way is not counted
    offers = [c for c in result.commands if isinstance(c, OfferCallback)]
    assert [(o.call_id, o.attempt) for o in offers] == [("p", 2)]
