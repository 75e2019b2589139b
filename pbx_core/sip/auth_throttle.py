"""Failed digest authentications per source address, and the ban they earn (issue 15.5, 19.3).

`max_failures` failed REGISTERs or INVITEs (wrong password, user, realm, uri, replay) from one
address within `window_seconds` ban it for `ban_seconds`: its REGISTERs and new INVITEs get
503 with Retry-After, without a digest being looked at, so password guessing stops and costs the
PBX nothing. Other addresses are not touched. A success does not clear the count: one valid
account must not buy unlimited guesses at the others. Fed by the SIP thread with a clock; no I/O.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_TRACKED_ADDRESSES = 100_000
"""Addresses with recent failures or a ban kept at once; beyond it the least recently failing
are forgotten (a flood from many addresses cannot grow memory without bound)."""


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_failures: int = 10
    window_seconds: float = 60.0
    ban_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class ThrottleCounts:
    """For /metrics."""

    failures: int
    bans: int
    banned_now: int


class AuthThrottle:
    def __init__(
        self,
        policy: ThrottlePolicy = ThrottlePolicy(),
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._max_tracked = max_tracked
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._banned_until: dict[str, float] = {}
        self._total_failures = 0
        self._total_bans = 0

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until `address`'s ban ends; None: not banned."""
        until = self._banned_until.get(address)
        if until is None:
            return None
        left = until - self._clock()
        if left <= 0:
            del self._banned_until[address]
            return None
        return max(1, math.ceil(left))

    def failed(self, address: str, what: str) -> None:
        """`what` failed to authenticate from `address` (e.g. "REGISTER 1001@acme.test")."""
        self._total_failures += 1
        now = self._clock()
        recent = self._failures.pop(address, None) or deque()
        self._failures[address] = recent  # now the most recently failing
        recent.append(now)
        while recent and recent[0] <= now - self._policy.window_seconds:
            recent.popleft()
        if len(recent) >= self._policy.max_failures:
            del self._failures[address]
            self._banned_until[address] = now + self._policy.ban_seconds
            self._total_bans += 1
            log.warning(
                "SIP source %s banned for %.0f s: %d failed authentications in %.0f s (last: %s)",
                address, self._policy.ban_seconds, len(recent),
                self._policy.window_seconds, what,
            )  # fmt: skip
        while len(self._failures) > self._max_tracked:
            self._failures.popitem(last=False)
        if len(self._banned_until) > self._max_tracked:
            self._banned_until = {a: t for a, t in self._banned_until.items() if t > now}

    def counts(self) -> ThrottleCounts:
        now = self._clock()
        banned = sum(1 for until in list(self._banned_until.values()) if until > now)
        return ThrottleCounts(self._total_failures, self._total_bans, banned)
