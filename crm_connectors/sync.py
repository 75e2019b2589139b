"""Copies a connector's records into the local index: full (replace) or delta (upsert)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from crm_connectors.connector import CrmConnector
from crm_connectors.index import CrmIndex

log = logging.getLogger(__name__)

#: Re-read a little before the last delta: clocks differ, and vendors stamp `Modified` at commit.
DELTA_OVERLAP = timedelta(minutes=2)


class SyncMode(StrEnum):
    FULL = "full"
    DELTA = "delta"


@dataclass(frozen=True, slots=True)
class SyncResult:
    tenant: str
    source: str
    mode: SyncMode
    written: int
    started_at: datetime


async def sync_connector(
    connector: CrmConnector,
    index: CrmIndex,
    tenant: str,
    mode: SyncMode,
    *,
    now: datetime | None = None,
) -> SyncResult:
    """Run one sync. A delta without an earlier sync becomes a full one.

    Full sync drops records that vanished from the CRM; delta sync cannot see deletions, which is
    why a nightly full sync is scheduled as well.
    """
    started = now or datetime.now(UTC)
    state = await asyncio.to_thread(index.sync_state, tenant, connector.name)
    if mode is SyncMode.DELTA and (state is None or state.last_delta_at is None):
        mode = SyncMode.FULL
    if mode is SyncMode.FULL:
        records = [r async for r in connector.iter_records(None) if r.phones]
        written = await asyncio.to_thread(
            index.replace_source, tenant, connector.name, records, now=started
        )
        await asyncio.to_thread(index.set_sync_state, tenant, connector.name, full_at=started)
    else:
        assert state is not None and state.last_delta_at is not None
        since = state.last_delta_at - DELTA_OVERLAP
        # Records without phones are written too: a number removed in the CRM must leave the index.
        records = [r async for r in connector.iter_records(since)]
        written = await asyncio.to_thread(index.upsert, tenant, records, now=started)
        await asyncio.to_thread(index.set_sync_state, tenant, connector.name, delta_at=started)
    log.info("crm sync %s/%s %s: %d records", tenant, connector.name, mode.value, written)
    return SyncResult(tenant, connector.name, mode, written, started)
