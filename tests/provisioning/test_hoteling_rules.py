"""The pure hoteling rules (provisioning/hoteling.py): admission, expiry, host lock-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from provisioning.hoteling import (
    HOST_LOCK_MINUTES,
    MAX_HOST_WRONG_PINS,
    Host,
    Refusal,
    Session,
    active,
    admission,
    after_good_pin,
    after_wrong_pin,
    check_max_minutes,
    end_of_day,
    expires_at,
    session_for,
)

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
AMS = "Europe/Amsterdam"
HOST = Host("acme", "1050")


def test_a_session_ends_after_the_hosts_maximum_or_at_the_end_of_the_local_day() -> None:
    assert expires_at(NOW, 60, AMS) == NOW + timedelta(hours=1)
    assert expires_at(NOW, 12 * 60, AMS) == NOW + timedelta(hours=12)  # 21:00 local
    # 16 hours from 09:00 local would pass midnight: the day ends at 00:00 Amsterdam = 23:00 UTC
    assert expires_at(NOW, 16 * 60, AMS) == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 23:30 local
    assert expires_at(late, 12 * 60, AMS) == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    # Another time zone, another end of the day
    assert end_of_day(NOW, "America/New_York") == datetime(2026, 12, 8, 5, 0, tzinfo=UTC)


def test_an_ended_session_is_no_session() -> None:
    session = session_for(HOST, "1001", NOW, AMS)
    assert active(session, NOW) == session
    assert active(session, session.expires_at) is None
    assert active(None, NOW) is None


def test_admission() -> None:
    assert admission(None, "1001", True, None, NOW) is Refusal.NOT_A_HOST
    assert admission(HOST, "1001", True, None, NOW) is None
    assert admission(HOST, "1001", False, None, NOW) is Refusal.NOT_A_GUEST
    assert admission(HOST, "1050", True, None, NOW) is Refusal.NOT_A_GUEST  # the host itself
    other = Session("acme", "1050", "1002", NOW, NOW + timedelta(hours=1))
    assert admission(HOST, "1001", True, other, NOW) is Refusal.HOST_IN_USE
    assert admission(HOST, "1002", True, other, NOW) is None  # the same guest again
    assert admission(HOST, "1001", True, other, other.expires_at) is None  # ended: free again


def test_a_host_locks_after_wrong_pins_in_a_row_and_unlocks_in_time() -> None:
    host = HOST
    for _ in range(MAX_HOST_WRONG_PINS - 1):
        host = after_wrong_pin(host, NOW)
        assert admission(host, "1001", True, None, NOW) is None
    assert after_good_pin(host).wrong_pins == 0
    host = after_wrong_pin(host, NOW)
    assert admission(host, "1001", True, None, NOW) is Refusal.HOST_LOCKED
    later = NOW + timedelta(minutes=HOST_LOCK_MINUTES)
    assert admission(host, "1001", True, None, later) is None


def test_the_hosts_maximum_is_bounded() -> None:
    assert check_max_minutes(720) is None
    assert check_max_minutes(5) is not None
    assert check_max_minutes(24 * 60 + 1) is not None
