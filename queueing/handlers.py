"""One handler per input: check that the input is possible (raise `Rejected` before any change),
then act through `flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queueing import flow
from queueing.commands import RemindAgent, StartMusic, StopRinging
from queueing.config import Action, Tier, Treatment
from queueing.events import EventType
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentRejected,
    AgentState,
    CallArrived,
    CallerHungUp,
    CallHeld,
    CallResumed,
    Cause,
    DtmfReceived,
    EnterDisposition,
    JoinCallCenter,
    LeaveCallCenter,
    MediaFinished,
    MoveCall,
    PromoteCall,
    ReorderCall,
    RetrieveCall,
    SetAgentState,
    SetForcedForwarding,
    SetNightService,
    TimerFired,
)
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, Phase, sync_free
from queueing.step import Rejected, Step
from queueing.waiting_list import make_key

MAX_PRIORITY = 9


# Lookups that reject ---------------------------------------------------------------------------


def _call(ctx: Step, call_id: str) -> Call:
    call = ctx.state.calls.get(call_id)
    if call is None:
        raise Rejected("unknown_call", f"no call {call_id!r} in the engine")
    return call


def _queued_call(ctx: Step, call_id: str) -> tuple[Call, CallCenter]:
    call = _call(ctx, call_id)
    if call.phase not in IN_QUEUE:
        raise Rejected(
            "not_waiting", f"call {call_id} is no longer waiting in a queue ({call.phase.value})"
        )
    return call, ctx.state.call_centers[call.call_center_id]


def _call_center(ctx: Step, call_center_id: str) -> CallCenter:
    cc = ctx.state.call_centers.get(call_center_id)
    if cc is None:
        raise Rejected("unknown_call_center", f"no call center {call_center_id!r}")
    return cc


def _agent(ctx: Step, extension: str) -> Agent:
    agent = ctx.state.agents.get(extension)
    if agent is None:
        raise Rejected("unknown_agent", f"no agent {extension!r}")
    return agent


def _priority(priority: int) -> None:
    if not 0 <= priority <= MAX_PRIORITY:
        raise Rejected("bad_priority", f"priority {priority} is outside 0..{MAX_PRIORITY}")


def _agent_call(ctx: Step, call_id: str, extension: str, phases: frozenset[Phase]) -> Call:
    call = _call(ctx, call_id)
    if call.agent != extension or call.phase not in phases:
        raise Rejected("not_on_call", f"agent {extension} is not on call {call_id} ({call.phase})")
    return call


# PBX call events -------------------------------------------------------------------------------


def call_arrived(ctx: Step, event: CallArrived) -> None:
    if event.call_id in ctx.state.calls:
        raise Rejected("duplicate_call", f"call {event.call_id} is already in the engine")
    cc = _call_center(ctx, event.call_center_id)
    _priority(event.priority)
    ctx.state.order_counter += 1
    call = Call(
        event.call_id,
        event.caller,
        cc.config.id,
        event.priority,
        float(ctx.state.order_counter),
        ctx.now,
    )
    config = cc.config
    diversion = _diversion(ctx, cc)
    if diversion is not None:
        trigger, treatment, why = diversion
        flow.treat(ctx, call, cc, treatment, EventType.CALL_DIVERTED, trigger, why)
    elif len(cc.waiting) >= config.waiter_limit:
        flow.treat(
            ctx,
            call,
            cc,
            config.overflow.on_full,
            EventType.CALL_OVERFLOWED,
            "queue_full",
            f"overflow: {config.name} already holds its maximum of {config.waiter_limit} callers",
        )
    elif (stranded := flow.stranded_treatment(ctx, cc)) is not None:
        condition, treatment = stranded
        flow.treat(
            ctx,
            call,
            cc,
            treatment,
            EventType.CALL_STRANDED,
            condition,
            f"stranded on arrival: {condition.replace('_', ' ')} in {config.name}",
        )
    else:
        flow.enter_queue(ctx, call, cc)


def _diversion(ctx: Step, cc: CallCenter) -> tuple[str, Treatment, str] | None:
    """Forced forwarding, then holiday service, then night service (Premium)."""
    config = cc.config
    forced = config.forced_forwarding
    if forced is not None and cc.forced_forwarding:
        treatment = Treatment(Action.TRANSFER, forced.destination, forced.announcement)
        return "forced_forwarding", treatment, f"forced forwarding to {forced.destination} is on"
    night = config.night_service
    if night is None or cc.night_override is False:
        return None
    if cc.night_override is True:
        return "night_service", night.night_treatment, "night service switched on by a supervisor"
    if night.holidays is not None:
        holiday = night.holidays.holiday_name(ctx.now)
        if holiday is not None:
            return "holiday_service", night.holiday_treatment, f"holiday service: {holiday}"
    if night.schedule is not None and not night.schedule.is_open(ctx.now):
        local = night.schedule.local(ctx.now).strftime("%a %H:%M %Z")
        return "night_service", night.night_treatment, f"night service: closed at {local}"
    return None


def caller_hung_up(ctx: Step, event: CallerHungUp) -> None:
    call = _call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    if call.phase in IN_QUEUE:
        freed = flow.leave_queue(ctx, call, cc)
        flow.forget(ctx, call)
        during_entrance = not call.entrance_done
        ctx.emit(
            EventType.CALL_ABANDONED,
            "caller hung up during the entrance message"
            if during_entrance
            else f"caller hung up after {flow.wait_seconds(ctx, call)} s waiting",
            call_center_id=cc.config.id,
            call_id=call.call_id,
            caller=call.caller,
            wait_seconds=flow.wait_seconds(ctx, call),
            during_entrance=during_entrance,
        )
        flow.dispatch_agents(ctx, freed)
    elif call.phase in (Phase.TALKING, Phase.HELD):
        flow.release(ctx, call, "caller")
    else:
        flow.forget(ctx, call)


def dtmf_received(ctx: Step, event: DtmfReceived) -> None:
    call = _call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    config = cc.config
    if call.phase not in IN_QUEUE or event.digit != config.escape_digit:
        return
    destination = config.escape_destination
    assert destination is not None  # validated with the escape digit
    why = f"caller pressed {event.digit} to leave the queue for {destination}"
    flow.send_out(ctx, call, cc, EventType.CALL_ESCAPED, why, destination)


def media_finished(ctx: Step, event: MediaFinished) -> None:
    call = _call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    media = cc.config.media
    if call.pending is not None:
        if event.prompt == call.pending.announcement:
            flow.carry_out(ctx, call, call.pending)
        return
    if call.entrance_done or event.prompt != media.entrance_message or call.phase not in IN_QUEUE:
        return
    call.entrance_done = True
    if call.phase is Phase.ENTRANCE:
        call.phase = Phase.WAITING
    ctx.emit(
        EventType.CALL_UPDATED,
        "entrance message played",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        what="entrance_done",
    )
    if call.phase is Phase.OFFERED:
        if media.music_on_hold is not None:
            ctx.command(StartMusic(call.call_id, media.music_on_hold))
        return
    flow.start_waiting_media(ctx, call, cc)
    if media.entrance_mandatory:
        cc.waiting.set_ready(call.call_id)
        flow.dispatch_call_center(ctx, cc)


def agent_answered(ctx: Step, event: AgentAnswered) -> None:
    call = _call(ctx, event.call_id)
    if call.phase is not Phase.OFFERED or event.agent not in call.offered_to:
        raise Rejected("not_offered", f"call {event.call_id} is not ringing agent {event.agent}")
    cc = ctx.state.call_centers[call.call_center_id]
    flow.answer(ctx, call, cc, ctx.state.agents[event.agent])


def agent_rejected(ctx: Step, event: AgentRejected) -> None:
    """The phone declined, was busy or could not be reached.

    The agent is taken out of rotation (UNAVAILABLE "missed", or signed out on a Basic licence,
    which has no unavailable state): otherwise a single free agent whose phone is off would be
    offered the same call again at once, forever. The call bounces back to the top.
    """
    call = _call(ctx, event.call_id)
    if call.phase is not Phase.OFFERED or event.agent not in call.offered_to:
        raise Rejected("not_offered", f"call {event.call_id} is not ringing agent {event.agent}")
    cc = ctx.state.call_centers[call.call_center_id]
    agent = ctx.state.agents[event.agent]
    why = f"did not take call {call.call_id} ({event.reason})"
    if len(call.offered_to) > 1:
        call.offered_to = tuple(e for e in call.offered_to if e != event.agent)
        agent.offered_call = None
        sync_free(ctx.state, agent)
        _missed(ctx, agent, why)
        return
    _missed(ctx, agent, why)
    if call.phase is Phase.OFFERED and call.offered_to == (event.agent,):
        flow.bounce(
            ctx,
            call,
            cc,
            "rejected",
            f"agent {event.agent} {why}",
            except_agent=event.agent,
        )


MISSED_CODE = "missed"


def _missed(ctx: Step, agent: Agent, why: str) -> None:
    if agent.licence is Tier.BASIC:
        flow.set_agent_state(ctx, agent, AgentState.SIGN_OUT, Cause.ENGINE, why)
    else:
        flow.set_agent_state(ctx, agent, AgentState.UNAVAILABLE, Cause.ENGINE, why, MISSED_CODE)


def agent_hung_up(ctx: Step, event: AgentHungUp) -> None:
    call = _agent_call(ctx, event.call_id, event.agent, frozenset({Phase.TALKING, Phase.HELD}))
    flow.release(ctx, call, "agent")


def call_held(ctx: Step, event: CallHeld) -> None:
    call = _agent_call(ctx, event.call_id, event.agent, frozenset({Phase.TALKING}))
    cc = ctx.state.call_centers[call.call_center_id]
    call.phase = Phase.HELD
    ctx.emit(
        EventType.CALL_HELD,
        f"agent {event.agent} put the caller on hold",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=event.agent,
        caller=call.caller,
    )
    policy = cc.config.bounce
    if policy is not None:
        if policy.hold_alert_seconds is not None:
            ctx.start_timer(
                flow.timer_id(call.call_id, flow.HOLD_ALERT),
                policy.hold_alert_seconds,
                flow.HOLD_ALERT,
                call.call_id,
            )
        if policy.hold_bounce_seconds is not None:
            ctx.start_timer(
                flow.timer_id(call.call_id, flow.HOLD_BOUNCE),
                policy.hold_bounce_seconds,
                flow.HOLD_BOUNCE,
                call.call_id,
            )


def call_resumed(ctx: Step, event: CallResumed) -> None:
    call = _agent_call(ctx, event.call_id, event.agent, frozenset({Phase.HELD}))
    call.phase = Phase.TALKING
    for kind in (flow.HOLD_ALERT, flow.HOLD_BOUNCE):
        ctx.cancel_timer(flow.timer_id(call.call_id, kind))
    ctx.emit(
        EventType.CALL_RESUMED,
        f"agent {event.agent} took the caller off hold",
        call_center_id=call.call_center_id,
        call_id=call.call_id,
        agent=event.agent,
        caller=call.caller,
    )


# Timers ----------------------------------------------------------------------------------------


def timer_fired(ctx: Step, event: TimerFired) -> None:
    found = ctx.state.timers.pop(event.timer_id, None)
    if found is None:
        return  # cancelled or already handled: a stale timer is not an error
    kind, subject = found
    if kind == flow.WRAP_UP:
        agent = ctx.state.agents[subject]
        cc = ctx.state.call_centers[agent.last_call_center or next(iter(ctx.state.call_centers))]
        following = AgentState(cc.config.wrap_up_next_state.value)
        flow.set_agent_state(ctx, agent, following, Cause.ENGINE, "wrap-up time is over")
        return
    call = ctx.state.calls[subject]
    cc = ctx.state.call_centers[call.call_center_id]
    if kind == flow.MAX_WAIT:
        overflow = cc.config.overflow
        flow.treat(
            ctx,
            call,
            cc,
            overflow.on_max_wait,
            EventType.CALL_OVERFLOWED,
            "max_wait",
            f"overflow: waited longer than {overflow.max_wait_seconds} s",
        )
    elif kind == flow.COMFORT:
        flow.comfort(ctx, call, cc)
    elif kind == flow.RING:
        agents = ", ".join(call.offered_to)
        flow.bounce(
            ctx,
            call,
            cc,
            "no_answer",
            f"not answered by {agents} within {cc.config.ring_seconds} s",
        )
    elif kind == flow.HOLD_ALERT:
        assert call.agent is not None
        ctx.command(RemindAgent(call.call_id, call.agent))
    else:
        flow.bounce_held_call(ctx, call, cc)


# Agent actions ---------------------------------------------------------------------------------

_LICENCE_STATES = frozenset({AgentState.SIGN_IN, AgentState.SIGN_OUT})


def set_agent_state(ctx: Step, event: SetAgentState) -> None:
    agent = _agent(ctx, event.agent)
    state = event.state
    if state is AgentState.BUSY:
        raise Rejected("engine_state", "BUSY is set by the engine while an agent is on a call")
    if agent.licence is Tier.BASIC and state not in _LICENCE_STATES:
        raise Rejected(
            "licence",
            f"agent {agent.extension} holds a BASIC licence: setting {state.value} needs the"
            " STANDARD licence (a Basic agent is available whenever signed in)",
        )
    codes = ctx.state.unavailable_codes
    if state is AgentState.UNAVAILABLE and codes and event.unavailable_code not in codes:
        raise Rejected(
            "unknown_unavailable_code",
            f"unavailable code {event.unavailable_code!r} is not one of {sorted(codes)}",
        )
    who = event.cause.value
    if agent.call is not None:
        agent.pending_state = (state, event.unavailable_code)
        return
    flow.set_agent_state(ctx, agent, state, event.cause, f"set by {who}", event.unavailable_code)
    offered = agent.offered_call
    if offered is not None and not agent.ready_state:
        _agent_gone_while_ringing(ctx, agent, offered, f"{state.value} while the call rang")


def _agent_gone_while_ringing(ctx: Step, agent: Agent, call_id: str, why: str) -> None:
    call = ctx.state.calls[call_id]
    cc = ctx.state.call_centers[call.call_center_id]
    policy = cc.config.bounce
    if policy is not None and not policy.on_agent_unavailable:
        return
    if len(call.offered_to) > 1:
        call.offered_to = tuple(e for e in call.offered_to if e != agent.extension)
        agent.offered_call = None
        sync_free(ctx.state, agent)
        ctx.command(StopRinging(call.call_id, agent.extension))
        return
    flow.bounce(ctx, call, cc, "agent_unavailable", f"agent {agent.extension} went {why}")


def join_call_center(ctx: Step, event: JoinCallCenter) -> None:
    agent = _agent(ctx, event.agent)
    cc = _call_center(ctx, event.call_center_id)
    if agent.extension not in cc.members:
        raise Rejected(
            "not_member", f"agent {agent.extension} is not assigned to call center {cc.config.id}"
        )
    if cc.config.id in agent.joined:
        raise Rejected("already_joined", f"agent {agent.extension} already joined {cc.config.id}")
    if agent.licence < cc.config.tier:
        raise Rejected(
            "licence",
            f"agent {agent.extension} holds a {agent.licence.name} licence; call center"
            f" {cc.config.id} is {cc.config.tier.name}",
        )
    agent.joined[cc.config.id] = None
    sync_free(ctx.state, agent)
    ctx.emit(
        EventType.AGENT_JOINED,
        f"joined by {event.cause.value}",
        call_center_id=cc.config.id,
        agent=agent.extension,
    )
    if agent.takes_calls:
        flow.dispatch_call_center(ctx, cc)


def leave_call_center(ctx: Step, event: LeaveCallCenter) -> None:
    agent = _agent(ctx, event.agent)
    cc = _call_center(ctx, event.call_center_id)
    if cc.config.id not in agent.joined:
        raise Rejected("not_joined", f"agent {agent.extension} has not joined {cc.config.id}")
    del agent.joined[cc.config.id]
    sync_free(ctx.state, agent)
    ctx.emit(
        EventType.AGENT_LEFT,
        f"left by {event.cause.value}",
        call_center_id=cc.config.id,
        agent=agent.extension,
    )
    offered = agent.offered_call
    if offered is not None and ctx.state.calls[offered].call_center_id == cc.config.id:
        _agent_gone_while_ringing(ctx, agent, offered, f"out of {cc.config.name}")
    flow.strand_waiting_calls(ctx, cc)


def enter_disposition(ctx: Step, event: EnterDisposition) -> None:
    agent = _agent(ctx, event.agent)
    if event.call_id not in (agent.call, agent.last_call):
        raise Rejected(
            "not_agents_call", f"call {event.call_id} is not agent {agent.extension}'s call"
        )
    assert agent.last_call_center is not None  # set with last_call
    cc = ctx.state.call_centers[agent.last_call_center]
    if event.code not in cc.config.disposition_codes:
        raise Rejected(
            "unknown_disposition_code",
            f"{event.code!r} is not a disposition code of {cc.config.name}",
        )
    ctx.emit(
        EventType.DISPOSITION_ENTERED,
        f"agent {agent.extension} entered disposition {event.code}",
        call_center_id=cc.config.id,
        call_id=event.call_id,
        agent=agent.extension,
        code=event.code,
    )


# Supervisor actions ----------------------------------------------------------------------------


def move_call(ctx: Step, event: MoveCall) -> None:
    call, cc = _queued_call(ctx, event.call_id)
    target = _call_center(ctx, event.to_call_center_id)
    if target is cc:
        raise Rejected("same_call_center", f"call {call.call_id} already waits in {cc.config.id}")
    if len(target.waiting) >= target.config.waiter_limit:
        raise Rejected(
            "target_full",
            f"{target.config.name} already holds {target.config.waiter_limit} callers",
        )
    freed = flow.leave_queue(ctx, call, cc)
    ctx.emit(
        EventType.CALL_TRANSFERRED,
        f"moved to {target.config.name} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        destination=target.config.id,
        wait_seconds=flow.wait_seconds(ctx, call),
        by=event.by,
    )
    call.stay += 1
    call.last_bounced_agent = None
    flow.enter_queue(ctx, call, target, reentry="moved")
    flow.dispatch_agents(ctx, freed)


def promote_call(ctx: Step, event: PromoteCall) -> None:
    call, cc = _queued_call(ctx, event.call_id)
    _priority(event.priority)
    if event.priority == call.priority:
        raise Rejected("unchanged", f"call {call.call_id} already has priority {call.priority}")
    previous = call.priority
    call.priority = event.priority
    cc.waiting.rekey(call.call_id, make_key(call.call_id, call.priority, call.order))
    ctx.emit(
        EventType.CALL_PROMOTED,
        f"priority {previous} -> {call.priority} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        priority=call.priority,
        previous_priority=previous,
    )


def reorder_call(ctx: Step, event: ReorderCall) -> None:
    call, cc = _queued_call(ctx, event.call_id)
    peers = [k for k in cc.waiting.ordered if k[0] == -call.priority and k[2] != call.call_id]
    if not 1 <= event.position <= len(peers) + 1:
        raise Rejected(
            "bad_position",
            f"position {event.position} is outside 1..{len(peers) + 1} of priority {call.priority}",
        )
    index = event.position - 1
    before = peers[index - 1][1] if index > 0 else None
    after = peers[index][1] if index < len(peers) else None
    if before is None and after is None:
        order = call.order
    elif before is None:
        assert after is not None
        order = after - 1.0
    elif after is None:
        order = before + 1.0
    else:
        order = (before + after) / 2.0
    call.order = order
    cc.waiting.rekey(call.call_id, make_key(call.call_id, call.priority, order))
    ctx.emit(
        EventType.CALL_REORDERED,
        f"moved to position {event.position} of priority {call.priority} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        position=cc.waiting.position(call.call_id),
    )


def retrieve_call(ctx: Step, event: RetrieveCall) -> None:
    call, cc = _queued_call(ctx, event.call_id)
    if not event.extension:
        raise Rejected("bad_extension", "retrieving a call needs the supervisor's extension")
    why = f"retrieved by {event.by} to {event.extension}"
    flow.send_out(ctx, call, cc, EventType.CALL_TRANSFERRED, why, event.extension, by=event.by)


def set_night_service(ctx: Step, event: SetNightService) -> None:
    cc = _call_center(ctx, event.call_center_id)
    if cc.config.night_service is None:
        raise Rejected(
            "not_configured",
            f"{cc.config.name} ({cc.config.tier.name}) has no night service"
            + (" (a PREMIUM feature)" if cc.config.tier is not Tier.PREMIUM else ""),
        )
    cc.night_override = event.override
    _center_updated(ctx, cc, event.by)


def set_forced_forwarding(ctx: Step, event: SetForcedForwarding) -> None:
    cc = _call_center(ctx, event.call_center_id)
    if cc.config.forced_forwarding is None:
        raise Rejected(
            "not_configured",
            f"{cc.config.name} ({cc.config.tier.name}) has no forced forwarding"
            + (" (a PREMIUM feature)" if cc.config.tier is not Tier.PREMIUM else ""),
        )
    cc.forced_forwarding = event.enabled
    _center_updated(ctx, cc, event.by)


def _center_updated(ctx: Step, cc: CallCenter, by: str) -> None:
    night = {None: "follows the schedule", True: "forced on", False: "forced off"}
    ctx.emit(
        EventType.CALL_CENTER_UPDATED,
        f"by {by}: night service {night[cc.night_override]},"
        f" forced forwarding {'on' if cc.forced_forwarding else 'off'}",
        call_center_id=cc.config.id,
        night_service_override=cc.night_override,
        forced_forwarding=cc.forced_forwarding,
    )


HANDLERS: dict[type[Any], Callable[[Step, Any], None]] = {
    CallArrived: call_arrived,
    CallerHungUp: caller_hung_up,
    DtmfReceived: dtmf_received,
    MediaFinished: media_finished,
    AgentAnswered: agent_answered,
    AgentRejected: agent_rejected,
    AgentHungUp: agent_hung_up,
    CallHeld: call_held,
    CallResumed: call_resumed,
    TimerFired: timer_fired,
    SetAgentState: set_agent_state,
    JoinCallCenter: join_call_center,
    LeaveCallCenter: leave_call_center,
    EnterDisposition: enter_disposition,
    MoveCall: move_call,
    PromoteCall: promote_call,
    ReorderCall: reorder_call,
    RetrieveCall: retrieve_call,
    SetNightService: set_night_service,
    SetForcedForwarding: set_forced_forwarding,
}
