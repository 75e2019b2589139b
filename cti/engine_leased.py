"""The engine runtime of one node among several sharing Redis: it runs a tenant's queue engine
only while it holds the tenant's lease (cti/engine_lease.py), and takes a tenant over from its
journal when the holder died (docs/deploy.md, "A tenant's queue engine on one node at a time").

While its lease is not confirmed for a while (Redis unreachable, the process paused: another node
may have taken over), a tenant's engine is suspended: PBX inputs are held back in order and
stepped once a renewal confirms the lease (nothing reaches an agent meanwhile), or dropped with
the engine when the lease turns out lost; call-center commands are refused with
`lease_unconfirmed`. A new caller to one of its call centers meanwhile is answered at once and
told to hold on (`HOLD_ON_PROMPT`, then music) rather than left ringing: the engine takes the
call from there once the lease is confirmed (its caller's hang-up meanwhile included), and a
lease lost releases it (issue 20: "new calls get a clear busy or announcement").

A tenant held elsewhere is in standby here: reads answer from the live snapshot in Redis (which
the holder writes), call-center commands given to `control` are relayed to the holder and
answered with its result or refusal (cti/engine_command_relay.py; `engine_unreachable` when no
node took them in time), a call to one of its call-center numbers is refused with 503 (the
number exists; its engine is elsewhere) and other PBX inputs for it are dropped. The holder
carries out the commands relayed to it for the tenants it runs.

A tenant whose lease this node loses (a renewal refused, a journal write fenced out, or the lease
not renewed in time, e.g. after the process was paused) stops at once: its timers are cancelled
and its engine is dropped; it tries to acquire again like any standby.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from redis.asyncio import Redis

from cti.control import ControlError
from cti.engine_command_relay import CommandRelay, RelayConsumer
from cti.engine_commands import Command, CommandControl, execute
from cti.engine_lease import LeaseKeeper, LeaseStore
from cti.engine_lease_policy import DEFAULT_TIMES, LeaseTimes
from cti.engine_pbx import PbxPort
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import ActiveCallSnapshot, AgentSnapshot, CallCenterSnapshot, SnapshotStore
from pbx_core import call_control as pbx
from pbx_core.media.prompts import DEFAULT_DIR
from queueing import inputs as qi
from queueing.config import TenantConfig
from queueing.events import DomainEvent

log = logging.getLogger(__name__)

CONFIRM_WAIT_SECONDS = 3.0
"""Two lease rounds (1.5 s each): a renewal that is merely late arrives within it."""

HOLD_ON_PROMPT = "hold_on"
"""What a caller hears while the engine cannot take the call yet (pbx_core/media/prompts.py)."""


class LeasedEngineRuntime(EngineRuntime):
    def __init__(
        self,
        configs: Sequence[TenantConfig],
        pbx_port: PbxPort,
        redis: Redis,
        event_log: EventLog,
        snapshots: SnapshotStore,
        *,
        prefix: str,
        node: str,
        times: LeaseTimes = DEFAULT_TIMES,
        relay: CommandRelay | None = None,
        lease_clock: Callable[[], float] = time.monotonic,
        language: str = "nl",
        prompts_dir: Path = DEFAULT_DIR,
        clock: Callable[[], float] = time.time,
        listeners: Sequence[Callable[[DomainEvent], None]] = (),
    ) -> None:
        super().__init__(
            (),  # none runs before its lease is held
            pbx_port,
            redis,
            event_log,
            snapshots,
            prefix=prefix,
            language=language,
            prompts_dir=prompts_dir,
            clock=clock,
            listeners=listeners,
            on_fenced=self._fenced,
        )
        self._configs = {c.tenant: c for c in configs}
        """Every tenant this node may run, held or not."""
        self._snapshots = snapshots
        self.lease = LeaseKeeper(
            LeaseStore(redis, prefix, node, times),
            take_over=self._take_over,
            step_down=self._step_down,
            resume=self._resume,
            times=times,
            clock=lease_clock,
        )
        for tenant in self._configs:
            self.lease.track(tenant)
        self._held_back: dict[str, list[qi.Input]] = {}
        """Inputs fed while the tenant's lease was not trusted, in order."""
        self._taking_over: set[str] = set()
        """Tenants whose engine this node is restoring from the journal: held, not usable yet
        (an input stepped on the half-restored engine would precede the journal's)."""
        self._hold_on_prompt = f"{HOLD_ON_PROMPT}_{language}"
        self._relay = relay or CommandRelay(redis, prefix)
        self._relayed = RelayConsumer(
            redis, prefix, held=lambda: list(self._tenants), execute=self._here
        )
        self.control = CommandControl(self._route, reads=self)
        """What the APIs call: a command for a tenant held elsewhere goes to its holder."""

    async def start(self, held: Mapping[str, str | None] | None = None) -> None:
        await super().start(held)  # the publisher, and the calls the restarted PBX takes over
        await self.lease.round()  # free tenants, and this node's own from its last run, now
        self.lease.start()
        self._relayed.start()

    async def stop(self) -> None:
        self.lease.halt()
        await self._relayed.stop()  # the commands under way answer before the journal's flush
        await super().stop()
        await self.lease.release()

    async def add_tenant(self, config: TenantConfig) -> None:
        """A tenant created (or changed while held elsewhere): run it if its lease is free."""
        self._configs[config.tenant] = config
        if config.tenant not in self._tenants:
            self.lease.track(config.tenant)
            await self.lease.round()

    def apply_config(self, tenant: str, config: TenantConfig) -> None:
        self._configs[tenant] = config
        super().apply_config(tenant, config)

    def held_here(self, tenant: str) -> bool:
        """Whether this node runs the tenant's engine (its lease trusted or not)."""
        return tenant in self._tenants

    # The lease's decisions -------------------------------------------------------------------

    async def _take_over(self, tenant: str, token: int) -> None:
        self._taking_over.add(tenant)
        try:
            await self._run_tenant(self._configs[tenant], fence=token)
        finally:
            self._taking_over.discard(tenant)
        log.warning("%s: engine taken over by this node (lease token %d)", tenant, token)
        self._resume(tenant)  # what arrived while the journal was replayed, in order

    def _step_down(self, tenant: str, reason: str) -> None:
        held = self._held_back.pop(tenant, [])
        dropped = len(held)
        for arrived in _waiting_arrivals(held):  # answered on hold here: nobody else has them
            self._pbx.send(pbx.Hangup(arrived, 503, "Service Unavailable"))
        if self._running.pop(tenant, None) is None:
            return
        self._pbx.cancel_timers(tenant)
        self._pbx.refresh_numbers()
        log.error("%s: engine stopped on this node: %s (%d held-back inputs dropped)", tenant,
                  reason, dropped)  # fmt: skip

    def _usable(self, tenant: str) -> bool:
        """The engine held here may step: its lease trusted and its restore done."""
        return self.lease.trusted(tenant) and tenant not in self._taking_over

    def _resume(self, tenant: str) -> None:
        if not self._usable(tenant):
            return  # a renewal answered late (sent before the pause) confirms nothing for now
        held = self._held_back.pop(tenant, [])
        if held:
            log.warning("%s: lease confirmed again: stepping %d held-back inputs", tenant,
                        len(held))  # fmt: skip
        for event in held:
            super().feed(tenant, event)

    def _fenced(self, tenant: str) -> None:
        self.lease.fenced(tenant)

    # Every use of a tenant's engine checks the lease first ---------------------------------------

    def feed(self, tenant: str, event: qi.Input) -> list[DomainEvent]:
        if not self.held_here(tenant):
            log.warning("%s: %s dropped: the engine does not run on this node", tenant,
                        type(event).__name__)  # fmt: skip
            return []
        if not self._usable(tenant):
            self._held_back.setdefault(tenant, []).append(event)
            return []
        self._resume(tenant)  # what was held back goes first (a renewal may not have said so)
        return super().feed(tenant, event)

    async def _route(self, tenant: str, command: Command) -> str | None:
        if tenant in self._configs and not self.held_here(tenant):
            return await self._relay.send(tenant, command)
        return await self._here(tenant, command)

    async def _here(self, tenant: str, command: Command) -> str | None:
        await self._until_usable(tenant)
        return await execute(self, tenant, command)

    async def _until_usable(self, tenant: str) -> None:
        """A command for a tenant held here waits a moment for a renewal that is only late (a
        loaded node whose loop lagged past the trust window) or a take-over that is finishing,
        rather than being refused at once; still not usable then, `_refuse_elsewhere` says why."""
        deadline = time.monotonic() + CONFIRM_WAIT_SECONDS
        while self.held_here(tenant) and not self._usable(tenant):
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.05)

    def _refuse_elsewhere(self, tenant: str) -> None:
        if tenant not in self._configs:
            return
        if not self.held_here(tenant):  # the lease moved between `_route`'s check and here
            raise ControlError(
                "not_on_this_node",
                f"the call-center engine of {tenant!r} moved to another node meanwhile; try again",
            )
        if tenant in self._taking_over:
            raise ControlError(
                "engine_taking_over",
                f"this node is taking the engine of {tenant!r} over; try again in a moment",
            )
        if not self.lease.trusted(tenant):
            raise ControlError(
                "lease_unconfirmed",
                f"this node cannot confirm it still runs {tenant!r} (Redis unreachable);"
                " try again in a few seconds",
            )

    async def on_call_event(self, event: pbx.CallEvent) -> None:
        if isinstance(event, pbx.CallOffered) and self._call_center(event.tenant, event.called):
            if not self.held_here(event.tenant):
                # Not "no such number" (404): the number exists, its engine runs elsewhere.
                self._pbx.send(pbx.Reject(event.call_id, 503, "Service Unavailable"))
                log.warning("%s: call %s to %s refused: its engine runs on another node",
                            event.tenant, event.call_id, event.called)  # fmt: skip
                return
            if not self._usable(event.tenant):
                self._hold_on(event)
        elif isinstance(event, pbx.MediaFinished) and event.prompt == self._hold_on_prompt:
            return  # the end of our own announcement: the engine never asked for it
        elif isinstance(event, pbx.CallHungUp) and self._held_back_arrival(event.call_id):
            return  # kept in order with its arrival: the engine does not know the call yet
        await super().on_call_event(event)

    def _call_center(self, tenant: str, number: str) -> bool:
        config = self._configs.get(tenant)
        return config is not None and any(cc.id == number for cc in config.call_centers)

    def _hold_on(self, event: pbx.CallOffered) -> None:
        """Answer a new caller the suspended engine cannot take yet, with words then music."""
        self._pbx.send(pbx.Answer(event.call_id))
        self._pbx.send(pbx.PlayPrompt(event.call_id, self._hold_on_prompt, then_music=True))
        log.warning("%s: call %s to %s answered on hold: the engine's lease is unconfirmed",
                    event.tenant, event.call_id, event.called)  # fmt: skip

    def _held_back_arrival(self, call_id: str) -> bool:
        """A caller who hangs up while their arrival is held back: the hang-up is held back
        after it (the engine's translation would drop it, the call being unknown to it yet)."""
        for held in self._held_back.values():
            if call_id in _waiting_arrivals(held):
                held.append(qi.CallerHungUp(call_id))
                return True
        return False

    def _reads_engine(self, tenant: str) -> bool:
        """Reads answer from the engine here once it is restored, else from the live snapshot
        in Redis (the holder's; during a take-over, the previous holder's last)."""
        return self.held_here(tenant) and tenant not in self._taking_over

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        if self._reads_engine(tenant):
            return await super().call_centers(tenant)
        return await self._snapshots.call_centers(tenant)

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        if self._reads_engine(tenant):
            return await super().agents(tenant)
        return await self._snapshots.agents(tenant)

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        if self._reads_engine(tenant):
            return await super().active_calls(tenant)
        return await self._snapshots.calls(tenant)


def _waiting_arrivals(held: Sequence[qi.Input]) -> list[str]:
    """The call ids of the held-back arrivals whose callers have not hung up since."""
    arrived = [i.call_id for i in held if isinstance(i, qi.CallArrived)]
    gone = {i.call_id for i in held if isinstance(i, qi.CallerHungUp)}
    return [call_id for call_id in arrived if call_id not in gone]
