"""The presence core (pbx_core/presence/dialog_state.py) fed call events as the PBX emits them."""

from __future__ import annotations

from pbx_core import call_control as cc
from pbx_core.presence.dialog_state import (
    DialogPhase,
    DialogStates,
    Direction,
    LineState,
    line_state,
)

T = "acme"


def offered(call_id: str, caller: str, called: str, source: cc.CallSource) -> cc.CallOffered:
    return cc.CallOffered(call_id, caller, called, source, caller_name="Ann", tenant=T)


def test_an_internal_call_rings_connects_and_ends_for_both_sides() -> None:
    states = DialogStates()
    changes = states.apply(offered("c1", "1001", "1002", cc.CallSource.EXTENSION))
    assert [(c.extension, c.dialog.direction, c.dialog.phase) for c in changes] == [
        ("1001", Direction.INITIATOR, DialogPhase.EARLY)
    ]
    (ring,) = states.apply(cc.CallRinging("c1", "c1~1", "1002"))
    assert (ring.tenant, ring.extension, ring.dialog.phase) == (T, "1002", DialogPhase.EARLY)
    assert (ring.dialog.remote, ring.dialog.remote_name) == ("1001", "Ann")
    assert line_state(states.dialogs(T, "1002")) is LineState.RINGING
    assert line_state(states.dialogs(T, "1001")) is LineState.BUSY
    answered = states.apply(cc.CallAnswered("c1", "c1~1", "1002"))
    assert {(c.extension, c.dialog.phase) for c in answered} == {
        ("1001", DialogPhase.CONFIRMED),
        ("1002", DialogPhase.CONFIRMED),
    }
    assert states.apply(cc.CallHeld("c1", "c1~1"))
    assert line_state(states.dialogs(T, "1002")) is LineState.HELD
    ended = states.apply(cc.CallHungUp("c1", cc.HangupSide.CALLER))
    assert {(c.extension, c.dialog.phase) for c in ended} == {
        ("1001", DialogPhase.TERMINATED),
        ("1002", DialogPhase.TERMINATED),
    }
    assert states.dialogs(T, "1001") == states.dialogs(T, "1002") == ()
    assert states.busy_lines() == []


def test_an_outside_caller_has_no_line_and_a_missed_offer_ends_its_dialog() -> None:
    states = DialogStates()
    assert states.apply(offered("c2", "+31201234567", "7001", cc.CallSource.TRUNK)) == []
    states.apply(cc.CallRinging("c2", "leg-a", "1003"))
    (failed,) = states.apply(cc.OfferFailed("c2", "leg-a", "1003", cc.OfferFailure.NO_ANSWER))
    assert failed.dialog.phase is DialogPhase.TERMINATED
    assert line_state(states.dialogs(T, "1003")) is LineState.IDLE
    assert states.apply(cc.CallHungUp("c2", cc.HangupSide.CALLER)) == []


def test_events_of_calls_never_offered_change_nothing() -> None:
    states = DialogStates()
    assert states.apply(cc.CallRinging("dial-1", "agent", "1001")) == []
    assert states.apply(cc.CallHungUp("dial-1", cc.HangupSide.PBX)) == []
    assert states.busy_lines() == []


def test_same_extension_in_two_tenants_stays_apart() -> None:
    states = DialogStates()
    states.apply(cc.CallOffered("a", "1001", "1002", cc.CallSource.EXTENSION, tenant="one"))
    states.apply(cc.CallRinging("a", "a~1", "1002"))
    assert states.dialogs("two", "1002") == ()
    assert len(states.dialogs("one", "1002")) == 1


def test_a_transfer_ends_the_dropped_legs_dialogs_not_the_callers() -> None:
    states = DialogStates()
    states.apply(offered("c3", "1001", "1003", cc.CallSource.EXTENSION))
    states.apply(cc.CallRinging("c3", "c3~1", "1003"))
    states.apply(cc.CallAnswered("c3", "c3~1", "1003"))
    (ended,) = states.apply(cc.CallTransferred("c3", "1005"))
    assert (ended.extension, ended.dialog.phase) == ("1003", DialogPhase.TERMINATED)
    assert line_state(states.dialogs(T, "1001")) is LineState.BUSY
    (ring,) = states.apply(cc.CallRinging("c3", "c3~2", "1005"))
    assert (ring.extension, ring.dialog.remote) == ("1005", "1001")
