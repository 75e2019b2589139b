"""Revocable access tokens: one generation counter per user, in Redis.

A signed-in user's JWT names the generation its user had when it was issued (claim `gen`).
Revoking bumps the counter, so every token issued before stops working at once, in every API
process (they share Redis), without a list of revoked tokens to keep. A request costs one
Redis GET; a long-lived stream re-checks at most every `CtiSettings.stream_recheck_seconds`
(cti/stream_expiry.py).

What revokes: the user signing out everywhere (`POST /api/v1/auth/revoke`), and a provisioning
change to what a token carries or what signing in checks: the password, the roles, the
extension, the licences (a supervisor licence taken away), or the user deleted.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from common.redis_connect import sync_client
from common.redis_keys import token_generation
from provisioning.unit import Change

log = logging.getLogger(__name__)

SIGN_IN_FIELDS = frozenset({"password_changed", "roles", "extension", "licences"})
"""A user's fields (provisioning's audit JSON) whose change ends its sessions."""


class TokenGenerations:
    def __init__(self, redis_client: Redis, prefix: str) -> None:
        self._redis = redis_client
        self._prefix = prefix

    async def current(self, tenant: str, username: str) -> int:
        value = await self._redis.get(token_generation(self._prefix, tenant, username))
        return int(value or 0)

    async def revoke(self, tenant: str, username: str) -> int:
        """Every token of the user issued so far stops working; returns the new generation."""
        return int(await self._redis.incr(token_generation(self._prefix, tenant, username)))


def revokes_sign_in(change: Change) -> bool:
    if change.remote:  # the process that committed it ended the sessions (shared Redis)
        return False
    return change.entity == "user" and (
        change.action == "delete" or bool(change.changed & SIGN_IN_FIELDS)
    )


class RevokeOnAccountChange:
    """A provisioning listener: it runs in the thread that made the change, right after the
    commit and before the API answers, so the admin's next request already finds the old
    tokens dead. Hence a blocking Redis client of its own."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self._redis = sync_client(redis_url)
        self._prefix = prefix

    def __call__(self, change: Change) -> None:
        if revokes_sign_in(change):
            self._redis.incr(token_generation(self._prefix, change.tenant, change.key))
            log.info("%s/%s: sessions ended (%s)", change.tenant, change.key, change.action)

    def close(self) -> None:
        self._redis.close()
