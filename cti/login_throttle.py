"""Brute-force protection for `POST /api/v1/auth/token`: failed logins counted per client
address and per account in Redis (so every web worker agrees), with exponential back-off.

Each counter lets `free_failures` failures through, then every further failure locks its key for
`first_delay * 2**(failures - free_failures)` seconds, capped at `max_delay`; a counter is
forgotten `window` seconds after its last failure. While either key is locked the endpoint answers
429 with `Retry-After` and does not check the password at all.

A successful login resets nothing: otherwise an attacker could wash its failures away by signing
in to an account of its own from the same address, or a victim's login from elsewhere would give
the attacker fresh guesses against that account.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from common.redis_keys import login_failures_by_account, login_failures_by_ip

_RECORD_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local free = tonumber(ARGV[2])
local delay = 0
if failures >= free then
  delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (failures - free))
  redis.call('HSET', KEYS[1], 'until', string.format('%.3f', tonumber(ARGV[1]) + delay))
end
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[5]) + delay))
return failures
"""
"""One script, so two workers failing at once both count and the lock follows the true count."""


@dataclass(frozen=True, slots=True)
class LoginLimits:
    ip_free_failures: int = 20
    """Several people may share an address (NAT, an office), so it gets more slack."""
    account_free_failures: int = 5
    first_delay: float = 1.0
    max_delay: float = 900.0
    window: float = 900.0


class LoginThrottle:
    def __init__(
        self, redis: Redis, prefix: str, limits: LoginLimits, clock: Callable[[], float]
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._limits = limits
        self._clock = clock
        self._record = redis.register_script(_RECORD_FAILURE)

    def _keys(self, address: str, account: str) -> tuple[tuple[str, int], tuple[str, int]]:
        digest = hashlib.sha256(account.encode()).hexdigest()
        return (
            (login_failures_by_ip(self._prefix, address), self._limits.ip_free_failures),
            (
                login_failures_by_account(self._prefix, digest),
                self._limits.account_free_failures,
            ),
        )

    async def retry_after(self, address: str, account: str) -> int | None:
        """Whole seconds until a login from `address` to `account` may be tried again, or None
        when it may be tried now."""
        now = self._clock()
        locked_until = [
            float(until)
            for key, _ in self._keys(address, account)
            if (until := await self._redis.hget(key, "until")) is not None
        ]
        # To the millisecond, as stored: float noise must not turn 1 s into `Retry-After: 2`.
        wait = round(max(locked_until, default=now) - now, 3)
        return math.ceil(wait) if wait > 0 else None

    async def record_failure(self, address: str, account: str) -> None:
        now = self._clock()
        for key, free in self._keys(address, account):
            await self._record(
                keys=[key],
                args=[
                    now,
                    free,
                    self._limits.first_delay,
                    self._limits.max_delay,
                    self._limits.window,
                ],
            )
