"""One reader per tenant per process, shared by every dashboard of that tenant.

A tenant's feed reads the event stream (XREAD BLOCK) and, after every batch of events and at
least once a second, re-reads the snapshot; then it bumps its version and wakes the dashboards
waiting on it. Today's KPIs are folded once per feed, not once per browser. (One Redis reader
per subscriber would exhaust the connection pool: architecture decision 4.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from supervisor_ui.kpis import DayStats
from supervisor_ui.live import Event, LiveSnapshot, LiveSource

log = logging.getLogger(__name__)

RECENT_EVENTS = 50


def day_start(now: float, zone: ZoneInfo) -> float:
    local = datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


@dataclass(eq=False)
class TenantFeed:
    tenant: str
    stats: DayStats
    snapshot: LiveSnapshot = field(default_factory=LiveSnapshot)
    recent: deque[Event] = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    version: int = 0
    last_event_at: float = 0.0
    """When the newest event was read (monotonic clock), for latency figures."""
    last_sequence: int = -1
    users: int = 0
    idle_since: float = 0.0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict)
    """Frames shared by every dashboard on this feed (cleared on each version)."""
    sections: dict[Any, Any] = field(default_factory=dict)
    """Rendered call-center sections by (call center, second, inputs): an event in one call
    center does not re-render the others (cleared when the second changes)."""
    sections_tick: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def bump(self) -> None:
        self.version += 1
        self.cache.clear()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_newer(self, version: int, timeout: float) -> bool:
        """True when the feed moved past `version` within `timeout` seconds."""
        if self.version != version:
            return True
        changed = self._changed
        try:
            async with asyncio.timeout(timeout):
                await changed.wait()
        except TimeoutError:
            return False
        return True


class LiveHub:
    def __init__(
        self,
        source_factory: Callable[[], LiveSource],
        zone: ZoneInfo,
        *,
        block_ms: int = 1000,
        idle_seconds: float = 30.0,
    ) -> None:
        self._source_factory = source_factory
        self._source: LiveSource | None = None
        self._zone = zone
        self._block_ms = block_ms
        self._idle_seconds = idle_seconds
        self._feeds: dict[str, TenantFeed] = {}
        self._lock: asyncio.Lock | None = None

    @property
    def source(self) -> LiveSource:
        if self._source is None:
            self._source = self._source_factory()
        return self._source

    async def acquire(self, tenant: str) -> TenantFeed:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            feed = self._feeds.get(tenant)
            if feed is None or feed.task is None or feed.task.done():
                now = time.time()
                feed = TenantFeed(tenant, DayStats(day_start(now, self._zone)))
                feed.task = asyncio.create_task(self._run(feed), name=f"supervisor-feed-{tenant}")
                self._feeds[tenant] = feed
            feed.users += 1
        await feed.ready.wait()
        return feed

    def release(self, feed: TenantFeed) -> None:
        feed.users = max(0, feed.users - 1)
        if feed.users == 0:
            feed.idle_since = time.monotonic()

    async def close(self) -> None:
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._feeds.clear()
        if self._source is not None:
            await self._source.close()
            self._source = None

    async def _load(self, feed: TenantFeed) -> str:
        source = self.source
        last = await source.last_id(feed.tenant)
        today = await source.events_since(feed.tenant, feed.stats.day_start, last)
        feed.stats.apply_all(today)
        feed.recent.extend(today[-RECENT_EVENTS:])
        if today:
            feed.last_sequence = today[-1].sequence
        feed.snapshot = await source.snapshot(feed.tenant)
        return last

    async def _run(self, feed: TenantFeed) -> None:
        last = "0-0"
        while True:
            try:
                last = await self._load(feed)
                feed.error = None
                break
            except RedisError as error:
                feed.error = f"live data unavailable: {error}"
                feed.ready.set()
                feed.bump()
                await asyncio.sleep(1.0)
        feed.bump()
        feed.ready.set()
        source = self.source
        while True:
            if feed.users == 0 and time.monotonic() - feed.idle_since > self._idle_seconds:
                return
            try:
                last, events = await source.wait_events(feed.tenant, last, self._block_ms)
                if events:
                    feed.last_event_at = time.monotonic()
                now = time.time()
                start = day_start(now, self._zone)
                if start != feed.stats.day_start:
                    feed.stats.reset(start)
                feed.stats.apply_all(events)
                feed.recent.extend(events)
                if events:
                    feed.last_sequence = events[-1].sequence
                snapshot = await source.snapshot(feed.tenant)
                recovered = feed.error is not None
                feed.error = None
            except RedisError as error:
                log.warning("supervisor feed %s: %s", feed.tenant, error)
                if feed.error is None:
                    feed.error = f"live data unavailable: {error}"
                    feed.bump()
                await asyncio.sleep(1.0)
                continue
            if events or recovered or snapshot != feed.snapshot:
                feed.snapshot = snapshot
                feed.bump()
