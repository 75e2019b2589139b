"""`POST /api/v1/calls`: click-to-dial for CRM plugins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from cti.authorization import may_dial_for
from cti.control import UNAVAILABLE, ControlError
from cti.rest.deps import CurrentPrincipal, Services

router = APIRouter(prefix="/api/v1/calls", tags=["calls"])


class ClickToDial(BaseModel):
    extension: str = Field(pattern=r"^[0-9]{2,8}$", description="The agent's extension to ring")
    destination: str = Field(
        pattern=r"^\+?[0-9*#]{2,20}$", description="Number to call once the agent answers"
    )


class CallStarted(BaseModel):
    call_id: str


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not allowed to dial for this extension"},
        409: {"description": "The PBX refused the call"},
        503: {"description": "Call control unavailable"},
    },
)
async def click_to_dial(
    body: ClickToDial, principal: CurrentPrincipal, services: Services
) -> CallStarted:
    agent = await services.snapshots.agent(principal.tenant, body.extension)
    if not may_dial_for(principal, agent, body.extension):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed to dial for this extension")
    try:
        call_id = await services.control.click_to_dial(
            principal.tenant, body.extension, body.destination
        )
    except ControlError as error:
        code = (
            status.HTTP_503_SERVICE_UNAVAILABLE
            if error.code in UNAVAILABLE
            else status.HTTP_409_CONFLICT
        )
        raise HTTPException(code, error.message) from error
    return CallStarted(call_id=call_id)
