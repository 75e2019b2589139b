"""`GET /api/v1/agent-totals`: today's totals per agent (reports/agent_totals.py) — time
available, unavailable per code, wrap-up average, calls handled — for the agent client (its
own) and the supervisor board (its call centers' members)."""

from __future__ import annotations

from typing import Annotated, assert_never

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.reports import report_engine
from cti.services import CtiServices
from cti.wallboard import day_start
from reports.agent_totals import agent_totals

router = APIRouter(prefix="/api/v1/agent-totals", tags=["agents"])


class AgentTotalsOut(BaseModel):
    agent: str
    available_seconds: float
    unavailable_seconds: dict[str, float] = Field(
        description="UNAVAILABLE time per unavailable code ('' when none was given)"
    )
    wrap_up_average_seconds: float | None
    wrap_ups: int
    calls_handled: int = Field(description="Calls the agent answered today")


async def _scope(principal: Principal, services: CtiServices) -> list[str] | None:
    """The agents the principal may see (None: every agent of its tenant)."""
    match principal.role:
        case Role.ADMIN | Role.API:
            return None
        case Role.SUPERVISOR:
            centers = await services.snapshots.call_centers(principal.tenant)
            agents = await services.snapshots.agents(principal.tenant)
            supervised = principal.call_centers
            members = {m for c in centers if c.id in supervised for m in c.members}
            members |= {a.extension for a in agents if supervised.intersection(a.call_centers)}
            return sorted(members)
        case Role.AGENT:
            return [] if principal.extension is None else [principal.extension]
        case Role.OPERATOR:
            return []
        case _:
            assert_never(principal.role)


@router.get(
    "",
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not an agent you may see"},
    },
)
async def read_agent_totals(
    principal: CurrentPrincipal,
    services: Services,
    agent: Annotated[
        str | None,
        Query(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="only this agent's extension"),
    ] = None,
) -> list[AgentTotalsOut]:
    """Today (from midnight, Europe/Amsterdam) until now; agents see their own only."""
    scope = await _scope(principal, services)
    if agent is not None:
        if scope is not None and agent not in scope:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"agent {agent} is not yours to see")
        scope = [agent]
    elif scope == []:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "no agents to see")
    now = services.settings.clock()
    url = services.settings.database_url
    totals = await run_in_threadpool(
        lambda: agent_totals(report_engine(url), principal.tenant, day_start(now), now, scope)
    )
    return [AgentTotalsOut(**t.as_dict()) for t in totals]
