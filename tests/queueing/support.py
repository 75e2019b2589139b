"""Builders for queue-engine tests: small tenants and a simulator with signed-in agents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from queueing.commands import Command
from queueing.config import AgentConfig, CallCenterConfig, Member, TenantConfig, Tier
from queueing.events import DomainEvent, EventType
from queueing.inputs import AgentState, CallArrived, Input, SetAgentState
from queueing.simulator import Simulator

C = TypeVar("C", bound=Command)


def amsterdam(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()


TUESDAY_10H = amsterdam(2026, 11, 24, 10)


def agents(*extensions: str, licence: Tier = Tier.PREMIUM) -> tuple[AgentConfig, ...]:
    return tuple(AgentConfig(e, f"Agent {e}", licence) for e in extensions)


def center(
    id: str = "7001",
    tier: Tier = Tier.STANDARD,
    members: Iterable[str | Member] = ("1001",),
    **kw: Any,
) -> CallCenterConfig:
    return CallCenterConfig(
        id=id,
        name=f"CC {id}",
        tier=tier,
        members=tuple(m if isinstance(m, Member) else Member(m) for m in members),
        **kw,
    )


def tenant(
    *centers: CallCenterConfig,
    licence: Tier = Tier.PREMIUM,
    extra_agents: tuple[AgentConfig, ...] = (),
    **kw: Any,
) -> TenantConfig:
    extensions = sorted({m.extension for c in centers for m in c.members})
    return TenantConfig("t1", centers, agents(*extensions, licence=licence) + extra_agents, **kw)


def simulator(
    config: TenantConfig, available: Iterable[str] = (), now: float | None = None
) -> Simulator:
    sim = Simulator(config) if now is None else Simulator(config, now=now)
    for extension in available:
        sim.feed(SetAgentState(extension, AgentState.AVAILABLE))
    return sim


def arrive(sim: Simulator, call_id: str, cc: str = "7001", priority: int = 0) -> list[DomainEvent]:
    return sim.feed(CallArrived(call_id, cc, f"+3120{call_id}", priority))


def types(events: Iterable[DomainEvent]) -> list[EventType]:
    return [e.type for e in events]


def of_type(sim: Simulator, kind: EventType) -> list[DomainEvent]:
    return [e for e in sim.events if e.type is kind]


def commands_of(sim: Simulator, kind: type[C]) -> list[C]:
    return [c for c in sim.commands if isinstance(c, kind)]


def feed_all(sim: Simulator, inputs: Iterable[Input]) -> None:
    for event in inputs:
        sim.feed(event)
