"""Tier rules: limits and features above a call center's tier are clear configuration errors."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from queueing.config import (
    Action,
    AgentConfig,
    BouncePolicy,
    CallCenterConfig,
    ComfortBypass,
    ForcedForwarding,
    Media,
    Member,
    NightService,
    OverflowPolicy,
    RoutingPolicy,
    StrandedPolicy,
    TenantConfig,
    Tier,
    Treatment,
)
from queueing.errors import ConfigError, TierError
from queueing.schedule import HolidayCalendar, WeeklySchedule, dutch_public_holidays


@pytest.mark.parametrize(
    ("tier", "limit"), [(Tier.BASIC, 25), (Tier.STANDARD, 50), (Tier.PREMIUM, 525)]
)
def test_waiter_limit_defaults_to_tier_maximum_and_cannot_exceed_it(tier: Tier, limit: int) -> None:
    assert CallCenterConfig("7001", "x", tier).waiter_limit == limit
    assert CallCenterConfig("7001", "x", tier, max_waiters=limit - 1).waiter_limit == limit - 1
    with pytest.raises(ConfigError, match=f"outside 1..{limit} of the {tier.name} tier"):
        CallCenterConfig("7001", "x", tier, max_waiters=limit + 1)


NIGHT = NightService(schedule=WeeklySchedule.business_hours("Europe/Amsterdam", time(8), time(18)))

FEATURES: list[tuple[str, Tier, dict[str, Any], Tier]] = [
    ("night service", Tier.BASIC, {"night_service": NIGHT}, Tier.PREMIUM),
    ("night service", Tier.STANDARD, {"night_service": NIGHT}, Tier.PREMIUM),
    (
        "forced forwarding",
        Tier.STANDARD,
        {"forced_forwarding": ForcedForwarding("0201234567")},
        Tier.PREMIUM,
    ),
    ("automatic answer", Tier.STANDARD, {"automatic_answer": True}, Tier.PREMIUM),
    (
        "comfort-message bypass",
        Tier.STANDARD,
        {"media": Media(comfort_bypass=ComfortBypass(30))},
        Tier.PREMIUM,
    ),
    ("bounced calls", Tier.BASIC, {"bounce": BouncePolicy()}, Tier.STANDARD),
    (
        "stranded calls",
        Tier.BASIC,
        {"stranded": StrandedPolicy(all_signed_out=Treatment(Action.BUSY))},
        Tier.STANDARD,
    ),
    (
        "overflow on queue full",
        Tier.BASIC,
        {"overflow": OverflowPolicy(on_full=Treatment(Action.TRANSFER, "0201234567"))},
        Tier.STANDARD,
    ),
    ("routing policy weighted", Tier.BASIC, {"routing": RoutingPolicy.WEIGHTED}, Tier.STANDARD),
    (
        "routing policy skill_based",
        Tier.STANDARD,
        {"routing": RoutingPolicy.SKILL_BASED},
        Tier.PREMIUM,
    ),
]


@pytest.mark.parametrize(("feature", "tier", "settings", "needed"), FEATURES)
def test_feature_above_tier_is_rejected_naming_feature_and_tier(
    feature: str, tier: Tier, settings: dict[str, Any], needed: Tier
) -> None:
    with pytest.raises(TierError) as caught:
        CallCenterConfig("7001", "x", tier, **settings)
    assert caught.value.feature == feature
    assert caught.value.needed == needed.name
    assert tier.name in str(caught.value) and needed.name in str(caught.value)
    CallCenterConfig("7001", "x", needed, **settings)  # the tier that offers it accepts it


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"media": Media(comfort_interval_seconds=5)}, "media.comfort_interval_seconds"),
        ({"overflow": OverflowPolicy(max_wait_seconds=7201)}, "overflow.max_wait_seconds"),
        (
            {"overflow": OverflowPolicy(on_max_wait=Treatment(Action.TRANSFER))},
            "overflow.on_max_wait",
        ),
        ({"overflow": OverflowPolicy(on_full=Treatment(Action.NONE))}, "overflow.on_full"),
        ({"escape_digit": "5"}, "escape_destination"),
        ({"escape_digit": "x", "escape_destination": "0"}, "escape_digit"),
        ({"members": (Member("1001"), Member("1001"))}, "members"),
        ({"members": (Member("1001", skill_level=21),)}, "members[1001].skill_level"),
        (
            {"media": Media(entrance_message=None, entrance_mandatory=True)},
            "media.entrance_mandatory",
        ),
        (
            {"media": Media(comfort_bypass=ComfortBypass(121))},
            "media.comfort_bypass.threshold_seconds",
        ),
        (
            {"stranded": StrandedPolicy(all_unavailable=Treatment(Action.NIGHT_SERVICE))},
            "stranded",
        ),
    ],
)
def test_out_of_range_or_incomplete_settings_name_the_field(
    settings: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        CallCenterConfig("7001", "x", Tier.PREMIUM, **settings)
    assert caught.value.field == field


def test_agent_cannot_join_a_call_center_above_its_licence() -> None:
    cc = CallCenterConfig("7003", "Service", Tier.PREMIUM, members=(Member("1001"),))
    with pytest.raises(ConfigError, match="STANDARD licence and cannot join the PREMIUM"):
        TenantConfig("t", (cc,), (AgentConfig("1001", licence=Tier.STANDARD),))


def test_tenant_rejects_unknown_members_and_duplicate_numbers() -> None:
    cc = CallCenterConfig("7001", "x", Tier.BASIC, members=(Member("1009"),))
    with pytest.raises(ConfigError, match="unknown agent 1009"):
        TenantConfig("t", (cc,), ())
    twin = CallCenterConfig("7001", "y", Tier.BASIC)
    with pytest.raises(ConfigError, match="share a number"):
        TenantConfig("t", (twin, twin), ())


def test_call_center_id_must_be_a_number() -> None:
    with pytest.raises(ConfigError, match="dialled number"):
        CallCenterConfig("helpdesk", "x", Tier.BASIC)


def test_schedules_validate_time_zone_and_hours() -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        WeeklySchedule.business_hours("Mars/Olympus", time(8), time(18))
    with pytest.raises(ConfigError, match="not before closing"):
        WeeklySchedule.business_hours("Europe/Amsterdam", time(18), time(8))
    with pytest.raises(ConfigError, match="no public holidays known"):
        HolidayCalendar("x", country="XX")


def test_dutch_holiday_calendar_knows_kings_day_and_christmas() -> None:
    from tests.queueing.support import amsterdam

    calendar = dutch_public_holidays()
    assert calendar.holiday_name(amsterdam(2026, 4, 27, 12)) == "Dutch public holidays: King's Day"
    assert calendar.holiday_name(amsterdam(2026, 12, 25, 9)) is not None
    assert calendar.holiday_name(amsterdam(2026, 12, 24, 9)) is None
