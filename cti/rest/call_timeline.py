"""`GET /api/v1/calls/{call_id}/timeline`: a call's detail — its stays in call centers (the
reports' facts) and every engine decision about it with reason and time (cti/call_timeline.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.call_timeline import decision, may_see_timeline, read_timeline
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.reports import report_engine
from reports.call_stays import call_stays

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])

CallId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.:@+-]+$")]


class Decision(BaseModel):
    sequence: int
    type: str = Field(description="The event type (docs/events.md)")
    at: float = Field(description="Engine time, seconds since the epoch")
    call_center_id: str | None
    agent: str | None
    reason: str = Field(description="Why the engine did it, in words")
    data: dict[str, Any]


class CallTimeline(BaseModel):
    call_id: str
    stays: list[dict[str, Any]] = Field(
        description="The call's stays in call centers as the reports have them (arrival order)"
    )
    decisions: list[Decision]
    complete: bool = Field(description="False when the log was read only in part")


@router.get(
    "/{call_id}/timeline",
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not your call, nor one of your call centers'"},
        404: {"description": "No such call in your tenant's event log"},
    },
)
async def call_timeline(
    call_id: CallId, principal: CurrentPrincipal, services: Services
) -> CallTimeline:
    url = services.settings.database_url
    stays = await run_in_threadpool(
        lambda: call_stays(report_engine(url), principal.tenant, call_id)
    )
    timeline = await read_timeline(
        services.redis, services.event_log, principal.tenant, call_id, stays
    )
    if not timeline.events and not stays:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no call {call_id}")
    if not may_see_timeline(principal, timeline):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not your call")
    return CallTimeline(
        call_id=call_id,
        stays=stays,
        decisions=[Decision(**decision(e)) for e in timeline.events],
        complete=timeline.complete,
    )
