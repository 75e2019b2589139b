"""Calls the platform lost (queueing/lost_calls.py): their own terminal events, never the
caller's abandonment, nothing sent to the PBX about them, no agent offered a lost call."""

from __future__ import annotations

from queueing.commands import OfferCall, StartMusic, StartTimer
from queueing.config import BouncePolicy, OverflowPolicy
from queueing.events import EventType as E
from queueing.inputs import AgentAnswered, CallHeld, CallsLost, CallsTakenOver
from queueing.journal_codec import decode_input, encode_input
from queueing.state import Phase
from tests.queueing.support import arrive, center, simulator, tenant, types


def test_lost_calls_end_as_lost_or_released_by_the_platform_and_nothing_reaches_the_pbx() -> None:
    sim = simulator(tenant(center(members=("1001", "1002"))), available=["1001", "1002"])
    arrive(sim, "talk")
    sim.feed(AgentAnswered("talk", "1001"))
    arrive(sim, "ring")  # offered to 1002, still ringing
    arrive(sim, "wait")  # nobody free: waiting
    arrive(sim, "kept")  # not lost: must still be offered once an agent is free
    assert [c.call_id for c in sim.commands if isinstance(c, OfferCall)] == ["talk", "ring"]
    sim.advance(30)
    before = len(sim.commands)

    events = sim.feed(CallsLost(("talk", "ring", "wait", "ghost"), "PBX restarted"))

    lost = [e for e in events if e.type is E.CALL_LOST]
    assert [e.call_id for e in lost] == ["ring", "wait"]
    assert all(e.reason.startswith("lost: PBX restarted") for e in lost)
    assert [e.data["wait_seconds"] for e in lost] == [30.0, 30.0]
    released = [e for e in events if e.type is E.CALL_RELEASED]
    assert [(e.call_id, e.data["released_by"], e.reason) for e in released] == [
        ("talk", "platform", "lost: PBX restarted")
    ]
    assert E.CALL_ABANDONED not in types(events)
    after = sim.commands[before:]
    lost_ids = {"talk", "ring", "wait"}
    assert not [c for c in after if getattr(c, "call_id", None) in lost_ids]
    # The freed agent gets the one call that is still there, and only that one.
    assert [c.call_id for c in after if isinstance(c, OfferCall)] == ["kept"]
    assert set(sim.engine.state.calls) == {"kept"}


def test_lost_calls_are_journaled_and_replay_to_the_same_state() -> None:
    sim = simulator(tenant(center()), available=["1001"])
    arrive(sim, "a")
    arrive(sim, "b")
    sim.feed(CallsLost(("a", "b"), "PBX restarted"))
    again = simulator(tenant(center()), available=["1001"])
    arrive(again, "a")
    arrive(again, "b")
    replayed = decode_input(encode_input(CallsLost(("a", "b"), "PBX restarted")))
    again.feed(replayed)
    assert again.engine.state.calls == sim.engine.state.calls == {}


def test_calls_taken_over_keep_their_place_and_are_offered_again() -> None:
    """A restarted PBX holds the dialogs again (issue 20): nothing ends, the ring of the agent
    that died with the process starts again, and the maximum wait counts from the arrival."""
    overflow = OverflowPolicy(max_wait_seconds=100)
    sim = simulator(tenant(center(members=("1001",), overflow=overflow)), available=["1001"])
    arrive(sim, "ringing")  # offered to 1001
    arrive(sim, "second")  # waiting behind it
    sim.advance(30)
    before = len(sim.commands)

    events = sim.feed(CallsTakenOver(("ringing", "second", "ghost")))

    assert not {E.CALL_LOST, E.CALL_ABANDONED, E.CALL_RELEASED} & set(types(events))
    after = sim.commands[before:]
    assert [c.call_id for c in after if isinstance(c, OfferCall)] == ["ringing"]
    assert {c.call_id for c in after if isinstance(c, StartMusic)} == {"ringing", "second"}
    max_waits = {c.timer_id: c.seconds for c in after if isinstance(c, StartTimer)}
    assert max_waits["second/max_wait"] == 70.0
    assert [k[-1] for k in sim.engine.state.call_centers["7001"].waiting.ordered] == [
        "ringing",
        "second",
    ]


def test_a_call_taken_over_after_it_was_answered_is_passed_over() -> None:
    sim = simulator(tenant(center()), available=["1001"])
    arrive(sim, "talk")
    sim.feed(AgentAnswered("talk", "1001"))
    before = len(sim.commands)
    assert sim.feed(CallsTakenOver(("talk",))) == []
    assert sim.commands[before:] == []
    replayed = decode_input(encode_input(CallsTakenOver(("talk",))))
    assert replayed == CallsTakenOver(("talk",))


def test_a_held_call_taken_over_stays_held_and_its_hold_timers_count_again() -> None:
    """The hold alert and bounce ran on the crashed process's clock: they start again from
    the take-over (the alert had not fired; the bounce, never armed, is not armed now)."""
    bounce = BouncePolicy(hold_alert_seconds=30)
    sim = simulator(tenant(center(bounce=bounce)), available=["1001"])
    arrive(sim, "held")
    sim.feed(AgentAnswered("held", "1001"))
    sim.feed(CallHeld("held", "1001"))
    sim.advance(20)
    before = len(sim.commands)
    assert sim.feed(CallsTakenOver(("held",))) == []
    assert sim.commands[before:] == [StartTimer("held/hold_alert", 30)]
    assert sim.engine.state.calls["held"].phase is Phase.HELD
