"""Kiosk tokens: a TV on the wall reads one call center's wallboard, and nothing else.

A kiosk token is opaque (`okiosk_` and 43 random characters) and is not a `Principal`: the API's
sign-in check (`CtiServices.verify_token`) knows only JWTs and CRM API tokens, so a kiosk token
is refused as invalid by every endpoint but the wallboard's (cti/rest/wallboards.py), which
looks it up here. It names one tenant and one call center, lives until revoked, and is stored
as its SHA-256 only (the token itself is shown once, when made).

Redis layout (common/redis_keys.py): per tenant a hash id -> record, and one platform-wide hash
digest -> `tenant/id`; both change in one MULTI, so a revoked token is gone from both at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from common.redis_keys import kiosk_token_digests, kiosk_token_ids, kiosk_tokens

KIOSK_TOKEN_PREFIX = "okiosk_"


@dataclass(frozen=True, slots=True)
class KioskToken:
    id: int
    tenant: str
    call_center_id: str
    name: str
    created_by: str
    created_at: float


@dataclass(frozen=True, slots=True)
class CreatedKioskToken:
    info: KioskToken
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_kiosk_token(token: str) -> bool:
    return token.startswith(KIOSK_TOKEN_PREFIX)


class KioskTokens:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def create(
        self, tenant: str, call_center_id: str, name: str, created_by: str, now: float
    ) -> CreatedKioskToken:
        token = KIOSK_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = int(await self._redis.incr(kiosk_token_ids(self._prefix)))
        info = KioskToken(token_id, tenant, call_center_id, name, created_by, now)
        record = {**asdict(info), "digest": _digest(token)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(kiosk_tokens(self._prefix, tenant), str(token_id), json.dumps(record))
            pipe.hset(kiosk_token_digests(self._prefix), record["digest"], f"{tenant}/{token_id}")
            await pipe.execute()
        return CreatedKioskToken(info, token)

    async def list(self, tenant: str, call_center_id: str) -> list[KioskToken]:
        raw = await self._redis.hgetall(kiosk_tokens(self._prefix, tenant))
        tokens = [_info(json.loads(value)) for value in raw.values()]
        return sorted((t for t in tokens if t.call_center_id == call_center_id), key=lambda t: t.id)

    async def revoke(self, tenant: str, call_center_id: str, token_id: int) -> bool:
        """False when the tenant has no such live token for that call center."""
        key = kiosk_tokens(self._prefix, tenant)
        value = await self._redis.hget(key, str(token_id))
        if value is None:
            return False
        record = json.loads(value)
        if record["call_center_id"] != call_center_id:
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(key, str(token_id))
            pipe.hdel(kiosk_token_digests(self._prefix), record["digest"])
            await pipe.execute()
        return True

    async def verify(self, token: str) -> KioskToken | None:
        """The live token's record, or None (unknown, revoked, or not a kiosk token at all)."""
        if not is_kiosk_token(token):
            return None
        where = await self._redis.hget(kiosk_token_digests(self._prefix), _digest(token))
        if where is None:
            return None
        tenant, _, token_id = str(where).rpartition("/")
        value = await self._redis.hget(kiosk_tokens(self._prefix, tenant), token_id)
        return None if value is None else _info(json.loads(value))


def _info(record: dict[str, object]) -> KioskToken:
    return KioskToken(
        id=int(str(record["id"])),
        tenant=str(record["tenant"]),
        call_center_id=str(record["call_center_id"]),
        name=str(record["name"]),
        created_by=str(record["created_by"]),
        created_at=float(str(record["created_at"])),
    )
