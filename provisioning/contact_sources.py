"""Address books the product syncs contacts from (CardDAV, Microsoft Graph): the stored source
(settings, sealed credentials, the last sync's outcome) and the writes a sync makes.

A source belongs to one book, as its contacts do: a user's personal contacts (`owner` = the
username) or the company directory (`owner` NULL). Its contacts carry `source_id`, the item's id
at the source and its version (provisioning/contacts.py), so a sync changes and deletes only what
it brought in; contacts typed or uploaded by hand are never touched. Every read is bound to the
tenant; who may see or change a source is the caller's rule (cti/rest/contact_sources.py).
Provisioning knows no vendor: `settings` and `sealed` are opaque here (crm_connectors.contact_sync
makes and reads them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from provisioning.contacts import (
    MAX_CONTACTS,
    MAX_NAME,
    OWNER_CHARS,
    SOURCE_ETAG_CHARS,
    ContactSpec,
    contact_numbers,
    contacts,
    validated,
)
from provisioning.contacts_store import contact_values
from provisioning.crm_connections import MAX_ERROR_CHARS, Health
from provisioning.errors import Conflict
from provisioning.models import METADATA, TENANT_ID

MAX_SOURCES = 5
"""Per book (a user's, the company's): each is synced on a schedule."""

contact_sources = Table(
    "prov_contact_sources",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("owner", String(OWNER_CHARS), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(MAX_NAME), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("created_by", String(OWNER_CHARS), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("health", String(16), nullable=False),
    Column("last_error", String(MAX_ERROR_CHARS), nullable=True),
    Column("last_checked_at", DateTime(timezone=True), nullable=True),
    Column("last_synced_at", DateTime(timezone=True), nullable=True),
    Column("records", Integer, nullable=True),
    Column("skipped", Integer, nullable=True),
    Index("ix_prov_contact_sources_tenant_owner", "tenant", "owner"),
)


class SourceKind(StrEnum):
    CARDDAV = "carddav"
    GRAPH = "graph"


@dataclass(frozen=True, slots=True)
class StoredSource:
    id: int
    tenant: str
    owner: str | None
    kind: SourceKind
    name: str
    settings: dict[str, Any]
    sealed: str
    created_by: str
    created_at: datetime
    health: Health
    last_error: str | None
    last_checked_at: datetime | None
    last_synced_at: datetime | None
    records: int | None
    """Contacts the last successful sync left in the book."""
    skipped: int | None
    """Items of the last sync that were not stored (no phone number, a bad card)."""

    @classmethod
    def of(cls, row: Any) -> StoredSource:
        return cls(
            id=row.id,
            tenant=row.tenant,
            owner=row.owner,
            kind=SourceKind(row.kind),
            name=row.name,
            settings=dict(row.settings),
            sealed=row.sealed,
            created_by=row.created_by,
            created_at=_utc(row.created_at),
            health=Health(row.health),
            last_error=row.last_error,
            last_checked_at=_utc(row.last_checked_at),
            last_synced_at=_utc(row.last_synced_at),
            records=row.records,
            skipped=row.skipped,
        )


def _utc(moment: Any) -> Any:
    # SQLite hands timezone-aware columns back naive; everything stored is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SyncedItem:
    """One contact as the source has it now: its id there, its version, the contact."""

    uid: str
    etag: str
    spec: ContactSpec


class ContactSourceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        tenant: str,
        owner: str | None,
        kind: SourceKind,
        name: str,
        settings: Mapping[str, Any],
        sealed: str,
        *,
        actor: str,
        now: datetime,
    ) -> StoredSource:
        book = and_(contact_sources.c.tenant == tenant, _owned_by(contact_sources.c.owner, owner))
        with self._engine.begin() as connection:
            held = connection.execute(select(func.count()).where(book)).scalar_one()
            if held >= MAX_SOURCES:
                raise Conflict("sources", f"at most {MAX_SOURCES} sources per address book")
            source_id = connection.execute(
                insert(contact_sources).values(
                    tenant=tenant,
                    owner=owner,
                    kind=kind.value,
                    name=name,
                    settings=dict(settings),
                    sealed=sealed,
                    created_by=actor,
                    created_at=now,
                    health=Health.UNKNOWN.value,
                )
            ).inserted_primary_key
            assert source_id is not None
            row = connection.execute(
                select(contact_sources).where(contact_sources.c.id == source_id[0])
            ).one()
        return StoredSource.of(row)

    def get(self, tenant: str, source_id: int) -> StoredSource | None:
        query = select(contact_sources).where(
            contact_sources.c.id == source_id, contact_sources.c.tenant == tenant
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else StoredSource.of(row)

    def sources(self, tenant: str | None = None) -> list[StoredSource]:
        """A tenant's sources; None: every tenant's (start-up schedules them all)."""
        query = select(contact_sources).order_by(contact_sources.c.id)
        if tenant is not None:
            query = query.where(contact_sources.c.tenant == tenant)
        with self._engine.connect() as connection:
            return [StoredSource.of(row) for row in connection.execute(query)]

    def delete(self, tenant: str, source_id: int) -> bool:
        """The source and every contact it brought in."""
        with self._engine.begin() as connection:
            found = connection.execute(
                select(contact_sources.c.id).where(
                    contact_sources.c.id == source_id, contact_sources.c.tenant == tenant
                )
            ).one_or_none()
            if found is None:
                return False
            synced = select(contacts.c.id).where(contacts.c.source_id == source_id)
            connection.execute(
                delete(contact_numbers).where(contact_numbers.c.contact_id.in_(synced))
            )
            connection.execute(delete(contacts).where(contacts.c.source_id == source_id))
            connection.execute(delete(contact_sources).where(contact_sources.c.id == source_id))
        return True

    def reseal(self, source_id: int, sealed: str) -> None:
        """New credentials (a rotated refresh token), nothing else."""
        self._update(source_id, sealed=sealed)

    def record_outcome(
        self,
        source_id: int,
        *,
        at: datetime,
        error: str | None,
        records: int | None = None,
        skipped: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "health": (Health.OK if error is None else Health.ERROR).value,
            "last_error": None if error is None else error[:MAX_ERROR_CHARS],
            "last_checked_at": at,
        }
        if records is not None:
            values.update(last_synced_at=at, records=records, skipped=skipped)
        self._update(source_id, **values)

    def versions(self, source_id: int) -> dict[str, str]:
        """{item id at the source: its version} of the contacts the source brought in."""
        query = select(contacts.c.source_uid, contacts.c.source_etag).where(
            contacts.c.source_id == source_id
        )
        with self._engine.connect() as connection:
            return {row.source_uid: row.source_etag or "" for row in connection.execute(query)}

    def apply(
        self,
        source: StoredSource,
        changed: Sequence[SyncedItem],
        gone: Sequence[str],
    ) -> int:
        """Insert or replace `changed`, delete `gone` (ids at the source), in one transaction;
        returns how many contacts the source now holds. Refused (`Conflict`) when the book
        would pass `MAX_CONTACTS`."""
        checked = [(item, validated(item.spec)) for item in changed]
        mine = contacts.c.source_id == source.id
        with self._engine.begin() as connection:
            existing: dict[str, int] = {
                row.source_uid: row.id
                for row in connection.execute(
                    select(contacts.c.source_uid, contacts.c.id).where(mine)
                )
            }
            removed = [existing[uid] for uid in gone if uid in existing]
            added = sum(1 for item, _ in checked if item.uid not in existing)
            book = and_(
                contacts.c.tenant == source.tenant, _owned_by(contacts.c.owner, source.owner)
            )
            held = connection.execute(select(func.count()).where(book)).scalar_one()
            if held - len(removed) + added > MAX_CONTACTS:
                raise Conflict("contacts", f"at most {MAX_CONTACTS} contacts per address book")
            if removed:
                _delete_contacts(connection, removed)
            for item, spec in checked:
                values = {**contact_values(spec), "source_etag": item.etag[:SOURCE_ETAG_CHARS]}
                contact_id = existing.get(item.uid)
                if contact_id is None:
                    contact_id = connection.execute(
                        insert(contacts)
                        .values(
                            tenant=source.tenant,
                            owner=source.owner,
                            source_id=source.id,
                            source_uid=item.uid,
                            **values,
                        )
                        .returning(contacts.c.id)
                    ).scalar_one()
                else:
                    connection.execute(
                        update(contacts).where(contacts.c.id == contact_id).values(**values)
                    )
                    connection.execute(
                        delete(contact_numbers).where(contact_numbers.c.contact_id == contact_id)
                    )
                connection.execute(
                    insert(contact_numbers),
                    [{"contact_id": contact_id, "tenant": source.tenant, "e164": n}
                     for n in spec.numbers],
                )  # fmt: skip
            return int(connection.execute(select(func.count()).where(mine)).scalar_one())

    def _update(self, source_id: int, **values: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(contact_sources).where(contact_sources.c.id == source_id).values(**values)
            )


def _owned_by(column: Any, owner: str | None) -> Any:
    return column.is_(None) if owner is None else column == owner


def _delete_contacts(connection: Connection, ids: Sequence[int]) -> None:
    connection.execute(delete(contact_numbers).where(contact_numbers.c.contact_id.in_(ids)))
    connection.execute(delete(contacts).where(contacts.c.id.in_(ids)))
