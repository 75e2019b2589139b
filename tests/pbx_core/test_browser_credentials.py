"""Short-lived SIP passwords of browser phones (`browser_credentials.py`): bound to tenant and
extension, good for one to two periods, the same in every process that holds the key."""

from __future__ import annotations

import pytest

from pbx_core.sip.browser_credentials import BrowserCredentials

KEY = b"0123456789abcdef0123456789abcdef"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_password_lives_one_to_two_periods() -> None:
    clock = Clock(6000.0 + 450)  # three quarters into a 600 s window
    credentials = BrowserCredentials(KEY, period=600, clock=clock)
    issued = credentials.issue("demo", "1001")
    assert issued.username == "1001"
    assert (issued.refresh_after, issued.expires_at) == (6600.0, 7200.0)
    for later in (0, 149, 150, 749):
        clock.now = 6450.0 + later
        assert issued.password in credentials.passwords("demo", "1001"), later
    clock.now = 7200.0
    assert issued.password not in credentials.passwords("demo", "1001")


def test_bound_to_tenant_extension_and_key() -> None:
    clock = Clock(1_000_000.0)
    credentials = BrowserCredentials(KEY, clock=clock)
    password = credentials.issue("demo", "1001").password
    assert password not in credentials.passwords("demo", "1002")
    assert password not in credentials.passwords("acme", "1001")
    assert password not in BrowserCredentials(b"x" * 32, clock=clock).passwords("demo", "1001")
    # Another process with the same installation secret agrees.
    one = BrowserCredentials.derived_from("installation secret")
    two = BrowserCredentials.derived_from("installation secret")
    assert one.issue("demo", "1001").password in two.passwords("demo", "1001")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        BrowserCredentials(b"short")
