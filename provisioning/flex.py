"""Flexible adding and removing of profiles (service description 3.6), as pure rules.

- Profiles can always be added.
- Per contract year (starting on the contract's start date) at most 25% of the profiles counted
  at the start of that year may be cancelled or downgraded (changed to a profile with a lower
  monthly price) free of charge.
- Beyond that each cancellation or downgrade costs a buyout: the monthly amount given up times
  the months left in the contract term (a started month counts as a whole one). For a
  cancellation that is the profile's monthly price; for a downgrade the price difference.
- The total never goes below 5 profiles.

Prices are configuration (`FlexPrices`); the spec refers to a price list it does not include.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import assert_never

from provisioning.errors import Conflict
from provisioning.profiles import Profile

MIN_PROFILES = 5
FREE_SHARE_PERCENT = 25


@dataclass(frozen=True, slots=True)
class FlexPrices:
    monthly_cents: Mapping[Profile, int]

    def __post_init__(self) -> None:
        missing = [p.value for p in Profile if p not in self.monthly_cents]
        if missing:
            raise ValueError(f"no monthly price for {', '.join(missing)}")


DEFAULT_PRICES = FlexPrices(
    {
        # Placeholders in euro cents, ordered as the spec's profiles grow in what they include.
        Profile.VERGADERZAAL: 1_500,
        Profile.KANTOOR: 2_500,
        Profile.ONDERWEG_BUNDEL: 3_000,
        Profile.ONDERWEG_ONBEPERKT: 4_000,
        Profile.OVERAL: 5_000,
    }
)


class ChangeKind(StrEnum):
    ADD = "add"
    CANCEL = "cancel"
    DOWNGRADE = "downgrade"
    KEEP = "keep"
    """Same or higher monthly price: not a reduction."""


@dataclass(frozen=True, slots=True)
class ProfileChange:
    kind: ChangeKind
    monthly_cents_given_up: int = 0


def classify(prices: FlexPrices, old: Profile | None, new: Profile | None) -> ProfileChange:
    price = prices.monthly_cents
    if old is None:
        return ProfileChange(ChangeKind.ADD if new is not None else ChangeKind.KEEP)
    if new is None:
        return ProfileChange(ChangeKind.CANCEL, price[old])
    if price[new] < price[old]:
        return ProfileChange(ChangeKind.DOWNGRADE, price[old] - price[new])
    return ProfileChange(ChangeKind.KEEP)


def _add_years(start: date, years: int) -> date:
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])  # 29 Feb in a common year
    return start.replace(year=year, day=day)


def _add_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def contract_year(contract_start: date, on: date) -> int:
    """0 for the first contract year, 1 for the second, ...; -1 before the contract starts."""
    if on < contract_start:
        return -1
    years = on.year - contract_start.year
    return years if _add_years(contract_start, years) <= on else years - 1


def remaining_months(contract_start: date, term_months: int, on: date) -> int:
    """Months from `on` to the end of the term, a started month counting as a whole one."""
    end = _add_months(contract_start, term_months)
    if on >= end:
        return 0
    months = (end.year - on.year) * 12 + end.month - on.month
    return months if _add_months(on, months) >= end else months + 1


def free_reductions(profiles_at_year_start: int) -> int:
    return profiles_at_year_start * FREE_SHARE_PERCENT // 100


@dataclass(frozen=True, slots=True)
class FlexState:
    """What the rules need to know about a tenant at the moment of a change."""

    profiles_now: int
    profiles_at_year_start: int
    reductions_this_year: int
    months_left: int


@dataclass(frozen=True, slots=True)
class Verdict:
    counts_as_reduction: bool
    buyout_cents: int = 0


def assess(change: ProfileChange, state: FlexState) -> Verdict:
    """The cost of `change`; refuses (Conflict) a cancellation that leaves fewer than 5."""
    match change.kind:
        case ChangeKind.ADD | ChangeKind.KEEP:
            return Verdict(counts_as_reduction=False)
        case ChangeKind.CANCEL | ChangeKind.DOWNGRADE:
            if change.kind is ChangeKind.CANCEL and state.profiles_now - 1 < MIN_PROFILES:
                raise Conflict(
                    "profile",
                    f"a company keeps at least {MIN_PROFILES} profiles;"
                    f" it has {state.profiles_now}",
                )
            if state.reductions_this_year < free_reductions(state.profiles_at_year_start):
                return Verdict(counts_as_reduction=True)
            return Verdict(True, change.monthly_cents_given_up * state.months_left)
        case _:
            assert_never(change.kind)
