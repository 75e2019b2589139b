"""One Redis stream reader per process, fanning events out to per-subscriber asyncio queues.

Why one reader: one Redis connection per GraphQL subscriber exhausts redis-py's pool and is
half as fast (docs/architecture decision 4). The reader XREADs (BLOCK) the streams of every
tenant that has at least one subscriber and puts each event into the bounded queue of every
subscriber whose filter accepts it.

No gap, no duplicate, per subscriber:
- When a subscriber registers, it takes the reader's current position in its tenant's stream
  (the "cursor"): everything after the cursor will reach its queue. Registration and dispatch
  are both synchronous code on the event loop, so no batch can fall between the two.
- Events up to the cursor that the subscriber missed (it resumes after a sequence) are read
  back from the stream with XRANGE.
- The subscriber remembers the last sequence it delivered and skips anything at or below it.
- A replay longer than `max_replay` events is refused (ReplayTooLong) before it starts: the
  stream keeps about a million events, and `afterSequence: -1` read them all for one client.
- A subscriber whose queue fills up (a slow client) is taken off the dispatch list; once it has
  drained its queue it registers again and reads what it missed from the stream, so slowness
  costs latency, never events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cti.event_log import EMPTY_STREAM_ID, EventLog, decode, sequence_of, xread_entries
from queueing.events import DomainEvent

log = logging.getLogger(__name__)

EventFilter = Callable[[DomainEvent], bool]


def accept_all(_: DomainEvent) -> bool:
    return True


class ReplayTooLong(GraphQLError):
    """A GraphQLError with its own code because fanout's only readers are GraphQL subscriptions
    (websocket and SSE): the client gets this message and code as they are."""

    def __init__(self, after_sequence: int, depth: int, limit: int) -> None:
        super().__init__(
            f"afterSequence {after_sequence} is {depth} events back, more than the {limit} a "
            "subscription replays: read the snapshot again (queries callCenters, agents, myCalls) "
            "and subscribe without afterSequence",
            extensions={"code": "REPLAY_TOO_LONG"},
        )


@dataclass(eq=False)
class _Registration:
    tenant: str
    accepts: EventFilter
    queue: asyncio.Queue[DomainEvent]
    overflowed: bool = False


@dataclass
class FanoutStats:
    events_read: int = 0
    subscribers: int = 0
    overflows: int = 0
    per_tenant_read: dict[str, int] = field(default_factory=dict)


class EventFanout:
    """Start with `start()`, stop with `stop()`; subscribe with `subscribe(...)`."""

    def __init__(
        self,
        reader_redis: Redis,
        event_log: EventLog,
        *,
        block_ms: int = 250,
        batch: int = 500,
        queue_size: int = 1000,
        max_replay: int = 10_000,
    ) -> None:
        # The reader blocks its connection in XREAD, so it gets a client of its own.
        self._redis = reader_redis
        self._log = event_log
        self._block_ms = block_ms
        self._batch = batch
        self._queue_size = queue_size
        self._max_replay = max_replay
        self._cursors: dict[str, str] = {}
        self._subscribers: dict[str, list[_Registration]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._listeners: list[Callable[[DomainEvent], None]] = []
        self.stats = FanoutStats()

    def add_listener(self, listener: Callable[[DomainEvent], None]) -> None:
        """Called for every event read (metrics); must be quick and must not raise."""
        self._listeners.append(listener)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cti-event-fanout")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._stopping = True
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def watch(self, tenant: str) -> None:
        """Make the reader follow this tenant's stream from its current end."""
        if tenant in self._cursors:
            return
        top = await self._log.last_id(tenant)
        # Another subscriber may have activated the tenant while we awaited: keep its cursor.
        self._cursors.setdefault(tenant, top)

    def subscribe(
        self,
        tenant: str,
        *,
        after_sequence: int | None = None,
        accepts: EventFilter = accept_all,
        queue_size: int | None = None,
    ) -> AsyncIterator[DomainEvent]:
        """Events of `tenant` that `accepts` lets through, oldest first, forever.

        With `after_sequence`, first those after it still in the stream, then live ones;
        without, only events appended from now on.
        """
        return self._iterate(tenant, after_sequence, accepts, queue_size or self._queue_size)

    async def _iterate(
        self, tenant: str, after_sequence: int | None, accepts: EventFilter, queue_size: int
    ) -> AsyncIterator[DomainEvent]:
        registration = _Registration(tenant, accepts, asyncio.Queue(maxsize=queue_size))
        last = after_sequence
        try:
            while True:
                await self.watch(tenant)
                cursor = self._register(registration)
                if last is None:
                    last = sequence_of(cursor)
                elif sequence_of(cursor) > last:
                    await self._check_replay(tenant, last, cursor)
                    async for event in self._log.read_after(tenant, last, until_id=cursor):
                        if accepts(event):
                            yield event
                        last = event.sequence
                while not (registration.overflowed and registration.queue.empty()):
                    event = await registration.queue.get()
                    if event.sequence <= last:
                        continue
                    last = event.sequence
                    yield event
                # Overflowed and drained: register again and read the rest from the stream.
                registration.overflowed = False
        finally:
            self._unregister(registration)

    async def _check_replay(self, tenant: str, last: int, cursor: str) -> None:
        # At most what lies between `last` and the cursor, and at most what the stream holds.
        depth = min(sequence_of(cursor) - last, await self._log.length(tenant))
        if depth > self._max_replay:
            raise ReplayTooLong(last, depth, self._max_replay)

    def _register(self, registration: _Registration) -> str:
        subscribers = self._subscribers.setdefault(registration.tenant, [])
        if registration not in subscribers:
            subscribers.append(registration)
            self.stats.subscribers += 1
        return self._cursors.get(registration.tenant, EMPTY_STREAM_ID)

    def _unregister(self, registration: _Registration) -> None:
        subscribers = self._subscribers.get(registration.tenant, [])
        if registration in subscribers:
            subscribers.remove(registration)
            self.stats.subscribers -= 1
        if not subscribers:
            self._subscribers.pop(registration.tenant, None)
            self._cursors.pop(registration.tenant, None)

    def _dispatch(self, tenant: str, event: DomainEvent) -> None:
        for registration in list(self._subscribers.get(tenant, ())):
            if not registration.accepts(event):
                continue
            try:
                registration.queue.put_nowait(event)
            except asyncio.QueueFull:
                registration.overflowed = True
                self.stats.overflows += 1
                self._unregister(registration)

    async def _run(self) -> None:
        backoff = 0.1
        while not self._stopping:
            if not self._cursors:
                await asyncio.sleep(self._block_ms / 1000)
                continue
            streams = {self._log.stream_key(t): cursor for t, cursor in self._cursors.items()}
            tenants = {self._log.stream_key(t): t for t in self._cursors}
            try:
                response = await self._redis.xread(
                    streams,  # type: ignore[arg-type]
                    count=self._batch,
                    block=self._block_ms,
                )
            except (RedisError, OSError) as error:
                # redis-py may turn our own cancellation (stop()) into a connection error.
                current = asyncio.current_task()
                if self._stopping or (current is not None and current.cancelling()):
                    return
                log.warning("event stream read failed, retrying in %.1fs: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.1
            # From here to the end of the loop body nothing awaits: registrations cannot
            # interleave with a batch (see module docstring).
            for key, entries in xread_entries(response):
                tenant = tenants[key]
                if tenant not in self._cursors:
                    continue  # its last subscriber left while we were reading
                for entry, fields in entries:
                    self._cursors[tenant] = entry
                    try:
                        event = decode(fields)
                    except (KeyError, ValueError, TypeError) as error:
                        log.error("skipping malformed entry %s in %s: %s", entry, key, error)
                        continue
                    self.stats.events_read += 1
                    for listener in self._listeners:
                        listener(event)
                    self._dispatch(tenant, event)
