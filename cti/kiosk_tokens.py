"""Kiosk tokens: a TV on the wall reads one call center's wallboard, and nothing else.

A kiosk token is opaque (`okiosk_` and 43 random characters) and is not a `Principal`: the API's
sign-in check (`CtiServices.verify_token`) knows only JWTs and CRM API tokens, so a kiosk token
is refused as invalid by every endpoint but the wallboard's (cti/rest/wallboards.py), which
looks it up here. It names one tenant and one call center, lives until revoked, and is stored
as its SHA-256 only (cti/opaque_tokens.py; the token itself is shown once, when made).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from common.redis_keys import kiosk_token_digests, kiosk_token_ids, kiosk_tokens
from cti.opaque_tokens import OpaqueTokenKeys, OpaqueTokenStore, Record

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


def is_kiosk_token(token: str) -> bool:
    return token.startswith(KIOSK_TOKEN_PREFIX)


class KioskTokens:
    def __init__(self, redis: Redis, prefix: str) -> None:
        keys = OpaqueTokenKeys(
            token_prefix=KIOSK_TOKEN_PREFIX,
            records=lambda tenant: kiosk_tokens(prefix, tenant),
            digests=kiosk_token_digests(prefix),
            ids=kiosk_token_ids(prefix),
        )
        self._store = OpaqueTokenStore(redis, keys)

    async def create(
        self, tenant: str, call_center_id: str, name: str, created_by: str, now: float
    ) -> CreatedKioskToken:
        def record(token_id: int) -> Record:
            return asdict(KioskToken(token_id, tenant, call_center_id, name, created_by, now))

        stored, token = await self._store.create(tenant, record)
        return CreatedKioskToken(_info(stored), token)

    async def list(self, tenant: str, call_center_id: str) -> list[KioskToken]:
        records = await self._store.records(tenant)
        return [_info(r) for r in records if r["call_center_id"] == call_center_id]

    async def revoke(self, tenant: str, call_center_id: str, token_id: int) -> bool:
        """False when the tenant has no such live token for that call center."""
        return await self._store.remove(
            tenant, token_id, lambda record: record["call_center_id"] == call_center_id
        )

    async def verify(self, token: str) -> KioskToken | None:
        """The live token's record, or None (unknown, revoked, or not a kiosk token at all)."""
        record = await self._store.lookup(token)
        return None if record is None else _info(record)


def _info(record: Record) -> KioskToken:
    return KioskToken(
        id=int(str(record["id"])),
        tenant=str(record["tenant"]),
        call_center_id=str(record["call_center_id"]),
        name=str(record["name"]),
        created_by=str(record["created_by"]),
        created_at=float(str(record["created_at"])),
    )
