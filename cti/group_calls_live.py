"""Keeps the group services' calls (cti/group_calls.py) on the stored configuration: every
tenant's hunt groups and auto attendants at start-up, a tenant's again after each provisioning
change (a menu, a member, a schedule), so the next call follows it."""

from __future__ import annotations

import asyncio
import logging

from cti.group_calls import GroupCalls
from provisioning.errors import ProvisioningError
from provisioning.group_services_store import GroupServices
from provisioning.service import ProvisioningService
from provisioning.unit import Change

log = logging.getLogger(__name__)


class LiveGroups:
    def __init__(
        self, service: ProvisioningService, calls: GroupCalls, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._store = GroupServices(service)
        self._service = service
        self._calls = calls
        self._loop = loop
        self._pending: set[str] = set()
        self._worker: asyncio.Task[None] | None = None
        service.subscribe(self.on_change)

    async def load_all(self) -> None:
        for tenant in await asyncio.to_thread(self._service.tenant_ids):
            await self._load(tenant)

    def on_change(self, change: Change) -> None:
        """Any thread: groups, schedules and users (members) may all matter."""
        self._loop.call_soon_threadsafe(self._want, change.tenant)

    def _want(self, tenant: str) -> None:
        self._pending.add(tenant)
        if self._worker is None or self._worker.done():
            self._worker = self._loop.create_task(self._reload(), name="group-config")

    async def _reload(self) -> None:
        while self._pending:
            await self._load(self._pending.pop())

    async def _load(self, tenant: str) -> None:
        try:
            configs = await asyncio.to_thread(self._store.configs, tenant)
        except ProvisioningError as error:  # a stored group the rules refuse now: keep the old
            log.error("%s: group services not reloaded: %s", tenant, error)
            return
        self._calls.set_tenant(tenant, configs)

    async def settled(self) -> None:
        """Every change heard so far applies (tests)."""
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)
