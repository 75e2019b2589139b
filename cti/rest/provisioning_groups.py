"""Admin API for a tenant's hunt groups and auto attendants (docs/group-services.md), and the
users' switch of their group's night forwarding (seed 3.3.10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import Field

from cti.principal import Role
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning_access import (
    Need,
    Provisioning,
    Reader,
    TenantId,
    Writer,
    allowed,
    call,
)
from cti.rest.provisioning_schemas import Extension, InputModel
from provisioning.group_services import GroupKind
from provisioning.group_services_store import GroupServices, GroupView
from provisioning.service import ProvisioningService

router = APIRouter()

GroupNumber = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[0-9]+$")]
MemberExtension = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9]+$")]


def get_groups(service: Provisioning) -> GroupServices:
    return GroupServices(service)


Groups = Annotated[GroupServices, Depends(get_groups)]


class GroupIn(InputModel):
    kind: GroupKind
    name: str = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(
        description="Hunt group: policy, members, weights, ring_seconds, no_answer_destination, "
        "busy_destination, forwarding, schedule, holidays. Auto attendant: menus, business_menu, "
        "after_hours_menu, holiday_menu, schedule, holidays, timeout_seconds, max_misses, "
        "fallback, language (docs/group-services.md)."
    )


class MemberIn(InputModel):
    extension: Extension


class NightForwardingIn(InputModel):
    on: bool


@router.get("/{tenant}/groups")
async def list_groups(tenant: TenantId, _: Reader, groups: Groups) -> list[GroupView]:
    return await call(groups.all, tenant)


@router.get("/{tenant}/groups/{number}")
async def get_group(tenant: TenantId, number: GroupNumber, _: Reader, groups: Groups) -> GroupView:
    return await call(groups.get, tenant, number)


@router.put("/{tenant}/groups/{number}", summary="Create or replace a hunt group or menu")
async def put_group(
    tenant: TenantId, number: GroupNumber, body: GroupIn, admin: Writer, groups: Groups
) -> GroupView:
    """Takes effect on the next call (a hunt group's calls in progress: on their next offer)."""
    return await call(
        groups.put, admin.username, tenant, body.kind, number, body.name, body.settings
    )


@router.delete("/{tenant}/groups/{number}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_group(
    tenant: TenantId, number: GroupNumber, admin: Writer, groups: Groups
) -> None:
    await call(groups.delete, admin.username, tenant, number)


@router.post("/{tenant}/groups/{number}/members", status_code=status.HTTP_201_CREATED)
async def add_member(
    tenant: TenantId, number: GroupNumber, body: MemberIn, admin: Writer, groups: Groups
) -> GroupView:
    """Live: the member is offered the group's next calls."""
    return await call(groups.add_member, admin.username, tenant, number, body.extension)


@router.delete("/{tenant}/groups/{number}/members/{extension}")
async def remove_member(
    tenant: TenantId,
    number: GroupNumber,
    extension: MemberExtension,
    admin: Writer,
    groups: Groups,
) -> GroupView:
    return await call(groups.remove_member, admin.username, tenant, number, extension)


@router.put("/{tenant}/groups/{number}/night-forwarding")
async def set_night_forwarding(
    tenant: TenantId,
    number: GroupNumber,
    body: NightForwardingIn,
    principal: CurrentPrincipal,
    service: Provisioning,
) -> GroupView:
    """Group night forwarding on or off: by the tenant's admin, or by a member of the group."""
    if principal.tenant != tenant and principal.role is not Role.OPERATOR:
        refusal = {"field": "tenant", "reason": "another tenant's group"}
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal)
    writer = allowed(principal, tenant, Need.WRITE)
    found = [g for g in await call(GroupServices(service).all, tenant) if g.number == number]
    if not found and writer:
        refusal = {"field": "number", "reason": f"no hunt group {number}"}
        raise HTTPException(status.HTTP_404_NOT_FOUND, refusal)
    member = bool(found) and principal.extension in found[0].settings.get("members", [])
    if not (writer or member):  # a user learns nothing of groups they are not in
        refusal = {"field": "extension", "reason": "not a member of the group"}
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal)
    return await call(_switch, service, principal.username, tenant, number, body.on)


def _switch(
    service: ProvisioningService, actor: str, tenant: str, number: str, on: bool
) -> GroupView:
    return GroupServices(service).set_night_forwarding(actor, tenant, number, on)
