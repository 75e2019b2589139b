"""Admin API of the outside world (docs/trunks.md): outgoing calling plans (a tenant's, and a
user's own or following the tenant's, with its permanent number hiding) and carrier trunks (a
tenant's under /api/v1/tenants, the platform's under /api/v1/trunks for the operator). A
trunk's password goes in and never comes out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import Field, StrictBool, StrictInt

from cti.rest.provisioning_access import (
    ERRORS,
    Operator,
    Provisioning,
    Reader,
    TenantId,
    Writer,
    call,
)
from cti.rest.provisioning_schemas import InputModel
from provisioning.trunks import TrunkSpec
from provisioning.trunks_calling_plans import CallingPlans, CallingPlanView
from provisioning.trunks_store import Trunks, TrunkView

router = APIRouter()
platform_router = APIRouter(prefix="/api/v1/trunks", tags=["provisioning"], responses=ERRORS)

Username = Annotated[str, Path(min_length=1, max_length=64)]
CategoryName = Annotated[str, Field(max_length=32)]


class TollFraudIn(InputModel):
    """Costly calls (international, premium rate) one user, and the whole tenant, may start
    within `minutes`; more are refused (403) and alert the admins (docs/trunks.md)."""

    per_user: StrictInt
    per_tenant: StrictInt
    minutes: StrictInt


class TenantPlanIn(InputModel):
    denied: list[CategoryName] = Field(
        max_length=16,
        examples=[["premium_rate", "international"]],
        description="Categories refused with 403: national, mobile, international, "
        "premium_rate, service (emergency calls always go out)",
    )
    max_external_calls: StrictInt | None = Field(
        None,
        description="Calls with the carrier up at once, in and out (more get 486); null: no limit",
    )
    toll_fraud: TollFraudIn | None = Field(
        None, description="The toll-fraud guard's limits; null: the platform's (10, 50, 10)"
    )
    pin: list[CategoryName] = Field(
        [],
        max_length=16,
        examples=[["international"]],
        description="Categories called only after the caller keys its voice-portal PIN",
    )


class UserPlanIn(InputModel):
    denied: list[CategoryName] | None = Field(
        None, max_length=16, description="The user's own plan; null: follow the tenant's"
    )
    hide_number: StrictBool = Field(False, description="Hide the number on every outside call")
    reject_anonymous: StrictBool = Field(
        False, description="Refuse calls from outside without a number (433)"
    )
    pin: list[CategoryName] = Field(
        [],
        max_length=16,
        description="The user's own plan's categories called only with its PIN "
        "(with denied null: the tenant's apply)",
    )


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
    return await call(
        plans.set_tenant_plan,
        admin.username,
        tenant,
        body.denied,
        body.max_external_calls,
        body.pin,
        None if body.toll_fraud is None else body.toll_fraud.model_dump(),
    )


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
        plans.set_user_plan,
        admin.username,
        tenant,
        username,
        body.denied,
        body.hide_number,
        body.reject_anonymous,
        body.pin,
    )


TrunkId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class TrunkIn(InputModel):
    name: str = Field(max_length=64, examples=["KPN SIP trunk"])
    host: str = Field(max_length=253, examples=["192.0.2.10"])
    port: StrictInt = 5060
    transport: str = Field("udp", max_length=8, description="udp, tcp or tls")
    priority: StrictInt = Field(10, description="Lowest first; a 503 or 408 tries the next")
    inbound: StrictBool = Field(False, description="Requests from `host` are the carrier's")
    username: str | None = Field(None, max_length=128, description="Digest towards the carrier")
    password: str | None = Field(None, max_length=128, description="Stored, never returned")
    register_expires: StrictInt | None = Field(
        None, description="Register to the carrier for this many seconds (60-86400); null: never"
    )

    def spec(self) -> TrunkSpec:
        return TrunkSpec(**self.model_dump())


@router.post("/{tenant}/trunks", status_code=status.HTTP_201_CREATED)
async def add_trunk(
    tenant: TenantId, body: TrunkIn, admin: Writer, service: Provisioning
) -> TrunkView:
    return await call(Trunks(service.transactions).create, admin.username, tenant, body.spec())


@router.get("/{tenant}/trunks")
async def list_trunks(tenant: TenantId, _: Reader, service: Provisioning) -> list[TrunkView]:
    return await call(Trunks(service.transactions).trunks_of, tenant)


@router.delete("/{tenant}/trunks/{trunk_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_trunk(
    tenant: TenantId, trunk_id: TrunkId, admin: Writer, service: Provisioning
) -> Response:
    await call(Trunks(service.transactions).delete, admin.username, tenant, trunk_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@platform_router.post("", status_code=status.HTTP_201_CREATED)
async def add_platform_trunk(body: TrunkIn, operator: Operator, service: Provisioning) -> TrunkView:
    return await call(Trunks(service.transactions).create, operator.username, None, body.spec())


@platform_router.get("")
async def list_platform_trunks(_: Operator, service: Provisioning) -> list[TrunkView]:
    return await call(Trunks(service.transactions).trunks_of, None)


@platform_router.delete("/{trunk_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_platform_trunk(
    trunk_id: TrunkId, operator: Operator, service: Provisioning
) -> Response:
    await call(Trunks(service.transactions).delete, operator.username, None, trunk_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
