"""Query `callCenters`: the call centers the caller may see, with waiting calls and agents."""

from __future__ import annotations

import strawberry

from cti.authorization import visible_call_centers
from cti.graphql_api import fields
from cti.graphql_api.call_centers.types import CallCenter
from cti.graphql_api.context import CtiInfo, principal_of


@strawberry.type
class CallCenterQueries:
    @fields.field(description="Call centers you may see (agents: the ones they joined)")
    async def call_centers(self, info: CtiInfo) -> list[CallCenter]:
        principal = await principal_of(info)
        snapshots = info.context.services.snapshots
        call_centers = visible_call_centers(
            principal, await snapshots.call_centers(principal.tenant)
        )
        states = {a.extension: a.state for a in await snapshots.agents(principal.tenant)}
        return [CallCenter.of(cc, states) for cc in call_centers]
