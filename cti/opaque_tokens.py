"""Opaque bearer tokens kept in Redis, by SHA-256 only: the one store behind kiosk tokens
(cti/kiosk_tokens.py) and per-user CRM adapter tokens (cti/crm_user_tokens.py).

A token is `<kind prefix>` and 43 random characters, shown once when made. Layout per kind: a
per-tenant hash id -> record JSON, one platform-wide hash digest -> `tenant/id` (a token names
no tenant), and an id counter; a token is added and removed in both hashes in one MULTI, so a
revoked token is gone from both at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

Record = dict[str, Any]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OpaqueTokenKeys:
    token_prefix: str
    records: Callable[[str], str]
    """The tenant's hash of records."""
    digests: str
    ids: str


class OpaqueTokenStore:
    def __init__(self, redis: Redis, keys: OpaqueTokenKeys) -> None:
        self._redis = redis
        self._keys = keys

    def is_mine(self, token: str) -> bool:
        return token.startswith(self._keys.token_prefix)

    async def create(self, tenant: str, record: Callable[[int], Record]) -> tuple[Record, str]:
        """A new token for `tenant`; `record(id)` is what it stands for. Returns both."""
        token = self._keys.token_prefix + secrets.token_urlsafe(32)
        token_id = int(await self._redis.incr(self._keys.ids))
        stored = {**record(token_id), "id": token_id, "tenant": tenant, "digest": _digest(token)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.records(tenant), str(token_id), json.dumps(stored))
            pipe.hset(self._keys.digests, stored["digest"], f"{tenant}/{token_id}")
            await pipe.execute()
        return stored, token

    async def records(self, tenant: str) -> list[Record]:
        raw = await self._redis.hgetall(self._keys.records(tenant))
        return sorted((json.loads(value) for value in raw.values()), key=lambda r: int(r["id"]))

    async def remove(self, tenant: str, token_id: int, allowed: Callable[[Record], bool]) -> bool:
        """False when the tenant has no such token or `allowed` refuses its record."""
        key = self._keys.records(tenant)
        value = await self._redis.hget(key, str(token_id))
        if value is None:
            return False
        record = json.loads(value)
        if not allowed(record):
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(key, str(token_id))
            pipe.hdel(self._keys.digests, record["digest"])
            await pipe.execute()
        return True

    async def lookup(self, token: str) -> Record | None:
        """The live token's record, or None (unknown, revoked, or another kind of token)."""
        if not self.is_mine(token):
            return None
        where = await self._redis.hget(self._keys.digests, _digest(token))
        if where is None:
            return None
        tenant, _, token_id = str(where).rpartition("/")
        value = await self._redis.hget(self._keys.records(tenant), token_id)
        return None if value is None else dict(json.loads(value))
