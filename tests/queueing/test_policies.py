"""Bounced, stranded, night/holiday service, forced forwarding, automatic answer, wrap-up."""

from __future__ import annotations

from datetime import time

import pytest

from queueing.commands import (
    DisconnectAgent,
    HangUpCall,
    KeepRinging,
    OfferCall,
    PlayPrompt,
    RejectBusy,
    RemindAgent,
    StopRinging,
    TransferCall,
)
from queueing.config import (
    Action,
    AgentNextState,
    BouncePolicy,
    ForcedForwarding,
    NightService,
    StrandedPolicy,
    Tier,
    Treatment,
)
from queueing.events import EventType as E
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentRejected,
    AgentState,
    CallerHungUp,
    CallHeld,
    CallResumed,
    Cause,
    MediaFinished,
    SetAgentState,
    SetForcedForwarding,
    SetNightService,
)
from queueing.schedule import WeeklySchedule, dutch_public_holidays
from queueing.state import Phase
from tests.queueing.support import (
    TUESDAY_10H,
    amsterdam,
    arrive,
    center,
    of_type,
    simulator,
    tenant,
    types,
)

TWO = ("1001", "1002")


# Bounced calls -------------------------------------------------------------------------------


def test_unanswered_offer_bounces_to_the_top_and_goes_to_another_agent() -> None:
    config = tenant(center(members=TWO, bounce=BouncePolicy(ring_seconds=15)))
    sim = simulator(config, ["1001"])
    arrive(sim, "a")
    arrive(sim, "b")
    sim.advance(14.9)
    assert of_type(sim, E.CALL_BOUNCED) == []
    sim.feed(SetAgentState("1002", AgentState.UNAVAILABLE))  # only 1001 could take it
    sim.advance(0.1)
    (bounced,) = of_type(sim, E.CALL_BOUNCED)
    assert bounced.data == {"trigger": "no_answer"} and bounced.agent == "1001"
    assert StopRinging("a", "1001") in sim.commands
    waiting = sim.engine.state.call_centers["7001"].waiting
    assert waiting.call_ids() == ["a", "b"]  # back on top, ahead of b
    # 1001 is still available and is the only one: the bounced call rings 1001 again.
    assert sim.engine.state.agents["1001"].offered_call == "a"
    sim.feed(SetAgentState("1002", AgentState.AVAILABLE))
    assert sim.engine.state.agents["1002"].offered_call == "b"


def test_bounce_can_make_the_agent_unavailable() -> None:
    bounce = BouncePolicy(
        ring_seconds=15, make_agent_unavailable=True, unavailable_code="no-answer"
    )
    sim = simulator(tenant(center(members=TWO, bounce=bounce)), ["1001"])
    arrive(sim, "a")
    sim.advance(15)
    agent = sim.engine.state.agents["1001"]
    assert agent.state is AgentState.UNAVAILABLE and agent.unavailable_code == "no-answer"
    change = of_type(sim, E.AGENT_STATE_CHANGED)[-1]
    assert change.data["cause"] == "engine" and "bounced" in change.reason
    sim.feed(SetAgentState("1002", AgentState.AVAILABLE))
    assert sim.engine.state.agents["1002"].offered_call == "a"


def test_agent_going_unavailable_while_ringing_bounces_the_call() -> None:
    sim = simulator(tenant(center(members=TWO, bounce=BouncePolicy())), TWO)
    arrive(sim, "a")
    ringing = sim.engine.state.calls["a"].offered_to[0]
    sim.feed(SetAgentState(ringing, AgentState.UNAVAILABLE, unavailable_code="lunch"))
    (bounced,) = of_type(sim, E.CALL_BOUNCED)
    assert bounced.data["trigger"] == "agent_unavailable"
    other = "1002" if ringing == "1001" else "1001"
    assert sim.engine.state.calls["a"].offered_to == (other,)


def test_declined_offer_bounces_without_stopping_the_declining_phone() -> None:
    sim = simulator(tenant(center(members=TWO, bounce=BouncePolicy())), TWO)
    arrive(sim, "a")
    sim.feed(AgentRejected("a", "1001"))
    assert of_type(sim, E.CALL_BOUNCED)[0].data["trigger"] == "rejected"
    assert StopRinging("a", "1001") not in sim.commands
    assert sim.engine.state.calls["a"].offered_to == ("1002",)


def test_basic_call_center_moves_on_after_twenty_seconds_without_configuration() -> None:
    sim = simulator(tenant(center(tier=Tier.BASIC, members=TWO)), TWO)
    arrive(sim, "a")
    sim.advance(20)
    assert types(of_type(sim, E.CALL_BOUNCED)) == [E.CALL_BOUNCED]
    assert sim.engine.state.calls["a"].offered_to == ("1002",)


def test_held_call_alerts_then_bounces_back_to_the_top_of_the_queue() -> None:
    bounce = BouncePolicy(hold_alert_seconds=30, hold_bounce_seconds=60)
    sim = simulator(tenant(center(members=TWO, bounce=bounce, wrap_up_seconds=10)), ["1001"])
    arrive(sim, "waiting-before")  # offered to 1001
    sim.feed(AgentAnswered("waiting-before", "1001"))
    arrive(sim, "other")
    sim.feed(CallHeld("waiting-before", "1001"))
    sim.advance(30)
    assert RemindAgent("waiting-before", "1001") in sim.commands
    sim.advance(30)
    assert DisconnectAgent("waiting-before", "1001") in sim.commands
    bounced = of_type(sim, E.CALL_BOUNCED)[-1]
    assert bounced.data == {"trigger": "held_too_long"}
    readded = of_type(sim, E.CALL_ADDED)[-1]
    assert readded.call_id == "waiting-before" and readded.data["reentry"] == "held_too_long"
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["waiting-before", "other"]
    assert sim.engine.state.agents["1001"].state is AgentState.WRAP_UP


def test_a_held_call_bounced_to_its_queue_is_served_before_the_calls_waiting_there() -> None:
    # No wrap-up: the agent is free at once. Offered the next call before the bounced one was
    # back in the queue, it would have skipped the call that belongs at the top.
    bounce = BouncePolicy(hold_bounce_seconds=60)
    sim = simulator(tenant(center(members=TWO, bounce=bounce)), ["1001"])
    arrive(sim, "held")
    sim.feed(AgentAnswered("held", "1001"))
    arrive(sim, "other")
    sim.feed(CallHeld("held", "1001"))
    sim.advance(60)
    offered = of_type(sim, E.CALL_OFFERED)[-1]
    assert (offered.call_id, offered.agent) == ("held", "1001")  # the only free agent
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["held", "other"]


def test_a_held_call_stays_with_its_agent_while_its_queue_is_full() -> None:
    bounce = BouncePolicy(hold_alert_seconds=30, hold_bounce_seconds=60)
    sim = simulator(tenant(center(members=TWO, bounce=bounce, max_waiters=2)), ["1001"])
    arrive(sim, "held")
    sim.feed(AgentAnswered("held", "1001"))
    arrive(sim, "w1")
    arrive(sim, "w2")  # the queue is full again
    sim.feed(CallHeld("held", "1001"))
    sim.advance(60)
    assert DisconnectAgent("held", "1001") not in sim.commands
    assert sim.commands.count(RemindAgent("held", "1001")) == 2  # the alert, then at the bounce
    kept = of_type(sim, E.CALL_UPDATED)[-1]
    assert kept.call_id == "held" and kept.data["what"] == "held_too_long_queue_full"
    assert sim.engine.state.calls["held"].phase is Phase.HELD
    assert len(sim.engine.state.call_centers["7001"].waiting) == 2
    # Room again: the next try bounces it to the top.
    sim.feed(CallerHungUp("w2"))
    sim.advance(60)
    assert DisconnectAgent("held", "1001") in sim.commands
    assert sim.engine.state.call_centers["7001"].waiting.call_ids()[0] == "held"


def test_resuming_a_held_call_cancels_the_hold_timers() -> None:
    bounce = BouncePolicy(hold_alert_seconds=30, hold_bounce_seconds=60)
    sim = simulator(tenant(center(members=TWO, bounce=bounce)), ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    sim.feed(CallHeld("a", "1001"))
    sim.advance(10)
    assert types(sim.feed(CallResumed("a", "1001"))) == [E.CALL_RESUMED]
    sim.advance(100)
    assert of_type(sim, E.CALL_BOUNCED) == []


# Stranded calls ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treatment", "expected"),
    [
        (Treatment(Action.BUSY), RejectBusy("a")),
        (Treatment(Action.TRANSFER, "0301234567"), TransferCall("a", "0301234567")),
        (Treatment(Action.RINGING), KeepRinging("a")),
        (
            Treatment(Action.ANNOUNCEMENT, announcement="closed"),
            PlayPrompt("a", "closed", loop=True),
        ),
        (Treatment(Action.NIGHT_SERVICE), TransferCall("a", "7002")),
    ],
)
def test_stranded_on_arrival_when_all_agents_are_signed_out(
    treatment: Treatment, expected: object
) -> None:
    night = NightService(night_treatment=Treatment(Action.TRANSFER, "7002"))
    config = tenant(
        center(
            tier=Tier.PREMIUM,
            members=TWO,
            stranded=StrandedPolicy(all_signed_out=treatment),
            night_service=night,
        )
    )
    sim = simulator(config)
    sim.feed(SetNightService("7001", False))  # night service on for the stranded action only
    events = arrive(sim, "a")
    assert types(events) == [E.CALL_STRANDED]
    assert events[0].data["trigger"] == "all_signed_out"
    assert expected in sim.commands


def test_stranded_none_keeps_the_call_queued() -> None:
    sim = simulator(tenant(center(members=TWO)))
    assert types(arrive(sim, "a")) == [E.CALL_ADDED]


def test_all_unavailable_is_a_separate_policy() -> None:
    stranded = StrandedPolicy(
        all_signed_out=Treatment(Action.BUSY), all_unavailable=Treatment(Action.TRANSFER, "1099")
    )
    sim = simulator(tenant(center(members=TWO, stranded=stranded)))
    sim.feed(SetAgentState("1001", AgentState.UNAVAILABLE, unavailable_code="lunch"))
    events = arrive(sim, "a")
    assert events[0].type is E.CALL_STRANDED and events[0].data["trigger"] == "all_unavailable"
    assert TransferCall("a", "1099") in sim.commands
    # A busy (on a call) agent is not unavailable: calls wait for them.
    sim.feed(SetAgentState("1002", AgentState.AVAILABLE))
    arrive(sim, "b")
    sim.feed(AgentAnswered("b", "1002"))
    assert types(arrive(sim, "c")) == [E.CALL_ADDED]


def test_waiting_calls_are_stranded_when_the_last_agent_signs_out() -> None:
    sim = simulator(tenant(center(members=TWO, stranded=StrandedPolicy(Treatment(Action.BUSY)))))
    sim.feed(SetAgentState("1001", AgentState.UNAVAILABLE))
    arrive(sim, "a")
    arrive(sim, "b")
    sim.feed(SetAgentState("1001", AgentState.SIGN_OUT))
    stranded = of_type(sim, E.CALL_STRANDED)
    assert [e.call_id for e in stranded] == ["a", "b"]
    assert RejectBusy("a") in sim.commands and RejectBusy("b") in sim.commands
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == []


# Night service, holidays, forced forwarding -----------------------------------------------------


def premium_night() -> NightService:
    return NightService(
        schedule=WeeklySchedule.business_hours("Europe/Amsterdam", time(8), time(18)),
        night_treatment=Treatment(Action.TRANSFER, "7002"),
        holidays=dutch_public_holidays(),
        holiday_treatment=Treatment(Action.BUSY, announcement="holiday"),
    )


@pytest.mark.parametrize(
    ("moment", "outcome", "trigger"),
    [
        (TUESDAY_10H, E.CALL_ADDED, None),
        (amsterdam(2026, 11, 24, 18, 1), E.CALL_DIVERTED, "night_service"),
        (amsterdam(2026, 11, 28, 11), E.CALL_DIVERTED, "night_service"),  # Saturday
        (amsterdam(2026, 12, 25, 10), E.CALL_DIVERTED, "holiday_service"),  # Christmas, a Friday
        (amsterdam(2026, 4, 27, 10), E.CALL_DIVERTED, "holiday_service"),  # King's Day
    ],
)
def test_night_and_holiday_service_follow_the_schedule(
    moment: float, outcome: E, trigger: str | None
) -> None:
    sim = simulator(
        tenant(center("7003", tier=Tier.PREMIUM, night_service=premium_night())), now=moment
    )
    events = arrive(sim, "a", cc="7003")
    assert events[0].type is outcome
    assert events[0].data.get("trigger") == trigger


def test_holiday_announcement_plays_before_busy() -> None:
    sim = simulator(
        tenant(center("7003", tier=Tier.PREMIUM, night_service=premium_night())),
        now=amsterdam(2026, 12, 25, 10),
    )
    arrive(sim, "a", cc="7003")
    assert PlayPrompt("a", "holiday") in sim.commands and RejectBusy("a") not in sim.commands
    sim.feed(MediaFinished("a", "holiday"))
    assert sim.commands[-1] == RejectBusy("a")


def test_supervisor_override_forces_night_service_on_and_off() -> None:
    config = tenant(center("7003", tier=Tier.PREMIUM, night_service=premium_night()))
    sim = simulator(config, now=TUESDAY_10H)
    (updated,) = sim.feed(SetNightService("7003", True))
    assert updated.data == {"night_service_override": True, "forced_forwarding": False}
    assert arrive(sim, "a", cc="7003")[0].type is E.CALL_DIVERTED
    sim.feed(SetNightService("7003", False))
    sim.now = amsterdam(2026, 11, 24, 22)
    assert arrive(sim, "b", cc="7003")[0].type is E.CALL_ADDED
    sim.feed(SetNightService("7003", None))
    assert arrive(sim, "c", cc="7003")[0].type is E.CALL_DIVERTED


def test_forced_forwarding_sends_new_calls_to_the_number() -> None:
    forced = ForcedForwarding("0612345678", announcement="forwarding")
    sim = simulator(tenant(center("7003", tier=Tier.PREMIUM, forced_forwarding=forced)))
    assert types(arrive(sim, "a", cc="7003")) == [E.CALL_ADDED]
    sim.feed(SetForcedForwarding("7003", True))
    events = arrive(sim, "b", cc="7003")
    assert events[0].type is E.CALL_DIVERTED and events[0].data["trigger"] == "forced_forwarding"
    sim.feed(MediaFinished("b", "forwarding"))
    assert sim.commands[-1] == TransferCall("b", "0612345678")
    assert "a" in sim.engine.state.calls  # calls already waiting stay


@pytest.mark.parametrize("tier", [Tier.BASIC, Tier.STANDARD])
def test_switching_night_service_on_a_lower_tier_is_rejected(tier: Tier) -> None:
    sim = simulator(tenant(center(tier=tier)))
    (rejected,) = sim.feed(SetNightService("7001", True))
    assert rejected.type is E.INPUT_REJECTED and rejected.data["error"] == "not_configured"
    assert "PREMIUM" in rejected.reason


# Automatic answer, wrap-up, licences, dispositions ------------------------------------------------


def test_automatic_answer_asks_the_phone_to_answer_itself() -> None:
    sim = simulator(tenant(center(tier=Tier.PREMIUM, automatic_answer=True)), ["1001"])
    arrive(sim, "a")
    assert OfferCall("a", "1001", "+3120a", "7001", auto_answer=True) in sim.commands


@pytest.mark.parametrize("following", [AgentNextState.AVAILABLE, AgentNextState.UNAVAILABLE])
def test_wrap_up_runs_its_timer_then_the_automatic_next_state(following: AgentNextState) -> None:
    config = tenant(center(wrap_up_seconds=10, wrap_up_next_state=following))
    sim = simulator(config, ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    sim.advance(30)
    sim.feed(CallerHungUp("a"))
    assert HangUpCall("a") not in sim.commands  # the caller is already gone
    assert sim.engine.state.agents["1001"].state is AgentState.WRAP_UP
    arrive(sim, "b")
    assert sim.engine.state.agents["1001"].offered_call is None  # no offers during wrap-up
    sim.advance(10)
    last = of_type(sim, E.AGENT_STATE_CHANGED)[-1]
    assert last.data["state"] == following.value and last.data["cause"] == "engine"
    expected_offer = "b" if following is AgentNextState.AVAILABLE else None
    assert sim.engine.state.agents["1001"].offered_call == expected_offer


def test_state_asked_for_during_a_call_applies_when_it_ends() -> None:
    sim = simulator(tenant(center(wrap_up_seconds=10)), ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    assert sim.feed(SetAgentState("1001", AgentState.SIGN_OUT)) == []
    sim.feed(CallerHungUp("a"))
    assert sim.engine.state.agents["1001"].state is AgentState.SIGN_OUT


def test_basic_licence_agents_have_no_acd_states_but_take_calls_when_signed_in() -> None:
    sim = simulator(tenant(center(tier=Tier.BASIC), licence=Tier.BASIC))
    (rejected,) = sim.feed(SetAgentState("1001", AgentState.AVAILABLE))
    assert rejected.data["error"] == "licence" and "STANDARD" in rejected.reason
    sim.feed(SetAgentState("1001", AgentState.SIGN_IN))
    arrive(sim, "a")
    assert sim.engine.state.agents["1001"].offered_call == "a"


def test_supervisor_state_change_carries_its_cause() -> None:
    sim = simulator(tenant(center()))
    (changed,) = sim.feed(SetAgentState("1001", AgentState.AVAILABLE, Cause.SUPERVISOR))
    assert changed.data == {
        "state": "AVAILABLE",
        "previous": "SIGN_OUT",
        "unavailable_code": None,
        "cause": "supervisor",
    }


def test_unavailable_codes_are_checked_when_configured() -> None:
    sim = simulator(tenant(center(), unavailable_codes=frozenset({"lunch", "meeting"})))
    (rejected,) = sim.feed(SetAgentState("1001", AgentState.UNAVAILABLE, unavailable_code="nap"))
    assert rejected.data["error"] == "unknown_unavailable_code"
    (changed,) = sim.feed(SetAgentState("1001", AgentState.UNAVAILABLE, unavailable_code="lunch"))
    assert changed.data["unavailable_code"] == "lunch"


@pytest.mark.parametrize(
    ("licence", "tier", "state", "code"),
    [
        (Tier.PREMIUM, Tier.STANDARD, AgentState.UNAVAILABLE, "missed"),
        (Tier.BASIC, Tier.BASIC, AgentState.SIGN_OUT, None),
    ],
)
def test_an_agent_whose_phone_declines_is_taken_out_of_rotation(
    licence: Tier, tier: Tier, state: AgentState, code: str | None
) -> None:
    sim = simulator(tenant(center(tier=tier), licence=licence))
    sim.feed(
        SetAgentState("1001", AgentState.SIGN_IN if licence is Tier.BASIC else AgentState.AVAILABLE)
    )
    arrive(sim, "a")
    sim.feed(AgentRejected("a", "1001", "not_registered"))
    agent = sim.engine.state.agents["1001"]
    assert (agent.state, agent.unavailable_code) == (state, code)
    assert agent.offered_call is None  # not offered the same call again and again
    change = of_type(sim, E.AGENT_STATE_CHANGED)[-1]
    assert change.data["cause"] == "engine" and "not_registered" in change.reason
    assert sim.engine.state.call_centers["7001"].waiting.call_ids() == ["a"]


def test_agent_hanging_up_ends_the_callers_side_too() -> None:
    sim = simulator(tenant(center()), ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    sim.advance(12)
    (released, *_) = sim.feed(AgentHungUp("a", "1001"))
    assert released.data == {"talk_seconds": 12.0, "released_by": "agent"}
    assert HangUpCall("a") in sim.commands


def test_agent_transferring_the_caller_frees_the_agent_and_keeps_the_caller() -> None:
    # A REFER from the agent's phone, or the client's Transfer: the PBX already rings the
    # target, so the engine releases the call without hanging up on the caller.
    sim = simulator(tenant(center()), ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    sim.advance(12)
    (released, *_) = sim.feed(AgentHungUp("a", "1001", transferred=True))
    assert released.data == {"talk_seconds": 12.0, "released_by": "agent"}
    assert "transferred" in released.reason
    assert HangUpCall("a") not in sim.commands
    assert sim.engine.state.agents["1001"].call is None
