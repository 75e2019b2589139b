"""Hunt groups, auto attendants and fax numbers of a tenant (service description 3.3.1-3.3.3,
3.3.5, 3.3.7-3.3.10): their table, and their JSON settings built into group_services' own config
objects, so the rules are written once (group_services/config.py) and every refusal names its
field.

Settings name the tenant's schedules and holiday calendars (provisioning/schedules.py) by name,
the same ones its call centers use: `"schedule": "office-hours"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, assert_never

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from group_services.config import AutoAttendantConfig, FaxConfig, HuntGroupConfig
from provisioning.announcements import REFERENCE_PREFIX, validate_name
from provisioning.engine_config import build
from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID
from provisioning.voicemail_boxes import EMAIL_PATTERN

NUMBER_PATTERN_MAX = 8
"""Like a call center's number: a short internal number of the tenant's numbering plan."""


class GroupKind(StrEnum):
    HUNT_GROUP = "hunt_group"
    AUTO_ATTENDANT = "auto_attendant"
    INSTANT_GROUP = "instant_group"
    """InstantGroupCall (ch. 7): every member rings at once, the first to answer is connected."""
    FAX = "fax"
    """Fax to e-mail (seed 3.3.5): the number's faxes mailed as PDF (docs/fax.md)."""


MEMBER_KINDS = frozenset({GroupKind.HUNT_GROUP, GroupKind.INSTANT_GROUP})
"""Kinds whose members are added and removed one at a time."""
MAX_INSTANT_MEMBERS = 16
"""An instant group's members, all ringing at once (BroadWorks' own limit is of this order)."""
INSTANT_SETTINGS = frozenset({"members", "ring_seconds", "no_answer_destination"})


group_services = Table(
    "prov_group_services",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("number", String(NUMBER_PATTERN_MAX), nullable=False),
    Column("name", String(200), nullable=False),
    Column("settings", JSON, nullable=False),
    UniqueConstraint("tenant", "number"),
)


def check_number(number: str) -> str:
    if not number.isdigit() or not 2 <= len(number) <= NUMBER_PATTERN_MAX:
        raise Invalid("number", f"2-{NUMBER_PATTERN_MAX} digits")
    return number


def _named(name: Any, known: Mapping[str, Any], what: str) -> Any:
    if name is None:
        return None
    if not isinstance(name, str) or name not in known:
        raise Invalid(what, f"no {what} {name!r} in this tenant")
    return known[name]


def _with_schedules(
    settings: Mapping[str, Any],
    schedules: Mapping[str, Any],
    calendars: Mapping[str, Any],
) -> dict[str, Any]:
    data = dict(settings)
    data["schedule"] = _named(settings.get("schedule"), schedules, "schedule")
    data["holidays"] = _named(settings.get("holidays"), calendars, "holidays")
    return data


def _check_announcements(settings: Mapping[str, Any]) -> None:
    menus = settings.get("menus")
    if not isinstance(menus, Mapping):
        return
    for name, menu in menus.items():
        reference = menu.get("announcement") if isinstance(menu, Mapping) else None
        if reference is None:
            continue
        if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
            raise Invalid(f"menus.{name}.announcement", f"write {REFERENCE_PREFIX}<name>")
        try:
            validate_name(reference.removeprefix(REFERENCE_PREFIX))
        except Invalid as error:
            raise Invalid(f"menus.{name}.announcement", error.reason) from None


def _named_menus(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Menus are stored by name; the config's menus carry their name too."""
    data = dict(settings)
    menus = settings.get("menus")
    if isinstance(menus, Mapping):
        data["menus"] = {
            name: {**menu, "name": name} if isinstance(menu, Mapping) else menu
            for name, menu in menus.items()
        }
    return data


def hunt_group_config(
    number: str,
    name: str,
    settings: Mapping[str, Any],
    schedules: Mapping[str, Any],
    calendars: Mapping[str, Any],
) -> HuntGroupConfig:
    data = {**_with_schedules(settings, schedules, calendars), "number": number, "name": name}
    return build(HuntGroupConfig, data)


def auto_attendant_config(
    number: str,
    name: str,
    settings: Mapping[str, Any],
    schedules: Mapping[str, Any],
    calendars: Mapping[str, Any],
) -> AutoAttendantConfig:
    _check_announcements(settings)
    data = _with_schedules(_named_menus(settings), schedules, calendars)
    return build(AutoAttendantConfig, {**data, "number": number, "name": name})


def fax_config(number: str, name: str, settings: Mapping[str, Any]) -> FaxConfig:
    recipients = settings.get("recipients")
    if isinstance(recipients, list):
        for index, address in enumerate(recipients):
            # One plain address each: no spaces, line breaks or lists (no header injection).
            if (
                not isinstance(address, str)
                or not EMAIL_PATTERN.fullmatch(address)
                or any(c in address for c in ',;<>"')
            ):
                raise Invalid(f"recipients[{index}]", "not one plain e-mail address")
    return build(FaxConfig, {**settings, "number": number, "name": name})


def instant_group_config(number: str, name: str, settings: Mapping[str, Any]) -> HuntGroupConfig:
    """An instant group is a hunt group that rings every member at once and forwards nothing:
    the hunt group's simultaneous ring (group_services/hunt.py, queueing's `pick`) calls it."""
    unknown = sorted(set(settings) - INSTANT_SETTINGS)
    if unknown:
        allowed = ", ".join(sorted(INSTANT_SETTINGS))
        raise Invalid(unknown[0], f"not an instant group setting ({allowed})")
    members = settings.get("members", [])
    if not isinstance(members, list) or len(members) > MAX_INSTANT_MEMBERS:
        raise Invalid("members", f"a list of at most {MAX_INSTANT_MEMBERS} extensions")
    data = {**settings, "policy": "simultaneous", "number": number, "name": name}
    return build(HuntGroupConfig, data)


GroupConfig = HuntGroupConfig | AutoAttendantConfig | FaxConfig


def group_config(
    kind: GroupKind,
    number: str,
    name: str,
    settings: Mapping[str, Any],
    schedules: Mapping[str, Any],
    calendars: Mapping[str, Any],
) -> GroupConfig:
    match kind:
        case GroupKind.HUNT_GROUP:
            return hunt_group_config(number, name, settings, schedules, calendars)
        case GroupKind.AUTO_ATTENDANT:
            return auto_attendant_config(number, name, settings, schedules, calendars)
        case GroupKind.INSTANT_GROUP:
            return instant_group_config(number, name, settings)
        case GroupKind.FAX:
            return fax_config(number, name, settings)
        case _:
            assert_never(kind)
