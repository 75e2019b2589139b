"""A user's alternate numbers (AlternateNumbers, seed ch. 7): up to ten further numbers that ring
the user, each with a distinctive ring of its own (the PBX's Alert-Info, by its place in the
list). Their table and the pure rules a list must meet; the store is `alternate_numbers_store.py`.

A number is extension-shaped (a number of the tenant's plan, 2-8 digits) or a direct number
(E.164) of the tenant's number blocks. It may not be the user's own extension, nor any number
the tenant uses (a user's extension, a call center, a group, a room, a routed direct number),
nor another user's alternate. A number given later to a user, group, room or routed direct number
wins over the alternate (the PBX looks alternates up last).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, PrimaryKeyConstraint, String, Table

from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID
from provisioning.numbers import NumberBlock, in_blocks, to_e164
from provisioning.profiles import FEATURES, Profile
from provisioning.users import EXTENSION

FEATURE = "AlternateNumbers"
MAX_ALTERNATES = 10
"""BroadWorks' maximum, and chapter 7's "up to 10"."""

alternate_numbers = Table(
    "prov_alternate_numbers",
    METADATA,
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("number", String(16), nullable=False),
    Column("user_id", Integer, ForeignKey("prov_users.id", ondelete="CASCADE"), nullable=False),
    Column("username", String(64), nullable=False),
    # 1-10: the place in the user's list, which chooses the distinctive ring.
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("tenant", "number"),
)


def parsed_alternates(data: Any) -> list[str]:
    """The request's list, each number in its stored form (E.164 for a direct number); a wrong
    one refused naming its place (`numbers[2]`)."""
    if not isinstance(data, list) or len(data) > MAX_ALTERNATES:
        raise Invalid("numbers", f"a list of at most {MAX_ALTERNATES} numbers")
    made: list[str] = []
    for place, number in enumerate(data):
        field = f"numbers[{place}]"
        if not isinstance(number, str):
            raise Invalid(field, "a number as text")
        if number.startswith("+"):
            number = to_e164(number, field)
        elif not EXTENSION.fullmatch(number):
            raise Invalid(field, "an extension-shaped number (2-8 digits) or an E.164 number")
        if number in made:
            raise Invalid(field, f"{number} is listed twice")
        made.append(number)
    return made


def check_alternates(
    numbers: list[str],
    *,
    profile: Profile,
    own_extension: str,
    taken: Set[str],
    blocks: Iterable[NumberBlock],
    others: Mapping[str, str],
) -> None:
    """Invalid (naming the number's place) for a list the user may not have. `taken`: every
    number the tenant uses (extensions, call centers, groups, rooms, routed direct numbers);
    `others`: the other users' alternates, number -> username."""
    if numbers and FEATURE not in FEATURES[profile]:
        raise Invalid("numbers", f"the {profile.value} profile does not include {FEATURE}")
    kept = list(blocks)
    for place, number in enumerate(numbers):
        field = f"numbers[{place}]"
        if number == own_extension:
            raise Invalid(field, "the user's own extension")
        if number in taken:
            raise Invalid(field, f"{number} is in use in the tenant")
        if number in others:
            raise Invalid(field, f"{number} is an alternate number of {others[number]}")
        if number.startswith("+") and not in_blocks(number, kept):
            raise Invalid(field, f"{number} is not in a number block of the tenant")
