"""The contacts directory in SQL: list/search (a user's own personal contacts and the company
directory), create, change, delete, import, and the screen pop's look-up by E.164 number.

Who may do what is decided here, not by the caller's care: every query is bound to one tenant
and to `owner = viewer OR owner IS NULL`, so another user's personal contacts and another
tenant's are never read, changed or even confirmed to exist (`NotFound`, as for a missing id).
Only the caller decides whether the viewer may write the company directory (an admin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from provisioning.contacts import (
    MAX_CONTACTS,
    Contact,
    ContactSpec,
    Scope,
    contact_numbers,
    contacts,
    validated,
)
from provisioning.errors import Conflict, NotFound

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class ContactPage:
    total: int
    items: list[Contact]


def _owner(scope: Scope, viewer: str) -> str | None:
    return viewer if scope is Scope.PERSONAL else None


def _visible(tenant: str, viewer: str | None) -> ColumnElement[bool]:
    """What `viewer` may read: the company directory and, for a user, its own contacts."""
    mine: ColumnElement[bool] = contacts.c.owner.is_(None)
    if viewer is not None:
        mine = or_(mine, contacts.c.owner == viewer)
    return and_(contacts.c.tenant == tenant, mine)


def _contact(row: Any) -> Contact:
    scope = Scope.COMPANY if row.owner is None else Scope.PERSONAL
    return Contact(row.id, scope, row.name, row.company, tuple(row.numbers), row.email, row.note,
                   row.source_id)  # fmt: skip


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contact_values(spec: ContactSpec) -> dict[str, Any]:
    """The columns of a validated contact (a sync adds where it came from)."""
    return {
        "name": spec.name,
        "company": spec.company,
        "email": spec.email,
        "note": spec.note,
        "numbers": list(spec.numbers),
        "updated_at": datetime.now(UTC),
    }


class ContactStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def search(
        self,
        tenant: str,
        viewer: str | None,
        q: str = "",
        limit: int = 50,
        offset: int = 0,
        scope: Scope | None = None,
    ) -> ContactPage:
        """`viewer`'s personal contacts and the company's, matching `q` (name, company, e-mail or
        digits of a number), by name; `viewer` None reads the company directory only; `scope`
        keeps one of the two kinds."""
        where = _visible(tenant, viewer)
        if scope is Scope.COMPANY:
            where = and_(where, contacts.c.owner.is_(None))
        elif scope is Scope.PERSONAL:
            where = and_(where, contacts.c.owner.is_not(None))
        text = q.strip()
        if text:
            pattern = _like(text)
            matches = [
                func.lower(contacts.c.name).like(pattern, escape="\\"),
                func.lower(contacts.c.company).like(pattern, escape="\\"),
                func.lower(contacts.c.email).like(pattern, escape="\\"),
            ]
            digits = "".join(ch for ch in text if ch.isdigit())
            if len(digits) >= 3:
                # `020 123` finds +3120123...: a national prefix 0 is no part of the E.164 form.
                matches.append(
                    contacts.c.id.in_(
                        select(contact_numbers.c.contact_id).where(
                            contact_numbers.c.tenant == tenant,
                            contact_numbers.c.e164.contains(digits.lstrip("0") or digits),
                        )
                    )
                )
            where = and_(where, or_(*matches))
        with self._engine.connect() as connection:
            total = connection.execute(select(func.count()).where(where)).scalar_one()
            rows = connection.execute(
                select(contacts)
                .where(where)
                .order_by(func.lower(contacts.c.name), contacts.c.id)
                .limit(min(max(limit, 1), MAX_PAGE))
                .offset(max(offset, 0))
            )
            return ContactPage(total, [_contact(r) for r in rows])

    def get(self, tenant: str, viewer: str | None, contact_id: int) -> Contact:
        with self._engine.connect() as connection:
            return _contact(self._row(connection, tenant, viewer, contact_id))

    def create(self, tenant: str, viewer: str, scope: Scope, spec: ContactSpec) -> Contact:
        return self.create_many(tenant, viewer, scope, [spec])[0]

    def create_many(
        self, tenant: str, viewer: str, scope: Scope, specs: Sequence[ContactSpec]
    ) -> list[Contact]:
        """All of `specs` in one transaction, or none (an import is never half done)."""
        owner = _owner(scope, viewer)
        checked = [validated(s) for s in specs]
        with self._engine.begin() as connection:
            same_book = and_(
                contacts.c.tenant == tenant,
                contacts.c.owner.is_(None) if owner is None else contacts.c.owner == owner,
            )
            held = connection.execute(select(func.count()).where(same_book)).scalar_one()
            if held + len(checked) > MAX_CONTACTS:
                raise Conflict("contacts", f"at most {MAX_CONTACTS} contacts per {scope} list")
            rows = [{"tenant": tenant, "owner": owner, **contact_values(s)} for s in checked]
            # One INSERT for all rows (SQLAlchemy's insertmanyvalues), ids in the rows' order.
            ids = (
                connection.execute(
                    insert(contacts).returning(contacts.c.id, sort_by_parameter_order=True), rows
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(contact_numbers),
                [
                    {"contact_id": i, "tenant": tenant, "e164": n}
                    for i, spec in zip(ids, checked, strict=True)
                    for n in spec.numbers
                ],
            )
            made = [
                Contact(i, scope, s.name, s.company, s.numbers, s.email, s.note)
                for i, s in zip(ids, checked, strict=True)
            ]
            return made

    def update(
        self, tenant: str, viewer: str | None, contact_id: int, spec: ContactSpec
    ) -> Contact:
        checked = validated(spec)
        with self._engine.begin() as connection:
            row = self._row(connection, tenant, viewer, contact_id)
            connection.execute(
                update(contacts).where(contacts.c.id == row.id).values(**contact_values(checked))
            )
            connection.execute(
                delete(contact_numbers).where(contact_numbers.c.contact_id == row.id)
            )
            self._put_numbers(connection, tenant, row.id, checked.numbers)
            scope = Scope.COMPANY if row.owner is None else Scope.PERSONAL
            return Contact(row.id, scope, checked.name, checked.company, checked.numbers,
                           checked.email, checked.note)  # fmt: skip

    def delete(self, tenant: str, viewer: str | None, contact_id: int) -> None:
        with self._engine.begin() as connection:
            row = self._row(connection, tenant, viewer, contact_id)
            connection.execute(
                delete(contact_numbers).where(contact_numbers.c.contact_id == row.id)
            )
            connection.execute(delete(contacts).where(contacts.c.id == row.id))

    def by_number(self, tenant: str, viewer: str | None, e164: str) -> list[Contact]:
        """The contacts `viewer` may see that have `e164`: personal ones first."""
        with self._engine.connect() as connection:
            # Two indexed steps rather than a join, so the plan never depends on the planner's
            # statistics: the number's few contact ids, then those rows by primary key.
            ids = (
                connection.execute(
                    select(contact_numbers.c.contact_id).where(
                        contact_numbers.c.tenant == tenant, contact_numbers.c.e164 == e164
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            rows = connection.execute(
                select(contacts)
                .where(contacts.c.id.in_(ids), _visible(tenant, viewer))
                .order_by(contacts.c.owner.is_(None), contacts.c.id)
            )
            return [_contact(r) for r in rows]

    @staticmethod
    def _row(connection: Connection, tenant: str, viewer: str | None, contact_id: int) -> Any:
        row = connection.execute(
            select(contacts).where(contacts.c.id == contact_id, _visible(tenant, viewer))
        ).one_or_none()
        if row is None:
            raise NotFound("contact", f"no contact {contact_id}")
        return row

    @staticmethod
    def _put_numbers(
        connection: Connection, tenant: str, contact_id: int, numbers: Sequence[str]
    ) -> None:
        connection.execute(
            insert(contact_numbers),
            [{"contact_id": contact_id, "tenant": tenant, "e164": n} for n in numbers],
        )
