"""The thin, read-only interface to live state: snapshots and the event stream in Redis.

The dashboard never writes Redis and never imports the engine. It reads the layout the CTI
layer documents (docs/cti.md "Snapshot layout", docs/events.md):

- `{prefix}:{tenant}:snapshot:call_centers|agents|calls` hashes of JSON records,
- `{prefix}:{tenant}:events`, a stream whose entries carry one field `event` (JSON).

The records are parsed into this module's own small types, so a field the dashboard does not
use can change without breaking it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from common.redis_connect import async_client
from common.redis_keys import DEFAULT_PREFIX, event_stream, snapshot_key

EVENT_FIELD = "event"


@dataclass(frozen=True, slots=True)
class WaitingCall:
    call_id: str
    caller: str
    position: int
    priority: int
    arrived_at: float


@dataclass(frozen=True, slots=True)
class CallCenter:
    id: str
    number: str
    name: str
    tier: str
    max_waiters: int
    members: tuple[str, ...] = ()
    waiting_calls: tuple[WaitingCall, ...] = ()
    night_service_override: bool | None = None
    forced_forwarding: bool = False

    @property
    def premium(self) -> bool:
        return self.tier.lower() == "premium"


@dataclass(frozen=True, slots=True)
class Agent:
    extension: str
    state: str
    state_since: float
    unavailable_code: str | None = None
    call_centers: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class ActiveCall:
    call_id: str
    agent: str
    caller: str
    phase: str
    since: float
    call_center_id: str | None = None


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    call_centers: tuple[CallCenter, ...] = ()
    agents: tuple[Agent, ...] = ()
    calls: tuple[ActiveCall, ...] = ()

    def call_center(self, call_center_id: str) -> CallCenter | None:
        return next((c for c in self.call_centers if c.id == call_center_id), None)


@dataclass(frozen=True, slots=True)
class Event:
    """A domain event as the dashboard needs it (docs/events.md)."""

    type: str
    sequence: int
    timestamp: float
    call_center_id: str | None = None
    call_id: str | None = None
    agent: str | None = None
    caller: str | None = None
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


StreamBatch = tuple[str, list[Event]]
"""The id of the last entry read and the events read, oldest first."""


class LiveSource(Protocol):
    """What the dashboard reads. `RedisLiveSource` is the real one; tests may pass another."""

    async def snapshot(self, tenant: str) -> LiveSnapshot: ...

    async def last_id(self, tenant: str) -> str: ...

    async def events_since(self, tenant: str, since: float, until_id: str) -> list[Event]:
        """Events with timestamp >= since, up to and including entry `until_id`, oldest first."""
        ...

    async def wait_events(self, tenant: str, after_id: str, block_ms: int) -> StreamBatch:
        """Events after entry `after_id`, waiting up to `block_ms` for the first one."""
        ...

    async def close(self) -> None: ...


def parse_call_center(raw: Mapping[str, Any]) -> CallCenter:
    return CallCenter(
        id=str(raw["id"]),
        number=str(raw.get("number") or raw["id"]),
        name=str(raw.get("name") or ""),
        tier=str(raw.get("tier") or ""),
        max_waiters=int(raw.get("max_waiters") or 0),
        members=tuple(str(m) for m in raw.get("members") or ()),
        waiting_calls=tuple(
            sorted(
                (
                    WaitingCall(
                        call_id=str(w["call_id"]),
                        caller=str(w.get("caller") or ""),
                        position=int(w.get("position") or 0),
                        priority=int(w.get("priority") or 0),
                        arrived_at=float(w.get("arrived_at") or 0.0),
                    )
                    for w in raw.get("waiting_calls") or ()
                ),
                key=lambda w: w.position,
            )
        ),
        night_service_override=raw.get("night_service_override"),
        forced_forwarding=bool(raw.get("forced_forwarding", False)),
    )


def parse_agent(raw: Mapping[str, Any]) -> Agent:
    return Agent(
        extension=str(raw["extension"]),
        state=str(raw.get("state") or "SIGN_OUT"),
        state_since=float(raw.get("state_since") or 0.0),
        unavailable_code=raw.get("unavailable_code"),
        call_centers=tuple(str(c) for c in raw.get("call_centers") or ()),
        name=str(raw.get("name") or ""),
    )


def parse_call(raw: Mapping[str, Any]) -> ActiveCall:
    return ActiveCall(
        call_id=str(raw["call_id"]),
        agent=str(raw.get("agent") or ""),
        caller=str(raw.get("caller") or ""),
        phase=str(raw.get("phase") or ""),
        since=float(raw.get("since") or 0.0),
        call_center_id=raw.get("call_center_id"),
    )


def parse_event(raw: Mapping[str, Any]) -> Event:
    return Event(
        type=str(raw["type"]),
        sequence=int(raw.get("sequence", -1)),
        timestamp=float(raw.get("timestamp") or 0.0),
        call_center_id=raw.get("call_center_id"),
        call_id=raw.get("call_id"),
        agent=raw.get("agent"),
        caller=raw.get("caller"),
        reason=str(raw.get("reason") or ""),
        data=dict(raw.get("data") or {}),
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _records(raw: Any) -> list[dict[str, Any]]:
    found = []
    for value in dict(raw or {}).values():
        try:
            found.append(json.loads(_text(value)))
        except ValueError:
            continue  # one bad record must not blank the whole dashboard
    return found


def _entries(raw: Any) -> list[tuple[str, Event | None]]:
    out: list[tuple[str, Event | None]] = []
    for entry_id, fields in raw or ():
        values = {_text(k): _text(v) for k, v in dict(fields or {}).items()}
        try:
            event: Event | None = parse_event(json.loads(values[EVENT_FIELD]))
        except (KeyError, ValueError, TypeError):
            event = None
        out.append((_text(entry_id), event))
    return out


class RedisLiveSource:
    """Reads one installation's snapshots and streams (key prefix `prefix`)."""

    def __init__(self, redis: Redis, prefix: str = DEFAULT_PREFIX, page: int = 1000) -> None:
        self._redis = redis
        self._prefix = prefix
        self._page = page

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RedisLiveSource:
        return cls(async_client(url, decode_responses=True, socket_timeout=None), prefix)

    def _key(self, tenant: str, part: str) -> str:
        return snapshot_key(self._prefix, tenant, part)

    def stream(self, tenant: str) -> str:
        return event_stream(self._prefix, tenant)

    async def snapshot(self, tenant: str) -> LiveSnapshot:
        pipe = self._redis.pipeline(transaction=True)
        for part in ("call_centers", "agents", "calls"):
            pipe.hgetall(self._key(tenant, part))
        raw_centers, raw_agents, raw_calls = await pipe.execute()
        return LiveSnapshot(
            call_centers=tuple(
                sorted((parse_call_center(r) for r in _records(raw_centers)), key=_by_number)
            ),
            agents=tuple(
                sorted((parse_agent(r) for r in _records(raw_agents)), key=lambda a: a.extension)
            ),
            calls=tuple(
                sorted((parse_call(r) for r in _records(raw_calls)), key=lambda c: c.since)
            ),
        )

    async def last_id(self, tenant: str) -> str:
        newest = _entries(await self._redis.xrevrange(self.stream(tenant), count=1))
        return newest[0][0] if newest else "0-0"

    async def events_since(self, tenant: str, since: float, until_id: str) -> list[Event]:
        """Walks the stream backwards from `until_id` until an event is older than `since`.

        Stream ids follow the sequence, not the clock, so "today" is found by timestamps.
        """
        if until_id == "0-0":
            return []
        found: list[Event] = []
        upper = until_id
        while True:
            page = _entries(
                await self._redis.xrevrange(self.stream(tenant), max=upper, count=self._page)
            )
            for _, event in page:
                if event is None:
                    continue
                if event.timestamp < since:
                    found.reverse()
                    return found
                found.append(event)
            if len(page) < self._page:
                found.reverse()
                return found
            upper = "(" + page[-1][0]

    async def wait_events(self, tenant: str, after_id: str, block_ms: int) -> StreamBatch:
        raw = await self._redis.xread({self.stream(tenant): after_id}, count=500, block=block_ms)
        items = raw.items() if isinstance(raw, dict) else (raw or ())
        last = after_id
        events: list[Event] = []
        for _, entries in items:
            for entry_id, event in _entries(entries):
                last = entry_id
                if event is not None:
                    events.append(event)
        return last, events

    async def close(self) -> None:
        await self._redis.aclose()


def _by_number(call_center: CallCenter) -> str:
    return call_center.number


def visible(snapshot: LiveSnapshot, call_center_ids: Iterable[str]) -> LiveSnapshot:
    """Only the given call centers, their member agents and their calls."""
    wanted = set(call_center_ids)
    centers = tuple(c for c in snapshot.call_centers if c.id in wanted)
    members = {m for c in centers for m in c.members}
    return LiveSnapshot(
        call_centers=centers,
        agents=tuple(
            a
            for a in snapshot.agents
            if a.extension in members or any(c in wanted for c in a.call_centers)
        ),
        calls=tuple(
            c
            for c in snapshot.calls
            if c.call_center_id in wanted or (c.call_center_id is None and c.agent in members)
        ),
    )


def agents_of(snapshot: LiveSnapshot, call_center: CallCenter) -> tuple[Agent, ...]:
    """The call center's members, in member order (signed out when the snapshot lacks one)."""
    by_extension = {a.extension: a for a in snapshot.agents}
    return tuple(
        by_extension.get(extension) or Agent(extension=extension, state="SIGN_OUT", state_since=0)
        for extension in call_center.members
    )
