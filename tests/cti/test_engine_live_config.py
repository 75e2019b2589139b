"""A call center changed through provisioning runs at once in the engine runtime (Redis, a
recording PBX): callers already waiting keep their places, a new caller meets the new setting,
and a restart resumes under the new config."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import create_engine

from cti.engine_provisioning import LiveEngineConfig
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.passwords import TEST_COST, hash_password
from cti.provisioning_demo import seed_demo_company
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from provisioning.db import migrate
from provisioning.schedules import ScheduleKind
from provisioning.service import ProvisioningService
from tests.cti.test_engine_dispatch import OPEN, RecordingPbx

CALLER = "+31201234567"


@pytest.fixture
def service(tmp_path: Path) -> ProvisioningService:
    engine = create_engine(f"sqlite:///{tmp_path / 'prov.db'}")
    migrate(engine)
    made = ProvisioningService(engine, partial(hash_password, cost=TEST_COST))
    seed_demo_company(made)
    return made


def new_runtime(
    service: ProvisioningService, port: RecordingPbx, redis: Redis, prefix: str
) -> EngineRuntime:
    return EngineRuntime(
        [service.engine_config("demo")],
        port,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        clock=lambda: OPEN,
    )


@pytest.fixture
def port() -> RecordingPbx:
    return RecordingPbx()


async def waiting(runtime: EngineRuntime, number: str) -> list[str]:
    centers = {c.id: c for c in await runtime.call_centers("demo")}
    return [w.call_id for w in centers[number].waiting_calls]


def busy(port: RecordingPbx) -> list[str]:
    return [c.call_id for c in port.sent if isinstance(c, pbx.Reject) and c.code == 486]


async def test_a_patched_call_center_runs_at_once_and_waiting_calls_stay(
    service: ProvisioningService, port: RecordingPbx, redis: Redis, prefix: str
) -> None:
    runtime = new_runtime(service, port, redis, prefix)
    await runtime.start()
    try:
        live = LiveEngineConfig(service, runtime, asyncio.get_running_loop())
        for call_id in ("c-1", "c-2", "c-3"):
            await runtime.on_call_event(
                pbx.CallOffered(call_id, CALLER, "7001", pbx.CallSource.TRUNK)
            )
        await runtime.on_call_event(pbx.CallOffered("s-1", CALLER, "7003", pbx.CallSource.TRUNK))
        assert await waiting(runtime, "7001") == ["c-1", "c-2", "c-3"]

        await asyncio.to_thread(
            service.update_call_center, "admin", "demo", "7001", {"max_waiters": 3}
        )
        await live.settled()
        await runtime.flush()
        # The journal made under the old config is replaced by a snapshot under the new one.
        assert await redis.get(runtime.engine_snapshot_key("demo")) is not None
        assert await redis.llen(runtime.journal_key("demo")) == 0
        assert await waiting(runtime, "7001") == ["c-1", "c-2", "c-3"]
        assert await waiting(runtime, "7003") == ["s-1"]
        snapshot = {c.id: c for c in await runtime.call_centers("demo")}
        assert snapshot["7001"].max_waiters == 3
        # The fourth caller meets the new limit: busy; the three keep waiting.
        await runtime.on_call_event(pbx.CallOffered("c-4", CALLER, "7001", pbx.CallSource.TRUNK))
        assert busy(port) == ["c-4"]
        assert await waiting(runtime, "7001") == ["c-1", "c-2", "c-3"]
        # A change the engine does not see (a schedule no call center names) changes nothing.
        hours = {
            "timezone": "Europe/Amsterdam",
            "hours": [{"weekday": 0, "start": "08:00", "end": "18:00"}],
        }
        await asyncio.to_thread(
            service.put_schedule, "admin", "demo", ScheduleKind.WEEKLY, "office", hours
        )
        await live.settled()
        assert await waiting(runtime, "7001") == ["c-1", "c-2", "c-3"]
        await runtime.flush()
    finally:
        await runtime.stop()

    # A restart runs the new config on the state the change left (no replay under the old one).
    again = new_runtime(service, port, redis, prefix)
    await again.start()
    try:
        await again.flush()
        await again.on_call_event(pbx.CallOffered("c-5", CALLER, "7001", pbx.CallSource.TRUNK))
        await again.on_call_event(pbx.CallOffered("c-6", CALLER, "7001", pbx.CallSource.TRUNK))
        await again.on_call_event(pbx.CallOffered("c-7", CALLER, "7001", pbx.CallSource.TRUNK))
        await again.on_call_event(pbx.CallOffered("c-8", CALLER, "7001", pbx.CallSource.TRUNK))
        assert await waiting(again, "7001") == ["c-5", "c-6", "c-7"]
        assert busy(port) == ["c-4", "c-8"]
    finally:
        await again.stop()
