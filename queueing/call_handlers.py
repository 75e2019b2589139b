"""Handlers of the PBX's call events and of fired timers: check that the input is possible,
then act through `flow`."""

from __future__ import annotations

from typing import assert_never

from queueing import call_end, callbacks, flow, timers, waiting_media
from queueing.commands import RemindAgent, StartMusic
from queueing.config import Action, CallCenterConfig, Tier, Treatment
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
    MediaFinished,
    TimerFired,
)
from queueing.lookups import (
    check_priority,
    find_agent_call,
    find_call,
    find_call_center,
)
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, Phase, sync_free
from queueing.step import Rejected, Step
from queueing.timers import TimerKind


def _at_capacity(ctx: Step, config: CallCenterConfig) -> bool:
    """The call center holds its `max_external_calls` calls from outside (waiting, ringing,
    talking, or in a treatment that keeps the line): one more is over its call capacity."""
    limit = config.max_external_calls
    if limit is None:
        return False
    held = sum(
        1
        for c in ctx.state.calls.values()
        if c.external and c.call_center_id == config.id and c.callback is None
    )
    return held >= limit


def call_arrived(ctx: Step, event: CallArrived) -> None:
    if event.call_id in ctx.state.calls:
        raise Rejected("duplicate_call", f"call {event.call_id} is already in the engine")
    cc = find_call_center(ctx, event.call_center_id)
    check_priority(event.priority)
    ctx.state.order_counter += 1
    call = Call(
        event.call_id,
        event.caller,
        cc.config.id,
        event.priority,
        float(ctx.state.order_counter),
        ctx.now,
        external=event.external,
    )
    config = cc.config
    diversion = _diversion(ctx, cc)
    if event.external and _at_capacity(ctx, config):
        flow.treat(
            ctx,
            call,
            cc,
            Treatment(Action.BUSY),
            EventType.CALL_OVERFLOWED,
            "capacity",
            f"overflow: {config.name} already holds its maximum of {config.max_external_calls}"
            " calls from outside",
        )
    elif diversion is not None:
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
    call = find_call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    if call.callback is not None and call.phase not in (Phase.TALKING, Phase.HELD):
        callbacks.caller_gone(ctx, call, cc)
    elif call.phase in IN_QUEUE:
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
        call_end.release(ctx, call, "caller")
    else:
        flow.forget(ctx, call)


def dtmf_received(ctx: Step, event: DtmfReceived) -> None:
    call = find_call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    config = cc.config
    if callbacks.menu_digit(ctx, call, cc, event.digit):
        return
    if call.phase not in IN_QUEUE or event.digit != config.escape_digit or call.callback:
        return
    destination = config.escape_destination
    assert destination is not None  # validated with the escape digit
    why = f"caller pressed {event.digit} to leave the queue for {destination}"
    flow.send_out(ctx, call, cc, EventType.CALL_ESCAPED, why, destination)


def media_finished(ctx: Step, event: MediaFinished) -> None:
    call = find_call(ctx, event.call_id)
    cc = ctx.state.call_centers[call.call_center_id]
    media = cc.config.media
    if call.callback is not None:
        callbacks.confirmation_played(ctx, call, cc, event.prompt)
        return
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
    waiting_media.start_waiting_media(ctx, call, cc)
    if media.entrance_mandatory:
        cc.waiting.set_ready(call.call_id)
        flow.dispatch_call_center(ctx, cc)


def agent_answered(ctx: Step, event: AgentAnswered) -> None:
    call = find_call(ctx, event.call_id)
    if call.phase is not Phase.OFFERED or event.agent not in call.offered_to:
        raise Rejected("not_offered", f"call {event.call_id} is not ringing agent {event.agent}")
    cc = ctx.state.call_centers[call.call_center_id]
    if call.callback is not None:
        callbacks.agent_answered(ctx, call, cc, ctx.state.agents[event.agent])
    else:
        flow.answer(ctx, call, cc, ctx.state.agents[event.agent])


def agent_rejected(ctx: Step, event: AgentRejected) -> None:
    """The phone declined, was busy or could not be reached.

    The agent is taken out of rotation (UNAVAILABLE "missed", or signed out on a Basic licence,
    which has no unavailable state): otherwise a single free agent whose phone is off would be
    offered the same call again at once, forever. The call bounces back to the top.
    """
    call = find_call(ctx, event.call_id)
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
    call = find_agent_call(ctx, event.call_id, event.agent, WITH_AGENT)
    if call.phase is Phase.DIALING:
        cc = ctx.state.call_centers[call.call_center_id]
        callbacks.attempt_failed(ctx, call, cc, "agent_hung_up")
    else:
        call_end.release(ctx, call, "agent", hang_up=not event.transferred)


WITH_AGENT = frozenset({Phase.TALKING, Phase.HELD, Phase.DIALING})


def call_held(ctx: Step, event: CallHeld) -> None:
    call = find_agent_call(ctx, event.call_id, event.agent, frozenset({Phase.TALKING}))
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
                timers.timer_id(call.call_id, timers.HOLD_ALERT),
                policy.hold_alert_seconds,
                timers.HOLD_ALERT,
                call.call_id,
            )
        if policy.hold_bounce_seconds is not None:
            ctx.start_timer(
                timers.timer_id(call.call_id, timers.HOLD_BOUNCE),
                policy.hold_bounce_seconds,
                timers.HOLD_BOUNCE,
                call.call_id,
            )


def call_resumed(ctx: Step, event: CallResumed) -> None:
    call = find_agent_call(ctx, event.call_id, event.agent, frozenset({Phase.HELD}))
    call.phase = Phase.TALKING
    for kind in (timers.HOLD_ALERT, timers.HOLD_BOUNCE):
        ctx.cancel_timer(timers.timer_id(call.call_id, kind))
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
    if kind is TimerKind.WRAP_UP:
        agent = ctx.state.agents[subject]
        cc = ctx.state.call_centers[agent.last_call_center or next(iter(ctx.state.call_centers))]
        following = AgentState(cc.config.wrap_up_next_state.value)
        flow.set_agent_state(ctx, agent, following, Cause.ENGINE, "wrap-up time is over")
        return
    call = ctx.state.calls[subject]
    cc = ctx.state.call_centers[call.call_center_id]
    match kind:
        case TimerKind.MAX_WAIT:
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
        case TimerKind.COMFORT:
            waiting_media.comfort(ctx, call, cc)
        case TimerKind.RING:
            agents = ", ".join(call.offered_to)
            flow.bounce(
                ctx,
                call,
                cc,
                "no_answer",
                f"not answered by {agents} within {cc.config.ring_seconds} s",
            )
        case TimerKind.HOLD_ALERT:
            assert call.agent is not None
            ctx.command(RemindAgent(call.call_id, call.agent))
        case TimerKind.HOLD_BOUNCE:
            call_end.bounce_held_call(ctx, call, cc)
        case TimerKind.CALLBACK_RETRY:
            callbacks.retry_due(ctx, call, cc)
        case _:
            assert_never(kind)
