"""Bel-me-nu's guards (seed 3.3.6, docs/group-services.md): which visitor numbers a website
button may have called, and how often.

The endpoint is public (the visitor is anonymous), so anyone may post to it; every request costs
the company a ringing phone and an outgoing call. Hence:
- a visitor number must be a valid Dutch number (or, where the button allows it, a foreign one)
  and never premium rate, a service number or an emergency number;
- fixed-window counters in Redis (so every web worker agrees) per client address, per button and
  per visitor number; over a limit the answer is 429 with the seconds until its window ends.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from redis.asyncio import Redis

from common.number_categories import Category
from common.redis_keys import belmenu_requests
from pbx_core.trunks.numbering import outside_number


class Scope(StrEnum):
    ADDRESS = "address"
    BUTTON = "button"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window: int
    """Seconds."""


@dataclass(frozen=True, slots=True)
class BelmenuLimits:
    address: Limit = Limit(5, 600)
    """Every request from one client address counts, refused ones too (a flood of garbage)."""
    button: Limit = Limit(60, 3600)
    """Calls one button starts: the company's phones are not rung all day by a botnet."""
    number: Limit = Limit(3, 3600)
    """Calls to one visitor number: nobody is harassed through the company's button."""


@dataclass(frozen=True, slots=True)
class Refusal:
    field: str
    reason: str


def visitor_number(text: str, international: bool) -> str | Refusal:
    """The visitor's typed number as E.164, or why it is refused (pure)."""
    typed = "".join(ch for ch in text if ch not in " -.()/")
    found = outside_number(typed)
    if found is None:
        return Refusal("number", "not a valid telephone number")
    match found.category:
        case Category.NATIONAL | Category.MOBILE:
            return found.e164
        case Category.INTERNATIONAL if international:
            return found.e164
        case Category.INTERNATIONAL:
            return Refusal("number", "only Dutch numbers can be called back")
        case Category.EMERGENCY | Category.PREMIUM_RATE | Category.SERVICE | Category.INTERNAL:
            kind = found.category.value.replace("_", " ")
            return Refusal("number", f"{kind} numbers cannot be called back")
        case _:
            assert_never(found.category)


_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if count > tonumber(ARGV[2]) then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) * 1000 end
  return left
end
return 0
"""
"""One script: two workers counting at once both count, and a key never stays without expiry."""


class RequestCounter:
    def __init__(self, redis: Redis, prefix: str, limits: BelmenuLimits) -> None:
        self._redis = redis
        self._prefix = prefix
        self._limits = limits
        self._count = redis.register_script(_COUNT)

    def _limit(self, scope: Scope) -> Limit:
        match scope:
            case Scope.ADDRESS:
                return self._limits.address
            case Scope.BUTTON:
                return self._limits.button
            case Scope.NUMBER:
                return self._limits.number
            case _:
                assert_never(scope)

    async def take(self, scope: Scope, subject: str) -> int | None:
        """Count one request against `subject`; whole seconds to wait when it is over the
        limit, else None. Numbers are keyed by a digest: Redis holds no visitor's number."""
        if scope is Scope.NUMBER:
            subject = hashlib.sha256(subject.encode()).hexdigest()
        limit = self._limit(scope)
        key = belmenu_requests(self._prefix, scope.value, subject)
        left_ms = int(await self._count(keys=[key], args=[limit.window, limit.requests]))
        return math.ceil(left_ms / 1000) or 1 if left_ms > 0 else None
