"""Two tenants with the same call-center number in one engine runtime: `CallOffered.tenant`
picks the engine, a tenant created while running takes calls at once (PbxAdapter, add_tenant)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from tests.cti.test_engine_dispatch import OPEN, RecordingPbx

CALLER = "+31201234567"


@pytest.fixture
def port() -> RecordingPbx:
    return RecordingPbx()


@pytest.fixture
async def runtime(redis: Redis, prefix: str, port: RecordingPbx) -> AsyncIterator[EngineRuntime]:
    instance = EngineRuntime(
        [demo_tenant_config()],
        port,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        clock=lambda: OPEN,
    )
    await instance.start()
    yield instance
    await instance.stop()


async def waiting(runtime: EngineRuntime, tenant: str) -> list[str]:
    centers = {c.id: c for c in await runtime.call_centers(tenant)}
    return [w.call_id for w in centers["7001"].waiting_calls]


async def test_each_tenants_7001_takes_its_own_calls(runtime: EngineRuntime) -> None:
    await runtime.add_tenant(dataclasses.replace(demo_tenant_config(), tenant="acme"))
    assert runtime.runs("acme")
    offered = pbx.CallOffered("c-demo", CALLER, "7001", pbx.CallSource.TRUNK, tenant="demo")
    await runtime.on_call_event(offered)
    offered = pbx.CallOffered("c-acme", CALLER, "7001", pbx.CallSource.TRUNK, tenant="acme")
    await runtime.on_call_event(offered)
    assert await waiting(runtime, "demo") == ["c-demo"]
    assert await waiting(runtime, "acme") == ["c-acme"]


async def test_a_call_for_a_tenant_that_runs_no_such_number_is_refused(
    runtime: EngineRuntime, port: RecordingPbx
) -> None:
    offered = pbx.CallOffered("c-x", CALLER, "7001", pbx.CallSource.TRUNK, tenant="acme")
    await runtime.on_call_event(offered)
    assert port.sent == [pbx.Reject("c-x", 404, "Not Found")]
    assert await waiting(runtime, "demo") == []
