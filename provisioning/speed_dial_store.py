"""`SpeedDialService`: read and change users' speed dial lists in SQL, one transaction per change
with its audit entry (entity `speed_dial`, key the username), listeners told after the commit.
The rules are in `provisioning.speed_dial`.

A user without a row has an empty list; the row goes with the user (foreign key with ON DELETE
CASCADE) and, as `prov_user_services`, counts only for the user id *and* username it was written
for (SQLite may give a new user a deleted one's id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from provisioning.speed_dial import SpeedDials, changed_speed_dials, speed_dials_from_json
from provisioning.unit import Listener, Transactions, utc_now
from provisioning.user_store import user_row

speed_dials = Table(
    "prov_speed_dials",
    METADATA,
    Column("user_id", Integer, ForeignKey("prov_users.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("username", String(64), nullable=False),
    Column("entries", JSON, nullable=False),
)

ENTITY = "speed_dial"


@dataclass(frozen=True, slots=True)
class SpeedDialView:
    username: str
    extension: str
    profile: Profile
    language: str
    entries: SpeedDials


class SpeedDialService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with each committed change (entity `speed_dial`, key username)."""
        self._tx.subscribe(listener)

    def get(self, tenant: str, username: str) -> SpeedDialView:
        with self._tx.engine.connect() as connection:
            row = user_row(connection, tenant, username)
            return _view_of(row, _stored(connection, [row]).get(row.id))

    def username_of(self, tenant: str, extension: str) -> str:
        with self._tx.engine.connect() as connection:
            found = connection.execute(
                select(users.c.username).where(
                    users.c.tenant == tenant, users.c.extension == extension
                )
            ).scalar_one_or_none()
        if found is None:
            raise NotFound("extension", f"no user with extension {extension} in {tenant!r}")
        return str(found)

    def all(self, tenant: str) -> list[SpeedDialView]:
        """Every user of `tenant` (for the PBX at start-up)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(select(users).where(users.c.tenant == tenant)).all()
            stored = _stored(connection, rows)
            return [_view_of(r, stored.get(r.id)) for r in rows]

    def change(self, actor: str, tenant: str, username: str, patch: Any) -> SpeedDialView:
        """Merge `patch` (slot -> number or null) into the user's list (Invalid names the slot
        and the reason)."""
        with self._tx.change(actor, tenant) as unit:
            row = user_row(unit.connection, tenant, username)
            before = _view_of(row, _stored(unit.connection, [row]).get(row.id)).entries
            made = changed_speed_dials(before, patch, Profile(row.profile), row.extension)
            values = {"tenant": tenant, "username": username, "entries": made}
            exists = unit.connection.execute(
                update(speed_dials).where(speed_dials.c.user_id == row.id).values(**values)
            ).rowcount
            if not exists:
                unit.connection.execute(insert(speed_dials).values(user_id=row.id, **values))
            unit.record(ENTITY, username, "update", dict(before), dict(made))
        return _view_of(row, made)


def _stored(connection: Connection, user_rows: Sequence[Any]) -> dict[int, Any]:
    names = {r.id: r.username for r in user_rows}
    query = select(speed_dials).where(speed_dials.c.user_id.in_(names))
    return {
        r.user_id: r.entries for r in connection.execute(query) if names[r.user_id] == r.username
    }


def _view_of(row: Any, entries: Any) -> SpeedDialView:
    made = speed_dials_from_json(entries) if entries is not None else {}
    return SpeedDialView(row.username, row.extension, Profile(row.profile), row.language, made)
