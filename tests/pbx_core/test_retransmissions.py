"""The stream gateways drop sippy's UDP retransmissions of a request they already carried over
a reliable transport (pbx_core/sip/retransmissions.py)."""

from __future__ import annotations

from pbx_core.sip.retransmissions import WINDOW_SECONDS, Retransmissions


def test_a_copy_within_the_window_is_dropped_and_the_first_goes_down() -> None:
    sent = Retransmissions()
    assert not sent.is_copy("z9hG4bK-1", "INVITE", now=0.0)
    assert sent.is_copy("z9hG4bK-1", "INVITE", now=0.5)  # T1 later: sippy's retransmission
    assert sent.is_copy("z9hG4bK-1", "INVITE", now=WINDOW_SECONDS - 1)
    # Another transaction (the authenticated INVITE, a CANCEL of the same branch) goes down.
    assert not sent.is_copy("z9hG4bK-2", "INVITE", now=1.0)
    assert not sent.is_copy("z9hG4bK-1", "CANCEL", now=1.0)


def test_acks_always_go_down_and_old_transactions_are_forgotten() -> None:
    sent = Retransmissions(window=10.0)
    assert not sent.is_copy("z9hG4bK-a", "ACK", now=0.0)
    assert not sent.is_copy("z9hG4bK-a", "ACK", now=0.1)  # the ACK of a retransmitted 2xx
    assert not sent.is_copy("z9hG4bK-b", "BYE", now=0.0)
    assert not sent.is_copy("z9hG4bK-b", "BYE", now=10.5)  # past the window: a new request
