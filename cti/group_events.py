"""The group services' call events (docs/events.md, "Group calls"): what `GroupCalls` decides
about a hunt group's or an auto attendant's call, published to the tenant's own stream of group
events (`common.redis_keys.group_event_stream`) and read back by the GraphQL subscription
`groupCalls`.

Not the engine's stream: its entry ids are the engine's sequence numbers, replayed from its
journal; group calls live outside the engine, so their stream takes Redis's own ids. The types
are the one catalogue's (`common.event_types`).

Publishing never slows a call down: `publish` only queues; one task writes to Redis, and a full
queue (Redis away) drops events with a log line rather than holding calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.event_types import DATA_FIELDS, GROUP_CALL_EVENTS, RECORDED_ONLY_EVENTS, EventType
from common.redis_keys import group_event_stream

log = logging.getLogger(__name__)

EVENT_FIELD = "event"
MAXLEN = 100_000
"""Entries kept per tenant (approximate trimming, as the engine's stream)."""
QUEUE_SIZE = 10_000
READ_BLOCK_MS = 2_000
"""Below redis-py's default socket timeout (5 s): an XREAD blocked as long timed out, and an idle
subscription ended with an internal error."""


@dataclass(frozen=True, slots=True)
class GroupEvent:
    type: EventType
    timestamp: float
    tenant: str
    group: str
    """The hunt group's, auto attendant's, fax number's or conference room's number."""
    call_id: str
    caller: str
    reason: str
    member: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in GROUP_CALL_EVENTS | RECORDED_ONLY_EVENTS:
            raise ValueError(f"{self.type} is no event of the group events' stream")
        extra = set(self.data) - DATA_FIELDS[self.type]
        if extra:
            raise ValueError(f"{self.type} declares no data {sorted(extra)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> GroupEvent:
        raw = json.loads(text)
        return cls(**{**raw, "type": EventType(raw["type"])})


class GroupEventPublisher:
    """`publish` from the call path (never blocks); `run` writes to Redis until cancelled."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._queue: asyncio.Queue[GroupEvent] = asyncio.Queue(QUEUE_SIZE)

    def publish(self, event: GroupEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.error("group event %s of call %s dropped: the queue is full",
                      event.type, event.call_id)  # fmt: skip

    async def run(self) -> None:
        while True:
            event = await self._queue.get()
            key = group_event_stream(self._prefix, event.tenant)
            try:
                await self._redis.xadd(
                    key, {EVENT_FIELD: event.to_json()}, maxlen=MAXLEN, approximate=True
                )
            except RedisError as error:
                log.error("group event %s of call %s not published: %s",
                          event.type, event.call_id, error)  # fmt: skip

    async def settled(self) -> None:
        """Until every event published so far is written (tests)."""
        while not self._queue.empty():
            await asyncio.sleep(0.01)


async def position(redis: Redis, prefix: str, tenant: str) -> str:
    """The id of the tenant's latest group event ("0" for none): `follow` from here misses
    nothing published after this call."""
    latest: Any = await redis.xrevrange(group_event_stream(prefix, tenant), count=1)
    return str(latest[0][0]) if latest else "0"


async def follow(
    redis: Redis, prefix: str, tenant: str, since: str = "$"
) -> AsyncIterator[GroupEvent]:
    """The tenant's group events from now on (or after the entry `since`, a `position`; a
    subscription's), until the caller stops."""
    key = group_event_stream(prefix, tenant)
    last = since
    while True:
        answer: Any = await redis.xread({key: last}, count=100, block=READ_BLOCK_MS)
        for _stream, entries in answer or ():
            for entry_id, fields in entries:
                last = entry_id
                raw = fields.get(EVENT_FIELD) or fields.get(EVENT_FIELD.encode())
                if raw is None:
                    continue
                try:
                    yield GroupEvent.from_json(raw)
                except (ValueError, TypeError, KeyError) as error:
                    log.warning("group event %s of %s unreadable: %s", entry_id, tenant, error)
