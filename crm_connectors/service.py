"""The facade the CTI layer calls: screen-pop lookups, call logging, demo CRM seeding.

service = ScreenPopService(CrmIndex.from_url(url), ConnectorRegistry(configs))
records = await service.lookup("demo", "020-1234567")   # never raises, bounded time
CallLogger(rq_queue).submit(CallLog(...))               # never raises, never blocks on a CRM
await seed_demo_crm(index, "sqlite:///var/demo_crm.sqlite")
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from rq import Queue

from crm_connectors.cache import TtlCache
from crm_connectors.config import TenantCrmConfig
from crm_connectors.connector import CrmConnector
from crm_connectors.demo import create_demo_database, demo_connector_config
from crm_connectors.errors import CrmError
from crm_connectors.generic_sql import GenericSqlConnector
from crm_connectors.index import CrmIndex
from crm_connectors.jobs import enqueue_call_log
from crm_connectors.metrics import DEFAULT_COUNTER, CrmErrorCounter
from crm_connectors.phone import DEFAULT_REGION, to_e164
from crm_connectors.records import CallDirection, CallLog, CrmRecord
from crm_connectors.registry import ConnectorRegistry
from crm_connectors.sync import SyncMode, sync_connector

__all__ = [
    "CallDirection",
    "CallLog",
    "CallLogger",
    "CrmRecord",
    "ScreenPopService",
    "seed_demo_crm",
]

log = logging.getLogger(__name__)

INDEX = "index"


class ScreenPopService:
    """Finds the CRM records for an offered call's number.

    The local index answers first (one indexed SELECT, bounded by `index_timeout_s`). Only when
    it has nothing, connectors that allow live lookups (Salesforce, generic REST/SQL) are asked,
    together, within `live_timeout_s`; their answers are cached for `cache_ttl_s`. Every failure
    becomes "no match" plus a count in
    `counters`; `lookup` never raises and never takes much longer than the timeout.
    """

    def __init__(
        self,
        index: CrmIndex,
        registry: ConnectorRegistry | None = None,
        *,
        counters: CrmErrorCounter = DEFAULT_COUNTER,
        live_timeout_s: float = 0.8,
        index_timeout_s: float = 1.0,
        cache_ttl_s: float = 60.0,
        region: str = DEFAULT_REGION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = index
        self._registry = registry
        self._counters = counters
        self._live_timeout = live_timeout_s
        self._index_timeout = index_timeout_s
        self._region = region
        self._cache: TtlCache[tuple[str, str], list[CrmRecord]] = TtlCache(cache_ttl_s, clock=clock)

    async def lookup(self, tenant: str, number: str) -> list[CrmRecord]:
        e164 = to_e164(number, self._region)
        if e164 is None:
            return []
        try:
            found = await asyncio.wait_for(
                asyncio.to_thread(self._index.lookup, tenant, e164), self._index_timeout
            )
        except TimeoutError:
            # A hung database must not hold the screen-pop; the thread finishes on its own.
            self._counters.record(tenant, INDEX, "lookup", "timeout")
            log.warning("crm index lookup timed out for tenant %s", tenant)
            found = []
        except Exception as exc:  # any driver error: the call must go on without a match
            self._counters.record(tenant, INDEX, "lookup", type(exc).__name__)
            log.warning("crm index lookup failed for tenant %s: %s", tenant, type(exc).__name__)
            found = []
        if found:
            return found
        try:
            return await self._live(tenant, e164)
        except Exception as exc:  # e.g. a connector that cannot be built from its config
            self._counters.record(tenant, "live", "lookup", type(exc).__name__)
            log.exception("crm live lookup for tenant %s failed", tenant)
            return []

    async def record_url(self, tenant: str, source: str, record_id: str) -> str | None:
        """The link that opens a record in its CRM (e.g. in call history); None on failure."""
        connector = self._registry.connector(tenant, source) if self._registry else None
        if connector is None:
            return None
        try:
            return await asyncio.wait_for(connector.record_url(record_id), self._live_timeout)
        except TimeoutError:
            self._counters.record(tenant, source, "record_url", "timeout")
        except CrmError as exc:
            self._counters.record(tenant, source, "record_url", exc.kind)
        return None

    async def _live(self, tenant: str, e164: str) -> list[CrmRecord]:
        if self._registry is None:
            return []
        connectors = [c for c in self._registry.connectors(tenant) if c.live_lookup]
        if not connectors:
            return []
        cached = self._cache.get((tenant, e164))
        if cached is not None:
            return list(cached)
        tasks = {
            asyncio.create_task(self._ask(tenant, c, e164), name=f"crm-live-{c.name}"): c
            for c in connectors
        }
        done, pending = await asyncio.wait(tasks, timeout=self._live_timeout)
        for task in pending:
            task.cancel()
            connector = tasks[task]
            self._counters.record(tenant, connector.name, "lookup", "timeout")
            log.warning("crm live lookup on %s/%s timed out", tenant, connector.name)
        records: list[CrmRecord] = []
        complete = not pending
        for task in done:
            result = task.result()
            if result is None:
                complete = False
            else:
                records.extend(result)
        if complete:
            # Only complete answers are cached; after an error the next call asks again.
            self._cache.set((tenant, e164), records)
        return records

    async def _ask(self, tenant: str, connector: CrmConnector, e164: str) -> list[CrmRecord] | None:
        try:
            return await connector.lookup(e164)
        except CrmError as exc:
            self._counters.record(tenant, connector.name, "lookup", exc.kind)
            log.warning("crm live lookup on %s/%s failed: %s", tenant, connector.name, exc)
        except Exception as exc:  # a connector bug must not break the call path either
            self._counters.record(tenant, connector.name, "lookup", type(exc).__name__)
            log.exception("crm live lookup on %s/%s crashed", tenant, connector.name)
        return None


class CallLogger:
    """Hands finished calls to an rq job that writes them to the CRM, with retries.

    `submit` costs one Redis round trip and never raises: when Redis is down the call log is
    lost, counted and logged, but telephony goes on.
    """

    def __init__(self, queue: Queue, *, counters: CrmErrorCounter = DEFAULT_COUNTER) -> None:
        self._queue = queue
        self._counters = counters

    def submit(self, call: CallLog) -> str | None:
        """Enqueue the call log; returns the rq job id, or None when it could not be queued."""
        try:
            return enqueue_call_log(self._queue, call).id
        except Exception as exc:  # redis errors, serialisation errors: never up to telephony
            self._counters.record(call.tenant, "queue", "log_call", type(exc).__name__)
            log.warning("could not queue crm call log for %s: %s", call.call_id, exc)
            return None

    async def submit_async(self, call: CallLog) -> str | None:
        """`submit` off the event loop."""
        return await asyncio.to_thread(self.submit, call)


async def seed_demo_crm(index: CrmIndex, db_url: str, *, tenant: str = "demo") -> TenantCrmConfig:
    """Create the demo CRM database at `db_url`, sync it into `index`, return its configuration.

    Register the returned configuration with the `ConnectorRegistry` (and the rq workers'
    `JobContext`) so live lookups and call logging know the demo connector.
    """
    await asyncio.to_thread(create_demo_database, db_url)
    await asyncio.to_thread(index.create_schema)
    connector_config = demo_connector_config(db_url)
    connector = GenericSqlConnector(connector_config)
    try:
        await sync_connector(connector, index, tenant, SyncMode.FULL)
    finally:
        await connector.aclose()
    return TenantCrmConfig(tenant=tenant, connectors=(connector_config,))
