"""Redis helpers for the CTI tests: a real Redis, a key prefix of our own, never a FLUSH."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def new_prefix() -> str:
    return f"ctitest:{uuid.uuid4().hex[:12]}"


async def delete_prefix(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await redis.delete(*keys)
