"""At most `limit` open websocket/SSE connections per principal, counted in Redis so the limit
holds across web workers.

Each connection holds a lease (a member of the principal's sorted set, scored by its expiry)
that it renews while open and removes when it ends; a worker that dies leaves leases that simply
expire, so a crash never locks a user out for longer than one lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from common.redis_keys import open_connections
from cti.principal import Principal

LEASE_SECONDS = 60.0

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""
"""Prune, count and add in one step, so two workers cannot both take the last slot."""


class TooManyConnections(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"too many open connections for this user (limit {limit})")


class ConnectionSlots:
    def __init__(self, redis: Redis, prefix: str, limit: int, clock: Callable[[], float]) -> None:
        self._redis = redis
        self._prefix = prefix
        self._limit = limit
        self._clock = clock
        self._acquire = redis.register_script(_ACQUIRE)

    @contextlib.asynccontextmanager
    async def hold(self, principal: Principal) -> AsyncIterator[None]:
        """A slot for one connection of `principal` while the block runs; raises
        TooManyConnections when all its slots are taken."""
        key = open_connections(self._prefix, principal.tenant, principal.username)
        lease = secrets.token_hex(8)
        ttl = math.ceil(LEASE_SECONDS)
        taken = await self._acquire(
            keys=[key],
            args=[self._clock(), self._limit, self._clock() + LEASE_SECONDS, lease, ttl],
        )
        if not taken:
            raise TooManyConnections(self._limit)
        renewing = asyncio.create_task(self._renew(key, lease, ttl))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self._redis.zrem(key, lease)

    async def _renew(self, key: str, lease: str, ttl: int) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            await self._redis.zadd(key, {lease: self._clock() + LEASE_SECONDS}, xx=True)
            await self._redis.expire(key, ttl)
