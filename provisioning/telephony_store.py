"""Number blocks, direct numbers, call centers and schedules of a tenant, in SQL.

Each writer runs inside one `Unit`; the pure modules (numbers, call_centers, schedules) decide
what is valid. A call center is stored in its API form and validated, on every write, by
building the tenant's whole engine config (`engine_config`), which is also what the engine
runtime will load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, insert, select, update

from common.number_destinations import voicemail_box
from provisioning.announcement_store import check_references
from provisioning.call_centers import Agent, call_center_config, tenant_config
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.models import call_centers, number_blocks, numbers, schedules, users
from provisioning.numbers import NumberBlock, in_blocks
from provisioning.schedules import ScheduleKind
from provisioning.unit import Unit
from provisioning.user_store import taken_numbers, tenant_row
from provisioning.users import Tier
from provisioning.views import CallCenterView, NumberBlockView, NumberView, ScheduleView
from queueing.config import TenantConfig


def block_view(block: NumberBlock) -> NumberBlockView:
    return NumberBlockView(block.first, f"+{block.last_value}", block.size)


def list_blocks(connection: Connection, tenant: str) -> list[NumberBlockView]:
    tenant_row(connection, tenant)
    query = select(number_blocks).where(number_blocks.c.tenant == tenant)
    rows = connection.execute(query.order_by(number_blocks.c.first_value))
    return [block_view(NumberBlock(r.first, r.size)) for r in rows]


def add_block(unit: Unit, block: NumberBlock) -> NumberBlockView:
    tenant_row(unit.connection, unit.tenant)
    clash = unit.connection.execute(
        select(number_blocks.c.first).where(
            number_blocks.c.first_value <= block.last_value,
            number_blocks.c.last_value >= block.first_value,
        )
    ).first()
    if clash is not None:
        # Numbers are platform-wide: say that it overlaps, never whose block it overlaps.
        raise Conflict("first", "overlaps a number block already on the platform")
    unit.connection.execute(
        insert(number_blocks).values(
            tenant=unit.tenant,
            first=block.first,
            size=block.size,
            first_value=block.first_value,
            last_value=block.last_value,
        )
    )
    made = block_view(block)
    unit.record("number_block", block.first, "create", None, asdict(made))
    return made


def list_numbers(connection: Connection, tenant: str) -> list[NumberView]:
    tenant_row(connection, tenant)
    rows = connection.execute(
        select(numbers).where(numbers.c.tenant == tenant).order_by(numbers.c.number)
    )
    return [NumberView(r.number, r.destination) for r in rows]


def assign_number(unit: Unit, number: str, destination: str) -> NumberView:
    """Route direct number `number` (E.164, in the tenant's blocks) to one of its destinations."""
    connection, tenant = unit.connection, unit.tenant
    tenant_row(connection, tenant)
    blocks = connection.execute(
        select(number_blocks.c.first, number_blocks.c.size).where(number_blocks.c.tenant == tenant)
    )
    if not in_blocks(number, (NumberBlock(b.first, b.size) for b in blocks)):
        raise Invalid("number", f"{number} is not in a number block of tenant {tenant!r}")
    box = voicemail_box(destination)
    if box is not None:  # a user's voicemail box: its extension must be a user's
        extensions = select(users.c.extension).where(users.c.tenant == tenant)
        if box not in set(connection.execute(extensions).scalars()):
            raise Invalid("destination", f"no user {box[:16]!r} in {tenant!r} has a voicemail box")
    elif destination not in taken_numbers(connection, tenant):
        raise Invalid(
            "destination", f"no user, call center, group or room {destination} in {tenant!r}"
        )
    existing = connection.execute(select(numbers).where(numbers.c.number == number)).one_or_none()
    if existing is not None:
        raise Conflict("number", f"{number} is already routed to {existing.destination}")
    connection.execute(
        insert(numbers).values(number=number, tenant=tenant, destination=destination)
    )
    made = NumberView(number, destination)
    unit.record("number", number, "create", None, asdict(made))
    return made


def refuse_routed(connection: Connection, tenant: str, destination: str) -> None:
    """Conflict while a direct number routes to `destination` (a group or room to delete)."""
    routed = connection.execute(
        select(numbers.c.number).where(
            numbers.c.tenant == tenant, numbers.c.destination == destination
        )
    ).first()
    if routed is not None:
        raise Conflict("number", f"direct number {routed.number} routes to {destination}")


def named_schedules(connection: Connection, tenant: str, kind: ScheduleKind) -> dict[str, Any]:
    rows = connection.execute(
        select(schedules.c.name, schedules.c.data).where(
            schedules.c.tenant == tenant, schedules.c.kind == kind
        )
    )
    return {r.name: r.data for r in rows}


def list_schedules(connection: Connection, tenant: str) -> list[ScheduleView]:
    tenant_row(connection, tenant)
    rows = connection.execute(
        select(schedules)
        .where(schedules.c.tenant == tenant)
        .order_by(schedules.c.kind, schedules.c.name)
    )
    return [ScheduleView(r.kind, r.name, r.data) for r in rows]


def put_schedule(unit: Unit, made: ScheduleView) -> ScheduleView:
    """Create or replace one named schedule (already validated by provisioning.schedules)."""
    connection = unit.connection
    tenant_row(connection, unit.tenant)
    key = (
        (schedules.c.tenant == unit.tenant)
        & (schedules.c.kind == made.kind)
        & (schedules.c.name == made.name)
    )
    old = connection.execute(select(schedules).where(key)).one_or_none()
    if old is None:
        connection.execute(
            insert(schedules).values(
                tenant=unit.tenant, kind=made.kind, name=made.name, data=made.data
            )
        )
    else:
        connection.execute(update(schedules).where(key).values(data=made.data))
        engine_config(connection, unit.tenant)  # call centers naming it must stay valid
    before = None if old is None else asdict(ScheduleView(old.kind, old.name, old.data))
    unit.record(made.kind, made.name, "create" if old is None else "update", before, asdict(made))
    return made


def call_center_view(row: Any) -> CallCenterView:
    settings = dict(row.settings)
    return CallCenterView(row.number, settings["name"], Tier(settings["tier"]), settings)


def call_center_row(connection: Connection, tenant: str, number: str) -> Any:
    tenant_row(connection, tenant)
    row = connection.execute(
        select(call_centers).where(call_centers.c.tenant == tenant, call_centers.c.number == number)
    ).one_or_none()
    if row is None:
        raise NotFound("number", f"no call center {number} in tenant {tenant!r}")
    return row


def list_call_centers(connection: Connection, tenant: str) -> list[CallCenterView]:
    tenant_row(connection, tenant)
    query = select(call_centers).where(call_centers.c.tenant == tenant)
    return [call_center_view(r) for r in connection.execute(query.order_by(call_centers.c.number))]


def engine_config(connection: Connection, tenant: str) -> TenantConfig:
    """The tenant as the queue engine runs it, built (and so validated) by the engine's types."""
    weekly = named_schedules(connection, tenant, ScheduleKind.WEEKLY)
    calendars = named_schedules(connection, tenant, ScheduleKind.HOLIDAYS)
    rows = connection.execute(select(call_centers).where(call_centers.c.tenant == tenant))
    configs = []
    for row in rows:
        try:
            configs.append(call_center_config(row.settings, weekly, calendars))
        except Invalid as error:
            raise Invalid(error.field, f"call center {row.number}: {error.reason}") from None
    agent_rows = connection.execute(
        select(users.c.extension, users.c.name, users.c.call_center_licence).where(
            users.c.tenant == tenant, users.c.call_center_licence.is_not(None)
        )
    )
    agents = [Agent(r.extension, r.name, Tier(r.call_center_licence)) for r in agent_rows]
    return tenant_config(tenant, configs, agents)


def save_call_center(unit: Unit, settings: Mapping[str, Any], old: Any | None) -> CallCenterView:
    """Insert (old=None) or replace a call center's settings; the whole tenant must validate."""
    connection, tenant = unit.connection, unit.tenant
    config = call_center_config(
        settings,
        named_schedules(connection, tenant, ScheduleKind.WEEKLY),
        named_schedules(connection, tenant, ScheduleKind.HOLIDAYS),
    )
    check_references(connection, tenant, settings)
    stored = {**settings, "number": config.id}
    if old is None:
        if config.id in taken_numbers(connection, tenant):
            raise Conflict("number", f"{config.id} is in use in tenant {tenant!r}")
        connection.execute(
            insert(call_centers).values(tenant=tenant, number=config.id, settings=stored)
        )
    else:
        if config.id != old.number:
            raise Invalid("number", "a call center's number cannot change")
        connection.execute(
            update(call_centers).where(call_centers.c.id == old.id).values(settings=stored)
        )
    engine_config(connection, tenant)
    made = call_center_view(
        connection.execute(
            select(call_centers).where(
                call_centers.c.tenant == tenant, call_centers.c.number == config.id
            )
        ).one()
    )
    before = None if old is None else old.settings
    unit.record("call_center", made.number, "update" if old else "create", before, stored)
    return made
