"""Phone numbers for the CRMs: E.164 (`common.e164`, shared with the contacts directory) and the
national digits some CRMs store."""

from __future__ import annotations

import phonenumbers

from common.e164 import DEFAULT_REGION, to_e164

__all__ = ["DEFAULT_REGION", "national_digits", "to_e164"]


def national_digits(e164: str, region: str = DEFAULT_REGION) -> str:
    """The national form without spaces (`0201234567`), for CRMs that store numbers that way."""
    parsed = phonenumbers.parse(e164, region)
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in formatted if ch.isdigit())
