"""Per-user CRM adapter tokens: one Salesforce user's Open CTI panel, one extension, nothing else.

The Open CTI adapter runs in every CRM user's browser, so it must not hold a tenant-wide API
token (which reads every report and dials from any extension). Instead each user makes its own
token (`/api/v1/me/crm-tokens`, cti/rest/crm_tokens.py), bound to its tenant, username and the
extension on its account when made. Such a token is accepted only by the adapter's own
endpoints (cti/rest/opencti.py: dial from that extension, screen pop, that extension's events);
everywhere else it is not a JWT nor an API token, so `CtiServices.verify_token` refuses it as
invalid.

It expires (`expires_at`), is revoked by its user or an admin, and dies with the user's sign-in
generation (cti/token_revocation.py): signing out everywhere, a new password, another extension
or the account deleted end it, exactly as they end the user's sessions. Stored as its SHA-256
only (cti/opaque_tokens.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from common.redis_keys import crm_user_token_digests, crm_user_token_ids, crm_user_tokens
from cti.opaque_tokens import OpaqueTokenKeys, OpaqueTokenStore, Record
from cti.token_revocation import TokenGenerations

CRM_USER_TOKEN_PREFIX = "occrm_"
MAX_TTL_DAYS = 90
DEFAULT_TTL_DAYS = 30
MAX_PER_USER = 10
"""Live tokens a user may hold (a browser or two, a spare): making more fails, so no one
fills Redis with tokens."""


class TooManyTokens(Exception):
    def __init__(self) -> None:
        super().__init__(f"at most {MAX_PER_USER} CRM tokens per user; revoke one first")


@dataclass(frozen=True, slots=True)
class CrmUserToken:
    id: int
    tenant: str
    username: str
    extension: str
    name: str
    created_by: str
    created_at: float
    expires_at: float
    generation: int
    """The user's token generation when made; a later one means the user's tokens were revoked."""


@dataclass(frozen=True, slots=True)
class CreatedCrmUserToken:
    info: CrmUserToken
    token: str


def is_crm_user_token(token: str) -> bool:
    return token.startswith(CRM_USER_TOKEN_PREFIX)


class CrmUserTokens:
    def __init__(self, redis: Redis, prefix: str) -> None:
        keys = OpaqueTokenKeys(
            token_prefix=CRM_USER_TOKEN_PREFIX,
            records=lambda tenant: crm_user_tokens(prefix, tenant),
            digests=crm_user_token_digests(prefix),
            ids=crm_user_token_ids(prefix),
        )
        self._store = OpaqueTokenStore(redis, keys)
        self._generations = TokenGenerations(redis, prefix)

    async def create(
        self,
        tenant: str,
        username: str,
        extension: str,
        name: str,
        created_by: str,
        now: float,
        ttl_seconds: float,
    ) -> CreatedCrmUserToken:
        mine = await self.list(tenant, username)
        for expired in (t for t in mine if now >= t.expires_at):
            await self.revoke(tenant, expired.id)
        if sum(now < t.expires_at for t in mine) >= MAX_PER_USER:
            raise TooManyTokens
        generation = await self._generations.current(tenant, username)

        def record(token_id: int) -> Record:
            info = CrmUserToken(
                token_id,
                tenant,
                username,
                extension,
                name,
                created_by,
                now,
                now + ttl_seconds,
                generation,
            )
            return asdict(info)

        stored, token = await self._store.create(tenant, record)
        return CreatedCrmUserToken(_info(stored), token)

    async def list(self, tenant: str, username: str | None = None) -> list[CrmUserToken]:
        """The tenant's tokens, or one user's (an expired one stays until revoked or until its
        user makes another)."""
        tokens = [_info(r) for r in await self._store.records(tenant)]
        return [t for t in tokens if username is None or t.username == username]

    async def revoke(self, tenant: str, token_id: int, username: str | None = None) -> bool:
        """False when the tenant has no such token (of `username`, when given)."""
        return await self._store.remove(
            tenant, token_id, lambda r: username is None or r["username"] == username
        )

    async def verify(self, token: str, now: float) -> CrmUserToken | None:
        """The live token, or None: unknown, revoked, expired, its user's sessions ended since
        it was made, or not a CRM adapter token at all."""
        record = await self._store.lookup(token)
        if record is None:
            return None
        info = _info(record)
        if now >= info.expires_at:
            return None
        if info.generation != await self._generations.current(info.tenant, info.username):
            return None
        return info


def _info(record: Record) -> CrmUserToken:
    return CrmUserToken(
        id=int(record["id"]),
        tenant=str(record["tenant"]),
        username=str(record["username"]),
        extension=str(record["extension"]),
        name=str(record["name"]),
        created_by=str(record["created_by"]),
        created_at=float(record["created_at"]),
        expires_at=float(record["expires_at"]),
        generation=int(record["generation"]),
    )
