"""Voicemail messages of a tenant's users: one row per message, the audio as a file beside it
(docs/voicemail.md). Every read and change names the tenant and the extension, so one user's
messages are never reachable through another's (ids are random, and checked against both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from provisioning.models import METADATA, TENANT_ID, users

voicemail_messages = Table(
    "prov_voicemail_messages",
    METADATA,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("extension", String(8), nullable=False),
    Column("caller", String(64), nullable=False),
    Column("caller_name", String(128), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("read", Boolean, nullable=False),
    # Relative to the voicemail folder: `boxes/<tenant>/<extension>/<id>.wav`.
    Column("audio_file", String(300), nullable=False),
    Index("ix_prov_voicemail_messages_box", "tenant", "extension", "received_at"),
)


@dataclass(frozen=True, slots=True)
class VoicemailMessage:
    id: str
    tenant: str
    extension: str
    caller: str
    caller_name: str
    received_at: datetime
    duration_ms: int
    read: bool
    audio_file: str


@dataclass(frozen=True, slots=True)
class MessageCounts:
    new: int
    old: int


class VoicemailMessages:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, message: VoicemailMessage) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(voicemail_messages).values(
                    id=message.id,
                    tenant=message.tenant,
                    extension=message.extension,
                    caller=message.caller[:64],
                    caller_name=message.caller_name[:128],
                    received_at=message.received_at,
                    duration_ms=message.duration_ms,
                    read=message.read,
                    audio_file=message.audio_file,
                )
            )

    def of_box(self, tenant: str, extension: str) -> list[VoicemailMessage]:
        """Newest first."""
        table = voicemail_messages
        query = (
            select(table)
            .where(table.c.tenant == tenant, table.c.extension == extension)
            .order_by(table.c.received_at.desc(), table.c.id)
        )
        with self._engine.connect() as connection:
            return [_message(row) for row in connection.execute(query).mappings()]

    def get(self, tenant: str, extension: str, message_id: str) -> VoicemailMessage | None:
        table = voicemail_messages
        query = select(table).where(
            table.c.tenant == tenant, table.c.extension == extension, table.c.id == message_id
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _message(row) if row is not None else None

    def mark_read(self, tenant: str, extension: str, message_id: str, read: bool) -> bool:
        """False: no such message in this box."""
        table = voicemail_messages
        with self._engine.begin() as connection:
            result = connection.execute(
                update(table)
                .where(
                    table.c.tenant == tenant,
                    table.c.extension == extension,
                    table.c.id == message_id,
                )
                .values(read=read)
            )
        return bool(result.rowcount)

    def remove(self, tenant: str, extension: str, message_id: str) -> VoicemailMessage | None:
        """The message removed (its file is the caller's to delete), None if there was none."""
        table = voicemail_messages
        with self._engine.begin() as connection:
            row = (
                connection.execute(
                    select(table).where(
                        table.c.tenant == tenant,
                        table.c.extension == extension,
                        table.c.id == message_id,
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            connection.execute(delete(table).where(table.c.id == message_id))
        return _message(row)

    def counts(self, tenant: str, extension: str) -> MessageCounts:
        table = voicemail_messages
        query = (
            select(table.c.read, func.count())
            .where(table.c.tenant == tenant, table.c.extension == extension)
            .group_by(table.c.read)
        )
        with self._engine.connect() as connection:
            by_read = {bool(read): int(n) for read, n in connection.execute(query)}
        return MessageCounts(new=by_read.get(False, 0), old=by_read.get(True, 0))

    def all_counts(self, tenant: str) -> dict[str, MessageCounts]:
        """Every box of the tenant with messages (for the phones' MWI at start-up)."""
        table = voicemail_messages
        query = (
            select(table.c.extension, table.c.read, func.count())
            .where(table.c.tenant == tenant)
            .group_by(table.c.extension, table.c.read)
        )
        found: dict[str, dict[bool, int]] = {}
        with self._engine.connect() as connection:
            for extension, read, n in connection.execute(query):
                found.setdefault(str(extension), {})[bool(read)] = int(n)
        return {
            ext: MessageCounts(new=n.get(False, 0), old=n.get(True, 0)) for ext, n in found.items()
        }

    def language_of(self, tenant: str, extension: str) -> str | None:
        """The user's language, None if no user has that extension in the tenant."""
        query = select(users.c.language).where(
            users.c.tenant == tenant, users.c.extension == extension
        )
        with self._engine.connect() as connection:
            language = connection.execute(query).scalar()
        return str(language) if language is not None else None


def _message(row: object) -> VoicemailMessage:
    values = dict(row)  # type: ignore[call-overload]
    received: datetime = values["received_at"]
    if received.tzinfo is None:  # SQLite keeps no zone; every time stored here is UTC
        values["received_at"] = received.replace(tzinfo=UTC)
    return VoicemailMessage(**values)
