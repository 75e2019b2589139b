"""Supervisor actions, memberships, dispositions, and impossible inputs that change nothing."""

from __future__ import annotations

import copy
from typing import get_args

import pytest

from queueing.commands import TransferCall
from queueing.config import TenantConfig, Tier
from queueing.events import EventType as E
from queueing.handlers import HANDLERS
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentState,
    CallHeld,
    CallResumed,
    EnterDisposition,
    Input,
    JoinCallCenter,
    LeaveCallCenter,
    MoveCall,
    PromoteCall,
    ReorderCall,
    RetrieveCall,
    SetAgentState,
)
from queueing.simulator import Simulator
from tests.queueing.support import arrive, center, of_type, simulator, tenant


def two_centers() -> TenantConfig:
    return tenant(
        center("7001", members=("1001",)), center("7002", members=("1002",), max_waiters=2)
    )


def test_move_call_to_another_queue() -> None:
    sim = simulator(two_centers())
    arrive(sim, "a")
    sim.advance(4)
    sim.feed(MoveCall("a", "7002", by="supervisor"))
    moved, added = of_type(sim, E.CALL_TRANSFERRED)[0], of_type(sim, E.CALL_ADDED)[-1]
    assert moved.data == {"destination": "7002", "wait_seconds": 4.0, "by": "supervisor"}
    assert added.call_center_id == "7002" and added.data["reentry"] == "moved"
    assert sim.engine.state.call_centers["7002"].waiting.call_ids() == ["a"]
    sim.feed(SetAgentState("1002", AgentState.AVAILABLE))
    assert sim.engine.state.agents["1002"].offered_call == "a"


def test_promote_and_reorder_change_the_service_order() -> None:
    sim = simulator(tenant(center()))
    for call_id in ("a", "b", "c", "d"):
        arrive(sim, call_id)
    waiting = sim.engine.state.call_centers["7001"].waiting
    sim.feed(PromoteCall("d", 3))
    assert waiting.call_ids() == ["d", "a", "b", "c"]
    (reordered,) = sim.feed(ReorderCall("c", 1))
    assert waiting.call_ids() == ["d", "c", "a", "b"]
    assert reordered.data == {"position": 2}  # first of priority 0, behind the promoted call
    sim.feed(ReorderCall("c", 3))
    assert waiting.call_ids() == ["d", "a", "b", "c"]
    sim.feed(ReorderCall("b", 2))
    assert waiting.call_ids() == ["d", "a", "b", "c"]
    sim.feed(ReorderCall("b", 1))
    assert waiting.call_ids() == ["d", "b", "a", "c"]


def test_retrieve_sends_the_call_to_the_supervisors_phone() -> None:
    sim = simulator(tenant(center()))
    arrive(sim, "a")
    (event,) = sim.feed(RetrieveCall("a", "1099"))
    assert event.type is E.CALL_TRANSFERRED and event.data["destination"] == "1099"
    assert sim.commands[-1] == TransferCall("a", "1099")
    assert sim.engine.state.calls == {}


def test_join_and_leave_call_centers() -> None:
    sim = simulator(two_centers())
    (left,) = sim.feed(LeaveCallCenter("1001", "7001"))
    assert left.type is E.AGENT_LEFT
    sim.feed(SetAgentState("1001", AgentState.AVAILABLE))
    arrive(sim, "a")
    assert sim.engine.state.agents["1001"].offered_call is None
    events = sim.feed(JoinCallCenter("1001", "7001"))
    assert [e.type for e in events] == [E.AGENT_JOINED, E.CALL_OFFERED]


def test_disposition_codes_for_the_agents_own_call() -> None:
    config = tenant(center(disposition_codes=frozenset({"sale", "complaint"})))
    sim = simulator(config, ["1001"])
    arrive(sim, "a")
    sim.feed(AgentAnswered("a", "1001"))
    (entered,) = sim.feed(EnterDisposition("1001", "a", "sale"))
    assert entered.type is E.DISPOSITION_ENTERED and entered.data == {"code": "sale"}
    sim.feed(AgentHungUp("a", "1001"))
    assert sim.feed(EnterDisposition("1001", "a", "complaint"))[0].type is E.DISPOSITION_ENTERED
    assert sim.feed(EnterDisposition("1001", "a", "bogus"))[0].data["error"] == (
        "unknown_disposition_code"
    )


def _with_waiting_and_answered_calls() -> Simulator:
    sim = simulator(two_centers(), ["1001"])
    arrive(sim, "talking")
    sim.feed(AgentAnswered("talking", "1001"))
    arrive(sim, "waiting")
    arrive(sim, "w2", cc="7002")
    arrive(sim, "w3", cc="7002")
    return sim


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (AgentAnswered("nope", "1001"), "unknown_call"),
        (AgentAnswered("waiting", "1001"), "not_offered"),
        (AgentHungUp("talking", "1002"), "not_on_call"),
        (CallResumed("talking", "1001"), "not_on_call"),
        (CallHeld("waiting", "1001"), "not_on_call"),
        (SetAgentState("9999", AgentState.AVAILABLE), "unknown_agent"),
        (SetAgentState("1001", AgentState.BUSY), "engine_state"),
        (JoinCallCenter("1001", "7002"), "not_member"),
        (JoinCallCenter("1001", "7001"), "already_joined"),
        (LeaveCallCenter("1002", "7001"), "not_joined"),
        (JoinCallCenter("1001", "7999"), "unknown_call_center"),
        (MoveCall("talking", "7002"), "not_waiting"),
        (MoveCall("waiting", "7002"), "target_full"),
        (MoveCall("waiting", "7001"), "same_call_center"),
        (PromoteCall("waiting", 10), "bad_priority"),
        (PromoteCall("waiting", 0), "unchanged"),
        (ReorderCall("waiting", 5), "bad_position"),
        (RetrieveCall("talking", "1099"), "not_waiting"),
        (EnterDisposition("1002", "talking", "x"), "not_agents_call"),
    ],
)
def test_impossible_inputs_are_rejected_with_a_reason_and_change_nothing(
    bad: Input, error: str
) -> None:
    sim = _with_waiting_and_answered_calls()
    before = copy.deepcopy(sim.engine.state)
    (rejected,) = sim.feed(bad)
    assert rejected.type is E.INPUT_REJECTED
    assert rejected.data["error"] == error and rejected.data["input"] == type(bad).__name__
    assert rejected.reason
    after = sim.engine.state
    before.sequence = after.sequence  # the rejection itself is numbered
    assert after == before


def test_unknown_input_type_is_rejected() -> None:
    sim = simulator(tenant(center()))
    (rejected,) = sim.feed("not an input")  # type: ignore[arg-type]
    assert rejected.data["error"] == "unknown_input"


def test_duplicate_call_id_is_rejected() -> None:
    sim = simulator(tenant(center()))
    arrive(sim, "a")
    (rejected,) = arrive(sim, "a")
    assert rejected.data == {"input": "CallArrived", "error": "duplicate_call"}
    assert (rejected.call_id, rejected.call_center_id) == ("a", "7001")


def test_assigned_agent_who_starts_unjoined_can_join() -> None:
    from queueing.config import AgentConfig, Member, TenantConfig

    config = TenantConfig(
        "t",
        (center("7001", tier=Tier.BASIC, members=(Member("1001", joined=False),)),),
        (AgentConfig("1001", licence=Tier.BASIC),),
    )
    sim = simulator(config)
    assert sim.feed(JoinCallCenter("1001", "7001"))[0].type is E.AGENT_JOINED


def test_every_input_kind_has_a_handler() -> None:
    """The engine dispatches inputs by type (queueing/handlers.py HANDLERS): an input kind added to
    the Input union without a handler would be refused at run time as `unknown_input`."""
    assert set(HANDLERS) == set(get_args(Input))
