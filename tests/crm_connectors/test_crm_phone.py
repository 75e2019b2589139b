from __future__ import annotations

import pytest

from crm_connectors.phone import national_digits, to_e164


@pytest.mark.parametrize(
    "raw",
    ["020-1234567", "+31201234567", "0031 20 123 4567", "(020) 123 45 67", "+31 (0)20 1234567"],
)
def test_documented_dutch_forms_become_one_e164(raw: str) -> None:
    assert to_e164(raw) == "+31201234567"


def test_possible_but_not_strictly_valid_numbers_are_accepted() -> None:
    assert to_e164("+32 3 123 45 67") == "+3231234567"
    assert to_e164("06-12345678") == "+31612345678"


@pytest.mark.parametrize("raw", [None, "", "   ", "abc", "12", "+31 2", "anonymous"])
def test_impossible_input_gives_none(raw: str | None) -> None:
    assert to_e164(raw) is None


def test_national_digits() -> None:
    assert national_digits("+31201234567") == "0201234567"
