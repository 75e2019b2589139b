"""`AlternateNumbersService`: read and replace users' alternate numbers in SQL, one transaction
per change with its audit entry (entity `alternate_numbers`, key the username), listeners told
after the commit. The rules and the table are in `provisioning.alternate_numbers`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from provisioning.alternate_numbers import (
    alternate_numbers,
    check_alternates,
    parsed_alternates,
)
from provisioning.models import number_blocks, numbers, users
from provisioning.numbers import NumberBlock
from provisioning.profiles import Profile
from provisioning.unit import Listener, Transactions, utc_now
from provisioning.user_store import taken_numbers, user_row

ENTITY = "alternate_numbers"


@dataclass(frozen=True, slots=True)
class AlternatesView:
    username: str
    extension: str
    profile: Profile
    numbers: list[str]
    """In the user's order: the first rings with the first distinctive ring, and so on."""


class AlternateNumbersService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with each committed change (entity `alternate_numbers`)."""
        self._tx.subscribe(listener)

    def get(self, tenant: str, username: str) -> AlternatesView:
        with self._tx.engine.connect() as connection:
            return _view(connection, user_row(connection, tenant, username))

    def all(self, tenant: str) -> list[AlternatesView]:
        """Every user of `tenant` with alternates (for the PBX)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(select(users).where(users.c.tenant == tenant)).all()
            lists = _lists(connection, tenant)
            return [
                AlternatesView(r.username, r.extension, Profile(r.profile), lists[r.id])
                for r in rows
                if lists.get(r.id)
            ]

    def replace(self, actor: str, tenant: str, username: str, data: Any) -> AlternatesView:
        """The user's alternates become `data` (a list; Invalid names the place and reason)."""
        made = parsed_alternates(data)
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            row = user_row(connection, tenant, username)
            before = _view(connection, row).numbers
            others = {
                r.number: r.username
                for r in connection.execute(
                    select(alternate_numbers).where(
                        alternate_numbers.c.tenant == tenant, alternate_numbers.c.user_id != row.id
                    )
                )
            }
            routed = select(numbers.c.number).where(numbers.c.tenant == tenant)
            blocks = connection.execute(
                select(number_blocks.c.first, number_blocks.c.size).where(
                    number_blocks.c.tenant == tenant
                )
            )
            check_alternates(
                made,
                profile=Profile(row.profile),
                own_extension=row.extension,
                taken=taken_numbers(connection, tenant) | set(connection.execute(routed).scalars()),
                blocks=[NumberBlock(b.first, b.size) for b in blocks],
                others=others,
            )
            connection.execute(
                delete(alternate_numbers).where(alternate_numbers.c.user_id == row.id)
            )
            if made:
                connection.execute(
                    insert(alternate_numbers),
                    [
                        {"tenant": tenant, "number": number, "user_id": row.id,
                         "username": username, "position": place}
                        for place, number in enumerate(made, start=1)
                    ],
                )  # fmt: skip
            unit.record(ENTITY, username, "update", {"numbers": before}, {"numbers": made})
        return AlternatesView(username, row.extension, Profile(row.profile), made)


def _lists(connection: Connection, tenant: str, user_id: int | None = None) -> dict[int, list[str]]:
    """User id -> alternates in order (rows written for that very user: see user_services)."""
    query = (
        select(alternate_numbers, users.c.username.label("owner"))
        .join(users, users.c.id == alternate_numbers.c.user_id)
        .where(alternate_numbers.c.tenant == tenant)
        .order_by(alternate_numbers.c.position)
    )
    if user_id is not None:
        query = query.where(alternate_numbers.c.user_id == user_id)
    lists: dict[int, list[str]] = {}
    for r in connection.execute(query):
        if r.owner == r.username:
            lists.setdefault(r.user_id, []).append(r.number)
    return lists


def _view(connection: Connection, row: Any) -> AlternatesView:
    found = _lists(connection, row.tenant, row.id).get(row.id, [])
    return AlternatesView(row.username, row.extension, Profile(row.profile), found)
