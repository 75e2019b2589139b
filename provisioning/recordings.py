"""The recordings catalogue: one row per kept call recording, each tenant's retention (90 or 365
days, seed "Bewaartermijn"), and the log of who listened to, downloaded, mailed or labelled which
recording. The audio lives in files (docs/recordings.md); this is what the portal searches.

A recording is keyed by (tenant, call id): the conversion job may run twice (rq retries), the
second insert finds the first row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID

RETENTION_CHOICES = (90, 365)
DEFAULT_RETENTION_DAYS = 90
MAX_LABELS = 10
LABEL = re.compile(r"[\w][\w .-]{0,31}")
ACCESS_ACTIONS = frozenset({"play", "download", "export", "mail", "label"})

recordings = Table(
    "prov_recordings",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("call_id", String(255), nullable=False),
    Column("owner", String(8), nullable=False),
    Column("caller", String(64), nullable=False),
    Column("called", String(64), nullable=False),
    Column("call_center", String(8), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("audio", String(512), nullable=False),
    Column("labels", JSON, nullable=False),
    UniqueConstraint("tenant", "call_id"),
    Index("ix_prov_recordings_tenant_ended_at", "tenant", "ended_at"),
)

recording_retention = Table(
    "prov_recording_retention",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("days", Integer, nullable=False),
)

recording_access = Table(
    "prov_recording_access",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("recording_id", Integer, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("detail", String(256), nullable=False),
    Index("ix_prov_recording_access_tenant_recording_id", "tenant", "recording_id"),
)


@dataclass(frozen=True, slots=True)
class NewRecording:
    tenant: str
    call_id: str
    owner: str
    """The extension whose licence (always) or *44 kept the call."""
    caller: str
    called: str
    call_center: str
    """The call-center number the call came through; "" for a direct call."""
    ended_at: datetime
    duration_seconds: float
    audio: str
    """The audio file, relative to the recordings archive."""


@dataclass(frozen=True, slots=True)
class Recording(NewRecording):
    id: int
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a user who is not the tenant's admin may see: its own recordings and those of the
    call centers it supervises."""

    extension: str
    call_centers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RecordingQuery:
    visible: Visibility | None = None
    """None: the whole tenant (its admin)."""
    owner: str | None = None
    """Only this extension's recordings (the portal's "user" filter)."""
    since: datetime | None = None
    until: datetime | None = None
    number: str | None = None
    """Part of the caller's or the called number."""
    call_center: str | None = None
    label: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Access:
    at: datetime
    actor: str
    action: str
    detail: str


def valid_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Labels as given, trimmed and without duplicates; refused when malformed or too many."""
    cleaned = tuple(dict.fromkeys(label.strip() for label in labels))
    if len(cleaned) > MAX_LABELS:
        raise Invalid("labels", f"at most {MAX_LABELS} labels")
    for label in cleaned:
        if not LABEL.fullmatch(label):
            raise Invalid("labels", "each 1-32 letters, digits, spaces, '.', '_' or '-'")
    return cleaned


def valid_retention(days: int) -> int:
    if days not in RETENTION_CHOICES:
        raise Invalid("retention_days", "90 or 365 (seed: Bewaartermijn)")
    return days


def _recording(row: Any) -> Recording:
    ended_at = row.ended_at if row.ended_at.tzinfo else row.ended_at.replace(tzinfo=UTC)
    return Recording(
        tenant=row.tenant,
        call_id=row.call_id,
        owner=row.owner,
        caller=row.caller,
        called=row.called,
        call_center=row.call_center,
        ended_at=ended_at,
        duration_seconds=row.duration_seconds,
        audio=row.audio,
        id=row.id,
        labels=tuple(row.labels),
    )


class RecordingCatalogue:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, new: NewRecording) -> int:
        """The recording's id (the existing one if this call is catalogued already)."""
        values = {name: getattr(new, name) for name in NewRecording.__slots__}
        try:
            with self._engine.begin() as connection:
                added = connection.execute(insert(recordings).values(**values, labels=[]))
                key = added.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:
            with self._engine.connect() as connection:
                found = connection.execute(
                    select(recordings.c.id).where(
                        recordings.c.tenant == new.tenant, recordings.c.call_id == new.call_id
                    )
                ).scalar_one()
                return int(found)

    def search(self, tenant: str, query: RecordingQuery) -> tuple[int, list[Recording]]:
        """(how many match, the page asked for), newest first."""
        where = [recordings.c.tenant == tenant]
        if query.visible is not None:
            where.append(
                or_(
                    recordings.c.owner == query.visible.extension,
                    recordings.c.call_center.in_(sorted(query.visible.call_centers)),
                )
            )
        if query.owner is not None:
            where.append(recordings.c.owner == query.owner)
        if query.since is not None:
            where.append(recordings.c.ended_at >= query.since)
        if query.until is not None:
            where.append(recordings.c.ended_at < query.until)
        if query.number:
            pattern = f"%{_escape_like(query.number)}%"
            where.append(
                or_(
                    recordings.c.caller.like(pattern, escape="\\"),
                    recordings.c.called.like(pattern, escape="\\"),
                )
            )
        if query.call_center:
            where.append(recordings.c.call_center == query.call_center)
        with self._engine.connect() as connection:
            rows = [
                _recording(row)
                for row in connection.execute(
                    select(recordings).where(*where).order_by(recordings.c.ended_at.desc())
                )
            ]
        if query.label:  # labels are a JSON list: filtered here, portable across databases
            rows = [r for r in rows if query.label in r.labels]
        return len(rows), rows[query.offset : query.offset + query.limit]

    def get(
        self, tenant: str, recording_id: int, visible: Visibility | None = None
    ) -> Recording | None:
        """None also when `visible` does not reach it: the caller cannot tell the two apart."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(recordings).where(
                    recordings.c.tenant == tenant, recordings.c.id == recording_id
                )
            ).first()
        found = _recording(row) if row is not None else None
        if found is None or visible is None:
            return found
        seen = found.owner == visible.extension or found.call_center in visible.call_centers
        return found if seen else None

    def set_labels(self, tenant: str, recording_id: int, labels: Sequence[str]) -> None:
        cleaned = list(valid_labels(labels))
        with self._engine.begin() as connection:
            connection.execute(
                update(recordings)
                .where(recordings.c.tenant == tenant, recordings.c.id == recording_id)
                .values(labels=cleaned)
            )

    def delete(self, tenant: str, recording_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(recordings).where(
                    recordings.c.tenant == tenant, recordings.c.id == recording_id
                )
            )

    def log_access(
        self, tenant: str, recording_id: int, actor: str, action: str, detail: str = ""
    ) -> None:
        assert action in ACCESS_ACTIONS, action
        with self._engine.begin() as connection:
            connection.execute(
                insert(recording_access).values(
                    at=datetime.now(UTC),
                    tenant=tenant,
                    recording_id=recording_id,
                    actor=actor[:128],
                    action=action,
                    detail=detail[:256],
                )
            )

    def access_log(self, tenant: str, recording_id: int) -> list[Access]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(recording_access)
                .where(
                    recording_access.c.tenant == tenant,
                    recording_access.c.recording_id == recording_id,
                )
                .order_by(recording_access.c.id)
            )
            return [Access(row.at, row.actor, row.action, row.detail) for row in rows]

    def retention_days(self, tenant: str) -> int:
        with self._engine.connect() as connection:
            days = connection.execute(
                select(recording_retention.c.days).where(recording_retention.c.tenant == tenant)
            ).scalar_one_or_none()
        return int(days) if days is not None else DEFAULT_RETENTION_DAYS

    def set_retention_days(self, tenant: str, days: int) -> None:
        valid_retention(days)
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(recording_retention)
                .where(recording_retention.c.tenant == tenant)
                .values(days=days)
            ).rowcount
            if not changed:
                connection.execute(insert(recording_retention).values(tenant=tenant, days=days))

    def expired(self, now: datetime) -> list[Recording]:
        """Every tenant's recordings older than that tenant's retention."""
        days = func.coalesce(recording_retention.c.days, DEFAULT_RETENTION_DAYS)
        with self._engine.connect() as connection:
            candidates = connection.execute(
                select(recordings, days.label("days"))
                .select_from(
                    recordings.outerjoin(
                        recording_retention, recording_retention.c.tenant == recordings.c.tenant
                    )
                )
                .where(recordings.c.ended_at < now - timedelta(days=min(RETENTION_CHOICES)))
            ).all()
        found = [(_recording(row), int(row.days)) for row in candidates]
        return [rec for rec, keep_days in found if rec.ended_at < now - timedelta(days=keep_days)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
