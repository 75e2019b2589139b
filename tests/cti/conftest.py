# ruff: noqa: E402  (imports follow the sys.path set-up they need)
"""Shared fixtures for the CTI tests."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

# Test helpers live next to this file and are imported as `tests.cti.<module>` (which is also
# how mypy sees them); the repository root must be importable for that.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import pytest
from redis.asyncio import Redis

from cti.app import create_app
from cti.passwords import TEST_COST
from cti.settings import CtiSettings
from tests.cti.cti_fake_control import FakeControl
from tests.cti.cti_redis_testkit import REDIS_URL, delete_prefix, new_prefix
from tests.cti.cti_server import METRICS_TOKEN, TOKEN_SECRET, ThreadServer
from tests.cti.cti_world import (
    ManualClock,
    StaticScreenPop,
    World,
    seed_users,
    write_snapshots,
)


@pytest.fixture
def prefix() -> str:
    return new_prefix()


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        yield client
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """`CtiSettings` fields a test module changes for its world (override this fixture)."""
    return {}


@pytest.fixture
async def world(
    redis: Redis, prefix: str, tmp_path: Path, settings_overrides: dict[str, Any]
) -> AsyncIterator[World]:
    database_url = f"sqlite:///{tmp_path / 'cti.db'}"
    seed_users(database_url)
    await write_snapshots(redis, prefix)
    control = FakeControl(REDIS_URL, prefix)
    screen_pop = StaticScreenPop()
    clock = ManualClock(time.time())
    settings = CtiSettings(
        token_secret=TOKEN_SECRET,
        redis_url=REDIS_URL,
        key_prefix=prefix,
        database_url=database_url,
        password_cost=TEST_COST,
        control=control,
        screen_pop=screen_pop,
        sip_transactions=lambda: 3.0,
        sip_messages=lambda: {"received": 41, "sent": 40},
        fanout_block_ms=50,
        clock=clock,
        metrics_token=METRICS_TOKEN,
    )
    settings = dataclasses.replace(settings, **settings_overrides)
    server = ThreadServer(create_app(settings))
    await asyncio.to_thread(server.start)
    try:
        yield World(server, control, prefix, database_url, screen_pop, clock)
    finally:
        await asyncio.to_thread(server.stop)
        control.close()
