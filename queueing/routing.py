"""Routing policies: which free agent(s) get the next call, and why (the reason is published)."""

from __future__ import annotations

from typing import assert_never

from queueing.config import RoutingPolicy
from queueing.state import Agent, Call, CallCenter, EngineState

_MASK = 0xFFFFFFFFFFFFFFFF


def xorshift64star(x: int) -> tuple[int, float]:
    """One step of xorshift64*: the next state and a number in [0, 1). Pure, so replays (and
    the what-if simulator's draws) come out the same."""
    x ^= (x >> 12) & _MASK
    x ^= (x << 25) & _MASK
    x ^= (x >> 27) & _MASK
    x &= _MASK
    return x, ((x * 0x2545F4914F6CDD1D) & _MASK) / 2.0**64


def next_random(state: EngineState) -> float:
    """The engine's own seeded generator, kept in state so replays match."""
    state.rng, drawn = xorshift64star(state.rng)
    return drawn


def free_agents(state: EngineState, cc: CallCenter) -> list[Agent]:
    """Joined agents ready for an offer, in the call center's list order."""
    if not cc.free:
        return []
    agents = state.agents
    return [agents[e] for e in sorted(cc.free, key=cc.index.__getitem__)]


def choose_agents(
    state: EngineState, cc: CallCenter, free: list[Agent], call: Call
) -> tuple[list[Agent], str]:
    """Pick from `free` (non-empty, list order) by the call center's policy; return the reason."""
    candidates = free
    avoided = ""
    if call.last_bounced_agent is not None and len(free) > 1:
        candidates = [a for a in free if a.extension != call.last_bounced_agent]
        if len(candidates) < len(free):
            avoided = f"; skipped {call.last_bounced_agent}, who let this call bounce"
    policy = cc.config.routing
    match policy:
        case RoutingPolicy.SIMULTANEOUS:
            names = ", ".join(a.extension for a in candidates)
            return candidates, f"simultaneous: ringing every available agent ({names}){avoided}"
        case RoutingPolicy.REGULAR:
            agent = candidates[0]
            why = f"regular: {agent.extension} is the first available agent in list order"
        case RoutingPolicy.CIRCULAR:
            index = cc.index
            after = cc.last_offered
            agent = min(candidates, key=lambda a: (index[a.extension] <= after, index[a.extension]))
            why = (
                f"circular: {agent.extension} is the next available agent after the previous offer"
            )
        case RoutingPolicy.UNIFORM:
            agent = min(candidates, key=lambda a: a.idle_since)
            why = f"uniform: {agent.extension} has been idle the longest"
        case RoutingPolicy.WEIGHTED:
            agent, why = _weighted(state, cc, candidates)
        case RoutingPolicy.SKILL_BASED:
            skills = {m.extension: m.skill_level for m in cc.config.members}
            agent = min(candidates, key=lambda a: (skills[a.extension], a.idle_since))
            why = (
                f"skill-based: {agent.extension} has the best skill level"
                f" ({skills[agent.extension]}) among available agents, then idle the longest"
            )
        case _:
            assert_never(policy)  # a new policy must be routed here, never as another
    return [agent], why + avoided


def _weighted(state: EngineState, cc: CallCenter, candidates: list[Agent]) -> tuple[Agent, str]:
    weights = {m.extension: m.weight for m in cc.config.members}
    total = sum(weights[a.extension] for a in candidates)
    point = next_random(state) * total
    agent = candidates[-1]
    for candidate in candidates:
        point -= weights[candidate.extension]
        if point < 0:
            agent = candidate
            break
    return (
        agent,
        f"weighted: {agent.extension} drawn with weight {weights[agent.extension]} of {total}",
    )
