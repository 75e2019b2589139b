"""The categories of a called number that calling plans and reports speak of (service description
ch. 7, Outgoing Calling Plan; seed 3.5.3): the PBX decides them, provisioning stores plans in
them, so both read the names from here."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    INTERNAL = "internal"
    NATIONAL = "national"
    MOBILE = "mobile"
    INTERNATIONAL = "international"
    PREMIUM_RATE = "premium_rate"
    SERVICE = "service"
    """Freephone (0800), shared cost, municipalities (14 0xx)."""
    EMERGENCY = "emergency"


MAX_EXTERNAL_CALLS = 10_000
"""The highest call capacity (simultaneous calls with the carrier) a tenant or a call center may
be given (ch. 7 Call Capacity Management)."""
