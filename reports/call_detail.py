"""CALL_DETAIL records (calls that never pass through a queue) and call categories.

The shape is documented in docs/reports.md; the PBX layer publishes it. This module turns one such
event into a call-detail-record row, or explains why it cannot.
"""

from __future__ import annotations

from typing import Any, assert_never

from reports.event_parsing import Event
from reports.models import CallCategory, CallDirection, UsageType

DEFAULT_HOME_COUNTRY_CODE = "31"
"""The Netherlands: the platform's home market (seed service description)."""

NATIONAL = CallCategory.NATIONAL.value
INTERNATIONAL = CallCategory.INTERNATIONAL.value
"""Plain strings: `categorize` runs for every new CDR, and enum `.value` costs a descriptor call."""

MAX_EXTENSION_DIGITS = 6
"""Numbers this short are internal extensions or service codes, never international."""


def categorize(number: str | None, home_country_code: str = DEFAULT_HOME_COUNTRY_CODE) -> str:
    """`national` or `international` for a dialled or calling number (seed 3.5.3 'categorie').

    International means an explicit country code (`+CC...` or `00CC...`) other than the home one;
    everything else (national format `0...`, extensions, unknown) is national.
    """
    if not number:
        return NATIONAL
    digits = number.strip().replace(" ", "").replace("-", "")
    if len(digits.lstrip("+")) <= MAX_EXTENSION_DIGITS:
        return NATIONAL
    if digits.startswith("+"):
        international = not digits[1:].startswith(home_country_code)
    elif digits.startswith("00"):
        international = not digits[2:].startswith(home_country_code)
    else:
        international = False
    return INTERNATIONAL if international else NATIONAL


def _choice(value: str | None, allowed: type[Any], name: str, default: str | None) -> str:
    if value is None:
        if default is None:
            raise ValueError(f"data.{name} is required")
        return default
    valid = {member.value for member in allowed}
    if value not in valid:
        raise ValueError(f"data.{name} must be one of {sorted(valid)}, got {value!r}")
    return value


def call_detail_row(
    event: Event, home_country_code: str = DEFAULT_HOME_COUNTRY_CODE
) -> dict[str, Any]:
    """The `call_detail_records` row of a CALL_DETAIL event; ValueError saying why if invalid."""
    if not event.call_id:
        raise ValueError("CALL_DETAIL without call_id")
    direction = _choice(event.text("direction"), CallDirection, "direction", None)
    usage_type = _choice(event.text("usage_type"), UsageType, "usage_type", UsageType.VOICE.value)
    start = event.number("start")
    start = event.timestamp if start is None else start
    answer = event.number("answer")
    end = event.number("end")
    if answer is not None and answer < start:
        raise ValueError("data.answer is before data.start")
    if end is not None and end < (answer if answer is not None else start):
        raise ValueError("data.end is before the call's start or answer")
    called = event.text("called")
    caller = event.caller
    duration = end - answer if answer is not None and end is not None else None
    quantity = event.number("quantity")
    if quantity is None:
        match UsageType(usage_type):
            case UsageType.VOICE:
                quantity = duration or 0.0
            case UsageType.SMS:
                quantity = 1.0
            case UsageType.DATA:
                raise ValueError("data.quantity (bytes) is required for usage_type data")
            case unknown:
                assert_never(unknown)
    category = event.text("category")
    if category is None:
        # Billing looks at where the call goes; for inbound calls at where it comes from.
        other_party = caller if direction == CallDirection.INBOUND else called
        category = (
            NATIONAL
            if direction == CallDirection.INTERNAL
            else categorize(other_party, home_country_code)
        )
    else:
        category = _choice(category, CallCategory, "category", None)
    number = event.text("number") or (called if direction == CallDirection.INBOUND else caller)
    outcome = event.text("outcome") or ("answered" if answer is not None else "unanswered")
    return {
        "tenant": event.tenant,
        "origin": "pbx",
        "call_id": event.call_id,
        "usage_type": usage_type,
        "direction": direction,
        "category": category,
        "caller": caller,
        "called": called,
        "number": number,
        "profile": event.text("profile"),
        "start_at": start,
        "answer_at": answer,
        "end_at": end,
        "duration_seconds": duration,
        "quantity": quantity,
        "outcome": outcome[:16],
        "agent": event.agent,
        "call_center_id": event.call_center_id,
        "disposition": event.text("disposition"),
        "recording_url": event.text("recording_url"),
    }
