"""The pure decisions of a trunk's registration (pbx_core/trunks/registration.py)."""

from __future__ import annotations

import pytest

from pbx_core.trunks.registration import (
    RegistrationPolicy,
    RegistrationState,
    failed,
    granted_seconds,
    new_registration,
    succeeded,
)
from pbx_core.trunks.routing import Carrier, TrunkRouting

POLICY = RegistrationPolicy(first_retry=30, max_retry=300, most_early=60)


def test_a_grant_is_refreshed_before_it_ends_and_counts_as_registered_until_then() -> None:
    fresh = new_registration(3600, now=0)
    assert fresh.due(0) and fresh.state(0) is RegistrationState.REGISTERING
    held = succeeded(fresh, 3600, now=10, policy=POLICY)
    assert held.next_attempt_at == 10 + 3600 - 60  # at most a minute early
    assert not held.due(3549) and held.due(3550)
    short = succeeded(fresh, 20, now=0, policy=POLICY)
    assert short.next_attempt_at == 10  # halfway through a short grant
    assert held.state(3609) is RegistrationState.REGISTERED
    assert held.state(3610) is RegistrationState.REGISTERING  # lapsed without a failure seen


def test_failures_back_off_doubling_to_the_cap_and_a_success_resets_them() -> None:
    registration = new_registration(600, now=0)
    waits = []
    now = 0.0
    for _ in range(6):
        registration = failed(registration, "503 Service Unavailable", now, POLICY)
        waits.append(registration.next_attempt_at - now)
        now = registration.next_attempt_at
    assert waits == [30, 60, 120, 240, 300, 300]
    assert registration.state(now) is RegistrationState.FAILED
    assert registration.last_error == "503 Service Unavailable"
    back = succeeded(registration, 600, now, POLICY)
    assert (back.failures, back.last_error, back.state(now)) == (
        0,
        "",
        RegistrationState.REGISTERED,
    )


def test_a_failed_refresh_retries_while_the_carrier_still_has_us() -> None:
    held = succeeded(new_registration(120, now=0), 120, now=0, policy=POLICY)
    refresh_failed = failed(held, "408 Request Timeout", now=60, policy=POLICY)
    assert refresh_failed.state(61) is RegistrationState.REGISTERED
    assert refresh_failed.next_attempt_at == 60 + 30  # half the 60 s left, not the back-off's


def test_a_grant_of_nothing_is_a_failure() -> None:
    refused = succeeded(new_registration(600, now=0), 0, now=0, policy=POLICY)
    assert refused.failures == 1 and refused.state(0) is RegistrationState.FAILED


@pytest.mark.parametrize(
    ("header", "contact", "granted"),
    [(None, None, 600), ("300", None, 300), ("300", "120", 120), ("soon", None, 0), (None, "x", 0)],
)
def test_the_granted_time_is_the_contacts_then_the_headers_then_the_asked(
    header: str | None, contact: str | None, granted: int
) -> None:
    assert granted_seconds(header, contact, 600) == granted


def test_only_a_registering_trunks_own_addresses_speak_for_its_account() -> None:
    named = Carrier("sip.carrier.example", 5060, "acct", "pw", 300, "1", ("192.0.2.7", "192.0.2.8"))
    plain = Carrier("192.0.2.20", 5060, "other", "pw", key="2")  # does not register
    routing = TrunkRouting.of(None, tenant_carriers={"demo": (named, plain)})
    assert routing.registered_account("192.0.2.8", "acct")
    assert not routing.registered_account("192.0.2.9", "acct"), "another address"
    assert not routing.registered_account("sip.carrier.example", "acct"), "addresses, not names"
    assert not routing.registered_account("192.0.2.7", "ACCT2"), "another account"
    assert not routing.registered_account("192.0.2.20", "other"), "no registration, no account"
