"""Contact sources synced into the contacts (docs/contacts.md, "Synced address books"): a
CardDAV address book or a user's Outlook contacts through Microsoft Graph, now (an rq job) and
on a schedule (a chain of rq jobs, as CRM syncs run: crm_connectors/jobs.py).

A run lists the source's items with their versions (CardDAV ETags, Graph `changeKey`s), fetches
those that are new or changed, parses them (vCards with the upload parser,
provisioning/contacts_import.py), and writes the difference in one transaction: changed items
replaced, vanished ones deleted. Items without a usable phone number are skipped and counted:
an address book holds many e-mail-only entries. The outcome (contacts held, skipped, error) is
the source's health; jobs carry the tenant and the source's id only, never credentials.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, assert_never

import httpx
from rq import Queue
from rq.job import Job
from sqlalchemy import Engine, create_engine

from common.database_url import engine_url
from crm_connectors.carddav import AddressBook, fetch_cards, list_etags
from crm_connectors.connections import ConnectionRefused, check_resolved
from crm_connectors.errors import CrmError
from crm_connectors.graph_contacts import GraphApp, GraphContact, list_contacts
from crm_connectors.jobs import (
    ENV_CONNECTIONS_DB_URL,
    cancel_schedule,
    continue_schedule,
    schedule_every,
    sync_retry,
)
from crm_connectors.sealing import Sealer, SealingError
from crm_connectors.secrets import Secret
from provisioning.contact_sources import (
    ContactSourceStore,
    SourceKind,
    StoredSource,
    SyncedItem,
)
from provisioning.contacts import SOURCE_UID_CHARS, ContactSpec, validated
from provisioning.contacts_import import ImportFormat, parse_upload
from provisioning.errors import Conflict, Invalid

log = logging.getLogger(__name__)

SYNC_EVERY = timedelta(minutes=30)


@dataclass
class ContactSyncContext:
    """What sync jobs need in the worker process."""

    store: ContactSourceStore
    sealer: Sealer
    graph: GraphApp | None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """The outbound URL policy's allowed hosts (`OPENCC_CRM_HTTP_HOSTS`)."""
    http_timeout_s: float = 15.0


_context: ContactSyncContext | None = None
_engines: dict[str, Engine] = {}


def set_contact_sync_context(context: ContactSyncContext | None) -> None:
    global _context
    _context = context


def contact_sync_context() -> ContactSyncContext:
    """The context set in this process, else one from the environment the product gives its rq
    worker (the provisioning database, `OPENCC_CRM_KEY`, the Graph app)."""
    if _context is not None:
        return _context
    url = os.environ.get(ENV_CONNECTIONS_DB_URL)
    if not url:
        raise RuntimeError(f"no contact sync context: set {ENV_CONNECTIONS_DB_URL}")
    engine = _engines.get(url) or _engines.setdefault(
        url, create_engine(engine_url(url), pool_pre_ping=True)
    )
    return ContactSyncContext(
        ContactSourceStore(engine), Sealer.from_env(os.environ), GraphApp.from_env(os.environ)
    )


# --- reading a source ---------------------------------------------------------------------


class _Reader(Protocol):
    async def versions(self) -> dict[str, str]: ...

    async def fetch(self, uids: list[str]) -> list[tuple[str, str, ContactSpec | None]]:
        """(uid, version, the contact or None when it cannot be one) of `uids`."""
        ...


class _CardDavReader:
    def __init__(self, client: httpx.AsyncClient, book: AddressBook) -> None:
        self._client = client
        self._book = book

    async def versions(self) -> dict[str, str]:
        return await list_etags(self._client, self._book)

    async def fetch(self, uids: list[str]) -> list[tuple[str, str, ContactSpec | None]]:
        found: list[tuple[str, str, ContactSpec | None]] = []
        for card in await fetch_cards(self._client, self._book, uids):
            parsed = parse_upload(card.vcard.encode(), ImportFormat.VCARD)
            one = parsed.contacts[0] if len(parsed.contacts) == 1 and not parsed.errors else None
            found.append((card.href, card.etag, one))
        return found


class _GraphReader:
    def __init__(
        self, client: httpx.AsyncClient, app: GraphApp, refresh: Secret, on_rotate: Any
    ) -> None:
        self._client = client
        self._app = app
        self._token = app.token(refresh, on_rotate)
        self._listed: dict[str, GraphContact] = {}

    async def versions(self) -> dict[str, str]:
        # A Graph listing carries the contacts themselves: `fetch` reads them from here.
        async for contact in list_contacts(self._client, self._app, self._token):
            self._listed[contact.id] = contact
        return {i: c.change_key for i, c in self._listed.items()}

    async def fetch(self, uids: list[str]) -> list[tuple[str, str, ContactSpec | None]]:
        return [
            (c.id, c.change_key, ContactSpec(c.name, c.numbers, c.company, c.email, c.note))
            for c in (self._listed[u] for u in uids if u in self._listed)
        ]


def _reader(ctx: ContactSyncContext, source: StoredSource, client: httpx.AsyncClient) -> _Reader:
    secrets = ctx.sealer.open(source.sealed)
    match source.kind:
        case SourceKind.CARDDAV:
            book = AddressBook(
                source.settings["url"], source.settings["username"], Secret(secrets["password"])
            )
            return _CardDavReader(client, book)
        case SourceKind.GRAPH:
            if ctx.graph is None:
                raise ConnectionRefused("no Microsoft Graph app is configured on this server")

            def rotated(token: Secret) -> None:
                ctx.store.reseal(source.id, ctx.sealer.seal({"refresh_token": token.reveal()}))

            return _GraphReader(client, ctx.graph, Secret(secrets["refresh_token"]), rotated)
        case _:
            assert_never(source.kind)


# --- one run ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncReport:
    records: int
    skipped: int
    fetched: int


async def sync_source(
    ctx: ContactSyncContext, source: StoredSource, client: httpx.AsyncClient
) -> SyncReport:
    """One run; raises `CrmError` (the source's server), `ConnectionRefused` (the URL policy),
    `SealingError` (the key) or `Conflict` (the book is full)."""
    if source.kind is SourceKind.CARDDAV:
        await check_resolved("url", source.settings["url"], ctx.environ)
    reader = _reader(ctx, source, client)
    listed = await reader.versions()
    stored = await asyncio.to_thread(ctx.store.versions, source.id)
    wanted = [
        uid
        for uid, version in listed.items()
        if len(uid) <= SOURCE_UID_CHARS and (not version or stored.get(uid) != version)
    ]
    changed: list[SyncedItem] = []
    bad: set[str] = {uid for uid in listed if len(uid) > SOURCE_UID_CHARS}
    for uid, version, spec in await reader.fetch(wanted):
        try:
            if spec is None:
                raise Invalid("card", "not a vCard the parser reads")
            changed.append(SyncedItem(uid, version, validated(spec)))
        except Invalid:
            bad.add(uid)
    gone = [uid for uid in stored if uid not in listed or uid in bad]
    records = await asyncio.to_thread(ctx.store.apply, source, changed, gone)
    return SyncReport(records, len(bad), len(wanted))


async def run_sync(ctx: ContactSyncContext, source: StoredSource) -> dict[str, Any]:
    """One run with its outcome stored as the source's health; server errors re-raised so rq
    retries with backoff."""
    now = datetime.now(UTC)
    try:
        async with httpx.AsyncClient(timeout=ctx.http_timeout_s) as client:
            report = await sync_source(ctx, source, client)
    except CrmError as error:
        await asyncio.to_thread(
            ctx.store.record_outcome, source.id, at=now, error=f"{error.kind}: {error}"
        )
        log.warning("contacts sync %s/%s failed: %s", source.tenant, source.id, error)
        raise
    except (ConnectionRefused, SealingError, Conflict, KeyError) as error:
        # Retrying cannot help: the user must change the source (or the operator the key).
        reason = str(error) if not isinstance(error, Conflict) else error.reason
        await asyncio.to_thread(ctx.store.record_outcome, source.id, at=now, error=reason)
        log.warning("contacts sync %s/%s refused: %s", source.tenant, source.id, reason)
        return {"source": source.id, "error": reason}
    await asyncio.to_thread(
        ctx.store.record_outcome,
        source.id,
        at=now,
        error=None,
        records=report.records,
        skipped=report.skipped,
    )
    log.info("contacts sync %s/%s: %s", source.tenant, source.id, report)
    return {"source": source.id, "records": report.records, "skipped": report.skipped}


# --- rq jobs ------------------------------------------------------------------------------


def schedule_key(queue_name: str, source_id: int) -> str:
    return f"contacts:sync-schedule:{queue_name}:{source_id}"


def contacts_sync_job(
    tenant: str, source_id: int, reschedule_every_s: int | None = None
) -> dict[str, Any]:
    ctx = contact_sync_context()
    source = ctx.store.get(tenant, source_id)
    if source is None:  # deleted meanwhile: nothing to do, and the chain ends here
        return {"source": source_id, "gone": True}
    if reschedule_every_s:
        continue_schedule(
            lambda queue_name: schedule_key(queue_name, source_id),
            contacts_sync_job,
            (tenant, source_id, reschedule_every_s),
            reschedule_every_s,
            f"contacts sync {tenant}/{source_id}",
        )
    return asyncio.run(run_sync(ctx, source))


def sync_now(queue: Queue, tenant: str, source_id: int) -> Job:
    return queue.enqueue(
        contacts_sync_job,
        tenant,
        source_id,
        retry=sync_retry(),
        description=f"contacts sync {tenant}/{source_id}",
    )


def start_syncing(queue: Queue, tenant: str, source_id: int) -> Job:
    """A run now, then every `SYNC_EVERY` (replacing an earlier chain: safe at each start-up)."""
    every_s = int(SYNC_EVERY.total_seconds())
    schedule_every(
        queue,
        schedule_key(queue.name, source_id),
        contacts_sync_job,
        (tenant, source_id, every_s),
        first_in=SYNC_EVERY,
        description=f"contacts sync {tenant}/{source_id}",
    )
    return sync_now(queue, tenant, source_id)


def stop_syncing(queue: Queue, source_id: int) -> None:
    cancel_schedule(queue, schedule_key(queue.name, source_id))
