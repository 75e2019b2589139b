"""Seed 3.6 with exact figures: 25% free per contract year, buyout beyond it, never below 5."""

from __future__ import annotations

from datetime import date

import pytest

from provisioning.errors import Conflict
from provisioning.flex import (
    DEFAULT_PRICES,
    ChangeKind,
    FlexState,
    ProfileChange,
    assess,
    classify,
    contract_year,
    free_reductions,
    remaining_months,
)
from provisioning.profiles import Profile

START = date(2025, 1, 15)


def test_the_spec_example_40_profiles_give_10_free_reductions() -> None:
    assert free_reductions(40) == 10
    assert free_reductions(7) == 1  # 25% of 7 is 1.75: whole profiles only
    assert free_reductions(5) == 1
    assert free_reductions(3) == 0


def test_the_eleventh_cancellation_of_40_costs_the_monthly_price_for_the_months_left() -> None:
    cancel = classify(DEFAULT_PRICES, Profile.KANTOOR, None)
    assert cancel == ProfileChange(ChangeKind.CANCEL, 2_500)
    tenth = assess(cancel, FlexState(31, 40, 9, months_left=22))
    assert (tenth.counts_as_reduction, tenth.buyout_cents) == (True, 0)
    eleventh = assess(cancel, FlexState(30, 40, 10, months_left=22))
    assert (eleventh.counts_as_reduction, eleventh.buyout_cents) == (True, 55_000)


def test_a_downgrade_costs_the_price_difference_and_an_upgrade_is_free() -> None:
    down = classify(DEFAULT_PRICES, Profile.OVERAL, Profile.KANTOOR)
    assert down == ProfileChange(ChangeKind.DOWNGRADE, 2_500)
    assert assess(down, FlexState(40, 40, 10, months_left=12)).buyout_cents == 30_000
    up = classify(DEFAULT_PRICES, Profile.KANTOOR, Profile.OVERAL)
    assert up.kind is ChangeKind.KEEP
    assert assess(up, FlexState(40, 40, 99, 12)).counts_as_reduction is False
    add = classify(DEFAULT_PRICES, None, Profile.VERGADERZAAL)
    assert assess(add, FlexState(400, 5, 99, 12)).buyout_cents == 0


def test_never_fewer_than_five_profiles() -> None:
    cancel = classify(DEFAULT_PRICES, Profile.KANTOOR, None)
    assert assess(cancel, FlexState(6, 6, 0, 12)).counts_as_reduction
    with pytest.raises(Conflict, match="at least 5 profiles; it has 5"):
        assess(cancel, FlexState(5, 6, 0, 12))
    # A downgrade keeps the count: allowed at 5.
    down = classify(DEFAULT_PRICES, Profile.OVERAL, Profile.KANTOOR)
    assert assess(down, FlexState(5, 5, 0, 12)).counts_as_reduction


@pytest.mark.parametrize(
    ("on", "months"),
    [
        (date(2025, 1, 15), 36),
        (date(2025, 3, 10), 35),  # 34 months and 5 days: a started month counts
        (date(2025, 3, 15), 34),
        (date(2025, 3, 20), 34),
        (date(2028, 1, 14), 1),
        (date(2028, 1, 15), 0),
        (date(2030, 1, 1), 0),
    ],
)
def test_months_left_in_a_36_month_term(on: date, months: int) -> None:
    assert remaining_months(START, 36, on) == months


@pytest.mark.parametrize(
    ("start", "on", "year"),
    [
        (START, date(2025, 1, 14), -1),
        (START, date(2025, 1, 15), 0),
        (START, date(2026, 1, 14), 0),
        (START, date(2026, 1, 15), 1),
        (date(2024, 2, 29), date(2025, 2, 27), 0),
        (date(2024, 2, 29), date(2025, 2, 28), 1),  # no 29 February: the year turns on the 28th
    ],
)
def test_contract_years_start_on_the_contract_date(start: date, on: date, year: int) -> None:
    assert contract_year(start, on) == year
