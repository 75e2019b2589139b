"""Callback that keeps the place (docs/callback.md): a waiting caller asks to be called back, by
the DTMF menu here or through the runtime, and hangs up; the call stays in its queue without its
caller, at the same priority and order, and is offered like any call. Its offer rings the agent
first (`OfferCallback`); once the agent answers, the customer's number is called; an attempt the
customer does not answer puts the call back in its own place for the next attempt after the
retry interval, until the policy's attempts are spent.

A callback call is a `Call` with `callback` set; `answered` tells whether a caller leg is up
(the caller still hearing the confirmation, or the customer connected).
"""

from __future__ import annotations

from typing import Any

from queueing import flow
from queueing.commands import HangUpCall, PlayPrompt
from queueing.config import CallbackPolicy, Tier
from queueing.events import EventType
from queueing.inputs import AgentState, CallbackAnswered, CallbackBooked, CallbackFailed, Cause
from queueing.inputs import CallbackRequested as CallbackRequestedInput
from queueing.lookups import check_priority, find_call, find_call_center, find_queued_call
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, Phase, sync_free
from queueing.step import Rejected, Step
from queueing.timers import CALLBACK_RETRY, COMFORT, MAX_WAIT, RING, timer_id

MAX_NUMBER_DIGITS = 20
"""Digits the menu takes before it stops listening (E.164 has at most 15)."""

DEFAULT_POLICY = CallbackPolicy()
"""For a callback whose call center no longer offers callbacks (a live config change): it is
still called back, with the default retries."""


def policy_of(cc: CallCenter) -> CallbackPolicy:
    return cc.config.callback or DEFAULT_POLICY


# Asking for a callback ---------------------------------------------------------------------------


def menu_digit(ctx: Step, call: Call, cc: CallCenter, digit: str) -> bool:
    """The callback menu's part of a waiting caller's DTMF; True when the menu took the digit.

    The callback digit opens the menu; then the callback digit again (or # at once) means the
    caller's own number, other digits followed by # another number, and * closes the menu."""
    policy = cc.config.callback
    if policy is None or call.callback is not None or call.phase not in IN_QUEUE:
        return False
    entry = call.callback_entry
    if entry is None:
        if digit != policy.digit:
            return False
        call.callback_entry = ""
        ctx.command(PlayPrompt(call.call_id, policy.menu_prompt, resume_music=_music(cc)))
        _updated(ctx, call, cc, "callback_menu", f"caller pressed {digit} for a callback")
        return True
    if digit == "*":
        call.callback_entry = None
        _updated(ctx, call, cc, "callback_menu_closed", "caller closed the callback menu")
    elif digit == "#" or (entry == "" and digit == policy.digit):
        request(ctx, call, cc, entry or call.caller, "phone")
    elif digit.isdigit() and len(entry) < MAX_NUMBER_DIGITS:
        call.callback_entry = entry + digit
    return True


def callback_requested(ctx: Step, event: CallbackRequestedInput) -> None:
    call, cc = find_queued_call(ctx, event.call_id)
    if call.callback is not None:
        raise Rejected("already_callback", f"call {call.call_id} already waits for a callback")
    _check_number(event.number)
    request(ctx, call, cc, event.number, "phone")


def callback_booked(ctx: Step, event: CallbackBooked) -> None:
    """A callback asked for outside a call enters the queue like an arriving call, at the end of
    its priority; night service and stranded treatments do not apply (it waits for an agent)."""
    if event.call_id in ctx.state.calls:
        raise Rejected("duplicate_call", f"call {event.call_id} is already in the engine")
    cc = find_call_center(ctx, event.call_center_id)
    check_priority(event.priority)
    _check_number(event.number)
    if len(cc.waiting) >= cc.config.waiter_limit:
        raise Rejected("queue_full", f"{cc.config.name} already holds {len(cc.waiting)} calls")
    ctx.state.order_counter += 1
    call = Call(
        event.call_id,
        event.number,
        cc.config.id,
        event.priority,
        float(ctx.state.order_counter),
        ctx.now,
        callback=event.number,
    )
    flow.enter_queue(ctx, call, cc)
    _requested_event(ctx, call, cc, "web")


def request(ctx: Step, call: Call, cc: CallCenter, number: str, via: str) -> None:
    """The waiting call becomes a callback: it keeps its key in the waiting list, its caller
    hears the confirmation and is hung up; no music, comfort message or overflow any more."""
    # A ring of the caller's own call stops first, while it is still that call and not a callback.
    freed = flow.stop_ringing(ctx, call) if call.phase is Phase.OFFERED else []
    call.callback = number
    call.callback_entry = None
    for kind in (COMFORT, MAX_WAIT):
        ctx.cancel_timer(timer_id(call.call_id, kind))
    call.entrance_done = True
    call.phase = Phase.WAITING
    _requested_event(ctx, call, cc, via)
    if call.answered:
        ctx.command(PlayPrompt(call.call_id, policy_of(cc).confirm_prompt))
    if call.call_id not in cc.waiting.ready:
        cc.waiting.set_ready(call.call_id)
    flow.dispatch_call_center(ctx, cc)
    flow.dispatch_agents(ctx, freed)


def _requested_event(ctx: Step, call: Call, cc: CallCenter, via: str) -> None:
    position = cc.waiting.position(call.call_id)
    ctx.emit(
        EventType.CALLBACK_REQUESTED,
        f"callback to {call.callback} asked for ({via}); keeps position {position}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        number=call.callback,
        position=position,
        via=via,
    )


def confirmation_played(ctx: Step, call: Call, cc: CallCenter, prompt: str) -> None:
    """The caller heard the confirmation: their leg goes, the call keeps its place."""
    if prompt == policy_of(cc).confirm_prompt and call.answered and call.phase in IN_QUEUE:
        call.answered = False
        ctx.command(HangUpCall(call.call_id))


def caller_gone(ctx: Step, call: Call, cc: CallCenter) -> None:
    """A callback's caller leg ended: expected while it waits (the callback stays); while its
    number is being called, that attempt failed."""
    if call.phase is Phase.DIALING:
        attempt_failed(ctx, call, cc, "hung_up")
    else:
        call.answered = False


# Calling back --------------------------------------------------------------------------------


def agent_answered(ctx: Step, call: Call, cc: CallCenter, agent: Agent) -> None:
    """The agent took the callback: the customer's number is called; the call keeps its place
    in the waiting list (`HOLDS_PLACE`) until the customer answers."""
    others = [a for a in flow.stop_ringing(ctx, call, agent.extension) if a is not agent]
    call.phase = Phase.DIALING
    call.agent = agent.extension
    call.callback_attempts += 1
    agent.call = call.call_id
    sync_free(ctx.state, agent)
    agent.last_call = call.call_id
    agent.last_call_center = cc.config.id
    ctx.emit(
        EventType.CALLBACK_DIALING,
        f"agent {agent.extension} took the callback; calling {call.callback}"
        f" (attempt {call.callback_attempts} of {policy_of(cc).attempts})",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=agent.extension,
        caller=call.caller,
        number=call.callback,
        attempt=call.callback_attempts,
    )
    flow.set_agent_state(ctx, agent, AgentState.BUSY, Cause.ENGINE, f"on call {call.call_id}")
    flow.dispatch_agents(ctx, others)


def callback_answered(ctx: Step, event: CallbackAnswered) -> None:
    call = _dialing(ctx, event.call_id)
    ctx.state.call_centers[call.call_center_id].waiting.remove(call.call_id)
    call.phase = Phase.TALKING
    call.answered = True
    call.answered_at = ctx.now
    waited = flow.wait_seconds(ctx, call)
    ctx.emit(
        EventType.CALLBACK_ANSWERED,
        f"{call.callback} answered the callback (attempt {call.callback_attempts}) after"
        f" {waited} s in the queue; connected to {call.agent}",
        call_center_id=call.call_center_id,
        call_id=call.call_id,
        agent=call.agent,
        caller=call.caller,
        wait_seconds=waited,
        attempt=call.callback_attempts,
    )


def callback_failed(ctx: Step, event: CallbackFailed) -> None:
    call = _dialing(ctx, event.call_id)
    attempt_failed(ctx, call, ctx.state.call_centers[call.call_center_id], event.failure)


def _dialing(ctx: Step, call_id: str) -> Call:
    call = find_call(ctx, call_id)
    if call.phase is not Phase.DIALING:
        raise Rejected("not_dialing", f"call {call_id} is not calling a customer back")
    return call


def attempt_failed(ctx: Step, call: Call, cc: CallCenter, failure: str) -> None:
    """The customer was not reached: the call waits in its own place (kept while dialling) for
    the retry interval, or, its attempts spent, is given up; the agent is free either way."""
    assert call.agent is not None
    agent = ctx.state.agents[call.agent]
    call.agent = None
    policy = policy_of(cc)
    data: dict[str, Any] = {"failure": failure}
    if call.callback_attempts < policy.attempts:
        _waiting_again(call)
        ctx.start_timer(
            timer_id(call.call_id, CALLBACK_RETRY),
            policy.retry_seconds,
            CALLBACK_RETRY,
            call.call_id,
        )
        ctx.emit(
            EventType.CALLBACK_RETRY,
            f"{call.callback} not reached ({failure}) on attempt {call.callback_attempts} of"
            f" {policy.attempts}; next attempt in {policy.retry_seconds} s, same place",
            call_center_id=cc.config.id,
            call_id=call.call_id,
            agent=agent.extension,
            caller=call.caller,
            attempt=call.callback_attempts,
            retry_seconds=policy.retry_seconds,
            **data,
        )
    else:
        cc.waiting.remove(call.call_id)
        flow.forget(ctx, call)
        ctx.emit(
            EventType.CALLBACK_ABANDONED,
            f"{call.callback} not reached ({failure}) in {call.callback_attempts} attempts:"
            " callback given up",
            call_center_id=cc.config.id,
            call_id=call.call_id,
            agent=agent.extension,
            caller=call.caller,
            attempts=call.callback_attempts,
            wait_seconds=flow.wait_seconds(ctx, call),
            **data,
        )
    _agent_back(ctx, agent, f"callback {call.call_id} not reached ({failure})")


def retry_due(ctx: Step, call: Call, cc: CallCenter) -> None:
    if call.call_id in cc.waiting and call.phase is Phase.WAITING:
        cc.waiting.set_ready(call.call_id)
        flow.dispatch_call_center(ctx, cc)


def _waiting_again(call: Call) -> None:
    call.phase = Phase.WAITING
    call.answered = False
    call.answered_at = None
    call.offered_to = ()


def _agent_back(ctx: Step, agent: Agent, why: str) -> None:
    """No conversation took place: no wrap-up, the agent is ready again (or takes the state
    asked for meanwhile)."""
    agent.call = None
    agent.idle_since = ctx.now
    sync_free(ctx.state, agent)
    pending, agent.pending_state = agent.pending_state, None
    if pending is not None:
        state, code = pending
        why_state = "state asked for during the call"
        flow.set_agent_state(ctx, agent, state, Cause.AGENT, why_state, code)
        return
    ready = AgentState.SIGN_IN if agent.licence is Tier.BASIC else AgentState.AVAILABLE
    flow.set_agent_state(ctx, agent, ready, Cause.ENGINE, why)


# A restart ----------------------------------------------------------------------------------


def survive_restart(ctx: Step, call: Call, cc: CallCenter) -> None:
    """A callback outlives the process: whatever the platform lost (its caller's leg, the ring
    of the agent, the call to the customer, the retry timer), it waits in its own place, ready
    to be offered again (an attempt under way is not counted)."""
    agent = None
    if call.phase is Phase.DIALING:
        assert call.agent is not None
        agent = ctx.state.agents[call.agent]
        call.agent = None
        call.callback_attempts -= 1
        _waiting_again(call)
    for extension in call.offered_to:
        ringing = ctx.state.agents[extension]
        ringing.offered_call = None
        sync_free(ctx.state, ringing)
    call.offered_to = ()
    call.answered = False
    call.phase = Phase.WAITING
    for kind in (RING, CALLBACK_RETRY):
        ctx.cancel_timer(timer_id(call.call_id, kind))
    if call.call_id not in cc.waiting.ready:
        cc.waiting.set_ready(call.call_id)
    if agent is not None:
        _agent_back(ctx, agent, f"callback {call.call_id} lost in a restart")


# Helpers ---------------------------------------------------------------------------------------


def _check_number(number: str) -> None:
    digits = number.removeprefix("+")
    if not digits.isdigit() or len(digits) > MAX_NUMBER_DIGITS:
        raise Rejected("bad_number", f"{number!r} is not a number to call back")


def _music(cc: CallCenter) -> str | None:
    return cc.config.media.music_on_hold


def _updated(ctx: Step, call: Call, cc: CallCenter, what: str, why: str) -> None:
    ctx.emit(
        EventType.CALL_UPDATED,
        why,
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        what=what,
    )
