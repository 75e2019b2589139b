"""The local per-tenant index: E.164 -> CRM records, in SQL, so screen-pops never wait on a cloud.

Tables live in this module's own `metadata` (the project's other packages keep theirs); the
Alembic migrations in `index_migrations/` build them, with their own version table, and
`create_schema()` brings a database up to date. Written by sync jobs, read by `ScreenPopService`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from common.database_url import engine_url
from common.migrations import MigratedSchema, upgrade
from crm_connectors.records import CrmRecord

metadata = sa.MetaData()

records_table = sa.Table(
    "crm_index_record",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("company", sa.String(255)),
    sa.Column("url", sa.Text),
    sa.Column("kind", sa.String(64)),
    sa.Column("phones", sa.Text, nullable=False),  # JSON list of E.164 strings
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
)

#: One row per (number, record); the primary key's prefix (tenant, e164) serves the lookup.
phones_table = sa.Table(
    "crm_index_phone",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("e164", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.String(255), primary_key=True),
)

sync_state_table = sa.Table(
    "crm_sync_state",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("last_full_at", sa.DateTime(timezone=True)),
    sa.Column("last_delta_at", sa.DateTime(timezone=True)),
    sa.Column("record_count", sa.Integer, nullable=False, default=0),
)

SCHEMA = MigratedSchema(
    name="crm index",
    metadata=metadata,
    migrations=Path(__file__).parent / "index_migrations",
    version_table="crm_index_alembic_version",
    # Before Alembic, `create_schema()` was `metadata.create_all`: those tables are revision 0001.
    adopt_at="0001",
)

_BATCH = 500


@dataclass(frozen=True, slots=True)
class SyncState:
    last_full_at: datetime | None
    last_delta_at: datetime | None
    record_count: int


def _chunks(items: Iterable[CrmRecord], size: int = _BATCH) -> Iterable[list[CrmRecord]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns; we only ever store UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def engine_for(url: str) -> sa.Engine:
    """An engine suited to the index: in-memory SQLite shares one connection across threads."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        return sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    return sa.create_engine(engine_url(url), pool_pre_ping=True, hide_parameters=True)


class CrmIndex:
    """Synchronous by design: lookups are one indexed SELECT; async callers use a thread."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lookup_sql = (
            sa.select(
                records_table.c.source,
                records_table.c.record_id,
                records_table.c.name,
                records_table.c.company,
                records_table.c.url,
                records_table.c.kind,
                records_table.c.phones,
            )
            .join(
                phones_table,
                sa.and_(
                    phones_table.c.tenant == records_table.c.tenant,
                    phones_table.c.source == records_table.c.source,
                    phones_table.c.record_id == records_table.c.record_id,
                ),
            )
            .where(
                phones_table.c.tenant == sa.bindparam("tenant"),
                phones_table.c.e164 == sa.bindparam("e164"),
            )
            .order_by(records_table.c.source, records_table.c.name, records_table.c.record_id)
        )

    @classmethod
    def from_url(cls, url: str) -> CrmIndex:
        return cls(engine_for(url))

    def create_schema(self) -> None:
        """Migrate the index's tables to the newest revision (idempotent; run at start-up)."""
        upgrade(SCHEMA, self.engine)

    def lookup(self, tenant: str, e164: str) -> list[CrmRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._lookup_sql, {"tenant": tenant, "e164": e164}).all()
        return [
            CrmRecord(
                id=row.record_id,
                name=row.name,
                source=row.source,
                company=row.company,
                phones=tuple(json.loads(row.phones)),
                url=row.url,
                kind=row.kind,
            )
            for row in rows
        ]

    def upsert(
        self, tenant: str, records: Iterable[CrmRecord], *, now: datetime | None = None
    ) -> int:
        """Insert or replace the given records (delta sync). Returns how many were written."""
        stamp = now or datetime.now(UTC)
        written = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(records):
                self._delete(conn, tenant, chunk)
                self._insert(conn, tenant, chunk, stamp)
                written += len(chunk)
        return written

    def replace_source(
        self,
        tenant: str,
        source: str,
        records: Iterable[CrmRecord],
        *,
        now: datetime | None = None,
    ) -> int:
        """Make `source`'s records exactly `records` (full sync), in one transaction.

        Readers see the old set or the new one, never a half-filled index.
        """
        stamp = now or datetime.now(UTC)
        written = 0
        with self.engine.begin() as conn:
            for table in (phones_table, records_table):
                conn.execute(
                    sa.delete(table).where(table.c.tenant == tenant, table.c.source == source)
                )
            latest = {r.id: r for r in records if r.source == source}
            for chunk in _chunks(latest.values()):
                self._insert(conn, tenant, chunk, stamp)
                written += len(chunk)
        return written

    def delete_tenant(self, tenant: str) -> None:
        with self.engine.begin() as conn:
            for table in (phones_table, records_table, sync_state_table):
                conn.execute(sa.delete(table).where(table.c.tenant == tenant))

    def count(self, tenant: str, source: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(records_table)
        query = query.where(records_table.c.tenant == tenant)
        if source is not None:
            query = query.where(records_table.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def sync_state(self, tenant: str, source: str) -> SyncState | None:
        t = sync_state_table
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.c.last_full_at, t.c.last_delta_at, t.c.record_count).where(
                    t.c.tenant == tenant, t.c.source == source
                )
            ).first()
        if row is None:
            return None
        return SyncState(_aware(row.last_full_at), _aware(row.last_delta_at), row.record_count)

    def set_sync_state(
        self,
        tenant: str,
        source: str,
        *,
        full_at: datetime | None = None,
        delta_at: datetime | None = None,
    ) -> None:
        t = sync_state_table
        with self.engine.begin() as conn:
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(records_table)
                .where(records_table.c.tenant == tenant, records_table.c.source == source)
            ).scalar_one()
            values: dict[str, object] = {"record_count": int(count)}
            if full_at is not None:
                values |= {"last_full_at": full_at, "last_delta_at": full_at}
            if delta_at is not None:
                values["last_delta_at"] = delta_at
            updated = conn.execute(
                sa.update(t).where(t.c.tenant == tenant, t.c.source == source).values(**values)
            ).rowcount
            if not updated:
                conn.execute(sa.insert(t).values(tenant=tenant, source=source, **values))

    def _delete(self, conn: sa.Connection, tenant: str, chunk: Sequence[CrmRecord]) -> None:
        for source in {r.source for r in chunk}:
            ids = [r.id for r in chunk if r.source == source]
            for table in (phones_table, records_table):
                conn.execute(
                    sa.delete(table).where(
                        table.c.tenant == tenant,
                        table.c.source == source,
                        table.c.record_id.in_(ids),
                    )
                )

    def _insert(
        self, conn: sa.Connection, tenant: str, chunk: Sequence[CrmRecord], stamp: datetime
    ) -> None:
        chunk = _unique(chunk)
        if not chunk:
            return
        conn.execute(
            sa.insert(records_table),
            [
                {
                    "tenant": tenant,
                    "source": r.source,
                    "record_id": r.id,
                    "name": r.name[:255],
                    "company": r.company[:255] if r.company else None,
                    "url": r.url,
                    "kind": r.kind,
                    "phones": json.dumps(list(r.phones)),
                    "synced_at": stamp,
                }
                for r in chunk
            ],
        )
        phone_rows = [
            {"tenant": tenant, "e164": phone, "source": r.source, "record_id": r.id}
            for r in chunk
            for phone in r.phones
        ]
        if phone_rows:
            conn.execute(sa.insert(phones_table), phone_rows)


def _unique(chunk: Sequence[CrmRecord]) -> list[CrmRecord]:
    """Last one wins when a source repeats a record (paging over changing data does that)."""
    by_key = {(r.source, r.id): r for r in chunk}
    return list(by_key.values())
