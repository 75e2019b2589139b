"""CRM connections in the running product: the admin's stored connections registered with the
screen-pop service at start-up and again on every change, synced now and on a schedule.

`start_crm_connections` is the product's one hook (cti/product.py); the admin API
(`cti/rest/crm_connections.py`) finds the result on `app.state.crm_connections`. Sync jobs run
in the rq worker, which reads the same rows (`CRM_CONNECTIONS_DB_URL` and `OPENCC_CRM_KEY` in
its environment, `crm_connectors.jobs.context_from_env`), stores rotated refresh tokens and
writes each sync's outcome back as the connection's health.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from rq import Queue
from sqlalchemy import Engine

from crm_connectors.config import TenantCrmConfig
from crm_connectors.connections import persist_refresh_tokens, tenant_config
from crm_connectors.factory import ConnectorFactory
from crm_connectors.index import CrmIndex
from crm_connectors.jobs import (
    ENV_CONNECTIONS_DB_URL,
    cancel_sync_schedule,
    enqueue_sync,
    schedule_sync,
)
from crm_connectors.registry import ConnectorRegistry
from crm_connectors.sealing import KEY_ENV, Sealer, new_key
from crm_connectors.service import ScreenPopService
from crm_connectors.sync import SyncMode
from provisioning.crm_connections import CrmConnectionStore

DELTA_EVERY = timedelta(minutes=15)
FULL_EVERY = timedelta(days=1)
"""Deltas keep the index minutes fresh; the nightly full sync also drops deleted records."""


def crm_key(var_dir: Path) -> str:
    """`OPENCC_CRM_KEY`, else a key made once under `var_dir` (0600), as the token secret is."""
    key = os.environ.get(KEY_ENV)
    if key:
        return key
    path = var_dir / "crm_key"
    if path.exists():
        return path.read_text().strip()
    key = new_key()
    path.write_text(key)
    path.chmod(0o600)
    return key


class CrmConnections:
    """The admin's connections, live: the registry the screen pop asks, and their syncs."""

    def __init__(
        self,
        store: CrmConnectionStore,
        sealer: Sealer,
        registry: ConnectorRegistry,
        index: CrmIndex,
        queue: Queue,
        built_in: dict[str, TenantCrmConfig],
    ) -> None:
        self.store = store
        self._index = index
        self.sealer = sealer
        self.registry = registry
        self._queue = queue
        self._built_in = built_in
        """Connectors from code (the demo CRM) that stored ones join."""

    def reload(self, tenant: str) -> None:
        """Register the tenant's connections as stored now (after a change); call in the loop."""
        config = tenant_config(self.store, self.sealer, tenant, self._built_in.get(tenant))
        self.registry.configure(config or TenantCrmConfig(tenant=tenant))

    def tenants(self) -> set[str]:
        return {c.tenant for c in self.store.connections()} | set(self._built_in)

    def start_syncing(self, tenant: str, name: str) -> None:
        """A full sync now, then deltas and a nightly full sync (replacing earlier chains)."""
        enqueue_sync(self._queue, tenant, name, SyncMode.FULL)
        schedule_sync(self._queue, tenant, name, mode=SyncMode.DELTA, every=DELTA_EVERY,
                      first_in=DELTA_EVERY)  # fmt: skip
        schedule_sync(self._queue, tenant, name, mode=SyncMode.FULL, every=FULL_EVERY,
                      first_in=FULL_EVERY)  # fmt: skip

    def sync_now(self, tenant: str, name: str) -> str:
        return str(enqueue_sync(self._queue, tenant, name, SyncMode.FULL).id)

    def forget(self, tenant: str, name: str) -> None:
        """After a connection is deleted: no more syncs, its records out of the index."""
        for mode in SyncMode:
            cancel_sync_schedule(self._queue, tenant, name, mode)
        self._index.replace_source(tenant, name, [])
        self.reload(tenant)


async def start_crm_connections(
    database: Engine,
    database_url: str,
    index: CrmIndex,
    queue: Queue,
    var_dir: Path,
    built_in: TenantCrmConfig | None,
) -> tuple[CrmConnections, ScreenPopService, dict[str, str]]:
    """Register every stored connection and (re)start their sync schedules.

    Returns the live connections, the screen-pop service that asks them, and the environment
    the rq worker needs to run their syncs.
    """
    key = crm_key(var_dir)
    sealer = Sealer(key)
    store = CrmConnectionStore(database)
    # Live look-ups may refresh OAuth tokens here too: keep what a vendor rotates.
    factory = ConnectorFactory(on_refresh_token=persist_refresh_tokens(store, sealer))
    registry = ConnectorRegistry(factory=factory)
    built_ins = {} if built_in is None else {built_in.tenant: built_in}  # the demo's CRM
    live = CrmConnections(store, sealer, registry, index, queue, built_ins)
    stored = await asyncio.to_thread(store.connections)
    for tenant in await asyncio.to_thread(live.tenants):
        await asyncio.to_thread(live.reload, tenant)
    for connection in stored:
        await asyncio.to_thread(live.start_syncing, connection.tenant, connection.name)
    worker_env = {KEY_ENV: key, ENV_CONNECTIONS_DB_URL: database_url}
    return live, ScreenPopService(index, registry), worker_env
