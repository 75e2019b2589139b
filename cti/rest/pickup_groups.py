"""Call pickup groups over REST (docs/phone-features.md, "Pickup groups"):
`/api/v1/tenants/{tenant}/pickup-groups` (reading: operator, the tenant's admin and supervisors;
writing: operator and admin; `provisioning_access`: another tenant's routes 403). A member must
be a user of the tenant (404 otherwise, another tenant's extension as an unknown one) and in no
other group (409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from provisioning.pickup_groups_store import MAX_MEMBERS, PickupGroup, PickupGroupsService

router = APIRouter(tags=["pickup-groups"], responses=ERRORS)

GROUPS = "/api/v1/tenants/{tenant}/pickup-groups"
GroupName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w][\w .-]{0,63}$")]


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    members: list[Annotated[str, Field(pattern=r"^[0-9]{2,8}$")]] = Field(
        max_length=MAX_MEMBERS, description="Extensions of the tenant's users"
    )


class GroupOut(BaseModel):
    name: str
    members: list[str]

    @classmethod
    def of(cls, group: PickupGroup) -> GroupOut:
        return cls(name=group.name, members=list(group.members))


class GroupsOut(BaseModel):
    groups: list[GroupOut]


def get_service(request: Request, provisioning: Provisioning) -> PickupGroupsService:
    """The product's service (whose changes the PBX hears), or, for a web process without the
    PBX, one on the provisioning database."""
    wired: PickupGroupsService | None = getattr(request.app.state, "pickup_groups", None)
    return wired if wired is not None else PickupGroupsService(provisioning.engine)


Service = Annotated[PickupGroupsService, Depends(get_service)]


@router.get(GROUPS, summary="The tenant's call pickup groups")
async def list_groups(tenant: TenantId, _: Reader, service: Service) -> GroupsOut:
    return GroupsOut(groups=[GroupOut.of(g) for g in await call(service.groups, tenant)])


@router.get(GROUPS + "/{name}", summary="One call pickup group")
async def get_group(tenant: TenantId, name: GroupName, _: Reader, service: Service) -> GroupOut:
    return GroupOut.of(await call(service.group, tenant, name))


@router.put(GROUPS + "/{name}", summary="Create a call pickup group or replace its members")
async def put_group(
    tenant: TenantId, name: GroupName, body: GroupIn, admin: Writer, service: Service
) -> GroupOut:
    return GroupOut.of(await call(service.put, admin.username, tenant, name, body.members))


@router.delete(
    GROUPS + "/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a pickup group"
)
async def delete_group(tenant: TenantId, name: GroupName, admin: Writer, service: Service) -> None:
    await call(service.remove, admin.username, tenant, name)
