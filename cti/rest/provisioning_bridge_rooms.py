"""Admin API for a tenant's conference rooms ("Groepsgesprek", docs/conference.md) and the
operator's licence of participants. Each change reaches the PBX before the next call
(cti/bridge_rooms_live.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, Field

from cti.rest.provisioning_access import Operator, Provisioning, Reader, TenantId, Writer, call
from cti.rest.provisioning_schemas import InputModel
from provisioning.bridge_rooms import MAX_LICENCE, RoomView
from provisioning.bridge_rooms_store import BridgeRooms

router = APIRouter()

RoomNumber = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[0-9]+$")]
Pin = Annotated[str, Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")]


def get_rooms(service: Provisioning) -> BridgeRooms:
    return BridgeRooms(service)


Rooms = Annotated[BridgeRooms, Depends(get_rooms)]


class RoomSettings(InputModel):
    name: str = Field(min_length=1, max_length=200)
    pin: Pin
    moderator_pin: Pin
    max_participants: int = Field(ge=2, le=MAX_LICENCE, description="Within the licence")
    language: Literal["nl", "en"] = "nl"

    def view(self, number: str) -> RoomView:
        return RoomView(number, self.name, self.pin, self.moderator_pin, self.max_participants,
                        self.language)  # fmt: skip


class RoomIn(RoomSettings):
    number: str = Field(min_length=2, max_length=8, pattern=r"^[0-9]+$")


class LicenceIn(InputModel):
    participants: int = Field(ge=2, le=MAX_LICENCE)


class LicenceOut(BaseModel):
    participants: int
    """Places in all of the tenant's rooms together."""


@router.get("/{tenant}/conference-rooms")
async def list_rooms(tenant: TenantId, _: Reader, rooms: Rooms) -> list[RoomView]:
    return await call(rooms.all, tenant)


@router.post("/{tenant}/conference-rooms", status_code=status.HTTP_201_CREATED)
async def create_room(tenant: TenantId, body: RoomIn, admin: Writer, rooms: Rooms) -> RoomView:
    """409 when the number is a user, call center, group or room of the tenant already."""
    return await call(rooms.create, admin.username, tenant, body.view(body.number))


@router.get("/{tenant}/conference-rooms/{number}")
async def get_room(tenant: TenantId, number: RoomNumber, _: Reader, rooms: Rooms) -> RoomView:
    return await call(rooms.get, tenant, number)


@router.put("/{tenant}/conference-rooms/{number}")
async def update_room(
    tenant: TenantId, number: RoomNumber, body: RoomSettings, admin: Writer, rooms: Rooms
) -> RoomView:
    return await call(rooms.update, admin.username, tenant, body.view(number))


@router.delete("/{tenant}/conference-rooms/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(tenant: TenantId, number: RoomNumber, admin: Writer, rooms: Rooms) -> None:
    """409 while a direct number routes to it."""
    await call(rooms.delete, admin.username, tenant, number)


@router.get("/{tenant}/conference-licence")
async def get_licence(tenant: TenantId, _: Reader, rooms: Rooms) -> LicenceOut:
    return LicenceOut(participants=await call(rooms.licence, tenant))


@router.put("/{tenant}/conference-licence", summary="Set the licence of participants (operator)")
async def set_licence(
    tenant: TenantId, body: LicenceIn, _: Writer, operator: Operator, rooms: Rooms
) -> LicenceOut:
    """409 below a room's cap. Sold per place: the operator's, not the tenant admin's (another
    tenant's admin is refused on `tenant` first, the tenant's own on `role`)."""
    done = await call(rooms.set_licence, operator.username, tenant, body.participants)
    return LicenceOut(participants=done)
