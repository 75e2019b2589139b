"""Provisioning changes applied to the running engine (contract.md, Provisioning: "changes
settings live: calls already waiting stay").

The service tells its listeners after each commit, in the thread that made the change (an API
request's worker thread). This hands the tenant to the runtime's loop, where one task reads the
tenant's config (off the loop: SQL) and applies it. A tenant changed again while its config is
being read is read again, so the engine always ends on the newest committed config.
"""

from __future__ import annotations

import asyncio
import logging

from cti.engine_runtime import EngineRuntime
from provisioning.errors import ProvisioningError
from provisioning.service import ProvisioningService
from provisioning.unit import Change

log = logging.getLogger(__name__)


class LiveEngineConfig:
    def __init__(
        self,
        service: ProvisioningService,
        runtime: EngineRuntime,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._service = service
        self._runtime = runtime
        self._loop = loop
        self._pending: set[str] = set()
        self._worker: asyncio.Task[None] | None = None
        service.subscribe(self.on_change)

    def on_change(self, change: Change) -> None:
        """Any thread. Every entity may matter (call centers, their agents' licences, named
        schedules); the runtime skips a config that did not change."""
        if self._runtime.runs(change.tenant):
            self._loop.call_soon_threadsafe(self._want, change.tenant)

    def _want(self, tenant: str) -> None:
        self._pending.add(tenant)
        if self._worker is None or self._worker.done():
            self._worker = self._loop.create_task(self._reload(), name="engine-config")

    async def _reload(self) -> None:
        while self._pending:
            tenant = self._pending.pop()
            try:
                config = await asyncio.to_thread(self._service.engine_config, tenant)
                self._runtime.apply_config(tenant, config)
            except ProvisioningError as error:  # a stored config the engine refuses: keep running
                log.error("%s: new configuration not applied: %s", tenant, error)
            except Exception:  # a bug here must not stop later changes from applying
                log.exception("%s: new configuration not applied", tenant)

    async def settled(self) -> None:
        """Wait until every change heard so far runs (for tests and the benchmark)."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)
