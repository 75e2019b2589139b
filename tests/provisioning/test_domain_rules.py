"""The pure rules: profiles and features, numbers, users, schedules, call centers, CSV."""

from __future__ import annotations

from datetime import date

import pytest

from provisioning.call_centers import (
    Agent,
    api_form,
    call_center_config,
    merge_patch,
    tenant_config,
)
from provisioning.csv_import import RowError, cross_check, parse_users_csv
from provisioning.errors import Invalid
from provisioning.numbers import number_block, to_e164
from provisioning.profiles import ALL_FEATURES, FEATURES, Profile, require_feature
from provisioning.schedules import holiday_calendar, holidays_in, weekly_schedule
from provisioning.users import Tier, digest_secrets
from queueing.config import Tier as EngineTier


def test_feature_table_follows_chapter_7() -> None:
    assert FEATURES[Profile.KANTOOR] == ALL_FEATURES - {"Mobility"}
    assert FEATURES[Profile.OVERAL] == ALL_FEATURES
    assert FEATURES[Profile.ONDERWEG_BUNDEL] == FEATURES[Profile.ONDERWEG_ONBEPERKT]
    onderweg_lacks = {
        "AutomaticHoldRetrieve",
        "BusyLampField",
        "HotelingHost",
        "HotelingGuest",
        "NWayCall",
        "PriorityAlert",
        "SharedCallAppearance10",
    }
    assert ALL_FEATURES - FEATURES[Profile.ONDERWEG_BUNDEL] == onderweg_lacks
    assert len(FEATURES[Profile.VERGADERZAAL]) == 15  # 10 user options and 5 group options
    assert "CallTransfer" not in FEATURES[Profile.VERGADERZAAL]


def test_require_feature_names_the_profile() -> None:
    require_feature(Profile.KANTOOR, "CallTransfer")
    with pytest.raises(Invalid, match="the vergaderzaal profile does not include CallTransfer"):
        require_feature(Profile.VERGADERZAAL, "CallTransfer")
    with pytest.raises(Invalid, match="onderweg-bundel profile does not include BusyLampField"):
        require_feature(Profile.ONDERWEG_BUNDEL, "BusyLampField")
    with pytest.raises(ValueError, match="unknown feature"):
        require_feature(Profile.OVERAL, "Teleportation")


def test_numbers_are_e164_and_blocks_aligned() -> None:
    assert to_e164("+31205550100") == "+31205550100"
    for bad in ("0205550100", "+3120555010", "+1", "+31205550100" * 3, "+31 20 abc"):
        with pytest.raises(Invalid):
            to_e164(bad)
    block = number_block("+31205550100", 100)
    assert (block.contains("+31205550199"), block.contains("+31205550200")) == (True, False)
    with pytest.raises(Invalid, match="starts on a multiple of 10"):
        number_block("+31205550105", 10)
    with pytest.raises(Invalid, match="1, 10 or 100"):
        number_block("+31205550100", 1000)


def test_digest_ha1_is_rfc_2617() -> None:
    # RFC 2617 3.5's example: Mufasa / testrealm@host.com / Circle Of Life.
    secrets = digest_secrets("Mufasa", "testrealm@host.com", "Circle Of Life")
    assert secrets.ha1_md5 == "939e7578ed9e3c518a452acee763bce9"
    assert len(secrets.ha1_sha256) == 64


def test_a_schedule_overlapping_itself_is_refused() -> None:
    hours = [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 1, "start": "11:00", "end": "18:00"},
    ]
    assert len(weekly_schedule({"timezone": "Europe/Amsterdam", "hours": hours}).hours) == 3
    hours.append({"weekday": 0, "start": "11:30", "end": "12:30"})
    with pytest.raises(Invalid, match="overlaps") as refused:
        weekly_schedule({"timezone": "Europe/Amsterdam", "hours": hours})
    assert refused.value.field == "hours[3]"
    with pytest.raises(Invalid, match="unknown time zone"):
        weekly_schedule({"timezone": "Mars/Olympus", "hours": []})


def test_holiday_calendars_hold_dutch_holidays_and_own_days() -> None:
    calendar = holiday_calendar({"name": "Kantoor", "country": "NL", "extra_dates": ["2026-12-24"]})
    days = holidays_in(calendar, 2026)
    assert days[date(2026, 4, 27)] == "King's Day"
    assert str(min(days)) == "2026-01-01"
    assert any(str(d) == "2026-12-24" for d in days)
    with pytest.raises(Invalid):
        holiday_calendar({"name": "x", "country": "XX"})


def test_call_centers_are_validated_by_the_engine_config_and_named_as_given() -> None:
    config = call_center_config(
        {"number": "7001", "name": "Helpdesk", "tier": "basic", "agents": ["1001"]}, {}, {}
    )
    assert (config.id, config.tier, config.members[0].extension) == (
        "7001",
        EngineTier.BASIC,
        "1001",
    )
    refusals: dict[str, dict[str, object]] = {
        "max_waiters": {"max_waiters": 26},
        "night service": {"night_service": {}},
        "number": {"number": "70a1"},
        "agents[0].weight": {"agents": [{"extension": "1001", "weight": "2"}]},
        "media.bogus": {"media": {"bogus": 1}},
        "tier": {"tier": "gold"},
        "callback.digit": {"callback": {"digit": "#"}},
        "callback.attempts": {"callback": {"attempts": 0}},
    }
    for field, change in refusals.items():
        settings = {"number": "7001", "name": "H", "tier": "basic", **change}
        with pytest.raises(Invalid) as refused:
            call_center_config(settings, {}, {})
        assert refused.value.field == field, refused.value
    with pytest.raises(Invalid, match="holds a BASIC licence"):
        premium = call_center_config(
            {"number": "7003", "name": "S", "tier": "premium", "agents": ["1001"]}, {}, {}
        )
        tenant_config("t", [premium], [Agent("1001", "A", Tier.BASIC)])


def test_a_call_center_offers_callbacks_through_its_settings() -> None:
    settings = {"number": "7001", "name": "H", "tier": "basic", "callback": {"attempts": 2}}
    config = call_center_config(settings, {}, {})
    assert config.callback is not None and config.callback.attempts == 2
    assert api_form(config)["callback"]["offer_above_seconds"] == 60  # docs/callback.md


def test_merge_patch_is_rfc_7386() -> None:
    target = {"a": 1, "media": {"x": 1, "y": 2}, "gone": 3}
    assert merge_patch(target, {"media": {"y": None, "z": 3}, "gone": None, "a": [1]}) == {
        "a": [1],
        "media": {"x": 1, "z": 3},
    }


HEADER = "username,name,extension,sip_password,profile,call_center\n"


def test_csv_reports_every_bad_row_with_line_and_field() -> None:
    text = HEADER + (
        "ann,Ann,1001,sippass01,kantoor,premium\n"
        "bob,Bob,1002,short,kantoor,\n"
        "cas,Cas,1003,sippass03,vergaderzaal,basic\n"
        "dirk,Dirk,1004,sippass04,kantoor\n"
        "ann,Ann Two,1001,sippass05,kantoor,\n"
    )
    rows, errors = parse_users_csv(text)
    assert errors == [
        RowError(3, "sip_password", "8 to 128 characters"),
        RowError(4, "profile", "the vergaderzaal profile does not include CallCenterAgent"),
        RowError(5, "row", "has not 6 fields"),
    ]
    assert cross_check(rows, set(), {"1009"}) == [
        RowError(2, "username", "ann appears more than once in the file"),
        RowError(6, "username", "ann appears more than once in the file"),
        RowError(2, "extension", "1001 appears more than once in the file"),
        RowError(6, "extension", "1001 appears more than once in the file"),
    ]


def test_csv_header_must_name_the_required_columns() -> None:
    assert parse_users_csv("username,name\nann,Ann\n")[1][0].field == "header"
    assert parse_users_csv(HEADER.replace("call_center", "evil"))[1][0].reason.startswith(
        "columns: unknown"
    )
