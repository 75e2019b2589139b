"""Speed dial's pure rules: the dialling rule (common/speed_dial.py), what a change may store
(provisioning/speed_dial.py), and the `*74`/`*75` codes' parsing and confirmation."""

from __future__ import annotations

import pytest

from common.speed_dial import SPEED_DIAL_8, SPEED_DIAL_100, dialled_slot, feature_of_slot
from pbx_core.features import phrases
from pbx_core.features.codes import Action, Dialled, UnknownCode, parse_code
from provisioning.errors import Invalid
from provisioning.profiles import Profile
from provisioning.speed_dial import changed_speed_dials, dialled_list


@pytest.mark.parametrize(
    ("dialled", "slot"),
    [("2", "2"), ("9#", "9"), ("#07", "07"), ("#99", "99"), ("1", None), ("0", None),
     ("22", None), ("1002", None), ("#7", None), ("#123", None), ("*74", None), ("", None)],
)  # fmt: skip
def test_a_slot_is_a_lone_digit_2_to_9_or_hash_and_two_digits(
    dialled: str, slot: str | None
) -> None:
    assert dialled_slot(dialled) == slot


def test_slots_belong_to_their_feature() -> None:
    assert [feature_of_slot(s) for s in ("2", "9", "00", "99", "1", "100", "a")] == [
        SPEED_DIAL_8, SPEED_DIAL_8, SPEED_DIAL_100, SPEED_DIAL_100, None, None, None
    ]  # fmt: skip


def test_a_change_merges_and_null_clears() -> None:
    made = changed_speed_dials({"2": "1002"}, {"3": "+31612345678", "07": "1005"},
                               Profile.KANTOOR, "1001")  # fmt: skip
    assert made == {"2": "1002", "3": "+31612345678", "07": "1005"}
    assert changed_speed_dials(made, {"2": None, "07": None}, Profile.KANTOOR, "1001") == {
        "3": "+31612345678"
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [({"1": "1002"}, "1"), ("2=1002", "speed_dial"), ({"100": "1002"}, "100"),
     ({"2": "1"}, "2"), ({"2": "abc"}, "2"), ({"2": 1002}, "2"), ({"2": {"a": "b"}}, "2"),
     ({"2": "1001"}, "2"), ({"2": "1" * 16}, "2")],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_slot(patch: object, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        changed_speed_dials({}, patch, Profile.KANTOOR, "1001")
    assert refused.value.field == field


def test_a_profile_without_speed_dial_may_only_clear() -> None:
    with pytest.raises(Invalid) as refused:
        changed_speed_dials({}, {"2": "1002"}, Profile.VERGADERZAAL, "1001")
    assert "SpeedDial8" in str(refused.value.reason)
    assert changed_speed_dials({"2": "1002"}, {"2": None}, Profile.VERGADERZAAL, "1001") == {}
    assert dialled_list({"2": "1002", "07": "1003"}, Profile.VERGADERZAAL) == {}


def test_the_codes_parse_and_are_confirmed_slot_and_number() -> None:
    parsed = parse_code("*7421004")
    assert isinstance(parsed, Dialled) and parsed.entry.action is Action.SPEED_DIAL_8
    parsed = parse_code("*750731612345678")
    assert isinstance(parsed, Dialled) and parsed.entry.action is Action.SPEED_DIAL_100
    assert isinstance(parse_code("*74"), UnknownCode)
    said = phrases.confirmation(Action.SPEED_DIAL_100, "071005", "nl")
    assert said == "Snelkeuze 0 7 belt 1 0 0 5."
    assert phrases.confirmation(Action.SPEED_DIAL_8, "21004", "en") == "Speed dial 2 calls 1 0 0 4."
