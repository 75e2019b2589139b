"""The live snapshot of a tenant (`TenantSnapshot`), projected from its engine state: what the
runtime writes to Redis after each published batch and what its own snapshot reads return."""

from __future__ import annotations

from cti.engine_tenant import EngineTenant
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    CallPhase,
    TenantSnapshot,
    WaitingCallSnapshot,
)
from queueing.state import Phase


def tenant_snapshot(holder: EngineTenant, written_at: float) -> TenantSnapshot:
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
                callback=state.calls[call_id].callback is not None,
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
        written_at=written_at,
    )
