"""The imperative shell around the queue engine: PBX events in, PBX commands out, timers on the
asyncio loop, events to the Redis stream, live snapshots to Redis, and the `CallCenterControl`
the APIs call.

Everything runs on one asyncio loop, so each engine step is atomic. Steps are published in order
by one publisher task (the stream refuses out-of-order sequences). Every input is journaled in
Redis before it is published; on start the last engine snapshot is loaded and the journal after it
replayed (the engine is deterministic) so agent states and the sequence carry on after a restart,
and calls the old process held are ended (their SIP dialogs died with it). Once a tenant's journal
is long, the publisher replaces it by a snapshot of the state it leads to (compaction).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis

from cti.control import ControlError, MonitorMode
from cti.event_log import EventLog
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    CallPhase,
    SnapshotStore,
    StateCause,
    TenantSnapshot,
    WaitingCallSnapshot,
)
from pbx_core import call_control as pbx
from pbx_core.media.prompts import MUSIC_ON_HOLD
from queueing import commands as q
from queueing import inputs as qi
from queueing.config import TenantConfig
from queueing.engine import Engine, step
from queueing.events import DomainEvent, EventType
from queueing.journal_codec import decode_input, encode_input
from queueing.state import Phase
from queueing.state_codec import SnapshotError, decode_state, encode_state

log = logging.getLogger(__name__)

Clock = Callable[[], float]

PBX_RING_MARGIN = 5.0
"""The engine times offers out itself; the PBX's own ring timeout is only a safety net."""

DIALLABLE = re.compile(r"\+?[0-9][0-9 ]{0,31}|\*[0-9]{1,4}")
"""What click-to-dial accepts: a number with an optional +, spaces allowed; or a feature code."""

PBX_CONFIRM_SECONDS = 3.0
"""How long hold/resume waits for the PBX's confirmation (it answers within milliseconds)."""

MONITOR_SETTLE_SECONDS = 1.0
"""A monitor request is accepted once the supervisor's phone rings; the PBX refuses a bad one
(unknown call, phone not registered, a second monitor) well within this."""

PBX_MONITOR_MODES = {
    MonitorMode.LISTEN: pbx.MonitorMode.LISTEN,
    MonitorMode.BARGE: pbx.MonitorMode.BARGE,
}

PBX_ANSWERS: dict[type, str] = {
    pbx.CallHeld: "HoldCall",
    pbx.CallResumed: "ResumeCall",
    pbx.MonitorStarted: "MonitorCall",
    pbx.MonitorEnded: "MonitorCall",
}
"""Which command an event from the PBX confirms (`CommandFailed` names its command itself)."""

REMINDER_TONE = "reminder_tone"
"""Beeps to the agent only, when a call they hold has waited too long (`RemindAgent`)."""

STOP_FLUSH_SECONDS = 10.0
"""How long stopping waits for the publisher to write what was fed (it retries while Redis is
down)."""

COMPACT_AFTER = 20_000
"""Journal entries of a tenant after which the publisher compacts them into an engine snapshot:
a restart replays at most this many inputs (well under a second), and Redis keeps one snapshot
plus a bounded list instead of every input since the tenant was created."""

PROMPTS_WITH_TEXT = frozenset(
    {"welcome", "comfort", "queue_full", "night_service", "recording_on", "whisper"}
)


_Step = tuple[str, dict[str, object], float, list[DomainEvent]]
"""One engine step on its way out: tenant, encoded input, time fed, the events it made."""


class PbxPort(Protocol):
    """What the runtime needs of the PBX (`pbx_core.service.PbxService` fits)."""

    def send(self, command: pbx.CallCommand) -> None: ...


@dataclass
class _Tenant:
    engine: Engine
    legs: dict[tuple[str, str], str] = field(default_factory=dict)
    """(call id, extension) -> leg id of the offer ringing that extension."""
    prompts: dict[str, str] = field(default_factory=dict)
    """Call id -> engine name of the prompt playing now, to map MediaFinished back."""
    recording: set[str] = field(default_factory=set)
    leg_counter: int = 0
    monitors: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Call id -> (monitor id, supervisor's extension) while a supervisor listens in."""
    journal_length: int = 0
    """Entries in the tenant's Redis journal (after its snapshot), written or queued."""


class EngineRuntime:
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
        clock: Clock = time.time,
        listeners: Sequence[Callable[[DomainEvent], None]] = (),
        compact_after: int = COMPACT_AFTER,
    ) -> None:
        self._compact_after = compact_after
        self._tenants = {c.tenant: _Tenant(Engine(c)) for c in configs}
        self._number_tenant = {cc.id: c.tenant for c in configs for cc in c.call_centers}
        self._pbx = pbx_port
        self._redis = redis
        self._event_log = event_log
        self._snapshots = snapshots
        self._prefix = prefix
        self._language = language
        self._clock = clock
        self._listeners = tuple(listeners)
        """Called with every event as it is made (e.g. CRM call logging); must be cheap."""
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._outbox: asyncio.Queue[_Step] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None
        self._published = asyncio.Event()
        self._unpublished = 0
        """Steps fed and not yet published (queued, or in the batch being published)."""
        self._awaiting: dict[tuple[str, str], asyncio.Future[pbx.CallEvent]] = {}
        """(call id, PBX command name) -> the control call waiting for the PBX's answer."""

    # Life cycle -----------------------------------------------------------------------------

    def journal_key(self, tenant: str) -> str:
        return f"{self._prefix}:{tenant}:journal"

    def engine_snapshot_key(self, tenant: str) -> str:
        return f"{self._prefix}:{tenant}:engine_snapshot"

    async def start(self) -> None:
        for tenant, holder in self._tenants.items():
            await self._recover(tenant, holder)
        self._publisher = asyncio.create_task(self._publish_loop(), name="engine-publisher")
        for tenant in self._tenants:
            await self._write_snapshot(tenant)

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._publisher is not None:
            try:
                await asyncio.wait_for(self.flush(), STOP_FLUSH_SECONDS)
            except TimeoutError:
                # Redis is gone: stopping must not hang on it (a restart replays what was
                # journaled; these steps' events are lost and said so).
                log.error("stopping with %d engine steps unpublished", self._unpublished)
            self._publisher.cancel()
            self._publisher = None

    async def flush(self) -> None:
        """Wait until everything fed so far is journaled, published and in the snapshot."""
        while self._unpublished:
            self._published.clear()
            await self._published.wait()

    async def _recover(self, tenant: str, holder: _Tenant) -> None:
        await self._restore_snapshot(tenant, holder)
        raw_entries = await self._redis.lrange(self.journal_key(tenant), 0, -1)
        state = holder.engine.state
        for raw in raw_entries:
            try:
                entry = json.loads(raw)
                step(state, decode_input(entry["input"]), float(entry["now"]))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("journal of %s: skipping a bad entry (%s): %r", tenant, exc, raw)
        holder.journal_length = len(raw_entries)
        if raw_entries:
            log.info("%s: replayed %d journal entries", tenant, len(raw_entries))
        published = await self._event_log.last_sequence(tenant)
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
        # The calls of the previous process are gone with its SIP dialogs: end them properly,
        # and let agents out of wrap-up (its timer died too).
        for call_id in list(state.calls):
            self.feed(tenant, qi.CallerHungUp(call_id))
        for timer_id, (kind, _) in list(state.timers.items()):
            if kind == "wrap_up":
                self.feed(tenant, qi.TimerFired(timer_id))

    async def _restore_snapshot(self, tenant: str, holder: _Tenant) -> None:
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

    # Feeding the engine -------------------------------------------------------------------------

    def feed(self, tenant: str, event: qi.Input) -> list[DomainEvent]:
        holder = self._tenants[tenant]
        now = self._clock()
        # `step`, not `Engine.feed`: the journal lives in Redis, an in-memory copy would only grow.
        result = step(holder.engine.state, event, now)
        for command in result.commands:
            try:
                self._execute(tenant, holder, command)
            except Exception:  # a PBX hiccup must never stop the engine or lose its events
                log.exception("%s: command %r failed", tenant, command)
        self._outbox.put_nowait((tenant, encode_input(event), now, result.events))
        self._unpublished += 1
        holder.journal_length += 1
        for listener in self._listeners:
            for domain_event in result.events:
                try:
                    listener(domain_event)
                except Exception:  # a side job's bug must not stop the engine
                    log.exception("%s: event listener %r failed", tenant, listener)
        return result.events

    async def _publish_loop(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            compaction = self._due_compaction(batch)
            journaled = False
            # A failed batch is retried as it is, before anything fed since: the journal and
            # the stream must keep the engine's order, and entries already journaled must not
            # be journaled twice (a replay would apply them twice).
            while True:
                try:
                    if not journaled:
                        await self._journal(batch, compaction)
                        journaled = True
                    await self._publish(batch)
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
            holder = self._tenants[tenant]
            if holder.journal_length < self._compact_after:
                continue
            try:
                document = json.dumps(encode_state(holder.engine.state, holder.engine.config))
            except Exception:  # a codec bug must not stop publishing: the journal just grows
                log.exception("%s: engine snapshot failed; journal not compacted", tenant)
                continue
            due[tenant] = (document, holder.journal_length)
        return due

    async def _journal(self, batch: list[_Step], compaction: dict[str, tuple[str, int]]) -> None:
        # One transaction when compacting: a snapshot and the removal of the entries it covers
        # (including this batch's) go together.
        pipe = self._redis.pipeline(transaction=bool(compaction))
        for tenant, encoded, now, _ in batch:
            if tenant not in compaction:
                pipe.rpush(self.journal_key(tenant), json.dumps({"input": encoded, "now": now}))
        for tenant, (document, _) in compaction.items():
            pipe.set(self.engine_snapshot_key(tenant), document)
            pipe.delete(self.journal_key(tenant))
        await pipe.execute()
        for tenant, (_, covered) in compaction.items():
            self._tenants[tenant].journal_length -= covered  # leaves the inputs fed since
            log.info("%s: %d journal entries compacted into an engine snapshot", tenant, covered)

    async def _publish(self, batch: list[_Step]) -> None:
        for tenant in {tenant for tenant, *_ in batch}:
            await self._write_snapshot(tenant)
        await self._event_log.append_many(e for *_, events in batch for e in events)

    # Commands to the PBX ------------------------------------------------------------------------

    def _execute(self, tenant: str, holder: _Tenant, command: q.Command) -> None:
        send = self._pbx.send
        if isinstance(command, q.StartTimer):
            self._start_timer(tenant, command)
        elif isinstance(command, q.CancelTimer):
            handle = self._timers.pop((tenant, command.timer_id), None)
            if handle is not None:
                handle.cancel()
        elif isinstance(command, q.AnswerCall):
            send(pbx.Answer(command.call_id))
        elif isinstance(command, q.PlayPrompt):
            holder.prompts[command.call_id] = command.prompt
            send(
                pbx.PlayPrompt(
                    command.call_id,
                    self._prompt_file(command.prompt),
                    then_music=command.resume_music is not None,
                    loop=command.loop,
                    music=self._music_file(command.resume_music),
                )
            )
        elif isinstance(command, q.StartMusic):
            send(pbx.StartMusicOnHold(command.call_id, self._music_file(command.music)))
        elif isinstance(command, q.StopMedia):
            send(pbx.StopMedia(command.call_id))
        elif isinstance(command, q.OfferCall):
            holder.leg_counter += 1
            leg_id = f"{command.call_id}:{command.agent}:{holder.leg_counter}"
            holder.legs[(command.call_id, command.agent)] = leg_id
            cc = holder.engine.state.call_centers[command.call_center_id]
            ring = cc.config.ring_seconds + PBX_RING_MARGIN
            send(
                pbx.OfferCall(
                    command.call_id,
                    leg_id,
                    command.agent,
                    ring_timeout=ring,
                    auto_answer=command.auto_answer,
                    whisper=self._prompt_file(command.whisper) if command.whisper else None,
                )
            )
        elif isinstance(command, q.StopRinging):
            ringing = holder.legs.pop((command.call_id, command.agent), None)
            if ringing is not None:
                send(pbx.StopRinging(command.call_id, ringing))
        elif isinstance(command, q.BridgeCall):
            answered = holder.legs.get((command.call_id, command.agent))
            if answered is not None:
                send(pbx.Bridge(command.call_id, answered))
        elif isinstance(command, q.TransferCall):
            self._forget_call(holder, command.call_id)
            send(pbx.Transfer(command.call_id, command.destination))
        elif isinstance(command, q.RejectBusy):
            self._forget_call(holder, command.call_id)
            send(pbx.Reject(command.call_id, 486, "Busy Here"))
        elif isinstance(command, q.HangUpCall):
            self._forget_call(holder, command.call_id)
            send(pbx.Hangup(command.call_id, 200, "OK"))
        elif isinstance(command, q.KeepRinging):
            send(pbx.SendRinging(command.call_id))
        elif isinstance(command, q.DisconnectAgent):
            leg = holder.legs.pop((command.call_id, command.agent), None)
            if leg is not None:
                send(pbx.DisconnectLeg(command.call_id, leg))
        elif isinstance(command, q.RemindAgent):
            send(pbx.PlayToAgent(command.call_id, REMINDER_TONE))

    def _forget_call(self, holder: _Tenant, call_id: str) -> None:
        holder.prompts.pop(call_id, None)
        for key in [k for k in holder.legs if k[0] == call_id]:
            del holder.legs[key]

    def _prompt_file(self, prompt: str) -> str:
        """Engine prompt names -> the PBX's generated prompt files (language suffixed)."""
        base = prompt.split(":", 1)[0]
        if base in ("position", "wait", "comfort_short"):
            base = "comfort"  # spoken numbers are not generated yet: the comfort text stands in
        if base in PROMPTS_WITH_TEXT:
            return f"{base}_{self._language}"
        return base

    @staticmethod
    def _music_file(music: str | None) -> str:
        """The engine's default music name ("moh") is the PBX's generated music on hold."""
        return MUSIC_ON_HOLD if music in (None, "moh") else str(music)

    def _start_timer(self, tenant: str, command: q.StartTimer) -> None:
        key = (tenant, command.timer_id)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(command.seconds, self._fire, tenant, command.timer_id)

    def _fire(self, tenant: str, timer_id: str) -> None:
        self._timers.pop((tenant, timer_id), None)
        self.feed(tenant, qi.TimerFired(timer_id))

    # Events from the PBX ------------------------------------------------------------------------

    async def on_call_event(self, event: pbx.CallEvent) -> None:
        """Registered with the PBX for the call-center numbers."""
        self._confirm(event)
        if isinstance(event, pbx.MonitorEnded):
            self._monitor_ended(event)
            return
        if isinstance(event, pbx.CallOffered):
            tenant = self._number_tenant.get(event.called)
            if tenant is None:
                self._pbx.send(pbx.Reject(event.call_id, 404, "Not Found"))
                return
            self.feed(tenant, qi.CallArrived(event.call_id, event.called, event.caller))
            return
        found = self._find_call(event.call_id)
        if found is None:
            return  # a call the engine already let go of (transferred, rejected)
        tenant, holder = found
        translated = self._translate(holder, event)
        if translated is not None:
            self.feed(tenant, translated)

    def _confirm(self, event: pbx.CallEvent) -> None:
        name = (
            event.command if isinstance(event, pbx.CommandFailed) else PBX_ANSWERS.get(type(event))
        )
        waiting = self._awaiting.get((event.call_id, name)) if name else None
        if waiting is not None and not waiting.done():
            waiting.set_result(event)

    def _monitor_ended(self, event: pbx.MonitorEnded) -> None:
        for holder in self._tenants.values():
            monitor = holder.monitors.get(event.call_id)
            if monitor is not None and monitor[0] == event.monitor_id:
                del holder.monitors[event.call_id]
        log.info(
            "supervisor phone %s left call %s: %s", event.extension, event.call_id, event.reason
        )

    async def _ask_pbx(
        self, command: pbx.CallCommand, *, settle: float | None = None
    ) -> pbx.CallEvent | None:
        """Send `command` and wait for the event that confirms or refuses it. With `settle`, no
        answer within that many seconds means "under way" (None); without, it is an error."""
        key = (command.call_id, type(command).__name__)
        if key in self._awaiting:
            raise ControlError("in_progress", f"a {key[1]} of this call is already under way")
        answer: asyncio.Future[pbx.CallEvent] = asyncio.get_running_loop().create_future()
        self._awaiting[key] = answer
        try:
            self._pbx.send(command)
            return await asyncio.wait_for(answer, settle or PBX_CONFIRM_SECONDS)
        except TimeoutError:
            if settle is not None:
                return None
            raise ControlError("pbx_timeout", f"the PBX did not confirm {key[1]}") from None
        finally:
            del self._awaiting[key]

    def _find_call(self, call_id: str) -> tuple[str, _Tenant] | None:
        for tenant, holder in self._tenants.items():
            if call_id in holder.engine.state.calls:
                return tenant, holder
        return None

    def _translate(self, holder: _Tenant, event: pbx.CallEvent) -> qi.Input | None:
        call = holder.engine.state.calls[event.call_id]
        if isinstance(event, pbx.CallAnswered):
            return qi.AgentAnswered(event.call_id, event.extension) if event.leg_id else None
        if isinstance(event, pbx.OfferFailed):
            holder.legs.pop((event.call_id, event.extension), None)
            if event.failure in (pbx.OfferFailure.CANCELLED, pbx.OfferFailure.NO_ANSWER):
                # Our own StopRinging, or the PBX's safety-net timeout: the engine's ring timer
                # decides about unanswered offers (a bounce, not a missed call).
                return None
            return qi.AgentRejected(event.call_id, event.extension, event.failure.value)
        if isinstance(event, pbx.LegHungUp):
            return qi.AgentHungUp(event.call_id, event.extension)
        if isinstance(event, pbx.CallHungUp):
            self._forget_call(holder, event.call_id)
            if call.agent is not None and event.side is pbx.HangupSide.CALLEE:
                return qi.AgentHungUp(event.call_id, call.agent)
            return qi.CallerHungUp(event.call_id)
        if isinstance(event, pbx.DtmfReceived):
            return None if event.leg_id else qi.DtmfReceived(event.call_id, event.digit)
        if isinstance(event, pbx.CallHeld | pbx.CallResumed):
            if call.agent is None:
                return None
            kind = qi.CallHeld if isinstance(event, pbx.CallHeld) else qi.CallResumed
            return kind(event.call_id, call.agent)
        if isinstance(event, pbx.MediaFinished):
            return qi.MediaFinished(event.call_id, holder.prompts.pop(event.call_id, event.prompt))
        if isinstance(event, pbx.CallTransferred) and call.agent is not None:
            # The agent's phone transferred the caller away (REFER): the agent is done.
            return qi.AgentHungUp(event.call_id, call.agent)
        if isinstance(event, pbx.RecordingRequested):
            holder.recording.add(event.call_id)
        return None

    # CallCenterControl ------------------------------------------------------------------------

    def _control(self, tenant: str, event: qi.Input) -> list[DomainEvent]:
        if tenant not in self._tenants:
            raise ControlError("unknown_tenant", f"no tenant {tenant!r}")
        events = self.feed(tenant, event)
        for e in events:
            if e.type is EventType.INPUT_REJECTED:
                raise ControlError(str(e.data.get("error", "rejected")), e.reason)
        return events

    async def set_agent_state(
        self,
        tenant: str,
        extension: str,
        state: AgentState,
        *,
        unavailable_code: str | None,
        cause: StateCause,
        by: str,
    ) -> None:
        self._control(
            tenant,
            qi.SetAgentState(
                extension, qi.AgentState(state.value), qi.Cause(cause.value), unavailable_code
            ),
        )
        await self.flush()

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._control(tenant, qi.JoinCallCenter(extension, call_center_id, _cause(extension, by)))
        await self.flush()

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._control(tenant, qi.LeaveCallCenter(extension, call_center_id, _cause(extension, by)))
        await self.flush()

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        self._control(tenant, qi.EnterDisposition(extension, call_id, code))
        await self.flush()

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        self._control(tenant, qi.MoveCall(call_id, to_call_center_id, by))
        await self.flush()

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        self._control(tenant, qi.PromoteCall(call_id, priority, by))
        await self.flush()

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        self._control(tenant, qi.ReorderCall(call_id, position, by))
        await self.flush()

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        self._control(tenant, qi.RetrieveCall(call_id, extension, by))
        await self.flush()

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        self._control(tenant, qi.SetNightService(call_center_id, override, by))
        await self.flush()

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        holder = self._tenants.get(tenant)
        cc = holder.engine.state.call_centers.get(call_center_id) if holder else None
        configured = cc.config.forced_forwarding if cc else None
        if destination and configured is not None and destination != configured.destination:
            raise ControlError(
                "destination_fixed",
                f"forced forwarding of {call_center_id} goes to {configured.destination};"
                " changing the number is an administration task",
            )
        self._control(tenant, qi.SetForcedForwarding(call_center_id, enabled, by))
        await self.flush()

    def _agent_call(self, tenant: str, call_id: str) -> str:
        holder = self._tenants.get(tenant)
        call = holder.engine.state.calls.get(call_id) if holder else None
        if call is None or call.agent is None:
            raise ControlError("unknown_call", f"no connected call {call_id!r}")
        return call.agent

    def _connected_call(self, tenant: str, call_id: str, *phases: Phase) -> None:
        self._agent_call(tenant, call_id)
        phase = self._tenants[tenant].engine.state.calls[call_id].phase
        if phase not in phases:
            raise ControlError("wrong_phase", f"call {call_id!r} is {phase.value}")

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        """The PBX plays music to the caller and mutes the caller toward the agent; its
        `CallHeld` reaches the engine like a hold from the phone itself."""
        self._connected_call(tenant, call_id, Phase.TALKING)
        await self._pbx_confirmed(pbx.HoldCall(call_id))

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._connected_call(tenant, call_id, Phase.HELD)
        await self._pbx_confirmed(pbx.ResumeCall(call_id))

    async def _pbx_confirmed(self, command: pbx.CallCommand) -> None:
        answer = await self._ask_pbx(command)
        if isinstance(answer, pbx.CommandFailed):
            raise ControlError("pbx_refused", f"the PBX refused: {answer.reason}")
        await self.flush()

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        self._connected_call(tenant, call_id, Phase.TALKING, Phase.HELD)
        holder = self._tenants[tenant]
        current = holder.monitors.get(call_id)
        if current is not None and current[1] != extension:
            raise ControlError(
                "already_monitored", f"phone {current[1]} already listens to call {call_id!r}"
            )
        monitor_id = current[0] if current is not None else f"mon-{uuid.uuid4().hex[:12]}"
        holder.monitors[call_id] = (monitor_id, extension)
        log.info("%s: %s joins call %s from %s (%s)", tenant, by, call_id, extension, mode.value)
        answer = await self._ask_pbx(
            pbx.MonitorCall(call_id, monitor_id, extension, PBX_MONITOR_MODES[mode]),
            settle=MONITOR_SETTLE_SECONDS,
        )
        if isinstance(answer, pbx.CommandFailed | pbx.MonitorEnded):
            # A refused switch leaves the joined monitor as it was; a refused join leaves none
            # (`MonitorEnded` has already removed it).
            if current is None:
                holder.monitors.pop(call_id, None)
            why = answer.reason
            raise ControlError("monitor_failed", f"phone {extension} cannot join: {why}")

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        holder = self._tenants.get(tenant)
        monitor = holder.monitors.pop(call_id, None) if holder else None
        if monitor is None:
            raise ControlError("not_monitored", f"nobody listens to call {call_id!r}")
        self._pbx.send(pbx.StopMonitor(call_id, monitor[0]))

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        agent = self._agent_call(tenant, call_id)
        if not destination:
            raise ControlError("bad_destination", "a transfer needs a destination")
        # The agent's part ends now; the PBX takes the caller to the destination (a queue
        # number comes back to us as a new arrival).
        self.feed(tenant, qi.AgentHungUp(call_id, agent))
        self._pbx.send(pbx.Transfer(call_id, destination))
        await self.flush()

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        holder = self._tenants.get(tenant)
        if holder is None or call_id not in holder.engine.state.calls:
            raise ControlError("unknown_call", f"no call {call_id!r}")
        self._pbx.send(pbx.Hangup(call_id, 200, "OK"))

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        self._agent_call(tenant, call_id)
        if not enabled:
            raise ControlError(
                "not_supported", "a kept recording cannot be dropped during the call"
            )
        self._tenants[tenant].recording.add(call_id)
        self._pbx.send(pbx.StartRecording(call_id))

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        """Ring the agent's phone first, then call the destination (the PBX's `Dial`)."""
        holder = self._tenants.get(tenant)
        if holder is None or extension not in holder.engine.state.agents:
            raise ControlError("unknown_extension", f"no extension {extension!r} in {tenant}")
        number = destination.strip()
        if not DIALLABLE.fullmatch(number):
            raise ControlError(
                "bad_destination",
                f"{destination!r} is not a number to dial (digits, optionally a leading +)",
            )
        call_id = f"c2d-{uuid.uuid4().hex}"
        self._pbx.send(pbx.Dial(call_id, extension, number.replace(" ", "")))
        return call_id

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return self._snapshot(tenant).call_centers

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return self._snapshot(tenant).agents

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return self._snapshot(tenant).calls

    # Snapshots --------------------------------------------------------------------------------

    def _snapshot(self, tenant: str) -> TenantSnapshot:
        holder = self._tenants.get(tenant)
        if holder is None:
            return TenantSnapshot()
        state = holder.engine.state
        centers = []
        for cc in state.call_centers.values():
            config = cc.config
            waiting = tuple(
                WaitingCallSnapshot(
                    call_id=call_id,
                    caller=state.calls[call_id].caller,
                    position=position,
                    priority=state.calls[call_id].priority,
                    arrived_at=state.calls[call_id].arrived_at,
                )
                for position, call_id in enumerate(cc.waiting.call_ids(), start=1)
            )
            centers.append(
                CallCenterSnapshot(
                    id=config.id,
                    number=config.id,
                    name=config.name,
                    tier=config.tier.name,
                    max_waiters=config.waiter_limit,
                    members=cc.members,
                    waiting_calls=waiting,
                    night_service_override=cc.night_override,
                    forced_forwarding=cc.forced_forwarding,
                    service_level_seconds=config.service_level_seconds,
                )
            )
        agents = [
            AgentSnapshot(
                extension=a.extension,
                state=AgentState(a.state.value),
                state_since=a.state_since,
                unavailable_code=a.unavailable_code,
                call_centers=tuple(a.joined),
                name=next(
                    (c.name for c in holder.engine.config.agents if c.extension == a.extension), ""
                ),
            )
            for a in state.agents.values()
        ]
        calls = []
        for call in state.calls.values():
            if call.phase is Phase.OFFERED:
                for extension in call.offered_to:
                    calls.append(
                        ActiveCallSnapshot(
                            call.call_id,
                            extension,
                            call.caller,
                            CallPhase.RINGING,
                            call.arrived_at,
                            call.call_center_id,
                            call.call_id in holder.recording,
                        )
                    )
            elif call.phase in (Phase.TALKING, Phase.HELD) and call.agent is not None:
                calls.append(
                    ActiveCallSnapshot(
                        call.call_id,
                        call.agent,
                        call.caller,
                        CallPhase.CONNECTED if call.phase is Phase.TALKING else CallPhase.HELD,
                        call.answered_at or call.arrived_at,
                        call.call_center_id,
                        call.call_id in holder.recording,
                    )
                )
        return TenantSnapshot(
            call_centers=centers,
            agents=agents,
            calls=calls,
            sequence=state.sequence,
            written_at=self._clock(),
        )

    async def _write_snapshot(self, tenant: str) -> None:
        await self._snapshots.write(tenant, self._snapshot(tenant))


def _cause(extension: str, by: str) -> qi.Cause:
    return qi.Cause.AGENT if by == extension else qi.Cause.SUPERVISOR
