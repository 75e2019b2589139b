"""The conference bridge's meeting rooms of a tenant (seed 3.3.4, "Groepsgesprek"): their table,
the rules a room must meet, and the tenant's licence of participants; docs/conference.md.

The licence is what the seed sells: "Groepsgesprek-opties", places for participants at once in
all of the tenant's rooms together. A room's own cap can never be above it, and the PBX counts
the licence over every room of the tenant when a caller joins. The operator sets it; a tenant
without one has `DEFAULT_LICENCE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, ForeignKey, Integer, String, Table, UniqueConstraint

from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID

LANGUAGES = ("nl", "en")
"""The languages the bridge's prompts exist in (pbx_core/media/prompts.py)."""
DEFAULT_LICENCE = 10
MAX_LICENCE = 500
PIN_DIGITS = (4, 8)

bridge_rooms = Table(
    "prov_bridge_rooms",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("number", String(8), nullable=False),
    Column("name", String(200), nullable=False),
    Column("pin", String(8), nullable=False),
    Column("moderator_pin", String(8), nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("language", String(2), nullable=False),
    UniqueConstraint("tenant", "number"),
)

bridge_licences = Table(
    "prov_bridge_licences",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("participants", Integer, nullable=False),
)


@dataclass(frozen=True, slots=True)
class RoomView:
    number: str
    name: str
    pin: str
    moderator_pin: str
    max_participants: int
    language: str


def check_room(room: RoomView, licence: int) -> RoomView:
    """`room` if it can work under `licence`, else Invalid naming the field."""
    if not room.number.isdigit() or not 2 <= len(room.number) <= 8:
        raise Invalid("number", "2-8 digits")
    if not room.name.strip() or len(room.name) > 200:
        raise Invalid("name", "1-200 characters")
    low, high = PIN_DIGITS
    for field, pin in (("pin", room.pin), ("moderator_pin", room.moderator_pin)):
        if not pin.isdigit() or not low <= len(pin) <= high:
            raise Invalid(field, f"{low}-{high} digits")
    if room.pin == room.moderator_pin:
        raise Invalid("moderator_pin", "must differ from the participants' PIN")
    if not 2 <= room.max_participants <= licence:
        raise Invalid("max_participants", f"2 to the tenant's licence of {licence} participants")
    if room.language not in LANGUAGES:
        raise Invalid("language", f"one of {', '.join(LANGUAGES)}")
    return room
