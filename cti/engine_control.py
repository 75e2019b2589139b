"""The `CallCenterControl` of the engine runtime: what the APIs call. Queue actions become engine
inputs (refused ones raise `ControlError`), call control goes straight to the PBX after checking
the engine's view of the call, and reads project the engine's state (docs/runtime.md)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence

from cti.control import ControlError, MonitorMode
from cti.engine_pbx import PbxAdapter
from cti.engine_snapshot import tenant_snapshot
from cti.engine_tenant import EngineTenant
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    StateCause,
    TenantSnapshot,
)
from pbx_core import call_control as pbx
from queueing import inputs as qi
from queueing.events import DomainEvent, EventType
from queueing.state import Phase

log = logging.getLogger(__name__)

DIALLABLE = re.compile(r"\+?[0-9][0-9 ]{0,31}|\*[0-9]{1,4}")
"""What click-to-dial accepts: a number with an optional +, spaces allowed; or a feature code."""

MONITOR_SETTLE_SECONDS = 1.0
"""A monitor request is accepted once the supervisor's phone rings; the PBX refuses a bad one
(unknown call, phone not registered, a second monitor) well within this."""

PBX_MONITOR_MODES = {
    MonitorMode.LISTEN: pbx.MonitorMode.LISTEN,
    MonitorMode.BARGE: pbx.MonitorMode.BARGE,
    MonitorMode.WHISPER: pbx.MonitorMode.WHISPER,
}


class EngineControl:
    """Implements `cti.control.CallCenterControl` over the runtime's parts: `feed` steps a
    tenant's engine, `flush` waits until what was fed is published (so a client reading after
    a mutation sees its effect)."""

    def __init__(
        self,
        tenants: Mapping[str, EngineTenant],
        pbx_adapter: PbxAdapter,
        *,
        feed: Callable[[str, qi.Input], list[DomainEvent]],
        flush: Callable[[], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self._tenants = tenants
        self._pbx = pbx_adapter
        self._feed = feed
        self._flush = flush
        self._clock = clock

    def _refuse_elsewhere(self, tenant: str) -> None:
        """Refuse a command this node cannot carry out for the tenant now: only a runtime among
        several knows (cti/engine_leased.py, which relays commands for a tenant held elsewhere
        before they get here); a single one runs every tenant."""

    async def _accepted(self, tenant: str, event: qi.Input) -> None:
        """Feed `event`; return once its step is published, or raise the engine's refusal."""
        self._refuse_elsewhere(tenant)
        if tenant not in self._tenants:
            raise ControlError("unknown_tenant", f"no tenant {tenant!r}")
        for e in self._feed(tenant, event):
            if e.type is EventType.INPUT_REJECTED:
                raise ControlError(str(e.data.get("error", "rejected")), e.reason)
        await self._flush()

    # Agents and queues: engine inputs -----------------------------------------------------------

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
        await self._accepted(
            tenant,
            qi.SetAgentState(
                extension, qi.AgentState(state.value), qi.Cause(cause.value), unavailable_code
            ),
        )

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        await self._accepted(
            tenant, qi.JoinCallCenter(extension, call_center_id, _cause(extension, by))
        )

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        await self._accepted(
            tenant, qi.LeaveCallCenter(extension, call_center_id, _cause(extension, by))
        )

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        await self._accepted(tenant, qi.EnterDisposition(extension, call_id, code))

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        await self._accepted(tenant, qi.MoveCall(call_id, to_call_center_id, by))

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        await self._accepted(tenant, qi.PromoteCall(call_id, priority, by))

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        await self._accepted(tenant, qi.ReorderCall(call_id, position, by))

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        await self._accepted(tenant, qi.RetrieveCall(call_id, extension, by))

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        await self._accepted(tenant, qi.SetNightService(call_center_id, override, by))

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
        await self._accepted(tenant, qi.SetForcedForwarding(call_center_id, enabled, by))

    # Call control: checked against the engine, carried out by the PBX ---------------------------

    def _agent_call(self, tenant: str, call_id: str) -> str:
        self._refuse_elsewhere(tenant)
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
        answer = await self._pbx.ask(command)
        if isinstance(answer, pbx.CommandFailed):
            raise ControlError("pbx_refused", f"the PBX refused: {answer.reason}")
        await self._flush()

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
        answer = await self._pbx.ask(
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
        self._refuse_elsewhere(tenant)
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
        self._feed(tenant, qi.AgentHungUp(call_id, agent, transferred=True))
        self._pbx.send(pbx.Transfer(call_id, destination))
        await self._flush()

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        self._refuse_elsewhere(tenant)
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

    async def book_callback(self, tenant: str, call_center_id: str, number: str) -> str:
        call_id = f"callback-{uuid.uuid4().hex}"
        await self._accepted(tenant, qi.CallbackBooked(call_id, call_center_id, number))
        return call_id

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        """Ring the agent's phone first, then call the destination (the PBX's `Dial`)."""
        self._refuse_elsewhere(tenant)
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
        self._pbx.send(pbx.Dial(call_id, extension, number.replace(" ", ""), tenant=tenant))
        return call_id

    # Reads ----------------------------------------------------------------------------------------

    def _snapshot(self, tenant: str) -> TenantSnapshot:
        holder = self._tenants.get(tenant)
        return TenantSnapshot() if holder is None else tenant_snapshot(holder, self._clock())

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return self._snapshot(tenant).call_centers

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return self._snapshot(tenant).agents

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return self._snapshot(tenant).calls


def _cause(extension: str, by: str) -> qi.Cause:
    return qi.Cause.AGENT if by == extension else qi.Cause.SUPERVISOR
