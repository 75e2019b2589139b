"""The conference bridge's rooms (docs/conference.md) over REST: who is in a room of the signed-in
user's tenant now, and mute all. The rooms and the meeting live in the PBX (`PbxService`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict

from cti.principal import Role
from cti.rest.deps import CurrentPrincipal
from pbx_core.service import PbxService

router = APIRouter(
    prefix="/api/v1/conference-rooms",
    tags=["conference rooms"],
    responses={401: {"description": "Not signed in"}},
)

_NO_ROOM: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such room in the signed-in user's tenant (or no bridge here)"}
}
RoomNumber = Annotated[str, Path(pattern=r"^[0-9]{2,15}$", description="The room's number")]


class ParticipantOut(BaseModel):
    caller: str
    """The extension that dialled in."""
    moderator: bool
    muted: bool


class MuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    muted: bool


class MuteOut(BaseModel):
    muted: bool


def _pbx(request: Request, tenant: str, number: str) -> PbxService:
    pbx: PbxService | None = getattr(request.app.state, "pbx", None)
    if pbx is None or pbx.rooms.get(tenant, number) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no conference room {number}")
    return pbx


@router.get("/{number}/participants", responses=_NO_ROOM)
async def participants(
    number: RoomNumber, principal: CurrentPrincipal, request: Request
) -> list[ParticipantOut]:
    """Who is in the room now (empty when nobody is); any user of the tenant may look."""
    pbx = _pbx(request, principal.tenant, number)
    found = await pbx.bridge_participants(principal.tenant, number)
    return [ParticipantOut(caller=p.caller, moderator=p.moderator, muted=p.muted) for p in found]


@router.put(
    "/{number}/mute",
    responses=_NO_ROOM
    | {
        403: {"description": "Only an admin or a supervisor mutes a room"},
        409: {"description": "Nobody is in the room"},
    },
)
async def mute_all(
    number: RoomNumber, body: MuteIn, principal: CurrentPrincipal, request: Request
) -> MuteOut:
    """Mute everyone but the moderators (`muted: true`), or unmute them."""
    if principal.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin or supervisor role required")
    pbx = _pbx(request, principal.tenant, number)
    if not await pbx.mute_bridge(principal.tenant, number, body.muted):
        raise HTTPException(status.HTTP_409_CONFLICT, "nobody is in the room")
    return MuteOut(muted=body.muted)
