"""Shared fixtures for the CTI tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cti_redis_testkit import REDIS_URL, delete_prefix, new_prefix
from redis.asyncio import Redis


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
