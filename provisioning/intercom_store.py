"""`IntercomService`: each user's own intercom (PushToTalk) choice in SQL (table
`prov_intercom`; docs/phone-features.md, "Intercom"): accept intercom calls or not, and
optionally only from listed colleagues; and whether colleagues may barge in on the user's calls
(`barge_in_exempt`). A user without a row accepts from everyone. Each change
is one transaction with its audit entry (entity `intercom`, key the extension), listeners told
after the commit (the PBX reloads the tenant's choices). Every look-up is by tenant: a listed
colleague must be a user of the same tenant (404 otherwise, another tenant's as an unknown)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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

from provisioning.errors import Invalid, NotFound
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.unit import Listener, Transactions, utc_now

ENTITY = "intercom"
MAX_ALLOWED = 100

intercom_settings = Table(
    "prov_intercom",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("extension", String(8), primary_key=True),
    Column("accept", Boolean, nullable=False),
    Column("allowed", JSON, nullable=False),
    Column("barge_in_exempt", Boolean, nullable=False),
)


@dataclass(frozen=True, slots=True)
class IntercomChoice:
    extension: str
    accept: bool = True
    allowed: tuple[str, ...] = ()
    """Not empty: only these colleagues' intercom calls are accepted."""
    barge_in_exempt: bool = False


class IntercomService:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = utc_now) -> None:
        self._tx = Transactions(engine, now)

    def subscribe(self, listener: Listener) -> None:
        self._tx.subscribe(listener)

    def choices(self, tenant: str) -> list[IntercomChoice]:
        """The tenant's users who changed the default (accept from everyone)."""
        with self._tx.engine.connect() as connection:
            rows = connection.execute(
                select(intercom_settings).where(intercom_settings.c.tenant == tenant)
            )
            return [_of(r) for r in rows]

    def choice(self, tenant: str, extension: str) -> IntercomChoice:
        with self._tx.engine.connect() as connection:
            if extension not in _extensions(connection, tenant):
                raise NotFound("extension", f"no user with extension {extension}")
            return _choice(connection, tenant, extension)

    def set(
        self,
        actor: str,
        tenant: str,
        extension: str,
        accept: bool,
        allowed: Sequence[str],
        barge_in_exempt: bool = False,
    ) -> IntercomChoice:
        if len(set(allowed)) != len(allowed):
            raise Invalid("allowed", "an extension is listed twice")
        if len(allowed) > MAX_ALLOWED:
            raise Invalid("allowed", f"at most {MAX_ALLOWED} extensions")
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            known = _extensions(connection, tenant)
            if extension not in known:
                raise NotFound("extension", f"no user with extension {extension}")
            for colleague in allowed:
                if colleague not in known:
                    raise NotFound("allowed", f"no user with extension {colleague}")
            before = _choice(connection, tenant, extension)
            after = IntercomChoice(extension, accept, tuple(allowed), barge_in_exempt)
            connection.execute(
                delete(intercom_settings).where(
                    intercom_settings.c.tenant == tenant,
                    intercom_settings.c.extension == extension,
                )
            )
            connection.execute(
                insert(intercom_settings).values(
                    tenant=tenant,
                    extension=extension,
                    accept=accept,
                    allowed=list(allowed),
                    barge_in_exempt=barge_in_exempt,
                )
            )
            unit.record(ENTITY, extension, "update", _json(before), _json(after))
        return after


def _extensions(connection: Connection, tenant: str) -> set[str]:
    query = select(users.c.extension).where(users.c.tenant == tenant)
    return {str(e) for e in connection.execute(query).scalars()}


def _choice(connection: Connection, tenant: str, extension: str) -> IntercomChoice:
    row = connection.execute(
        select(intercom_settings).where(
            intercom_settings.c.tenant == tenant, intercom_settings.c.extension == extension
        )
    ).first()
    return IntercomChoice(extension) if row is None else _of(row)


def _of(row: Any) -> IntercomChoice:
    return IntercomChoice(
        str(row.extension), bool(row.accept), tuple(row.allowed), bool(row.barge_in_exempt)
    )


def _json(choice: IntercomChoice) -> dict[str, Any]:
    return {
        "accept": choice.accept,
        "allowed": list(choice.allowed),
        "barge_in_exempt": choice.barge_in_exempt,
    }
