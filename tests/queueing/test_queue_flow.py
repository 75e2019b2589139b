"""A call's life in a queue: limits, entrance and waiting media, overflow, abandon, escape."""

from __future__ import annotations

import pytest

from queueing.commands import (
    AnswerCall,
    BridgeCall,
    KeepRinging,
    OfferCall,
    PlayPrompt,
    RejectBusy,
    StartMusic,
    StopMedia,
    TransferCall,
)
from queueing.config import (
    Action,
    ComfortBypass,
    EstimatedWait,
    Media,
    OverflowPolicy,
    Tier,
    Treatment,
)
from queueing.errors import ConfigError
from queueing.events import EventType as E
from queueing.inputs import (
    AgentAnswered,
    CallArrived,
    CallerHungUp,
    DtmfReceived,
    MediaFinished,
)
from tests.queueing.support import arrive, center, commands_of, of_type, simulator, tenant, types


@pytest.mark.parametrize(
    ("tier", "limit"), [(Tier.BASIC, 25), (Tier.STANDARD, 50), (Tier.PREMIUM, 525)]
)
def test_queue_full_overflows_the_next_caller_with_busy(tier: Tier, limit: int) -> None:
    sim = simulator(tenant(center(tier=tier)))
    for n in range(limit):
        assert types(arrive(sim, f"c{n}"))[0] is E.CALL_ADDED
    events = arrive(sim, "over")
    assert types(events) == [E.CALL_OVERFLOWED]
    assert events[0].data["trigger"] == "queue_full" and events[0].data["on_arrival"] is True
    assert RejectBusy("over") in sim.commands
    assert len(sim.engine.state.call_centers["7001"].waiting) == limit


def test_lower_configured_limit_applies() -> None:
    sim = simulator(tenant(center(max_waiters=2)))
    arrive(sim, "a")
    arrive(sim, "b")
    assert types(arrive(sim, "c")) == [E.CALL_OVERFLOWED]


def test_full_queue_can_keep_ringing_then_caller_hangs_up_with_no_second_outcome() -> None:
    overflow = OverflowPolicy(on_full=Treatment(Action.RINGING))
    sim = simulator(tenant(center(max_waiters=1, overflow=overflow)))
    arrive(sim, "a")
    arrive(sim, "b")
    assert KeepRinging("b") in sim.commands
    assert sim.feed(CallerHungUp("b")) == []
    assert "b" not in sim.engine.state.calls


def test_entrance_message_then_music_and_the_call_is_answered_first() -> None:
    sim = simulator(tenant(center()))
    arrive(sim, "a")
    assert sim.commands[:2] == [AnswerCall("a"), PlayPrompt("a", "welcome")]
    events = sim.feed(MediaFinished("a", "welcome"))
    assert [e.data.get("what") for e in events] == ["entrance_done"]
    assert StartMusic("a", "moh") in sim.commands


def test_non_mandatory_entrance_lets_a_free_agent_take_the_call_at_once() -> None:
    sim = simulator(tenant(center()), available=["1001"])
    assert types(arrive(sim, "a")) == [E.CALL_ADDED, E.CALL_OFFERED]


def test_mandatory_entrance_holds_the_offer_until_the_message_ends() -> None:
    sim = simulator(tenant(center(media=Media(entrance_mandatory=True))), available=["1001"])
    assert types(arrive(sim, "a")) == [E.CALL_ADDED]
    assert types(sim.feed(MediaFinished("a", "welcome"))) == [E.CALL_UPDATED, E.CALL_OFFERED]


def test_estimated_wait_message_tells_the_position() -> None:
    sim = simulator(tenant(center(media=Media(estimated_wait=EstimatedWait.POSITION))))
    arrive(sim, "a")
    arrive(sim, "b")
    sim.feed(MediaFinished("b", "welcome"))
    assert PlayPrompt("b", "position:2", resume_music="moh") in sim.commands


def test_comfort_message_every_interval_while_waiting() -> None:
    sim = simulator(tenant(center(media=Media(comfort_interval_seconds=20))))
    arrive(sim, "a")
    sim.feed(MediaFinished("a", "welcome"))
    sim.advance(65)
    comforts = [c for c in commands_of(sim, PlayPrompt) if c.prompt == "comfort"]
    assert len(comforts) == 3
    assert all(c.resume_music == "moh" for c in comforts)


def test_comfort_bypass_plays_the_short_message_when_the_wait_will_be_short() -> None:
    media = Media(comfort_interval_seconds=10, comfort_bypass=ComfortBypass(30, "short"))
    sim = simulator(tenant(center(tier=Tier.PREMIUM, media=media)))
    arrive(sim, "first")
    sim.feed(MediaFinished("first", "welcome"))
    for n in range(5):
        arrive(sim, f"c{n}")
        sim.feed(MediaFinished(f"c{n}", "welcome"))
    sim.advance(10)
    prompts = {c.call_id: c.prompt for c in commands_of(sim, PlayPrompt) if c.prompt != "welcome"}
    # No one has answered yet: the first caller has nobody ahead, the others wait 120 s per call.
    assert prompts["first"] == "short"
    assert prompts["c0"] == "comfort"
    assert [e.data["what"] for e in of_type(sim, E.CALL_UPDATED)].count("bypass_message") == 1


def test_overflow_after_max_wait_transfers_after_an_announcement() -> None:
    overflow = OverflowPolicy(
        max_wait_seconds=120, on_max_wait=Treatment(Action.TRANSFER, "0201111111", "sorry")
    )
    sim = simulator(tenant(center(overflow=overflow)))
    arrive(sim, "a")
    sim.advance(119)
    assert of_type(sim, E.CALL_OVERFLOWED) == []
    sim.advance(1)
    (overflowed,) = of_type(sim, E.CALL_OVERFLOWED)
    assert overflowed.data == {
        "trigger": "max_wait",
        "action": "transfer",
        "wait_seconds": 120.0,
        "destination": "0201111111",
    }
    assert PlayPrompt("a", "sorry") in sim.commands
    assert TransferCall("a", "0201111111") not in sim.commands
    sim.feed(MediaFinished("a", "sorry"))
    assert sim.commands[-1] == TransferCall("a", "0201111111")
    assert "a" not in sim.engine.state.calls


def test_overflow_while_ringing_stops_the_agents_phone() -> None:
    overflow = OverflowPolicy(max_wait_seconds=10)
    sim = simulator(tenant(center(overflow=overflow, bounce=None)), available=["1001"])
    arrive(sim, "a")
    sim.advance(10)
    assert of_type(sim, E.CALL_OVERFLOWED)
    assert sim.engine.state.agents["1001"].offered_call is None


def test_abandon_during_entrance_is_told_apart() -> None:
    sim = simulator(tenant(center()))
    arrive(sim, "a")
    arrive(sim, "b")
    sim.feed(MediaFinished("b", "welcome"))
    sim.advance(5)
    sim.feed(CallerHungUp("a"))
    sim.feed(CallerHungUp("b"))
    a, b = of_type(sim, E.CALL_ABANDONED)
    assert a.data == {"wait_seconds": 5.0, "during_entrance": True}
    assert b.data == {"wait_seconds": 5.0, "during_entrance": False}
    assert sim.engine.state.calls == {}
    assert sim.engine.state.timers == {}


def test_caller_hanging_up_while_ringing_frees_the_agent() -> None:
    sim = simulator(tenant(center()), available=["1001"])
    arrive(sim, "a")
    sim.feed(CallerHungUp("a"))
    assert sim.engine.state.agents["1001"].offered_call is None
    assert types(arrive(sim, "b")) == [E.CALL_ADDED, E.CALL_OFFERED]


def test_escape_digit_transfers_the_caller_out() -> None:
    sim = simulator(tenant(center(escape_digit="0", escape_destination="1099")))
    arrive(sim, "a")
    assert sim.feed(DtmfReceived("a", "5")) == []
    (escaped,) = sim.feed(DtmfReceived("a", "0"))
    assert escaped.type is E.CALL_ESCAPED and escaped.data["destination"] == "1099"
    assert sim.commands[-1] == TransferCall("a", "1099")


def test_answer_bridges_and_stops_media() -> None:
    sim = simulator(tenant(center()), available=["1001"])
    arrive(sim, "a")
    assert OfferCall("a", "1001", "+3120a", "7001") in sim.commands
    sim.advance(3)
    events = sim.feed(AgentAnswered("a", "1001"))
    assert types(events) == [E.CALL_ANSWERED, E.AGENT_STATE_CHANGED]
    assert events[0].data == {"wait_seconds": 3.0}
    assert sim.commands[-2:] == [StopMedia("a"), BridgeCall("a", "1001")]
    assert events[1].data["state"] == "BUSY"


def test_call_capacity_overflows_the_next_outside_call_busy_while_internal_calls_pass() -> None:
    """Call Capacity Management per call center: calls from outside waiting or talking count;
    one more is refused busy on arrival (CALL_OVERFLOWED, trigger capacity); an extension's call
    is not an outside line; a released call frees its place."""
    sim = simulator(tenant(center(max_external_calls=2)), available=["1001"])
    sim.feed(CallArrived("talking", "7001", "+31612345678", external=True))
    sim.feed(AgentAnswered("talking", "1001"))
    assert types(sim.feed(CallArrived("waiting", "7001", "+31612345679", external=True))) == [
        E.CALL_ADDED
    ]
    assert types(arrive(sim, "internal"))[0] is E.CALL_ADDED
    events = sim.feed(CallArrived("over", "7001", "+31612345670", external=True))
    assert types(events) == [E.CALL_OVERFLOWED]
    data = events[0].data
    assert (data["trigger"], data["action"], data["on_arrival"]) == ("capacity", "busy", True)
    assert RejectBusy("over") in sim.commands and "over" not in sim.engine.state.calls
    sim.feed(CallerHungUp("talking"))
    assert types(sim.feed(CallArrived("next", "7001", "+31612345671", external=True))) == [
        E.CALL_ADDED
    ]


@pytest.mark.parametrize("limit", [-1, 10_001])
def test_call_capacity_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(ConfigError, match="max_external_calls"):
        center(max_external_calls=limit)
