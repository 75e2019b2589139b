"""An API process without an engine (`cti/serve.py`: `relay_commands`) behind an HTTP balancer:
its call-center commands are relayed to the node running the tenant's engine and answered with
that node's result or refusal (docs/deploy.md, the tenant engine lease, point 9). The holder is
a `LeasedEngineRuntime` on the test's Redis and prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_leased import LeasedEngineRuntime
from cti.event_log import EventLog
from cti.snapshots import AgentState, SnapshotStore
from tests.cti.cti_clients import graphql, login
from tests.cti.cti_world import World
from tests.cti.test_engine_dispatch import OPEN, RecordingPbx


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"control": None, "relay_commands": True}


@pytest.fixture
async def holder(redis: Redis, prefix: str) -> AsyncIterator[LeasedEngineRuntime]:
    runtime = LeasedEngineRuntime(
        [demo_tenant_config()],
        RecordingPbx(),
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        node="holder",
        clock=lambda: OPEN,
    )
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def test_an_api_process_without_an_engine_relays_commands_to_the_holder(
    world: World, holder: LeasedEngineRuntime
) -> None:
    base = world.server.base_url
    token = await login(base, "1002", "pw1002")

    answer = await graphql(base, token, "mutation { setAgentState(state: AVAILABLE) { accepted } }")

    assert answer == {"data": {"setAgentState": {"accepted": True}}}, answer
    states = {a.extension: a.state for a in await holder.agents("demo")}
    assert states["1002"] is AgentState.AVAILABLE
    # The holder's refusal, with its words, is the API's answer.
    async with httpx.AsyncClient(base_url=base) as http:
        refused = await http.post(
            "/api/v1/calls",
            json={"extension": "1002", "destination": "12#"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert refused.status_code == 409
    assert "not a number to dial" in refused.json()["detail"]


async def test_with_no_node_running_the_tenant_a_command_is_503_engine_unreachable(
    world: World,
) -> None:
    base = world.server.base_url
    token = await login(base, "1002", "pw1002")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.post(
            "/api/v1/calls",
            json={"extension": "1002", "destination": "0201234567"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 503
    assert "nothing was done" in answer.json()["detail"]
