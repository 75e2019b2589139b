"""`ManagerAssistantService`: managers, their assistants and their call filtering in SQL
(tables `prov_ma_managers`, `prov_ma_assistants`; docs/manager-assistant.md). The rules are
`common.manager_assistant`; each change is one transaction with its audit entry (entity
`manager_assistant`, key the manager's extension), listeners told after the commit (the PBX
reloads the tenant's managers).

Every look-up is by (tenant, extension): an assistant is found only among the manager's
tenant's users, so another tenant's extension is refused exactly as an unknown one (404).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    insert,
    or_,
    select,
    update,
)

from common import manager_assistant as rules
from common.manager_assistant import Assistant, FilterMode, Manager
from provisioning.errors import Invalid, NotFound
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.unit import Listener, Transactions, utc_now

ENTITY = "manager_assistant"

ma_managers = Table(
    "prov_ma_managers",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("extension", String(8), primary_key=True),
    Column("filtering", Boolean, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("numbers", JSON, nullable=False),
)

ma_assistants = Table(
    "prov_ma_assistants",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("manager", String(8), primary_key=True),
    Column("assistant", String(8), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("opted_in", Boolean, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ManagerView:
    """A manager as the admin and the pair see it: the settings and everyone's name."""

    manager: Manager
    names: dict[str, str]


class ManagerAssistantService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        self._tx.subscribe(listener)

    # The admin's side

    def set_manager(
        self,
        actor: str,
        tenant: str,
        extension: str,
        assistants: Sequence[str],
        *,
        filtering: bool,
        mode: FilterMode,
        numbers: Sequence[str],
    ) -> ManagerView:
        """Make `extension` a manager with these assistants (in ringing order), or change it.
        An assistant kept keeps its opt-in; a new one starts opted in."""
        if (problem := rules.check_assistants(extension, assistants)) is not None:
            raise Invalid("assistants", problem)
        if (problem := rules.check_numbers(numbers)) is not None:
            raise Invalid("numbers", problem)
        with self._tx.change(actor, tenant) as unit:
            known = _extensions(unit.connection, tenant)
            if extension not in known:
                raise NotFound("extension", f"no user with extension {extension}")
            for assistant in assistants:
                if assistant not in known:
                    raise NotFound("assistants", f"no user with extension {assistant}")
            before = _manager(unit.connection, tenant, extension)
            opted = {a.extension: a.opted_in for a in before.assistants} if before else {}
            after = Manager(
                tenant,
                extension,
                filtering,
                mode,
                tuple(numbers),
                tuple(Assistant(a, opted.get(a, True)) for a in assistants),
            )
            _write(unit.connection, before, after)
            action = "create" if before is None else "update"
            unit.record(ENTITY, extension, action, _json(before), _json(after))
        return self.manager(tenant, extension)

    def remove_manager(self, actor: str, tenant: str, extension: str) -> None:
        with self._tx.change(actor, tenant) as unit:
            before = _manager(unit.connection, tenant, extension)
            if before is None:
                raise NotFound("extension", f"{extension} is no manager")
            _delete(unit.connection, tenant, extension)
            unit.record(ENTITY, extension, "delete", _json(before), None)

    def managers(self, tenant: str) -> list[ManagerView]:
        with self._tx.engine.connect() as connection:
            found = _managers(connection, tenant)
            names = _names(connection, tenant)
        return [ManagerView(m, names) for m in found]

    def manager(self, tenant: str, extension: str) -> ManagerView:
        with self._tx.engine.connect() as connection:
            found = _manager(connection, tenant, extension)
            names = _names(connection, tenant)
        if found is None:
            raise NotFound("extension", f"{extension} is no manager")
        return ManagerView(found, names)

    # The pair's side

    def assisted(self, tenant: str, assistant: str) -> list[ManagerView]:
        """The managers `assistant` assists."""
        return [
            view
            for view in self.managers(tenant)
            if assistant in {a.extension for a in view.manager.assistants}
        ]

    def change_filter(
        self,
        actor: str,
        tenant: str,
        manager: str,
        by: str,
        *,
        filtering: bool | None = None,
        mode: FilterMode | None = None,
        numbers: Sequence[str] | None = None,
    ) -> ManagerView:
        """The manager `manager` or one of its assistants (`by`) changes the filtering."""
        if numbers is not None and (problem := rules.check_numbers(numbers)) is not None:
            raise Invalid("numbers", problem)
        with self._tx.change(actor, tenant) as unit:
            before = _pair_manager(unit.connection, tenant, manager, by)
            after = replace(
                before,
                filtering=before.filtering if filtering is None else filtering,
                mode=before.mode if mode is None else mode,
                numbers=before.numbers if numbers is None else tuple(numbers),
            )
            _write(unit.connection, before, after)
            unit.record(ENTITY, manager, "update", _json(before), _json(after))
        return self.manager(tenant, manager)

    def toggle_filter(self, actor: str, tenant: str, manager: str, by: str) -> bool:
        """Filtering switched over (the feature code): True when it is on now."""
        with self._tx.engine.connect() as connection:
            current = _pair_manager(connection, tenant, manager, by)
        view = self.change_filter(actor, tenant, manager, by, filtering=not current.filtering)
        return view.manager.filtering

    def opt(self, actor: str, tenant: str, manager: str, assistant: str, opted_in: bool) -> None:
        """The assistant opts in (takes the manager's filtered calls) or out."""
        with self._tx.change(actor, tenant) as unit:
            found = _manager(unit.connection, tenant, manager)
            if found is None or assistant not in {a.extension for a in found.assistants}:
                raise NotFound("manager", f"{assistant} assists no manager {manager}")
            unit.connection.execute(
                update(ma_assistants)
                .where(
                    ma_assistants.c.tenant == tenant,
                    ma_assistants.c.manager == manager,
                    ma_assistants.c.assistant == assistant,
                )
                .values(opted_in=opted_in)
            )
            unit.record(ENTITY, manager, "opt_in" if opted_in else "opt_out", None,
                        {"assistant": assistant})  # fmt: skip


def references(connection: Connection, tenant: str, extension: str) -> str | None:
    """A manager or assistant cannot be deleted or renumbered while paired (remove the pair
    first): the PBX would ring a number nobody has."""
    row = connection.execute(
        select(ma_assistants.c.manager).where(
            ma_assistants.c.tenant == tenant,
            or_(ma_assistants.c.manager == extension, ma_assistants.c.assistant == extension),
        )
    ).first()
    return None if row is None else f"manager/assistant (manager {row.manager})"


def _pair_manager(connection: Connection, tenant: str, manager: str, by: str) -> Manager:
    found = _manager(connection, tenant, manager)
    if found is None or by not in {manager} | {a.extension for a in found.assistants}:
        # The same answer for "no manager" and "not yours": nothing to learn by probing.
        raise NotFound("manager", f"{manager} is no manager of yours")
    return found


def _extensions(connection: Connection, tenant: str) -> set[str]:
    query = select(users.c.extension).where(users.c.tenant == tenant)
    return {str(e) for e in connection.execute(query).scalars()}


def _names(connection: Connection, tenant: str) -> dict[str, str]:
    query = select(users.c.extension, users.c.name).where(users.c.tenant == tenant)
    return {str(r.extension): str(r.name) for r in connection.execute(query)}


def _managers(connection: Connection, tenant: str) -> list[Manager]:
    rows = connection.execute(select(ma_managers).where(ma_managers.c.tenant == tenant)).all()
    pairs = connection.execute(
        select(ma_assistants)
        .where(ma_assistants.c.tenant == tenant)
        .order_by(ma_assistants.c.manager, ma_assistants.c.position)
    ).all()
    assistants: dict[str, list[Assistant]] = {}
    for pair in pairs:
        assistants.setdefault(pair.manager, []).append(Assistant(pair.assistant, pair.opted_in))
    return [
        Manager(
            tenant,
            row.extension,
            bool(row.filtering),
            FilterMode(row.mode),
            tuple(row.numbers),
            tuple(assistants.get(row.extension, ())),
        )
        for row in sorted(rows, key=lambda r: str(r.extension))
    ]


def _manager(connection: Connection, tenant: str, extension: str) -> Manager | None:
    return next((m for m in _managers(connection, tenant) if m.extension == extension), None)


def _delete(connection: Connection, tenant: str, extension: str) -> None:
    connection.execute(
        delete(ma_assistants).where(
            ma_assistants.c.tenant == tenant, ma_assistants.c.manager == extension
        )
    )
    connection.execute(
        delete(ma_managers).where(
            ma_managers.c.tenant == tenant, ma_managers.c.extension == extension
        )
    )


def _write(connection: Connection, before: Manager | None, after: Manager) -> None:
    if before is not None:
        _delete(connection, after.tenant, after.extension)
    connection.execute(
        insert(ma_managers).values(
            tenant=after.tenant,
            extension=after.extension,
            filtering=after.filtering,
            mode=after.mode.value,
            numbers=list(after.numbers),
        )
    )
    if after.assistants:
        connection.execute(
            insert(ma_assistants),
            [
                {"tenant": after.tenant, "manager": after.extension, "assistant": a.extension,
                 "position": n, "opted_in": a.opted_in}
                for n, a in enumerate(after.assistants)
            ],
        )  # fmt: skip


def _json(manager: Manager | None) -> dict[str, Any] | None:
    if manager is None:
        return None
    return {
        "filtering": manager.filtering,
        "mode": manager.mode.value,
        "numbers": list(manager.numbers),
        "assistants": [a.extension for a in manager.assistants],
    }
