"""Handlers of the agents' own actions: ACD state, joining and leaving call centers,
dispositions."""

from __future__ import annotations

from queueing import flow
from queueing.commands import StopRinging
from queueing.config import Tier
from queueing.events import EventType
from queueing.inputs import (
    AgentState,
    EnterDisposition,
    JoinCallCenter,
    LeaveCallCenter,
    SetAgentState,
)
from queueing.lookups import (
    find_agent,
    find_call_center,
)
from queueing.state import Agent, sync_free
from queueing.step import Rejected, Step

_LICENCE_STATES = frozenset({AgentState.SIGN_IN, AgentState.SIGN_OUT})


def set_agent_state(ctx: Step, event: SetAgentState) -> None:
    agent = find_agent(ctx, event.agent)
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
    agent = find_agent(ctx, event.agent)
    cc = find_call_center(ctx, event.call_center_id)
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
    agent = find_agent(ctx, event.agent)
    cc = find_call_center(ctx, event.call_center_id)
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
    agent = find_agent(ctx, event.agent)
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
