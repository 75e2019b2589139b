"""Carrier trunks in SQL, through the provisioning transactions (audited, listeners told). The
API's view never carries the password; `carrier_trunks` (for the PBX) does."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, select

from provisioning.errors import NotFound
from provisioning.trunks import TrunkSpec, validated_trunk
from provisioning.trunks_models import trunks
from provisioning.unit import Transactions
from provisioning.user_store import tenant_row

ENTITY = "trunk"
PLATFORM = ""
"""The audit log's and listeners' tenant of a platform-wide trunk."""


@dataclass(frozen=True, slots=True)
class TrunkView:
    id: int
    name: str
    host: str
    port: int
    transport: str
    priority: int
    inbound: bool
    username: str | None
    has_password: bool
    platform: bool
    register_expires: int | None


@dataclass(frozen=True, slots=True)
class CarrierTrunk:
    """What the PBX needs to send calls to a carrier (with the secret)."""

    id: int
    name: str
    host: str
    port: int
    priority: int
    inbound: bool
    platform: bool
    username: str | None
    password: str | None
    register_expires: int | None
    transport: str = "udp"
    """`udp`, `tcp` or `tls` (docs/trunks.md, "TCP and TLS towards a carrier")."""


def _view(r: Any) -> TrunkView:
    return TrunkView(
        r.id, r.name, r.host, r.port, r.transport, r.priority, r.inbound,
        r.username, r.password is not None, r.tenant is None, r.register_expires,
    )  # fmt: skip


def _scope(tenant: str | None) -> ColumnElement[bool]:
    return trunks.c.tenant.is_(None) if tenant is None else trunks.c.tenant == tenant


class Trunks:
    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    def create(self, actor: str, tenant: str | None, spec: TrunkSpec) -> TrunkView:
        spec = validated_trunk(spec)
        with self._tx.change(actor, tenant or PLATFORM) as unit:
            if tenant is not None:
                tenant_row(unit.connection, tenant)
            new_id = unit.connection.execute(
                insert(trunks).values(tenant=tenant, **asdict(spec)).returning(trunks.c.id)
            ).scalar_one()
            made = _view(unit.connection.execute(select(trunks).where(trunks.c.id == new_id)).one())
            unit.record(ENTITY, str(made.id), "create", None, asdict(made))
        return made

    def trunks_of(self, tenant: str | None) -> list[TrunkView]:
        """A tenant's own trunks, or (None) the platform's."""
        with self._tx.engine.connect() as connection:
            if tenant is not None:
                tenant_row(connection, tenant)
            rows = connection.execute(
                select(trunks).where(_scope(tenant)).order_by(trunks.c.priority, trunks.c.id)
            )
            return [_view(r) for r in rows]

    def delete(self, actor: str, tenant: str | None, trunk_id: int) -> None:
        with self._tx.change(actor, tenant or PLATFORM) as unit:
            key = (trunks.c.id == trunk_id) & _scope(tenant)
            old = unit.connection.execute(select(trunks).where(key)).one_or_none()
            if old is None:  # another tenant's trunk reads as no trunk at all
                raise NotFound("trunk", f"no trunk {trunk_id} here")
            unit.connection.execute(delete(trunks).where(key))
            unit.record(ENTITY, str(trunk_id), "delete", asdict(_view(old)), None)

    def carrier_trunks(self, tenant: str) -> list[CarrierTrunk]:
        """The tenant's trunks, then the platform's, each by priority (blocking, SQL)."""
        with self._tx.engine.connect() as connection:
            return _carriers(connection, tenant)


def _carriers(connection: Connection, tenant: str) -> list[CarrierTrunk]:
    rows = connection.execute(
        select(trunks).where((trunks.c.tenant == tenant) | trunks.c.tenant.is_(None))
    ).all()
    ordered = sorted(rows, key=lambda r: (r.tenant is None, r.priority, r.id))
    return [_carrier_trunk(r) for r in ordered]


def _carrier_trunk(r: Any) -> CarrierTrunk:
    return CarrierTrunk(
        r.id, r.name, r.host, r.port, r.priority, r.inbound, r.tenant is None,
        r.username, r.password, r.register_expires, r.transport,
    )  # fmt: skip
