"""Manager/Assistant's filtered-call lists in Redis, so they survive a restart
(docs/manager-assistant.md): per tenant and manager one JSON list (`filtered_calls`), newest
first, at most `KEEP_PER_MANAGER`, rewritten whole at each change (50 small entries: one `SET`
keeps the list and its order consistent without a script)."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from common.redis_keys import filtered_calls

KEEP_PER_MANAGER = 50


class FilteredCallsStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def read(self, tenant: str, manager: str) -> list[dict[str, Any]]:
        raw = await self._redis.get(filtered_calls(self._prefix, tenant, manager))
        if not raw:
            return []
        stored = json.loads(raw)
        return stored if isinstance(stored, list) else []

    async def write(self, tenant: str, manager: str, calls: list[dict[str, Any]]) -> None:
        key = filtered_calls(self._prefix, tenant, manager)
        await self._redis.set(key, json.dumps(calls[:KEEP_PER_MANAGER]))
