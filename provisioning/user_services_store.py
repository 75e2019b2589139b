"""`UserServicesService`: read and change users' call services (forwarding, do-not-disturb,
privacy, selective services) in SQL, one transaction per change with its audit entry (entity
`user_services`), listeners told after the commit. The rules are in `provisioning.user_services`.

A user without a row has the defaults (everything off); the row goes with the user (foreign key
with ON DELETE CASCADE). SQLite enforces no foreign keys unless asked, and may give a new user a
deleted one's id: a row counts only for the user id *and* username it was written for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)

from provisioning.errors import NotFound
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.profiles import Profile
from provisioning.schedules import ScheduleKind, holiday_calendar, weekly_schedule
from provisioning.selective import SelectiveKind, changed_selective
from provisioning.telephony_store import named_schedules
from provisioning.unit import Listener, Transactions, Unit, utc_now
from provisioning.user_services import UserServices, changed_services, services_from_json
from provisioning.user_store import user_row
from queueing.schedule import HolidayCalendar, WeeklySchedule

user_services = Table(
    "prov_user_services",
    METADATA,
    Column("user_id", Integer, ForeignKey("prov_users.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("username", String(64), nullable=False),
    Column("settings", JSON, nullable=False),
)

ENTITY = "user_services"


@dataclass(frozen=True, slots=True)
class UserServicesView:
    """One user's services and what the PBX and the phone prompts need to apply them."""

    username: str
    extension: str
    profile: Profile
    language: str
    services: UserServices


class UserServicesService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    @property
    def transactions(self) -> Transactions:
        """For the relay of changes to other processes (cti/provisioning_relay.py)."""
        return self._tx

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with each committed change (entity `user_services`, key username)."""
        self._tx.subscribe(listener)

    def get(self, tenant: str, username: str) -> UserServicesView:
        with self._tx.engine.connect() as connection:
            return _view(connection, user_row(connection, tenant, username))

    def by_extension(self, tenant: str, extension: str) -> UserServicesView:
        with self._tx.engine.connect() as connection:
            row = connection.execute(
                select(users).where(users.c.tenant == tenant, users.c.extension == extension)
            ).one_or_none()
            if row is None:
                raise NotFound("extension", f"no user with extension {extension} in {tenant!r}")
            return _view(connection, row)

    def language(self, tenant: str, extension: str) -> str:
        """The user's language, "" for no such user (what a phone code says is spoken in it)."""
        try:
            return self.by_extension(tenant, extension).language
        except NotFound:
            return ""

    def all(self, tenant: str) -> list[UserServicesView]:
        """Every user of `tenant` (for the PBX at start-up)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(select(users).where(users.c.tenant == tenant)).all()
            stored = _stored(connection, rows)
            return [_view_of(r, stored.get(r.id)) for r in rows]

    def schedules(self, tenant: str) -> TenantSchedules:
        """The tenant's weekly schedules and holiday calendars by name (selective services'
        rules name them)."""
        with self._tx.engine.connect() as connection:
            weekly = named_schedules(connection, tenant, ScheduleKind.WEEKLY)
            calendars = named_schedules(connection, tenant, ScheduleKind.HOLIDAYS)
        return TenantSchedules(
            {name: weekly_schedule(data) for name, data in weekly.items()},
            {name: holiday_calendar(data) for name, data in calendars.items()},
        )

    def change(
        self, actor: str, tenant: str, username: str, patch: Mapping[str, Any]
    ) -> UserServicesView:
        """Merge `patch` into the user's services (Invalid names the field and the reason)."""
        with self._tx.change(actor, tenant) as unit:
            row = user_row(unit.connection, tenant, username)
            before = _view(unit.connection, row)
            made = changed_services(before.services, patch, Profile(row.profile), row.extension)
            _store(unit, row, before.services, made)
        return _view_of(row, made.as_json())

    def change_selective(
        self, actor: str, tenant: str, username: str, kind: SelectiveKind, data: object
    ) -> UserServicesView:
        """Replace one selective service's settings (Invalid names the field and the reason)."""
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            row = user_row(connection, tenant, username)
            before = _view(connection, row)
            selective = changed_selective(
                before.services.selective,
                kind,
                data,
                profile=Profile(row.profile),
                own_extension=row.extension,
                schedules=named_schedules(connection, tenant, ScheduleKind.WEEKLY),
                calendars=named_schedules(connection, tenant, ScheduleKind.HOLIDAYS),
            )
            made = replace(before.services, selective=selective)
            _store(unit, row, before.services, made)
        return _view_of(row, made.as_json())


@dataclass(frozen=True, slots=True)
class TenantSchedules:
    weekly: Mapping[str, WeeklySchedule]
    holidays: Mapping[str, HolidayCalendar]


def _store(unit: Unit, row: Any, before: UserServices, made: UserServices) -> None:
    """Write the user's settings, with the audit entry of the change."""
    values = {"tenant": row.tenant, "username": row.username, "settings": made.as_json()}
    exists = unit.connection.execute(
        update(user_services).where(user_services.c.user_id == row.id).values(**values)
    ).rowcount
    if not exists:
        unit.connection.execute(insert(user_services).values(user_id=row.id, **values))
    unit.record(ENTITY, row.username, "update", before.as_json(), made.as_json())


def _stored(connection: Connection, user_rows: Sequence[Any]) -> dict[int, Any]:
    """User id -> stored settings, for rows written for that very user (see above)."""
    names = {r.id: r.username for r in user_rows}
    query = select(user_services).where(user_services.c.user_id.in_(names))
    return {
        r.user_id: r.settings for r in connection.execute(query) if names[r.user_id] == r.username
    }


def _view(connection: Connection, row: Any) -> UserServicesView:
    return _view_of(row, _stored(connection, [row]).get(row.id))


def _view_of(row: Any, settings: Any) -> UserServicesView:
    services = services_from_json(settings) if settings is not None else UserServices()
    return UserServicesView(
        row.username, row.extension, Profile(row.profile), row.language, services
    )
