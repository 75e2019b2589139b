"""The imperative shell around the queue engine: PBX events in, PBX commands out, timers on the
asyncio loop, events to the Redis stream, live snapshots to Redis, and the `CallCenterControl`
the APIs call.

Everything runs on one asyncio loop, so each engine step is atomic. Steps are published in order
by one publisher task (the stream refuses out-of-order sequences). Every input is journaled in
Redis before it is published; on start the last engine snapshot is loaded and the journal after it
replayed (the engine is deterministic) so agent states and the sequence carry on after a restart,
and calls the old process held are ended (their SIP dialogs died with it), except those the
restarted PBX takes over (`start(held)`, `take_over`). Once a tenant's journal
is long, the publisher replaces it by a snapshot of the state it leads to (compaction).

This module feeds the engine and wires its parts (docs/runtime.md): `EngineJournal` (journal,
recovery, compaction, publishing), `PbxAdapter` (engine commands to the PBX, PBX events to engine
inputs), `EngineControl` (the API's methods, which the runtime is) and `tenant_snapshot` (the
live snapshot of an engine state).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from redis.asyncio import Redis

from cti.engine_control import EngineControl
from cti.engine_journal import COMPACT_AFTER, EngineJournal
from cti.engine_pbx import PbxAdapter, PbxPort
from cti.engine_tenant import EngineTenant
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from pbx_core.media.prompts import DEFAULT_DIR
from pbx_core.media.spoken import SpokenPrompts
from queueing import inputs as qi
from queueing.config import TenantConfig
from queueing.engine import Engine, step
from queueing.events import DomainEvent
from queueing.state import IN_QUEUE, Phase
from queueing.state_codec import decode_state, encode_state

log = logging.getLogger(__name__)

__all__ = ["EngineRuntime", "PbxPort"]

LOST_IN_RESTART = "PBX restarted"
"""Why the calls a previous process held are lost (the reason of their CALL_LOST)."""


class EngineRuntime(EngineControl):
    def __init__(
        self,
        configs: Sequence[TenantConfig],
        pbx_port: PbxPort,
        redis: Redis,
        event_log: EventLog,
        snapshots: SnapshotStore,
        *,
        prefix: str,
        language: str = "nl",
        prompts_dir: Path = DEFAULT_DIR,
        clock: Callable[[], float] = time.time,
        listeners: Sequence[Callable[[DomainEvent], None]] = (),
        compact_after: int = COMPACT_AFTER,
        on_fenced: Callable[[str], None] = lambda tenant: None,
    ) -> None:
        tenants = {c.tenant: EngineTenant(Engine(c)) for c in configs}
        self._running = tenants
        self._kept: dict[str, set[str]] = {}
        self._held: dict[str, str | None] = {}
        """The calls a restarted PBX is taking over (`start(held)`), until `take_over`: a tenant
        whose engine starts meanwhile (its lease taken, or added) keeps them too."""
        """Per tenant, the waiting calls kept by `start(held)` until `take_over`."""
        """The one dict every part reads its tenants from: `add_tenant` adds to it."""
        self._listeners = tuple(listeners)
        """Called with every event as it is made (e.g. CRM call logging); must be cheap."""
        self._journal = EngineJournal(
            tenants,
            redis,
            event_log,
            snapshots,
            prefix=prefix,
            compact_after=compact_after,
            clock=clock,
            on_fenced=on_fenced,
        )
        super().__init__(
            tenants,
            PbxAdapter(
                pbx_port,
                tenants,
                language=language,
                feed=self.feed,
                spoken=SpokenPrompts(prompts_dir / "spoken"),
            ),
            feed=self.feed,
            flush=self._journal.flush,
            clock=clock,
        )

    # Life cycle -----------------------------------------------------------------------------

    def journal_key(self, tenant: str) -> str:
        return self._journal.journal_key(tenant)

    def engine_snapshot_key(self, tenant: str) -> str:
        return self._journal.engine_snapshot_key(tenant)

    async def start(self, held: Mapping[str, str | None] | None = None) -> None:
        """`held`: calls whose dialogs a restarted PBX is about to take over (issue 20), each
        with the extension it is bridged to (None: the caller alone). A waiting call held alone
        and a talking call held with its agent are kept for `take_over`; the others end as
        lost."""
        self._held = dict(held or {})
        for tenant in self._tenants:
            await self._journal.recover(tenant)
            self._end_previous_process_calls(tenant, self._held)
        self._journal.start()
        for tenant in self._tenants:
            await self._journal.write_snapshot(tenant)

    async def add_tenant(self, config: TenantConfig) -> None:
        """Run a tenant created while running (provisioning), as start() runs the others."""
        tenant = config.tenant
        if tenant in self._tenants:
            return
        await self._run_tenant(config, fence=None)

    async def _run_tenant(self, config: TenantConfig, *, fence: int | None) -> None:
        """Start a tenant's engine where its journal leaves it, writing with `fence`."""
        tenant = config.tenant
        self._running[tenant] = EngineTenant(Engine(config), fence=fence)
        await self._journal.recover(tenant)
        self._end_previous_process_calls(tenant, self._held)
        await self._journal.write_snapshot(tenant)
        self._pbx.refresh_numbers()
        log.info("%s: engine running", tenant)

    def _end_previous_process_calls(
        self, tenant: str, held: Mapping[str, str | None] | None = None
    ) -> None:
        """The calls of the previous process are gone with its SIP dialogs: end them as lost by
        the platform (CALL_LOST, never the caller's abandonment), all in one step so no agent is
        offered one of them meanwhile, and let agents out of wrap-up (its timer died too).
        With calls in `held` (their dialogs are being taken over) all of this waits for
        `take_over`: no agent may be offered a call before the PBX holds it again."""
        state = self._tenants[tenant].engine.state
        held = held or {}
        kept = {
            call.call_id
            for call in state.calls.values()
            if call.call_id in held
            and call.callback is None
            and (
                (call.phase in IN_QUEUE and held[call.call_id] is None)
                or (call.phase in (Phase.TALKING, Phase.HELD) and held[call.call_id] == call.agent)
            )
        }
        if kept:
            self._kept[tenant] = kept
        else:
            self._sweep(tenant, ())

    def take_over(self, taken: Collection[str]) -> set[str]:
        """The running PBX holds the `taken` calls again (after `start(held)`): the waiting
        ones carry on in their places and the talking ones with their agents (`CallsTakenOver`),
        then the previous process's other calls end as lost. Returns the calls carried on; the
        PBX hangs up the others."""
        carried: set[str] = set()
        for tenant, kept in self._kept.items():
            resumed = tuple(sorted(kept & set(taken)))
            self._sweep(tenant, resumed)
            carried.update(resumed)
        self._kept.clear()
        self._held.clear()  # a tenant whose lease is taken later: its calls were another node's
        return carried

    def _sweep(self, tenant: str, resumed: tuple[str, ...]) -> None:
        state = self._tenants[tenant].engine.state
        if resumed:
            self.feed(tenant, qi.CallsTakenOver(resumed))
        lost = tuple(call_id for call_id in state.calls if call_id not in resumed)
        if lost:
            self.feed(tenant, qi.CallsLost(lost, LOST_IN_RESTART))
        for timer_id, (kind, _) in list(state.timers.items()):
            if kind == "wrap_up":
                self.feed(tenant, qi.TimerFired(timer_id))

    async def stop(self) -> None:
        self._pbx.cancel_timers()
        await self._journal.stop()

    async def flush(self) -> None:
        """Wait until everything fed so far is journaled, published and in the snapshot."""
        await self._journal.flush()

    # Feeding the engine -------------------------------------------------------------------------

    def feed(self, tenant: str, event: qi.Input) -> list[DomainEvent]:
        holder = self._tenants[tenant]
        now = self._clock()
        # `step`, not `Engine.feed`: the journal lives in Redis, an in-memory copy would only grow.
        result = step(holder.engine.state, event, now)
        for command in result.commands:
            try:
                self._pbx.execute(tenant, holder, command)
            except Exception:  # a PBX hiccup must never stop the engine or lose its events
                log.exception("%s: command %r failed", tenant, command)
        self._journal.append(tenant, event, now, result.events)
        for listener in self._listeners:
            for domain_event in result.events:
                try:
                    listener(domain_event)
                except Exception:  # a side job's bug must not stop the engine
                    log.exception("%s: event listener %r failed", tenant, listener)
        return result.events

    # Configuration -----------------------------------------------------------------------------

    def runs(self, tenant: str) -> bool:
        return tenant in self._tenants

    def config(self, tenant: str) -> TenantConfig:
        """The config `tenant`'s engine runs now (a change applies after its commit)."""
        return self._tenants[tenant].engine.config

    def apply_config(self, tenant: str, config: TenantConfig) -> None:
        """Run `config` from now on, without a restart: the running state is carried over
        (`decode_state`), so waiting calls keep their places and agents their states."""
        holder = self._tenants[tenant]
        if config == holder.engine.config:
            return  # a change that does not touch the engine (a password, say)
        restored = decode_state(encode_state(holder.engine.state, holder.engine.config), config)
        holder.engine = Engine.from_state(config, restored.state)
        for call_id in restored.dropped_calls:
            holder.forget_call(call_id)
        self._journal.rebase(tenant)
        self._pbx.refresh_numbers()
        log.info("%s: new configuration running", tenant)
        if restored.dropped_calls:
            # Their call center is gone, or they ring or talk to an agent no longer in it.
            log.warning("%s: calls no longer fitting the new config dropped: %s", tenant,
                        ", ".join(restored.dropped_calls))  # fmt: skip

    async def on_call_event(self, event: pbx.CallEvent) -> None:
        """Registered with the PBX for the call-center numbers."""
        routed = self._pbx.engine_input(event)
        if routed is not None:
            self.feed(*routed)
