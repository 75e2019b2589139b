"""A user's custom ringback (CustomRingbackUser, seed ch. 7): one of the tenant's uploaded
announcements that callers hear instead of ringing while the user's phone rings. Its table and
`CustomRingbackService` (one transaction per change with its audit entry, entity
`custom_ringback`, listeners told after the commit).

Choosing one needs the feature in the profile and an announcement of the tenant; switching it off
(null) is always allowed. An announcement deleted later is simply not played (callers hear
ringing as ever): the announcements' own `used_by` does not list users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, ForeignKey, Integer, String, Table, insert, select, update

from provisioning.announcement_store import announcements
from provisioning.announcements import NAME_PATTERN
from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.profiles import FEATURES, Profile
from provisioning.unit import Listener, Transactions, utc_now
from provisioning.user_store import user_row

FEATURE = "CustomRingbackUser"
ENTITY = "custom_ringback"

custom_ringbacks = Table(
    "prov_custom_ringbacks",
    METADATA,
    Column("user_id", Integer, ForeignKey("prov_users.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("username", String(64), nullable=False),
    Column("announcement", String(64), nullable=True),
)


@dataclass(frozen=True, slots=True)
class RingbackView:
    username: str
    extension: str
    profile: Profile
    announcement: str | None


class CustomRingbackService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        self._tx.subscribe(listener)

    def get(self, tenant: str, username: str) -> RingbackView:
        with self._tx.engine.connect() as connection:
            row = user_row(connection, tenant, username)
            return RingbackView(row.username, row.extension, Profile(row.profile),
                                _chosen(connection, [row]).get(row.id))  # fmt: skip

    def all(self, tenant: str) -> list[RingbackView]:
        """Every user of `tenant` with a ringback chosen (for the PBX)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(select(users).where(users.c.tenant == tenant)).all()
            chosen = _chosen(connection, rows)
            return [
                RingbackView(r.username, r.extension, Profile(r.profile), chosen[r.id])
                for r in rows
                if chosen.get(r.id)
            ]

    def choose(self, actor: str, tenant: str, username: str, announcement: Any) -> RingbackView:
        """`announcement` (a name of the tenant's announcements) or None (ringing as ever)."""
        if announcement is not None and not (
            isinstance(announcement, str) and NAME_PATTERN.fullmatch(announcement)
        ):
            raise Invalid("announcement", "null, or the name of one of the tenant's announcements")
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            row = user_row(connection, tenant, username)
            before = _chosen(connection, [row]).get(row.id)
            if announcement is not None and announcement != before:
                if FEATURE not in FEATURES[Profile(row.profile)]:
                    raise Invalid("announcement", f"the {row.profile} profile does not include "
                                  f"{FEATURE}")  # fmt: skip
                known = connection.execute(
                    select(announcements.c.id).where(
                        announcements.c.tenant == tenant, announcements.c.name == announcement
                    )
                ).first()
                if known is None:
                    raise Invalid("announcement", f"no announcement {announcement!r} in {tenant!r}")
            values = {"tenant": tenant, "username": username, "announcement": announcement}
            query = update(custom_ringbacks).where(custom_ringbacks.c.user_id == row.id)
            if not connection.execute(query.values(**values)).rowcount:
                connection.execute(insert(custom_ringbacks).values(user_id=row.id, **values))
            unit.record(ENTITY, username, "update", {"announcement": before},
                        {"announcement": announcement})  # fmt: skip
        return RingbackView(username, row.extension, Profile(row.profile), announcement)


def _chosen(connection: Any, user_rows: Any) -> dict[int, str | None]:
    """User id -> the chosen announcement, for rows written for that very user."""
    names = {r.id: r.username for r in user_rows}
    query = select(custom_ringbacks).where(custom_ringbacks.c.user_id.in_(names))
    return {
        r.user_id: r.announcement
        for r in connection.execute(query)
        if names[r.user_id] == r.username
    }
