"""`PickupGroupsService`: a tenant's call pickup groups in SQL (tables `prov_pickup_groups`,
`prov_pickup_group_members`; docs/phone-features.md, "Pickup groups"). A group has a name and
its members (extensions of the tenant's users); a user is in at most one group (the members
table's key is (tenant, extension)). Each change is one transaction with its audit entry
(entity `pickup_group`, key the group's name), listeners told after the commit (the PBX reloads
the tenant's groups).

Every look-up is by tenant: a member is found only among the tenant's own users, so another
tenant's extension is refused exactly as an unknown one (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    String,
    Table,
    delete,
    insert,
    select,
)

from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.unit import Listener, Transactions, utc_now

ENTITY = "pickup_group"
NAME_LENGTH = 64
MAX_MEMBERS = 1000
NAME = re.compile(r"^[\w][\w .-]{0,63}$")
"""Letters, digits, `_`, space, `.` and `-`: a group's name is a path segment of the API."""

pickup_groups = Table(
    "prov_pickup_groups",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("name", String(NAME_LENGTH), primary_key=True),
)

pickup_group_members = Table(
    "prov_pickup_group_members",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("extension", String(8), primary_key=True),
    Column("group_name", String(NAME_LENGTH), nullable=False),
)


@dataclass(frozen=True, slots=True)
class PickupGroup:
    tenant: str
    name: str
    members: tuple[str, ...]
    """Extensions, sorted."""


class PickupGroupsService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        self._tx.subscribe(listener)

    def groups(self, tenant: str) -> list[PickupGroup]:
        with self._tx.engine.connect() as connection:
            return _groups(connection, tenant)

    def group(self, tenant: str, name: str) -> PickupGroup:
        found = next((g for g in self.groups(tenant) if g.name == name), None)
        if found is None:
            raise NotFound("name", f"no pickup group {name!r}")
        return found

    def put(self, actor: str, tenant: str, name: str, members: Sequence[str]) -> PickupGroup:
        """Create the group `name` with these members, or replace its members."""
        if NAME.fullmatch(name) is None:
            raise Invalid("name", "1-64 letters, digits, spaces, '.', '-' or '_'")
        if len(set(members)) != len(members):
            raise Invalid("members", "an extension is listed twice")
        if len(members) > MAX_MEMBERS:
            raise Invalid("members", f"at most {MAX_MEMBERS} members")
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            known = {
                str(e)
                for e in connection.execute(
                    select(users.c.extension).where(users.c.tenant == tenant)
                ).scalars()
            }
            for member in members:
                if member not in known:
                    raise NotFound("members", f"no user with extension {member}")
            elsewhere = connection.execute(
                select(pickup_group_members).where(
                    pickup_group_members.c.tenant == tenant,
                    pickup_group_members.c.extension.in_(list(members)),
                    pickup_group_members.c.group_name != name,
                )
            ).first()
            if elsewhere is not None:
                raise Conflict(
                    "members",
                    f"{elsewhere.extension} is in pickup group {elsewhere.group_name!r} already "
                    "(a user is in at most one group)",
                )
            before = _group(connection, tenant, name)
            _delete(connection, tenant, name)
            connection.execute(insert(pickup_groups).values(tenant=tenant, name=name))
            if members:
                connection.execute(
                    insert(pickup_group_members),
                    [{"tenant": tenant, "extension": m, "group_name": name} for m in members],
                )
            after = PickupGroup(tenant, name, tuple(sorted(members)))
            action = "create" if before is None else "update"
            unit.record(ENTITY, name, action, _json(before), _json(after))
        return after

    def remove(self, actor: str, tenant: str, name: str) -> None:
        with self._tx.change(actor, tenant) as unit:
            before = _group(unit.connection, tenant, name)
            if before is None:
                raise NotFound("name", f"no pickup group {name!r}")
            _delete(unit.connection, tenant, name)
            unit.record(ENTITY, name, "delete", _json(before), None)


def references(connection: Connection, tenant: str, extension: str) -> str | None:
    """A member cannot be deleted or renumbered while in a group (take it out first): the
    group would hold a number nobody has, and a new user given it would join unasked."""
    row = connection.execute(
        select(pickup_group_members.c.group_name).where(
            pickup_group_members.c.tenant == tenant,
            pickup_group_members.c.extension == extension,
        )
    ).first()
    return None if row is None else f"pickup group {row.group_name}"


def _groups(connection: Connection, tenant: str) -> list[PickupGroup]:
    names = connection.execute(
        select(pickup_groups.c.name)
        .where(pickup_groups.c.tenant == tenant)
        .order_by(pickup_groups.c.name)
    ).scalars()
    members: dict[str, list[str]] = {}
    for row in connection.execute(
        select(pickup_group_members).where(pickup_group_members.c.tenant == tenant)
    ):
        members.setdefault(str(row.group_name), []).append(str(row.extension))
    return [PickupGroup(tenant, str(n), tuple(sorted(members.get(str(n), [])))) for n in names]


def _group(connection: Connection, tenant: str, name: str) -> PickupGroup | None:
    return next((g for g in _groups(connection, tenant) if g.name == name), None)


def _delete(connection: Connection, tenant: str, name: str) -> None:
    connection.execute(
        delete(pickup_group_members).where(
            pickup_group_members.c.tenant == tenant, pickup_group_members.c.group_name == name
        )
    )
    connection.execute(
        delete(pickup_groups).where(pickup_groups.c.tenant == tenant, pickup_groups.c.name == name)
    )


def _json(group: PickupGroup | None) -> dict[str, Any] | None:
    return None if group is None else {"members": list(group.members)}
