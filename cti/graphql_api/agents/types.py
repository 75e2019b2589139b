"""GraphQL types of agents and their state changes."""

from __future__ import annotations

import time

import strawberry

from cti.graphql_api.enums import AgentState
from cti.snapshots import AgentSnapshot
from queueing.events import DomainEvent


@strawberry.type
class Agent:
    extension: str
    name: str
    state: AgentState
    state_seconds: float = strawberry.field(description="Time in the current state")
    unavailable_code: str | None
    call_centers: list[strawberry.ID]

    @classmethod
    def of(cls, agent: AgentSnapshot) -> Agent:
        return cls(
            extension=agent.extension,
            name=agent.name,
            state=agent.state,
            state_seconds=round(max(0.0, time.time() - agent.state_since), 3),
            unavailable_code=agent.unavailable_code,
            call_centers=[strawberry.ID(c) for c in agent.call_centers],
        )


@strawberry.type
class AgentStateEvent:
    extension: str
    state: AgentState
    previous: AgentState | None
    unavailable_code: str | None
    cause: str | None
    reason: str
    sequence: int
    timestamp: float

    @classmethod
    def of(cls, event: DomainEvent) -> AgentStateEvent:
        data = event.data
        previous = data.get("previous")
        return cls(
            extension=event.agent or "",
            state=AgentState(str(data["state"])),
            previous=AgentState(str(previous)) if previous in AgentState.__members__ else None,
            unavailable_code=data.get("unavailable_code"),
            cause=data.get("cause"),
            reason=event.reason,
            sequence=event.sequence,
            timestamp=event.timestamp,
        )
