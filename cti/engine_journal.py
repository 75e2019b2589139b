"""The runtime's durable side: every engine input journaled in Redis, its events published to the
tenant's stream and the live snapshot rewritten, in the engine's order, by one publisher task;
recovery (engine snapshot + journal replay) on start; compaction of long journals.

Journal: Redis list `{prefix}:{tenant}:journal` of `{"input", "now"}`; engine snapshot:
`{prefix}:{tenant}:engine_snapshot` (docs/runtime.md). Every write of a tenant's journal is one
script that first compares the step's fencing token with the tenant's newest
(`{prefix}:{tenant}:engine:fence`): a node whose lease was taken over writes nothing more, and
publishes nothing of what it was refused (docs/deploy.md, the tenant engine lease).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping

from redis.asyncio import Redis

from common import redis_keys
from cti.engine_snapshot import tenant_snapshot
from cti.engine_tenant import EngineTenant
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from queueing import inputs as qi
from queueing.engine import Engine, step
from queueing.events import DomainEvent
from queueing.journal_codec import decode_input, encode_input
from queueing.state_codec import SnapshotError, decode_state, encode_state

log = logging.getLogger(__name__)

STOP_FLUSH_SECONDS = 10.0
"""How long stopping waits for the publisher to write what was fed (it retries while Redis is
down)."""

COMPACT_AFTER = 20_000
"""Journal entries of a tenant after which the publisher compacts them into an engine snapshot:
a restart replays at most this many inputs (well under a second), and Redis keeps one snapshot
plus a bounded list instead of every input since the tenant was created."""

_Step = tuple[str, dict[str, object] | None, float, list[DomainEvent], int | None]
"""One engine step on its way out: tenant, encoded input, time fed, the events it made, the
fencing token it was made under; or, with no input, a config change (`rebase`)."""

# KEYS: fence, journal, engine snapshot. ARGV: token ('' = unfenced), then either 'push' and the
# entries, or 'compact' and the snapshot document. Returns 0 when a newer token exists.
_FENCED_WRITE = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'compact' then
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('DEL', KEYS[2])
else
  for i = 3, #ARGV do
    redis.call('RPUSH', KEYS[2], ARGV[i])
  end
end
return 1
"""


class EngineJournal:
    def __init__(
        self,
        tenants: Mapping[str, EngineTenant],
        redis: Redis,
        event_log: EventLog,
        snapshots: SnapshotStore,
        *,
        prefix: str,
        compact_after: int,
        clock: Callable[[], float],
        on_fenced: Callable[[str], None] = lambda tenant: None,
    ) -> None:
        self._tenants = tenants
        self._redis = redis
        self._event_log = event_log
        self._snapshots = snapshots
        self._prefix = prefix
        self._compact_after = compact_after
        self._clock = clock
        self._on_fenced = on_fenced
        """Told of a tenant whose write was refused (a newer lease holder): stop running it."""
        self._fenced_write = redis.register_script(_FENCED_WRITE)
        self._outbox: asyncio.Queue[_Step] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None
        self._published = asyncio.Event()
        self._unpublished = 0
        """Steps fed and not yet published (queued, or in the batch being published)."""
        self._rebase: set[str] = set()
        """Tenants whose config changed: their next batch compacts, however short the journal."""

    def journal_key(self, tenant: str) -> str:
        return redis_keys.journal_key(self._prefix, tenant)

    def engine_snapshot_key(self, tenant: str) -> str:
        return redis_keys.engine_snapshot_key(self._prefix, tenant)

    # Life cycle -----------------------------------------------------------------------------

    async def recover(self, tenant: str) -> None:
        """Bring the tenant's engine to where the previous process left it: its engine snapshot,
        then the journal after it replayed (the engine is deterministic)."""
        holder = self._tenants[tenant]
        await self._restore_snapshot(tenant, holder)
        raw_entries = await self._redis.lrange(self.journal_key(tenant), 0, -1)
        published = await self._event_log.last_sequence(tenant)
        state = holder.engine.state
        unpublished: list[DomainEvent] = []
        for raw in raw_entries:
            try:
                entry = json.loads(raw)
                replayed = step(state, decode_input(entry["input"]), float(entry["now"]))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("journal of %s: skipping a bad entry (%s): %r", tenant, exc, raw)
                continue
            unpublished += (e for e in replayed.events if e.sequence > published)
        holder.journal_length = len(raw_entries)
        if raw_entries:
            log.info("%s: replayed %d journal entries", tenant, len(raw_entries))
        if unpublished:
            # The previous process journaled these inputs and died before their events reached
            # the stream (two writes): the replay made the same events, so they go out now, and
            # the stream has no hole where they belong.
            await self._event_log.append_many(unpublished)
            log.warning("%s: published %d events the previous process had not", tenant,
                        len(unpublished))  # fmt: skip
            published = max(published, unpublished[-1].sequence)
        if state.sequence < published:
            # Snapshot or journal lost (or cleared by hand): new events must still follow the
            # stream's last one, which refuses any sequence it already has.
            log.error(
                "%s: engine state is behind its event stream (sequence %d < %d): continuing"
                " after the stream's last event",
                tenant,
                state.sequence,
                published,
            )
            state.sequence = published

    async def _restore_snapshot(self, tenant: str, holder: EngineTenant) -> None:
        raw = await self._redis.get(self.engine_snapshot_key(tenant))
        if raw is None:
            return
        config = holder.engine.config
        try:
            restored = decode_state(json.loads(raw), config)
        except (SnapshotError, ValueError) as exc:
            log.error(
                "%s: engine snapshot unreadable, starting from the configuration: %s", tenant, exc
            )
            return
        except Exception:  # a codec bug must not keep the product from starting
            log.exception("%s: engine snapshot failed to load, starting from the config", tenant)
            return
        holder.engine = Engine.from_state(config, restored.state)
        if not restored.exact:
            log.warning(
                "%s: configuration changed since the engine snapshot: agent states and switches"
                " carried over; calls dropped without a terminal event: %s",
                tenant,
                ", ".join(restored.dropped_calls) or "none",
            )

    def start(self) -> None:
        self._publisher = asyncio.create_task(self._publish_loop(), name="engine-publisher")

    async def stop(self) -> None:
        if self._publisher is None:
            return
        try:
            await asyncio.wait_for(self.flush(), STOP_FLUSH_SECONDS)
        except TimeoutError:
            # Redis is gone: stopping must not hang on it (a restart replays what was
            # journaled and publishes the events of it the stream lacks, see `recover`).
            log.error("stopping with %d engine steps unpublished", self._unpublished)
        self._publisher.cancel()
        self._publisher = None

    async def flush(self) -> None:
        """Wait until everything fed so far is journaled, published and in the snapshot."""
        while self._unpublished:
            self._published.clear()
            await self._published.wait()

    # Publishing -------------------------------------------------------------------------------

    def append(self, tenant: str, event: qi.Input, now: float, events: list[DomainEvent]) -> None:
        """Queue one engine step (its input, fed at `now`, and the events it made)."""
        holder = self._tenants[tenant]
        self._outbox.put_nowait((tenant, encode_input(event), now, events, holder.fence))
        self._unpublished += 1
        holder.journal_length += 1

    def rebase(self, tenant: str) -> None:
        """The tenant runs a new config: its journal holds inputs fed under the old one, which a
        restart would replay under the new one. The next batch replaces them by an engine
        snapshot taken under the new config (and rewrites the live snapshot)."""
        self._rebase.add(tenant)
        self._outbox.put_nowait((tenant, None, self._clock(), [], self._tenants[tenant].fence))
        self._unpublished += 1

    async def write_snapshot(self, tenant: str) -> None:
        await self._snapshots.write(tenant, tenant_snapshot(self._tenants[tenant], self._clock()))

    async def _publish_loop(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            compaction = self._due_compaction(batch)
            journaled: set[tuple[str, int | None]] | None = None
            # A failed batch is retried as it is, before anything fed since: the journal and
            # the stream must keep the engine's order, and entries already journaled must not
            # be journaled twice (a replay would apply them twice).
            while True:
                try:
                    if journaled is None:
                        journaled = await self._journal(batch, compaction)
                    await self._publish([s for s in batch if (s[0], s[4]) in journaled])
                    break
                except Exception:
                    log.exception("publishing %d engine steps failed; retrying", len(batch))
                    await asyncio.sleep(0.5)
            self._unpublished -= len(batch)
            if not self._unpublished:
                self._published.set()

    def _due_compaction(self, batch: list[_Step]) -> dict[str, tuple[str, int]]:
        """Tenant -> (engine snapshot document, journal entries it covers) for the tenants whose
        journal is due for compaction. Called as soon as the batch is taken: the batch holds
        every input fed so far, so each state is exactly the one its journal leads to."""
        due: dict[str, tuple[str, int]] = {}
        for tenant in {tenant for tenant, *_ in batch}:
            holder = self._tenants.get(tenant)
            if holder is None:
                continue  # stepped down (lease lost): its queued steps are only journaled
            if holder.journal_length < self._compact_after and tenant not in self._rebase:
                continue
            self._rebase.discard(tenant)
            try:
                document = json.dumps(encode_state(holder.engine.state, holder.engine.config))
            except Exception:  # a codec bug must not stop publishing: the journal just grows
                log.exception("%s: engine snapshot failed; journal not compacted", tenant)
                continue
            due[tenant] = (document, holder.journal_length)
        return due

    async def _journal(
        self, batch: list[_Step], compaction: dict[str, tuple[str, int]]
    ) -> set[tuple[str, int | None]]:
        """Write the batch, one fenced script per tenant and token, all in one round trip (a
        compaction's snapshot and the removal of the entries it covers, this batch's included,
        go together); returns the (tenant, token) written, and stops the tenants refused."""
        writes: dict[tuple[str, int | None], list[str]] = {}
        for tenant, encoded, now, _, token in batch:
            entries = writes.setdefault((tenant, token), [])
            if tenant not in compaction and encoded is not None:
                entries.append(json.dumps({"input": encoded, "now": now}))
        pipe = self._redis.pipeline(transaction=False)
        for (tenant, token), entries in writes.items():
            keys = [
                redis_keys.engine_fence(self._prefix, tenant),
                self.journal_key(tenant),
                self.engine_snapshot_key(tenant),
            ]
            fence = "" if token is None else str(token)
            if tenant in compaction:
                args = [fence, "compact", compaction[tenant][0]]
            else:
                args = [fence, "push", *entries]
            await self._fenced_write(keys=keys, args=args, client=pipe)
        results = await pipe.execute()
        refused = {write for write, ok in zip(writes, results, strict=True) if not ok}
        for tenant, token in refused:
            log.error("%s: journal write refused: a newer lease holder than token %s", tenant,
                      token)  # fmt: skip
            holder = self._tenants.get(tenant)
            if holder is not None and holder.fence == token:
                self._on_fenced(tenant)  # else an earlier run's steps, already let go of
        for tenant, (_, covered) in compaction.items():
            holder = self._tenants.get(tenant)
            if holder is not None and (tenant, holder.fence) not in refused:
                holder.journal_length -= covered  # leaves the inputs fed since
                log.info(
                    "%s: %d journal entries compacted into an engine snapshot", tenant, covered
                )
        return set(writes) - refused

    async def _publish(self, batch: list[_Step]) -> None:
        for tenant in {tenant for tenant, *_ in batch}:
            if tenant in self._tenants:  # not when stepped down: the new holder writes it
                await self.write_snapshot(tenant)
        await self._event_log.append_many(e for _, _, _, events, _ in batch for e in events)
