"""The PBX fixtures of tests/pbx_core (free ports, own Redis prefix, rtpengine, prompts), plus
the engine runtime wired to that PBX as the product wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core.service import PbxService
from tests.pbx_core.conftest import (
    REDIS_URL,
    events,
    pbx,
    pbx_config,
    prompts_dir,
    redis_prefix,
    rtpengine,
)

__all__ = ["events", "pbx", "pbx_config", "prompts_dir", "redis_prefix", "rtpengine"]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@asynccontextmanager
async def running_runtime(
    pbx: PbxService, redis: Redis, prefix: str, **options: Any
) -> AsyncIterator[EngineRuntime]:
    """The demo tenant's engine runtime on `pbx`, started (a restart: another one after it)."""
    instance = EngineRuntime(
        [demo_tenant_config()],
        pbx,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        prompts_dir=pbx.config.prompts_dir,
        **options,
    )
    pbx.register_handler(instance.on_call_event)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


@pytest.fixture
async def runtime(pbx: PbxService, redis: Redis, redis_prefix: str) -> AsyncIterator[EngineRuntime]:
    async with running_runtime(pbx, redis, redis_prefix.rstrip(":")) as instance:
        yield instance
