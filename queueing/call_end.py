"""How a call with an agent ends: released by either side, or bounced back into its queue after
being held too long; then its agent is free (wrap-up or the next call).
"""

from __future__ import annotations

from queueing.commands import (
    DisconnectAgent,
    HangUpCall,
    RemindAgent,
)
from queueing.config import Tier
from queueing.events import EventType
from queueing.flow import enter_queue, forget, set_agent_state
from queueing.inputs import AgentState, Cause
from queueing.state import Agent, Call, CallCenter, sync_free
from queueing.step import Step
from queueing.timers import (
    HOLD_ALERT,
    HOLD_BOUNCE,
    WRAP_UP,
    agent_timer_id,
    timer_id,
)


def release(
    ctx: Step, call: Call, released_by: str, reason: str | None = None, *, hang_up: bool = True
) -> None:
    """An answered call ends; the agent goes to wrap-up or their next state. `hang_up` False:
    the agent transferred the caller, who stays with the PBX."""
    assert call.agent is not None and call.answered_at is not None
    agent = ctx.state.agents[call.agent]
    cc = ctx.state.call_centers[call.call_center_id]
    talk = round(ctx.now - call.answered_at, 3)
    cc.average_handle_seconds = 0.8 * cc.average_handle_seconds + 0.2 * talk
    for kind in (HOLD_ALERT, HOLD_BOUNCE):
        ctx.cancel_timer(timer_id(call.call_id, kind))
    forget(ctx, call)
    ctx.emit(
        EventType.CALL_RELEASED,
        reason or f"{released_by} {'ended' if hang_up else 'transferred'} the call after {talk} s",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=agent.extension,
        caller=call.caller,
        talk_seconds=talk,
        released_by=released_by,
    )
    if released_by == "agent" and hang_up:
        # The agent's leg is gone; the caller would otherwise be left in silence.
        ctx.command(HangUpCall(call.call_id))
    free_agent_after_call(ctx, agent, cc)


def free_agent_after_call(ctx: Step, agent: Agent, cc: CallCenter) -> None:
    agent.call = None
    agent.idle_since = ctx.now
    sync_free(ctx.state, agent)
    pending = agent.pending_state
    agent.pending_state = None
    if pending is not None:
        state, code = pending
        set_agent_state(ctx, agent, state, Cause.AGENT, "state asked for during the call", code)
        return
    if agent.licence is Tier.BASIC:
        set_agent_state(ctx, agent, AgentState.SIGN_IN, Cause.ENGINE, "call ended")
        return
    seconds = cc.config.wrap_up_seconds
    if seconds is not None:
        set_agent_state(
            ctx, agent, AgentState.WRAP_UP, Cause.ENGINE, f"call ended; {seconds} s wrap-up"
        )
        ctx.start_timer(agent_timer_id(agent.extension), seconds, WRAP_UP, agent.extension)
        return
    set_agent_state(ctx, agent, AgentState.AVAILABLE, Cause.ENGINE, "call ended")


def bounce_held_call(ctx: Step, call: Call, cc: CallCenter) -> None:
    """A call held too long leaves the agent and goes back to the top of the queue, unless the
    queue is full: then it stays on hold with its agent, who is reminded, and the bounce is
    tried again later (the waiter limit holds, and a caller already being served is not
    turned away)."""
    assert call.agent is not None
    agent = ctx.state.agents[call.agent]
    if len(cc.waiting) >= cc.config.waiter_limit:
        ctx.command(RemindAgent(call.call_id, agent.extension))
        seconds = cc.config.bounce.hold_bounce_seconds if cc.config.bounce else None
        assert seconds is not None  # this timer only runs with a hold bounce time
        ctx.start_timer(timer_id(call.call_id, HOLD_BOUNCE), seconds, HOLD_BOUNCE, call.call_id)
        ctx.emit(
            EventType.CALL_UPDATED,
            f"held by {agent.extension} too long, but {cc.config.name} is full"
            f" ({len(cc.waiting)} waiting): stays with the agent, reminded",
            call_center_id=cc.config.id,
            call_id=call.call_id,
            agent=agent.extension,
            caller=call.caller,
            what="held_too_long_queue_full",
        )
        return
    ctx.cancel_timer(timer_id(call.call_id, HOLD_ALERT))
    ctx.command(DisconnectAgent(call.call_id, agent.extension))
    ctx.emit(
        EventType.CALL_BOUNCED,
        f"held by {agent.extension} longer than the call center allows",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=agent.extension,
        caller=call.caller,
        trigger="held_too_long",
    )
    call.agent = None
    call.answered_at = None
    call.stay += 1
    call.last_bounced_agent = agent.extension
    ctx.state.order_counter += 1
    call.order = -float(ctx.state.order_counter)
    # Back in the queue before the agent is free: an agent freed first would be offered the
    # next call while this one, due at the top, was not in the queue yet.
    enter_queue(ctx, call, cc, reentry="held_too_long")
    free_agent_after_call(ctx, agent, cc)
