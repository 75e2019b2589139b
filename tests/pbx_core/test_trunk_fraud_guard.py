"""The toll-fraud velocity guard (pure, on a simulated clock)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from common.number_categories import Category
from pbx_core.trunks.fraud_guard import VelocityGuard, VelocityLimit, VelocityLimits

LIMITS = VelocityLimits(per_user=VelocityLimit(3, 60), per_tenant=VelocityLimit(5, 60))


def test_a_burst_of_international_calls_is_stopped_and_released_by_the_window() -> None:
    guard = VelocityGuard()
    for second in range(3):
        assert guard.admit("demo", "1001", Category.INTERNATIONAL, second, LIMITS) is None
    refused = guard.admit("demo", "1001", Category.PREMIUM_RATE, 10, LIMITS)
    assert refused is not None and "1001" in refused
    # National and mobile calls are not what toll fraud dials: never counted or refused.
    assert guard.admit("demo", "1001", Category.MOBILE, 11, LIMITS) is None
    # Another user of the tenant may go on, until the tenant's own limit.
    assert guard.admit("demo", "1002", Category.INTERNATIONAL, 12, LIMITS) is None
    assert guard.admit("demo", "1002", Category.INTERNATIONAL, 13, LIMITS) is None
    assert guard.admit("demo", "1003", Category.INTERNATIONAL, 14, LIMITS) is not None
    # The same extension in another tenant is someone else.
    assert guard.admit("acme", "1001", Category.INTERNATIONAL, 15, LIMITS) is None
    # A minute after the first calls, the user is free again.
    assert guard.admit("demo", "1001", Category.INTERNATIONAL, 61, LIMITS) is None


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), max_size=60))
def test_never_more_calls_admitted_in_a_window_than_the_limit(offsets: list[float]) -> None:
    guard = VelocityGuard()
    admitted = [
        now
        for now in sorted(offsets)
        if guard.admit("demo", "1001", Category.INTERNATIONAL, now, LIMITS) is None
    ]
    for index, start in enumerate(admitted):
        in_window = [t for t in admitted[index:] if t < start + LIMITS.per_user.seconds]
        assert len(in_window) <= LIMITS.per_user.calls
