"""Query `agents`: agents with their state and time in state, as far as the caller may see."""

from __future__ import annotations

import strawberry

from cti.authorization import may_see_agent
from cti.graphql_api import fields
from cti.graphql_api.agents.types import Agent
from cti.graphql_api.context import CtiInfo, principal_of


@strawberry.type
class AgentQueries:
    @fields.field(description="Agents you may see: yourself, or your call centers' agents")
    async def agents(self, info: CtiInfo) -> list[Agent]:
        principal = await principal_of(info)
        snapshots = info.context.services.snapshots
        call_centers = await snapshots.call_centers(principal.tenant)
        return [
            Agent.of(a)
            for a in await snapshots.agents(principal.tenant)
            if may_see_agent(principal, a, call_centers)
        ]
