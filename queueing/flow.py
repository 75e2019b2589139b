"""The call center's moves, shared by the input handlers: queue entry and exit, offers, bounces,
treatments, agent state changes and dispatch (how a call ends is `call_end`). Handlers validate;
these only act.
"""

from __future__ import annotations

from typing import Any, assert_never

from queueing.commands import (
    AnswerCall,
    BridgeCall,
    HangUpCall,
    KeepRinging,
    OfferCall,
    OfferCallback,
    PlayPrompt,
    RejectBusy,
    StopMedia,
    StopRinging,
    TransferCall,
)
from queueing.config import Action, CallbackPolicy, StrandedPolicy, Treatment
from queueing.events import EventType
from queueing.inputs import AgentState, Cause
from queueing.routing import choose_agents, free_agents
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, Phase, sync_free
from queueing.step import Step
from queueing.timers import (
    CALL_TIMERS,
    COMFORT,
    MAX_WAIT,
    RING,
    agent_timer_id,
    timer_id,
)
from queueing.waiting_list import make_key
from queueing.waiting_media import start_waiting_media

NO_STRANDED_TREATMENT = StrandedPolicy()


# Queue entry and exit ------------------------------------------------------------------------


def enter_queue(ctx: Step, call: Call, cc: CallCenter, reentry: str | None = None) -> None:
    config = cc.config
    media = config.media
    key = make_key(call.call_id, call.priority, call.order)
    position = cc.waiting.position_for(key)
    cc.waiting.add(key)
    ctx.state.calls[call.call_id] = call
    call.call_center_id = config.id
    call.arrived_at = ctx.now
    call.offered_to = ()
    virtual = call.callback is not None
    call.entrance_done = virtual or media.entrance_message is None
    call.phase = Phase.WAITING if call.entrance_done else Phase.ENTRANCE
    if not call.answered and not virtual:
        call.answered = True
        ctx.command(AnswerCall(call.call_id))
    data: dict[str, Any] = {"priority": call.priority, "position": position, "called": config.id}
    if reentry is not None:
        data["reentry"] = reentry
    why = f"entered {config.name} at position {position} of {len(cc.waiting)}"
    ctx.emit(
        EventType.CALL_ADDED,
        why if reentry is None else f"{why} ({reentry.replace('_', ' ')})",
        call_center_id=config.id,
        call_id=call.call_id,
        caller=call.caller,
        **data,
    )
    if virtual:
        # A callback has no caller to play to, and waits its turn whatever the wait.
        cc.waiting.set_ready(call.call_id)
        dispatch_call_center(ctx, cc)
        return
    if media.entrance_message is not None:
        ctx.command(PlayPrompt(call.call_id, media.entrance_message))
    else:
        start_waiting_media(ctx, call, cc, position)
    if config.overflow.max_wait_seconds is not None:
        ctx.start_timer(
            timer_id(call.call_id, MAX_WAIT),
            config.overflow.max_wait_seconds,
            MAX_WAIT,
            call.call_id,
        )
    if media.comfort_message is not None:
        ctx.start_timer(
            timer_id(call.call_id, COMFORT), media.comfort_interval_seconds, COMFORT, call.call_id
        )
    if call.entrance_done or not media.entrance_mandatory:
        cc.waiting.set_ready(call.call_id)
        dispatch_call_center(ctx, cc)


def leave_queue(
    ctx: Step, call: Call, cc: CallCenter, except_agent: str | None = None
) -> list[Agent]:
    """Take a call out of its queue; returns agents that stopped ringing (free again)."""
    freed = stop_ringing(ctx, call, except_agent)
    cc.waiting.remove(call.call_id)
    for kind in CALL_TIMERS:
        ctx.cancel_timer(timer_id(call.call_id, kind))
    return freed


def stop_ringing(ctx: Step, call: Call, except_agent: str | None = None) -> list[Agent]:
    freed: list[Agent] = []
    for extension in call.offered_to:
        agent = ctx.state.agents[extension]
        agent.offered_call = None
        sync_free(ctx.state, agent)
        freed.append(agent)
        if extension != except_agent:
            ctx.command(StopRinging(call.call_id, extension))
    call.offered_to = ()
    ctx.cancel_timer(timer_id(call.call_id, RING))
    return freed


def send_out(
    ctx: Step,
    call: Call,
    cc: CallCenter,
    event: EventType,
    reason: str,
    destination: str,
    **data: Any,
) -> None:
    """The call leaves its queue for a number (escape, retrieve): its terminal event, the
    transfer, and the agents it rang move on."""
    freed = leave_queue(ctx, call, cc)
    forget(ctx, call)
    ctx.emit(
        event,
        reason,
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        wait_seconds=wait_seconds(ctx, call),
        destination=destination,
        **data,
    )
    ctx.command(TransferCall(call.call_id, destination))
    dispatch_agents(ctx, freed)


def forget(ctx: Step, call: Call) -> None:
    ctx.state.calls.pop(call.call_id, None)


def wait_seconds(ctx: Step, call: Call) -> float:
    return round(ctx.now - call.arrived_at, 3)


# Offers, answers and bounces -----------------------------------------------------------------


def dispatch_call_center(ctx: Step, cc: CallCenter) -> None:
    """Offer ready calls to free agents until one of them runs out."""
    state = ctx.state
    while True:
        key = cc.waiting.best_ready()
        if key is None:
            return
        free = free_agents(state, cc)
        if not free:
            return
        call = state.calls[key[2]]
        agents, reason = choose_agents(state, cc, free, call)
        offer(ctx, call, cc, agents, reason)


def dispatch_agents(ctx: Step, agents: list[Agent]) -> None:
    for agent in agents:
        dispatch_agent(ctx, agent)


def dispatch_agent(ctx: Step, agent: Agent) -> None:
    """A free agent takes the best waiting call across the call centers they joined."""
    if not agent.takes_calls:
        return
    candidates = []
    for cc_id in agent.joined:
        cc = ctx.state.call_centers[cc_id]
        key = cc.waiting.best_ready()
        if key is not None:
            candidates.append((key[0], key[1], cc_id))
    for _, _, cc_id in sorted(candidates):
        if not agent.takes_calls:
            return
        dispatch_call_center(ctx, ctx.state.call_centers[cc_id])


def offer(ctx: Step, call: Call, cc: CallCenter, agents: list[Agent], reason: str) -> None:
    config = cc.config
    if call.callback is not None:
        agents = agents[:1]  # a callback calls the customer from one agent's phone
    cc.waiting.set_not_ready(call.call_id)
    call.phase = Phase.OFFERED
    call.offered_to = tuple(a.extension for a in agents)
    if len(agents) == 1:
        cc.last_offered = cc.members.index(agents[0].extension)
    for agent in agents:
        agent.offered_call = call.call_id
        sync_free(ctx.state, agent)
        if call.callback is not None:
            ctx.command(
                OfferCallback(
                    call.call_id,
                    agent.extension,
                    call.callback,
                    config.id,
                    call.callback_attempts + 1,
                    (config.callback or CallbackPolicy()).intro_prompt,
                )
            )
        else:
            ctx.command(
                OfferCall(
                    call.call_id,
                    agent.extension,
                    call.caller,
                    config.id,
                    auto_answer=config.automatic_answer,
                    whisper=config.media.whisper_message,
                )
            )
        ctx.emit(
            EventType.CALL_OFFERED,
            reason,
            call_center_id=config.id,
            call_id=call.call_id,
            agent=agent.extension,
            caller=call.caller,
            policy=config.routing.value,
            ring_timeout=config.ring_seconds,
        )
    ctx.start_timer(timer_id(call.call_id, RING), config.ring_seconds, RING, call.call_id)


def answer(ctx: Step, call: Call, cc: CallCenter, agent: Agent) -> None:
    # The phone that answered stops ringing by itself: only the others get StopRinging.
    others = [a for a in leave_queue(ctx, call, cc, agent.extension) if a is not agent]
    call.phase = Phase.TALKING
    call.agent = agent.extension
    call.answered_at = ctx.now
    agent.call = call.call_id
    sync_free(ctx.state, agent)
    agent.last_call = call.call_id
    agent.last_call_center = cc.config.id
    ctx.command(StopMedia(call.call_id))
    ctx.command(BridgeCall(call.call_id, agent.extension))
    ctx.emit(
        EventType.CALL_ANSWERED,
        f"agent {agent.extension} answered after {wait_seconds(ctx, call)} s in the queue",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=agent.extension,
        caller=call.caller,
        wait_seconds=wait_seconds(ctx, call),
    )
    set_agent_state(ctx, agent, AgentState.BUSY, Cause.ENGINE, f"on call {call.call_id}")
    dispatch_agents(ctx, others)


def bounce(
    ctx: Step,
    call: Call,
    cc: CallCenter,
    trigger: str,
    reason: str,
    except_agent: str | None = None,
) -> None:
    """Back to the top of its priority in the queue; optionally make the agent unavailable.

    `except_agent` is a phone that already stopped ringing by itself (it declined the call).
    """
    offered = call.offered_to
    freed = stop_ringing(ctx, call, except_agent)
    call.phase = Phase.WAITING if call.entrance_done else Phase.ENTRANCE
    if len(offered) == 1:
        call.last_bounced_agent = offered[0]
    ctx.state.order_counter += 1
    call.order = -float(ctx.state.order_counter)
    cc.waiting.rekey(call.call_id, make_key(call.call_id, call.priority, call.order))
    ctx.emit(
        EventType.CALL_BOUNCED,
        reason,
        call_center_id=cc.config.id,
        call_id=call.call_id,
        agent=offered[0] if len(offered) == 1 else None,
        caller=call.caller,
        trigger=trigger,
    )
    policy = cc.config.bounce
    if policy is not None and policy.make_agent_unavailable and trigger != "agent_unavailable":
        for agent in freed:
            set_agent_state(
                ctx,
                agent,
                AgentState.UNAVAILABLE,
                Cause.ENGINE,
                f"call {call.call_id} bounced ({trigger.replace('_', ' ')}); the call center"
                " makes agents unavailable after a bounce",
                policy.unavailable_code,
            )
    if call.entrance_done or not cc.config.media.entrance_mandatory:
        cc.waiting.set_ready(call.call_id)
    dispatch_call_center(ctx, cc)
    dispatch_agents(ctx, freed)


# Treatments ------------------------------------------------------------------------------------


def treat(
    ctx: Step,
    call: Call,
    cc: CallCenter,
    treatment: Treatment,
    event: EventType,
    trigger: str,
    reason: str,
) -> None:
    """The terminal treatments: overflow, stranded, night/holiday service, forced forwarding."""
    freed: list[Agent] = []
    on_arrival = call.call_id not in ctx.state.calls
    if not on_arrival and call.phase in IN_QUEUE:
        freed = leave_queue(ctx, call, cc)
    if treatment.action is Action.NIGHT_SERVICE and cc.config.night_service is not None:
        night = cc.config.night_service.night_treatment
        treatment = Treatment(
            night.action, night.destination, treatment.announcement or night.announcement
        )
    call.phase = Phase.TREATED
    ctx.state.calls[call.call_id] = call
    data: dict[str, Any] = {
        "trigger": trigger,
        "action": treatment.action.value,
        "wait_seconds": 0.0 if on_arrival else wait_seconds(ctx, call),
    }
    if treatment.destination is not None:
        data["destination"] = treatment.destination
    if on_arrival:
        data["on_arrival"] = True
    ctx.emit(
        event,
        reason,
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        **data,
    )
    if treatment.announcement is not None and treatment.action is not Action.ANNOUNCEMENT:
        if not call.answered:
            call.answered = True
            ctx.command(AnswerCall(call.call_id))
        call.pending = treatment
        ctx.command(PlayPrompt(call.call_id, treatment.announcement))
    else:
        carry_out(ctx, call, treatment)
    dispatch_agents(ctx, freed)


def carry_out(ctx: Step, call: Call, treatment: Treatment) -> None:
    call.pending = None
    action = treatment.action
    match action:
        case Action.BUSY:
            ctx.command(RejectBusy(call.call_id))
            forget(ctx, call)
        case Action.TRANSFER:
            assert treatment.destination is not None  # checked by Treatment.validate
            ctx.command(TransferCall(call.call_id, treatment.destination))
            forget(ctx, call)
        case Action.RINGING:
            ctx.command(KeepRinging(call.call_id))
        case Action.ANNOUNCEMENT:
            assert treatment.announcement is not None  # checked by Treatment.validate
            if not call.answered:
                call.answered = True
                ctx.command(AnswerCall(call.call_id))
            ctx.command(PlayPrompt(call.call_id, treatment.announcement, loop=True))
        case Action.NONE | Action.NIGHT_SERVICE:
            # NONE never treats a call (stranded_treatment keeps it queued); NIGHT_SERVICE lands
            # here only when no night service is configured: end the call rather than lose it.
            ctx.command(HangUpCall(call.call_id))
            forget(ctx, call)
        case _:
            assert_never(action)


def stranded_condition(ctx: Step, cc: CallCenter) -> str | None:
    """`all_signed_out`, `all_unavailable`, or None when some joined agent can still serve."""
    agents = ctx.state.agents
    cc_id = cc.config.id
    anyone_signed_in = False
    for extension in cc.members:
        agent = agents[extension]
        if cc_id not in agent.joined or not agent.signed_in:
            continue
        anyone_signed_in = True
        if agent.state is not AgentState.UNAVAILABLE:
            return None
    return "all_unavailable" if anyone_signed_in else "all_signed_out"


def stranded_treatment(ctx: Step, cc: CallCenter) -> tuple[str, Treatment] | None:
    policy = cc.config.stranded
    if cc.free or policy == NO_STRANDED_TREATMENT:
        return None
    condition = stranded_condition(ctx, cc)
    if condition is None:
        return None
    treatment = policy.all_signed_out if condition == "all_signed_out" else policy.all_unavailable
    if treatment.action is Action.NONE:
        return None
    return condition, treatment


def strand_waiting_calls(ctx: Step, cc: CallCenter) -> None:
    """The last agent who could serve left: the waiting calls get the stranded treatment."""
    found = stranded_treatment(ctx, cc)
    if found is None or not len(cc.waiting):
        return
    condition, treatment = found
    for call_id in cc.waiting.call_ids():
        if ctx.state.calls[call_id].callback is not None:
            continue  # no caller to treat: the callback waits for an agent
        treat(
            ctx,
            ctx.state.calls[call_id],
            cc,
            treatment,
            EventType.CALL_STRANDED,
            condition,
            f"stranded: {condition.replace('_', ' ')} in {cc.config.name};"
            f" {treatment.action.value}",
        )


# Agent states ----------------------------------------------------------------------------------


def set_agent_state(
    ctx: Step,
    agent: Agent,
    state: AgentState,
    cause: Cause,
    reason: str,
    unavailable_code: str | None = None,
) -> None:
    """The only writer of an agent's ACD state: every change is an event with its cause."""
    code = unavailable_code if state is AgentState.UNAVAILABLE else None
    if agent.state is state and agent.unavailable_code == code:
        return
    previous = agent.state
    was_taking = agent.takes_calls
    agent.state = state
    agent.unavailable_code = code
    agent.state_since = ctx.now
    sync_free(ctx.state, agent)
    if previous is AgentState.WRAP_UP:
        ctx.cancel_timer(agent_timer_id(agent.extension))
    ctx.emit(
        EventType.AGENT_STATE_CHANGED,
        reason,
        agent=agent.extension,
        state=state.value,
        previous=previous.value,
        unavailable_code=code,
        cause=cause.value,
    )
    if agent.takes_calls and not was_taking:
        if previous not in (AgentState.WRAP_UP, AgentState.BUSY):
            # Idle time for uniform routing counts from the end of the last call, or from now
            # for an agent coming back from a break.
            agent.idle_since = ctx.now
        dispatch_agent(ctx, agent)
    elif not agent.signed_in or state is AgentState.UNAVAILABLE:
        for cc_id in list(agent.joined):
            strand_waiting_calls(ctx, ctx.state.call_centers[cc_id])
