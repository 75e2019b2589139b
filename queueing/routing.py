"""Routing policies: which free agent(s) get the next call, and why (the reason is published).

`pick` is the policy itself over plain extensions; the queue engine (`choose_agents`) and the
hunt groups (pbx_core/group_services/hunt.py) both route through it, so a policy means the same
in both places.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    """What the policies need to know about a list of members, whoever keeps the list."""

    index: Mapping[str, int]
    """Extension -> place in the list (list order)."""
    last_offered: int
    """The place of the member offered the previous call (-1: none yet), for circular."""
    idle_since: Callable[[str], float]
    weight: Callable[[str], int]
    skill_level: Callable[[str], int]
    draw: Callable[[], float]
    """A number in [0, 1) for weighted routing (the queue engine's is seeded and replayed)."""


def pick(
    policy: RoutingPolicy, candidates: Sequence[str], facts: RoutingFacts
) -> tuple[list[str], str]:
    """The extension(s) of `candidates` (non-empty, list order) to offer the call to, and why."""
    match policy:
        case RoutingPolicy.SIMULTANEOUS:
            names = ", ".join(candidates)
            return list(candidates), f"simultaneous: ringing every available agent ({names})"
        case RoutingPolicy.REGULAR:
            chosen = candidates[0]
            why = f"regular: {chosen} is the first available agent in list order"
        case RoutingPolicy.CIRCULAR:
            index, after = facts.index, facts.last_offered
            chosen = min(candidates, key=lambda e: (index[e] <= after, index[e]))
            why = f"circular: {chosen} is the next available agent after the previous offer"
        case RoutingPolicy.UNIFORM:
            chosen = min(candidates, key=facts.idle_since)
            why = f"uniform: {chosen} has been idle the longest"
        case RoutingPolicy.WEIGHTED:
            chosen, why = _weighted(candidates, facts)
        case RoutingPolicy.SKILL_BASED:
            skill = facts.skill_level
            chosen = min(candidates, key=lambda e: (skill(e), facts.idle_since(e)))
            why = (
                f"skill-based: {chosen} has the best skill level ({skill(chosen)})"
                " among available agents, then idle the longest"
            )
        case _:
            assert_never(policy)  # a new policy must be routed here, never as another
    return [chosen], why


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
    candidates = [a.extension for a in free]
    avoided = ""
    if call.last_bounced_agent is not None and len(free) > 1:
        candidates = [e for e in candidates if e != call.last_bounced_agent]
        if len(candidates) < len(free):
            avoided = f"; skipped {call.last_bounced_agent}, who let this call bounce"
    members = {m.extension: m for m in cc.config.members}
    agents = state.agents
    facts = RoutingFacts(
        index=cc.index,
        last_offered=cc.last_offered,
        idle_since=lambda e: agents[e].idle_since,
        weight=lambda e: members[e].weight,
        skill_level=lambda e: members[e].skill_level,
        draw=lambda: next_random(state),
    )
    chosen, why = pick(cc.config.routing, candidates, facts)
    return [agents[e] for e in chosen], why + avoided


def _weighted(candidates: Sequence[str], facts: RoutingFacts) -> tuple[str, str]:
    weight = facts.weight
    total = sum(weight(e) for e in candidates)
    point = facts.draw() * total
    chosen = candidates[-1]
    for candidate in candidates:
        point -= weight(candidate)
        if point < 0:
            chosen = candidate
            break
    return chosen, f"weighted: {chosen} drawn with weight {weight(chosen)} of {total}"
