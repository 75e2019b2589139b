"""Dialled strings and incoming numbers as E.164, and the category of a number (pure).

Dutch dialling rules by default (the platform's home country): `0` + national number -> `+31`,
`00` + international number -> `+`; `+` as is. `phonenumbers` (libphonenumber's metadata) knows
which numbers are valid and their type, so no number table is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from common.number_categories import Category

HOME_REGION = "NL"
NUMBERS_CACHED = 4096
"""Answers kept per function: libphonenumber takes about 0.2-0.3 ms a number, a good part of a
call's cost, and the same numbers recur (the direct numbers called in, customers called back)."""
MAX_DIALLED = 32
"""Longer text is never a telephone number: refused before the parser sees it."""
_DIALLABLE = frozenset("0123456789+")
_MUNICIPAL_PREFIX = "+3114"
"""14 + area code (municipalities): a UAN number by type, a service number by tariff."""


@dataclass(frozen=True, slots=True)
class OutsideNumber:
    """A number outside the platform: `e164` (or the emergency short code as dialled)."""

    e164: str
    category: Category


def _number_type_category(number_type: int, e164: str) -> Category:
    match number_type:
        case PhoneNumberType.MOBILE | PhoneNumberType.PAGER:
            return Category.MOBILE
        case PhoneNumberType.PREMIUM_RATE:
            return Category.PREMIUM_RATE
        case PhoneNumberType.TOLL_FREE | PhoneNumberType.SHARED_COST:
            return Category.SERVICE
        case PhoneNumberType.UAN if e164.startswith(_MUNICIPAL_PREFIX):
            return Category.SERVICE
        case _:
            # Fixed line, VoIP (085/091), UAN (088), personal numbers, the unknown: the
            # national tariff.
            return Category.NATIONAL


def classify_e164(parsed: phonenumbers.PhoneNumber) -> Category:
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    category = _number_type_category(phonenumbers.number_type(parsed), e164)
    if phonenumbers.region_code_for_number(parsed) == HOME_REGION:
        return category
    # Abroad everything is priced as international, except premium rate, which stays the
    # category a calling plan refuses (a classic toll-fraud target).
    return category if category is Category.PREMIUM_RATE else Category.INTERNATIONAL


def parse(text: str, region: str = HOME_REGION) -> phonenumbers.PhoneNumber | None:
    """`text` (digits and an optional leading `+`) as a valid number, else None."""
    if not text or len(text) > MAX_DIALLED or not set(text) <= _DIALLABLE or "+" in text[1:]:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


@lru_cache(maxsize=NUMBERS_CACHED)
def to_e164(text: str, region: str = HOME_REGION) -> str | None:
    """A dialled or incoming number (`0201234567`, `0031201234567`, `+31201234567`) as E.164,
    or None when it is no valid telephone number."""
    parsed = parse(text, region)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=NUMBERS_CACHED)
def outside_number(dialled: str, region: str = HOME_REGION) -> OutsideNumber | None:
    """What an extension dialled, as a number the carrier can take, with its category; None:
    no telephone number (the caller hears 484 Address Incomplete)."""
    if dialled.isdigit() and phonenumbers.is_emergency_number(dialled, region):
        return OutsideNumber(dialled, Category.EMERGENCY)
    parsed = parse(dialled, region)
    if parsed is None:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return OutsideNumber(e164, classify_e164(parsed))
