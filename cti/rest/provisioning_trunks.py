"""Admin API for outgoing calling plans (docs/trunks.md, "Calling plans"): a tenant's, and a
user's own (or following the tenant's) with its permanent number hiding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field, StrictBool

from cti.rest.provisioning_access import Provisioning, Reader, TenantId, Writer, call
from cti.rest.provisioning_schemas import InputModel
from provisioning.trunks_calling_plans import CallingPlans, CallingPlanView

router = APIRouter()

Username = Annotated[str, Path(min_length=1, max_length=64)]
CategoryName = Annotated[str, Field(max_length=32)]


class TenantPlanIn(InputModel):
    denied: list[CategoryName] = Field(
        max_length=16,
        examples=[["premium_rate", "international"]],
        description="Categories refused with 403: national, mobile, international, "
        "premium_rate, service (emergency calls always go out)",
    )


class UserPlanIn(InputModel):
    denied: list[CategoryName] | None = Field(
        None, max_length=16, description="The user's own plan; null: follow the tenant's"
    )
    hide_number: StrictBool = Field(False, description="Hide the number on every outside call")


@router.get("/{tenant}/calling-plan")
async def tenant_calling_plan(
    tenant: TenantId, _: Reader, service: Provisioning
) -> CallingPlanView:
    return await call(CallingPlans(service.transactions).tenant_plan, tenant)


@router.put("/{tenant}/calling-plan")
async def set_tenant_calling_plan(
    tenant: TenantId, body: TenantPlanIn, admin: Writer, service: Provisioning
) -> CallingPlanView:
    plans = CallingPlans(service.transactions)
    return await call(plans.set_tenant_plan, admin.username, tenant, body.denied)


@router.get("/{tenant}/users/{username}/calling-plan")
async def user_calling_plan(
    tenant: TenantId, username: Username, _: Reader, service: Provisioning
) -> CallingPlanView:
    return await call(CallingPlans(service.transactions).user_plan, tenant, username)


@router.put("/{tenant}/users/{username}/calling-plan")
async def set_user_calling_plan(
    tenant: TenantId, username: Username, body: UserPlanIn, admin: Writer, service: Provisioning
) -> CallingPlanView:
    plans = CallingPlans(service.transactions)
    return await call(
        plans.set_user_plan, admin.username, tenant, username, body.denied, body.hide_number
    )
