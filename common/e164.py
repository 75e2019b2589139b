"""Phone numbers to E.164, the one key every index, directory and lookup uses (the CRM index,
the contacts directory)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "NL"


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Return `raw` as E.164 (`+31201234567`), or None when it is no possible phone number.

    `is_possible_number` rather than `is_valid_number`: some real Belgian numbers fail the stricter
    check, and a screen-pop that misses a real customer is worse than one extra index row.
    `+31 (0)20 ...` is the Dutch habit of showing the trunk prefix; phonenumbers keeps that 0 as
    part of the national number, so it is removed before parsing.
    """
    if not raw:
        return None
    text = raw.strip().replace("(0)", "")
    if not any(ch.isdigit() for ch in text):
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
