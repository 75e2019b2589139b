"""Admin API of the incoming calling plans and intercept (docs/group-services.md, "Incoming
calling plan" and "Intercept"; a user's: docs/phone-features.md, "InterceptUser"), next to the
outgoing calling plan's (provisioning_trunks.py): tenant admins write, supervisors read, the
tenant wall holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field, StrictBool

from cti.rest.provisioning_access import Provisioning, Reader, TenantId, Writer, call
from cti.rest.provisioning_schemas import InputModel
from provisioning.intercept_user import UserIntercepts
from provisioning.trunks_incoming import IncomingPlans, IncomingPlanView, InterceptView

router = APIRouter()

Username = Annotated[str, Path(min_length=1, max_length=64)]
CategoryName = Annotated[str, Field(max_length=32)]


class IncomingPlanIn(InputModel):
    internal: StrictBool = Field(True, description="Take calls from the tenant's own users")
    external: StrictBool = Field(True, description="Take calls from outside")
    denied: list[CategoryName] = Field(
        [],
        max_length=16,
        examples=[["international", "premium_rate"]],
        description="Categories of calling numbers refused with 403: national, mobile, "
        "international, premium_rate, service",
    )


class UserIncomingPlanIn(IncomingPlanIn):
    follow_tenant: StrictBool = Field(
        False, description="True: the user follows the tenant's plan (the rest is ignored)"
    )


class InterceptIn(InputModel):
    enabled: StrictBool
    announcement: str | None = Field(
        None, max_length=80, examples=["announcement:moved"], description="The tenant's upload"
    )
    text: str | None = Field(None, max_length=500, description="Spoken when no announcement")
    language: str = Field("nl", max_length=2)
    alternate: str | None = Field(
        None, max_length=32, description="Where callers go after the message; null: hang up"
    )


@router.get("/{tenant}/incoming-calling-plan")
async def tenant_incoming_plan(
    tenant: TenantId, _: Reader, service: Provisioning
) -> IncomingPlanView:
    return await call(IncomingPlans(service.transactions).tenant_plan, tenant)


@router.put("/{tenant}/incoming-calling-plan")
async def set_tenant_incoming_plan(
    tenant: TenantId, body: IncomingPlanIn, admin: Writer, service: Provisioning
) -> IncomingPlanView:
    plans = IncomingPlans(service.transactions)
    return await call(
        plans.set_tenant_plan, admin.username, tenant, body.internal, body.external, body.denied
    )


@router.get("/{tenant}/users/{username}/incoming-calling-plan")
async def user_incoming_plan(
    tenant: TenantId, username: Username, _: Reader, service: Provisioning
) -> IncomingPlanView:
    return await call(IncomingPlans(service.transactions).user_plan, tenant, username)


@router.put("/{tenant}/users/{username}/incoming-calling-plan")
async def set_user_incoming_plan(
    tenant: TenantId,
    username: Username,
    body: UserIncomingPlanIn,
    admin: Writer,
    service: Provisioning,
) -> IncomingPlanView:
    plans = IncomingPlans(service.transactions)
    plan = None if body.follow_tenant else (body.internal, body.external, body.denied)
    return await call(plans.set_user_plan, admin.username, tenant, username, plan)


@router.get("/{tenant}/intercept")
async def tenant_intercept(tenant: TenantId, _: Reader, service: Provisioning) -> InterceptView:
    return await call(IncomingPlans(service.transactions).intercept, tenant)


@router.put("/{tenant}/intercept")
async def set_tenant_intercept(
    tenant: TenantId, body: InterceptIn, admin: Writer, service: Provisioning
) -> InterceptView:
    wanted = InterceptView(**body.model_dump())
    return await call(IncomingPlans(service.transactions).set_intercept, admin.username, tenant,
                      wanted)  # fmt: skip


@router.get("/{tenant}/users/{username}/intercept")
async def user_intercept(
    tenant: TenantId, username: Username, _: Reader, service: Provisioning
) -> InterceptView:
    return await call(UserIntercepts(service.transactions).intercept, tenant, username)


@router.put("/{tenant}/users/{username}/intercept")
async def set_user_intercept(
    tenant: TenantId, username: Username, body: InterceptIn, admin: Writer, service: Provisioning
) -> InterceptView:
    """InterceptUser: the administrator's service (the user cannot switch it off)."""
    wanted = InterceptView(**body.model_dump())
    return await call(UserIntercepts(service.transactions).set_intercept, admin.username, tenant,
                      username, wanted)  # fmt: skip
