"""Contact sources in the running product (docs/contacts.md, "Synced address books"): every
stored source's sync schedule restarted at start-up, and the handle the REST API
(cti/rest/contact_sources.py) finds on `app.state.contact_sources`.

The syncs themselves run in the product's rq worker (crm_connectors/contact_sync.py), which
reads the same rows with the same key (`CRM_CONNECTIONS_DB_URL`, `OPENCC_CRM_KEY`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from rq import Queue
from sqlalchemy import Engine

from crm_connectors.contact_sync import start_syncing, stop_syncing, sync_now
from crm_connectors.graph_contacts import GraphApp
from crm_connectors.sealing import Sealer
from provisioning.contact_sources import ContactSourceStore


@dataclass
class ContactSources:
    store: ContactSourceStore
    sealer: Sealer
    queue: Queue
    graph: GraphApp | None
    public_url: str | None = None
    """Where browsers reach the product (the Graph redirect URI); None: the request's own."""
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def start(self, tenant: str, source_id: int) -> str:
        """A sync now and on the schedule (a new or restarted source)."""
        return str(start_syncing(self.queue, tenant, source_id).id)

    def sync_now(self, tenant: str, source_id: int) -> str:
        return str(sync_now(self.queue, tenant, source_id).id)

    def forget(self, source_id: int) -> None:
        stop_syncing(self.queue, source_id)


async def start_contact_sources(
    database: Engine, queue: Queue, key: str, public_url: str
) -> ContactSources:
    sources = ContactSources(
        ContactSourceStore(database), Sealer(key), queue, GraphApp.from_env(), public_url
    )
    for stored in await asyncio.to_thread(sources.store.sources):
        await asyncio.to_thread(sources.start, stored.tenant, stored.id)
    return sources
