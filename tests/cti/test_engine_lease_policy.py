"""The tenant engine lease as a pure state machine (cti/engine_lease_policy.py): a node takes a
tenant over only on a fresh token, steps down on a refused renewal or a fenced write, never acts
twice on one decision, and trusts its lease only well within the time Redis keeps it."""

from __future__ import annotations

import pytest

from cti.engine_lease_policy import (
    Acquired,
    Fenced,
    Holding,
    LeaseTimes,
    Lost,
    Renewed,
    Resume,
    Standby,
    StepDown,
    TakeOver,
    decide,
    due,
    trusted,
)

TIMES = LeaseTimes(ttl=5.0, renew=1.5, margin=1.5)


def test_a_standby_node_takes_over_only_when_it_gets_a_token() -> None:
    assert decide(Standby(), Acquired(None, 10.0)) == (Standby(), None)
    assert decide(Standby(), Acquired(7, 10.0)) == (Holding(7, 10.0), TakeOver(7))
    assert due(Standby()) == "acquire"
    assert due(Holding(7, 10.0)) == "renew"


def test_a_stray_acquisition_answer_keeps_the_token_the_engine_writes_with() -> None:
    assert decide(Holding(7, 10.0), Acquired(8, 11.0)) == (Holding(7, 10.0), None)


def test_renewals_move_the_lease_on_from_when_they_were_sent() -> None:
    state, action = decide(Holding(7, 10.0), Renewed(True, 11.5))
    assert (state, action) == (Holding(7, 11.5), Resume())
    # A late answer to an older renewal does not move it back.
    assert decide(state, Renewed(True, 11.0)) == (Holding(7, 11.5), Resume())


@pytest.mark.parametrize("event", [Renewed(False, 11.0), Fenced()])
def test_the_holder_steps_down_once_on_any_sign_of_a_newer_holder(
    event: Renewed | Fenced,
) -> None:
    state, action = decide(Holding(7, 10.0), event)
    assert isinstance(state, Lost) and isinstance(action, StepDown)
    assert decide(state, event) == (state, None)  # already down: nothing more to do
    assert due(state) == "acquire"  # and it may run the tenant again once the lease is free


def test_a_holder_not_renewed_for_a_while_is_not_trusted_until_a_renewal_confirms_it() -> None:
    # Renewed at 10.0: Redis keeps it until 15.0 at the earliest; trusted until 13.5.
    assert trusted(Holding(7, 10.0), 13.4, TIMES)
    assert not trusted(Holding(7, 10.0), 13.5, TIMES)  # Redis unreachable, or paused
    state, action = decide(Holding(7, 10.0), Renewed(True, 20.0))
    assert trusted(state, 20.1, TIMES) and action == Resume()
    assert not trusted(Standby(), 0.0, TIMES) and not trusted(Lost("x"), 0.0, TIMES)


def test_standby_nodes_ignore_what_only_concerns_a_holder() -> None:
    for event in (Renewed(False, 1.0), Renewed(True, 1.0), Fenced()):
        assert decide(Standby(), event) == (Standby(), None)


@pytest.mark.parametrize(("ttl", "renew", "margin"), [(5, 4, 1.5), (5, 0, 1), (1, 0.5, 1)])
def test_timings_that_would_let_a_lease_lapse_between_renewals_are_refused(
    ttl: float, renew: float, margin: float
) -> None:
    with pytest.raises(ValueError, match="renew"):
        LeaseTimes(ttl=ttl, renew=renew, margin=margin)
