"""Lookups for the input handlers that refuse an impossible input: each raises `Rejected`
(with the error code INPUT_REJECTED carries) before anything changes."""

from __future__ import annotations

from common.priorities import MAX_PRIORITY, MIN_PRIORITY, is_priority
from queueing.state import IN_QUEUE, Agent, Call, CallCenter, Phase
from queueing.step import Rejected, Step


def find_call(ctx: Step, call_id: str) -> Call:
    call = ctx.state.calls.get(call_id)
    if call is None:
        raise Rejected("unknown_call", f"no call {call_id!r} in the engine")
    return call


def find_queued_call(ctx: Step, call_id: str) -> tuple[Call, CallCenter]:
    call = find_call(ctx, call_id)
    if call.phase not in IN_QUEUE:
        raise Rejected(
            "not_waiting", f"call {call_id} is no longer waiting in a queue ({call.phase.value})"
        )
    return call, ctx.state.call_centers[call.call_center_id]


def find_call_center(ctx: Step, call_center_id: str) -> CallCenter:
    cc = ctx.state.call_centers.get(call_center_id)
    if cc is None:
        raise Rejected("unknown_call_center", f"no call center {call_center_id!r}")
    return cc


def find_agent(ctx: Step, extension: str) -> Agent:
    agent = ctx.state.agents.get(extension)
    if agent is None:
        raise Rejected("unknown_agent", f"no agent {extension!r}")
    return agent


def check_priority(priority: int) -> None:
    if not is_priority(priority):
        raise Rejected(
            "bad_priority", f"priority {priority} is outside {MIN_PRIORITY}..{MAX_PRIORITY}"
        )


def find_agent_call(ctx: Step, call_id: str, extension: str, phases: frozenset[Phase]) -> Call:
    call = find_call(ctx, call_id)
    if call.agent != extension or call.phase not in phases:
        raise Rejected("not_on_call", f"agent {extension} is not on call {call_id} ({call.phase})")
    return call
