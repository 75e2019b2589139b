"""`AnnouncementService`: a tenant's announcements, as a row (`prov_announcements`) and a WAV
file `<directory>/<tenant>/<name>.wav` the PBX plays (directory = its prompts directory's
`announcements/`, `provisioning.announcements.PROMPTS_SUBDIR`).

Each change is one transaction with its audit entry, as every provisioning change. The file is
written beside its final name first and moved into place only after the commit (an atomic
rename: a call playing the old recording keeps it to the end), and removed after a deletion
committed; a failed change leaves the old file and row as they were.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)

from provisioning.announcement_audio import to_playable
from provisioning.announcements import references, validate_name
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.group_services import group_services as group_rows
from provisioning.models import METADATA, TENANT_ID
from provisioning.models import call_centers as center_rows
from provisioning.unit import Transactions, utc_now
from provisioning.user_store import tenant_row

announcements = Table(
    "prov_announcements",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("uploaded_by", String(128), nullable=False),
    UniqueConstraint("tenant", "name"),
)


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    name: str
    seconds: float
    bytes: int
    uploaded_at: datetime
    uploaded_by: str
    used_by: list[str]
    """Numbers of the call centers whose settings name it."""

    def audit_form(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": self.seconds, "bytes": self.bytes}


class AnnouncementService:
    def __init__(
        self, engine: Engine, directory: Path, now: Callable[[], datetime] = utc_now
    ) -> None:
        self._tx = Transactions(engine, now)
        self._now = now
        self._directory = directory
        self._writing = threading.Lock()

    def file(self, tenant: str, name: str) -> Path:
        """The playable WAV of announcement `name`; NotFound when the tenant has none."""
        validate_name(name)
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            self._row(connection, tenant, name)
        return self._path(tenant, name)

    def list(self, tenant: str) -> list[AnnouncementView]:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            users = _users(connection, tenant)
            rows = connection.execute(
                select(announcements)
                .where(announcements.c.tenant == tenant)
                .order_by(announcements.c.name)
            ).all()
        return [_view(row, users.get(row.name, [])) for row in rows]

    def put(self, actor: str, tenant: str, name: str, data: bytes) -> tuple[AnnouncementView, bool]:
        """Create or replace announcement `name` from a WAV or MP3 upload; True if created."""
        validate_name(name)
        audio = to_playable(data)  # before the transaction: sox may take a second
        final = self._path(tenant, name)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Its own name per upload: two uploads of one announcement at once never share a file.
        partial = final.with_name(f".{name}.{uuid.uuid4().hex}.partial")
        partial.write_bytes(audio.wav)
        values = {
            "seconds": audio.seconds,
            "bytes": len(audio.wav),
            "uploaded_at": self._now(),
            "uploaded_by": actor,
        }
        with self._writing:  # one change at a time from commit to file: row and file agree
            try:
                with self._tx.change(actor, tenant) as unit:
                    tenant_row(unit.connection, tenant)
                    old = self._find(unit.connection, tenant, name)
                    where = (announcements.c.tenant == tenant) & (announcements.c.name == name)
                    if old is None:
                        unit.connection.execute(
                            insert(announcements).values(tenant=tenant, name=name, **values)
                        )
                    else:
                        unit.connection.execute(update(announcements).where(where).values(**values))
                    used_by = _users(unit.connection, tenant).get(name, [])
                    made = _view(self._row(unit.connection, tenant, name), used_by)
                    before = None if old is None else _view(old, used_by).audit_form()
                    action = "create" if old is None else "update"
                    unit.record("announcement", name, action, before, made.audit_form())
                os.replace(partial, final)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        return made, old is None

    def delete(self, actor: str, tenant: str, name: str) -> None:
        """Remove announcement `name`; refused while a call center's settings name it."""
        validate_name(name)
        with self._writing:
            with self._tx.change(actor, tenant) as unit:
                tenant_row(unit.connection, tenant)
                row = self._row(unit.connection, tenant, name)
                used_by = _users(unit.connection, tenant).get(name, [])
                if used_by:
                    numbers = ", ".join(used_by)
                    raise Conflict("name", f"call centers {numbers} play it: choose another first")
                unit.connection.execute(delete(announcements).where(announcements.c.id == row.id))
                unit.record("announcement", name, "delete", _view(row, []).audit_form(), None)
            # After the commit, still under the lock: an upload of this name waits for it.
            with contextlib.suppress(FileNotFoundError):
                self._path(tenant, name).unlink()

    def _path(self, tenant: str, name: str) -> Path:
        return self._directory / tenant / f"{name}.wav"

    @staticmethod
    def _find(connection: Any, tenant: str, name: str) -> Any:
        return connection.execute(
            select(announcements).where(
                announcements.c.tenant == tenant, announcements.c.name == name
            )
        ).one_or_none()

    def _row(self, connection: Any, tenant: str, name: str) -> Any:
        row = self._find(connection, tenant, name)
        if row is None:
            raise NotFound("name", f"no announcement {name!r}")
        return row


def _users(connection: Any, tenant: str) -> dict[str, list[str]]:
    """Announcement name -> numbers of the call centers and auto attendants that play it."""
    used: dict[str, list[str]] = {}
    centers = select(center_rows.c.number, center_rows.c.settings).where(
        center_rows.c.tenant == tenant
    )
    groups = select(group_rows.c.number, group_rows.c.settings).where(group_rows.c.tenant == tenant)
    rows = connection.execute(centers.union_all(groups).order_by("number")).all()
    for row in rows:
        for name in sorted({name for _, name in references(row.settings)}):
            used.setdefault(name, []).append(row.number)
    return used


def check_references(connection: Any, tenant: str, settings: Any) -> None:
    """Refuses call-center settings naming an announcement the tenant has not uploaded (or
    cannot have: a malformed name), with the setting that names it."""
    named = list(references(settings))
    if not named:
        return
    uploaded = set(
        connection.execute(
            select(announcements.c.name).where(announcements.c.tenant == tenant)
        ).scalars()
    )
    for field, name in named:
        if name not in uploaded:
            raise Invalid(field, f"the tenant has no announcement named {name!r}")


def _view(row: Any, used_by: list[str]) -> AnnouncementView:
    return AnnouncementView(
        row.name, row.seconds, row.bytes, row.uploaded_at, row.uploaded_by, list(used_by)
    )
