"""Routing policies, priorities with FIFO, and agents in several call centers."""

from __future__ import annotations

from collections import Counter

from queueing.commands import OfferCall, StopRinging
from queueing.config import Member, RoutingPolicy, Tier
from queueing.events import EventType as E
from queueing.inputs import AgentAnswered, AgentHungUp, AgentState, SetAgentState
from queueing.simulator import Simulator
from tests.queueing.support import arrive, center, of_type, simulator, tenant

AGENTS = ("1001", "1002", "1003")


def offered_to(sim: Simulator) -> list[str]:
    return [e.agent for e in of_type(sim, E.CALL_OFFERED) if e.agent is not None]


def serve(sim: Simulator, call_id: str, wait: float = 1.0, talk: float = 10.0) -> str:
    """Answer the call by the agent it rings, talk, hang up; return the agent."""
    call = sim.engine.state.calls[call_id]
    (agent,) = call.offered_to
    sim.advance(wait)
    sim.feed(AgentAnswered(call_id, agent))
    sim.advance(talk)
    sim.feed(AgentHungUp(call_id, agent))
    return agent


def test_regular_always_hunts_from_the_top_of_the_list() -> None:
    sim = simulator(tenant(center(routing=RoutingPolicy.REGULAR, members=AGENTS)), AGENTS)
    for n in range(3):
        arrive(sim, f"c{n}")
        serve(sim, f"c{n}")
    assert offered_to(sim) == ["1001", "1001", "1001"]


def test_circular_continues_after_the_previous_offer() -> None:
    sim = simulator(tenant(center(routing=RoutingPolicy.CIRCULAR, members=AGENTS)), AGENTS)
    for n in range(4):
        arrive(sim, f"c{n}")
        serve(sim, f"c{n}")
    assert offered_to(sim) == ["1001", "1002", "1003", "1001"]
    assert "circular" in of_type(sim, E.CALL_OFFERED)[0].reason


def test_uniform_picks_the_agent_idle_the_longest() -> None:
    sim = simulator(tenant(center(routing=RoutingPolicy.UNIFORM, members=AGENTS)))
    for agent in ("1003", "1001", "1002"):
        sim.feed(SetAgentState(agent, AgentState.AVAILABLE))
        sim.advance(1)
    arrive(sim, "c0")
    assert serve(sim, "c0") == "1003"
    arrive(sim, "c1")
    assert serve(sim, "c1") == "1001"
    arrive(sim, "c2")
    assert serve(sim, "c2") == "1002"
    arrive(sim, "c3")
    assert serve(sim, "c3") == "1003"


def test_simultaneous_rings_everyone_and_the_first_answer_wins() -> None:
    sim = simulator(tenant(center(routing=RoutingPolicy.SIMULTANEOUS, members=AGENTS)), AGENTS)
    arrive(sim, "a")
    assert sorted(offered_to(sim)) == list(AGENTS)
    assert [sim.engine.state.agents[e].offered_call for e in AGENTS] == ["a", "a", "a"]
    sim.feed(AgentAnswered("a", "1002"))
    stops = [c for c in sim.commands if isinstance(c, StopRinging)]
    assert sorted(s.agent for s in stops) == ["1001", "1003"]
    agents = sim.engine.state.agents
    assert agents["1001"].offered_call is None and agents["1002"].call == "a"


def test_weighted_draws_in_proportion_to_weights_and_repeats_with_the_seed() -> None:
    members = (Member("1001", weight=1), Member("1002", weight=3))

    def run(seed: int) -> list[str]:
        config = tenant(center(routing=RoutingPolicy.WEIGHTED, members=members), seed=seed)
        sim = simulator(config, ("1001", "1002"))
        for n in range(400):
            arrive(sim, f"c{n}")
            serve(sim, f"c{n}", talk=1)
        return offered_to(sim)

    first = run(7)
    counts = Counter(first)
    assert 0.65 < counts["1002"] / 400 < 0.85
    assert run(7) == first
    assert run(8) != first


def test_skill_based_prefers_the_most_skilled_then_the_longest_idle() -> None:
    members = (
        Member("1001", skill_level=5),
        Member("1002", skill_level=1),
        Member("1003", skill_level=1),
    )
    config = tenant(center(tier=Tier.PREMIUM, routing=RoutingPolicy.SKILL_BASED, members=members))
    sim = simulator(config)
    for agent in ("1001", "1003", "1002"):
        sim.feed(SetAgentState(agent, AgentState.AVAILABLE))
        sim.advance(1)
    arrive(sim, "a")
    arrive(sim, "b")
    arrive(sim, "c")
    assert offered_to(sim) == ["1003", "1002", "1001"]
    assert "skill level (1)" in of_type(sim, E.CALL_OFFERED)[0].reason


def test_higher_priority_first_then_fifo_within_a_priority() -> None:
    sim = simulator(tenant(center(members=("1001",))))
    for call_id, priority in [("low1", 0), ("high1", 2), ("mid", 1), ("high2", 2), ("low2", 0)]:
        arrive(sim, call_id, priority=priority)
        sim.advance(1)
    positions = [e.data["position"] for e in of_type(sim, E.CALL_ADDED)]
    assert positions == [1, 1, 2, 2, 5]
    sim.feed(SetAgentState("1001", AgentState.AVAILABLE))
    order = []
    while sim.engine.state.agents["1001"].offered_call is not None:
        call_id = sim.engine.state.agents["1001"].offered_call
        order.append(call_id)
        serve(sim, call_id)
    assert order == ["high1", "high2", "mid", "low1", "low2"]


def test_agent_in_two_call_centers_takes_the_longest_waiting_call_one_at_a_time() -> None:
    config = tenant(center("7001", members=("1001",)), center("7002", members=("1001",)))
    sim = simulator(config)
    arrive(sim, "x", cc="7002")
    sim.advance(5)
    arrive(sim, "y", cc="7001")
    sim.feed(SetAgentState("1001", AgentState.AVAILABLE))
    offers = [c for c in sim.commands if isinstance(c, OfferCall)]
    assert [o.call_id for o in offers] == ["x"]
    serve(sim, "x")
    offers = [c for c in sim.commands if isinstance(c, OfferCall)]
    assert [o.call_id for o in offers] == ["x", "y"]
