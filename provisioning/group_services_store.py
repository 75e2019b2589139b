"""The hunt groups and auto attendants of a tenant in SQL: create or replace, members added and
removed one at a time (live: the next offer uses them), night forwarding switched by a user,
delete; each change audited and heard by the listeners (the PBX side reloads the tenant's groups).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from group_services.config import AutoAttendantConfig, voicemail_boxes
from provisioning.announcement_store import check_references
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.group_services import (
    MEMBER_KINDS,
    GroupConfig,
    GroupKind,
    check_number,
    group_config,
    group_services,
)
from provisioning.models import users
from provisioning.schedules import ScheduleKind
from provisioning.service import ProvisioningService
from provisioning.telephony_store import named_schedules, refuse_routed
from provisioning.user_store import taken_numbers

ENTITY = "group_service"
"""The audit log's and the listeners' name of a change here."""


@dataclass(frozen=True, slots=True)
class GroupView:
    kind: str
    number: str
    name: str
    settings: dict[str, Any]


def _view(row: Any) -> GroupView:
    return GroupView(row.kind, row.number, row.name, dict(row.settings))


def _row(connection: Connection, tenant: str, number: str) -> Any:
    row = connection.execute(
        select(group_services).where(
            group_services.c.tenant == tenant, group_services.c.number == number
        )
    ).one_or_none()
    if row is None:
        raise NotFound("number", f"no hunt group or auto attendant {number} in {tenant!r}")
    return row


def _validated(connection: Connection, tenant: str, view: GroupView) -> GroupConfig:
    config = group_config(
        GroupKind(view.kind),
        view.number,
        view.name,
        view.settings,
        named_schedules(connection, tenant, ScheduleKind.WEEKLY),
        named_schedules(connection, tenant, ScheduleKind.HOLIDAYS),
    )
    check_references(connection, tenant, view.settings)  # a menu's announcements exist
    _check_users(connection, tenant, "members", view.settings.get("members", []))
    _check_users(connection, tenant, "voicemail", sorted(voicemail_boxes(config)))
    return config


def _check_users(connection: Connection, tenant: str, field: str, extensions: list[str]) -> None:
    if not extensions:
        return
    known = set(
        connection.execute(
            select(users.c.extension).where(
                users.c.tenant == tenant, users.c.extension.in_(extensions)
            )
        ).scalars()
    )
    missing = [m for m in extensions if m not in known]
    if missing:
        raise Invalid(field, f"no user {missing[0]} in {tenant!r}")


class GroupServices:
    """Beside `ProvisioningService`, in its transactions (audit log, listeners)."""

    def __init__(self, provisioning: ProvisioningService) -> None:
        self._tx = provisioning.transactions

    def all(self, tenant: str) -> list[GroupView]:
        with self._tx.engine.connect() as connection:
            rows = connection.execute(
                select(group_services)
                .where(group_services.c.tenant == tenant)
                .order_by(group_services.c.number)
            )
            return [_view(r) for r in rows]

    def get(self, tenant: str, number: str) -> GroupView:
        with self._tx.engine.connect() as connection:
            return _view(_row(connection, tenant, number))

    def numbers(self, tenant: str) -> list[str]:
        with self._tx.engine.connect() as connection:
            return list(
                connection.execute(
                    select(group_services.c.number).where(group_services.c.tenant == tenant)
                ).scalars()
            )

    def configs(self, tenant: str) -> dict[str, GroupConfig]:
        """Every group of `tenant`, built: what the calls to them follow; menus know the
        tenant's user names (dial-by-name)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(
                select(group_services).where(group_services.c.tenant == tenant)
            ).all()
            built = {r.number: _validated(connection, tenant, _view(r)) for r in rows}
            if any(isinstance(c, AutoAttendantConfig) for c in built.values()):
                query = select(users.c.extension, users.c.name).where(users.c.tenant == tenant)
                names = {r.extension: r.name for r in connection.execute(query)}
                built = {
                    number: replace(c, names=names) if isinstance(c, AutoAttendantConfig) else c
                    for number, c in built.items()
                }
            return built

    def put(
        self,
        actor: str,
        tenant: str,
        kind: GroupKind,
        number: str,
        name: str,
        settings: Mapping[str, Any],
    ) -> GroupView:
        """Create the group `number`, or replace its name and settings (its kind stays)."""
        check_number(number)
        if not name.strip() or len(name) > 200:
            raise Invalid("name", "1-200 characters")
        view = GroupView(kind.value, number, name, dict(settings))
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            _validated(connection, tenant, view)
            old = connection.execute(
                select(group_services).where(
                    group_services.c.tenant == tenant, group_services.c.number == number
                )
            ).one_or_none()
            if old is None:
                if number in taken_numbers(connection, tenant):
                    raise Conflict("number", f"{number} is in use in tenant {tenant!r}")
                connection.execute(
                    insert(group_services).values(
                        tenant=tenant, kind=kind.value, number=number, name=name,
                        settings=view.settings,
                    )
                )  # fmt: skip
                unit.record(ENTITY, number, "create", None, _audit(view))
                return view
            if old.kind != kind.value:
                raise Conflict("kind", f"{number} is a {old.kind}; delete it first")
            connection.execute(
                update(group_services)
                .where(group_services.c.id == old.id)
                .values(name=name, settings=view.settings)
            )
            unit.record(ENTITY, number, "update", _audit(_view(old)), _audit(view))
            return view

    def add_member(self, actor: str, tenant: str, number: str, extension: str) -> GroupView:
        def add(members: list[str]) -> list[str]:
            if extension in members:
                raise Conflict("extension", f"{extension} is a member already")
            return [*members, extension]

        return self._change_members(actor, tenant, number, add)

    def remove_member(self, actor: str, tenant: str, number: str, extension: str) -> GroupView:
        def remove(members: list[str]) -> list[str]:
            if extension not in members:
                raise NotFound("extension", f"{extension} is no member of {number}")
            return [m for m in members if m != extension]

        return self._change_members(actor, tenant, number, remove)

    def set_night_forwarding(self, actor: str, tenant: str, number: str, on: bool) -> GroupView:
        """Group night forwarding switched on or off (by a user: seed 3.3.10)."""
        old = self.get(tenant, number)
        self._hunt_group(old)
        forwarding = {**old.settings.get("forwarding", {}), "night_on": on}
        settings = {**old.settings, "forwarding": forwarding}
        return self.put(actor, tenant, GroupKind.HUNT_GROUP, number, old.name, settings)

    def delete(self, actor: str, tenant: str, number: str) -> None:
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            row = _row(connection, tenant, number)
            refuse_routed(connection, tenant, number)
            connection.execute(delete(group_services).where(group_services.c.id == row.id))
            unit.record(ENTITY, number, "delete", _audit(_view(row)), None)

    def _change_members(self, actor: str, tenant: str, number: str, change: Any) -> GroupView:
        old = self.get(tenant, number)
        if old.kind not in MEMBER_KINDS:
            raise Invalid("number", f"{number} is neither a hunt group nor an instant group")
        settings = {**old.settings, "members": change(list(old.settings.get("members", [])))}
        return self.put(actor, tenant, GroupKind(old.kind), number, old.name, settings)

    @staticmethod
    def _hunt_group(view: GroupView) -> None:
        if view.kind != GroupKind.HUNT_GROUP:
            raise Invalid("number", f"{view.number} is not a hunt group")


def _audit(view: GroupView) -> dict[str, Any]:
    return {"kind": view.kind, "name": view.name, "settings": view.settings}
