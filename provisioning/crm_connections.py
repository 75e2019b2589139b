"""A tenant's CRM connections as stored: settings, sealed credentials, and their health.

Provisioning knows nothing of CRM kinds: `settings` is the connection's configuration without
its secrets, `sealed` the secrets as one ciphertext (`crm_connectors.sealing` makes and opens
it; the key is in the environment, never in the database). `cti/crm_connections.py` turns rows
into connector configurations; `cti/rest/crm_connections.py` is the admin API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from provisioning.models import METADATA, TENANT_ID

MAX_ERROR_CHARS = 500

crm_connections = Table(
    "prov_crm_connections",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("health", String(16), nullable=False),
    Column("last_error", String(MAX_ERROR_CHARS), nullable=True),
    Column("last_checked_at", DateTime(timezone=True), nullable=True),
    Column("last_synced_at", DateTime(timezone=True), nullable=True),
    Column("records", JSON, nullable=True),
    PrimaryKeyConstraint("tenant", "name"),
)


class Health(StrEnum):
    UNKNOWN = "unknown"
    """Saved, not synced yet."""
    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class StoredConnection:
    tenant: str
    name: str
    kind: str
    settings: dict[str, Any]
    sealed: str
    updated_at: datetime
    updated_by: str
    health: Health
    last_error: str | None
    last_checked_at: datetime | None
    last_synced_at: datetime | None
    records: int | None
    """Records the last sync wrote to the index."""

    @classmethod
    def of(cls, row: Any) -> StoredConnection:
        return cls(
            tenant=row.tenant,
            name=row.name,
            kind=row.kind,
            settings=dict(row.settings),
            sealed=row.sealed,
            updated_at=_utc(row.updated_at),
            updated_by=row.updated_by,
            health=Health(row.health),
            last_error=row.last_error,
            last_checked_at=None if row.last_checked_at is None else _utc(row.last_checked_at),
            last_synced_at=None if row.last_synced_at is None else _utc(row.last_synced_at),
            records=row.records,
        )


def _utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CrmConnectionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(
        self,
        tenant: str,
        name: str,
        kind: str,
        settings: dict[str, Any],
        sealed: str,
        *,
        actor: str,
        now: datetime,
    ) -> tuple[StoredConnection, bool]:
        """Create or replace a connection (health starts afresh); True when it is new."""
        values = {
            "kind": kind,
            "settings": settings,
            "sealed": sealed,
            "updated_at": now,
            "updated_by": actor,
            "health": Health.UNKNOWN.value,
            "last_error": None,
            "last_checked_at": None,
        }
        key = (crm_connections.c.tenant == tenant, crm_connections.c.name == name)
        with self._engine.begin() as connection:
            changed = connection.execute(update(crm_connections).where(*key).values(**values))
            created = changed.rowcount == 0
            if created:
                connection.execute(
                    insert(crm_connections).values(tenant=tenant, name=name, **values)
                )
            row = connection.execute(select(crm_connections).where(*key)).one()
        return StoredConnection.of(row), created

    def get(self, tenant: str, name: str) -> StoredConnection | None:
        query = select(crm_connections).where(
            crm_connections.c.tenant == tenant, crm_connections.c.name == name
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else StoredConnection.of(row)

    def connections(self, tenant: str | None = None) -> list[StoredConnection]:
        """A tenant's connections; None: every tenant's (start-up registers them all)."""
        query = select(crm_connections).order_by(crm_connections.c.tenant, crm_connections.c.name)
        if tenant is not None:
            query = query.where(crm_connections.c.tenant == tenant)
        with self._engine.connect() as connection:
            return [StoredConnection.of(row) for row in connection.execute(query)]

    def delete(self, tenant: str, name: str) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(crm_connections).where(
                    crm_connections.c.tenant == tenant, crm_connections.c.name == name
                )
            )
        return result.rowcount == 1

    def reseal(self, tenant: str, name: str, sealed: str) -> None:
        """Store new credentials (a rotated refresh token) without touching anything else."""
        self._update(tenant, name, sealed=sealed)

    def record_health(
        self,
        tenant: str,
        name: str,
        *,
        at: datetime,
        error: str | None,
        synced_records: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "health": (Health.OK if error is None else Health.ERROR).value,
            "last_error": None if error is None else error[:MAX_ERROR_CHARS],
            "last_checked_at": at,
        }
        if synced_records is not None:
            values.update(last_synced_at=at, records=synced_records)
        self._update(tenant, name, **values)

    def _update(self, tenant: str, name: str, **values: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(crm_connections)
                .where(crm_connections.c.tenant == tenant, crm_connections.c.name == name)
                .values(**values)
            )
