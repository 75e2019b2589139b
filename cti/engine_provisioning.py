"""Provisioning changes applied to the running engine and the PBX (contract.md, Provisioning:
"changes settings live: calls already waiting stay"; a new user's phone registers at once).

The service tells its listeners after each commit, in the thread that made the change (an API
request's worker thread). This hands the tenant to the runtime's loop, where one task reads the
tenant's config (off the loop: SQL) and applies it. A tenant changed again while its config is
being read is read again, so the engine always ends on the newest committed config.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from cti.engine_runtime import EngineRuntime
from cti.pbx_directory import provisioned_directory
from pbx_core.directory import Directory
from provisioning.errors import ProvisioningError
from provisioning.service import ProvisioningService
from provisioning.trunks_store import PLATFORM
from provisioning.unit import Change
from queueing.config import TenantConfig

log = logging.getLogger(__name__)


class DirectoryTarget(Protocol):
    """The PBX as this module sees it (`PbxService.update_directory`)."""

    async def update_directory(self, directory: Directory) -> None: ...


def all_engine_configs(service: ProvisioningService) -> list[TenantConfig]:
    """Every tenant's engine config, for the runtime that runs them all. Blocking (SQL)."""
    return [service.engine_config(tenant) for tenant in service.tenant_ids()]


class LiveEngineConfig:
    def __init__(
        self,
        service: ProvisioningService,
        runtime: EngineRuntime,
        loop: asyncio.AbstractEventLoop,
        pbx: DirectoryTarget | None = None,
    ) -> None:
        """`pbx`: the PBX serving every tenant's phones; a changed tenant's directory (users,
        SIP domain, call-center numbers) is handed to it, a new tenant's too."""
        self._service = service
        self._runtime = runtime
        self._loop = loop
        self._pbx = pbx
        self._pending: set[str] = set()
        self._worker: asyncio.Task[None] | None = None
        service.subscribe(self.on_change)

    def on_change(self, change: Change) -> None:
        """Any thread. Every entity may matter (call centers, their agents' licences, named
        schedules); the runtime skips a config that did not change. A tenant the runtime does
        not run yet was just created: it starts running. A platform-wide change (a trunk of the
        operator's) belongs to no tenant and no engine."""
        if change.tenant == PLATFORM:
            return
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
                if self._runtime.runs(tenant):
                    self._runtime.apply_config(tenant, config)
                else:
                    await self._runtime.add_tenant(config)
                if self._pbx is not None:
                    directory = await asyncio.to_thread(
                        provisioned_directory, self._service, tenant
                    )
                    await self._pbx.update_directory(directory)
            except ProvisioningError as error:  # a stored config the engine refuses: keep running
                log.error("%s: new configuration not applied: %s", tenant, error)
            except Exception:  # a bug here must not stop later changes from applying
                log.exception("%s: new configuration not applied", tenant)

    async def settled(self) -> None:
        """Wait until every change heard so far runs (for tests and the benchmark)."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)
