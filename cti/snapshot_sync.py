"""Copy the engine runtime's live state into Redis (for the runtime to call after each step)."""

from __future__ import annotations

import time

from cti.control import CallCenterControl
from cti.snapshots import SnapshotStore, TenantSnapshot


async def publish_snapshot(
    control: CallCenterControl, store: SnapshotStore, tenant: str, sequence: int
) -> None:
    """Write the whole snapshot of `tenant` as of event `sequence` (atomic for readers)."""
    await store.write(
        tenant,
        TenantSnapshot(
            call_centers=list(await control.call_centers(tenant)),
            agents=list(await control.agents(tenant)),
            calls=list(await control.active_calls(tenant)),
            sequence=sequence,
            written_at=time.time(),
        ),
    )
