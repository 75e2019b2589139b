"""A user's selective services over REST (docs/phone-features.md, "Selective services"): the
admin's `/api/v1/tenants/{tenant}/users/{username}/services/selective[/{kind}]` and the user's
own `/api/v1/me/services/selective[/{kind}]`, kind one of `forwarding`, `rejection`,
`acceptance`, `notify`. GET reads; PUT replaces that service's settings (its rules, plus
`default_number` for forwarding and `address` for notify) in one audited transaction, applied by
the PBX on the next call. Refusals are 422 naming the field (`rules[0].numbers[3]`), the profile
for a service it lacks, 404 for a user of another tenant.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning import Username
from cti.rest.provisioning_access import ERRORS, Reader, TenantId, Writer, call
from cti.rest.user_services import SERVICES, Services, own_user
from provisioning.profiles import FEATURES, Profile
from provisioning.selective import (
    FEATURE_OF_KIND,
    MAX_NUMBERS,
    MAX_RULES,
    RULE_NAME_MAX,
    SelectiveKind,
    service_json,
)
from provisioning.user_services_store import UserServicesView

router = APIRouter(tags=["user services"], responses=ERRORS)

Number = Annotated[str, Field(max_length=16, description="2-15 digits, may start with +")]


class RuleIn(BaseModel):
    """One criteria entry: when (schedule, holidays) and for whom (callers) a service acts."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=RULE_NAME_MAX)
    active: bool = True
    numbers: list[Number] = Field(
        default_factory=list, max_length=MAX_NUMBERS, description="Callers' numbers"
    )
    any_private: bool = Field(False, description="Any caller who hides its number")
    any_unavailable: bool = Field(False, description="Any caller without a number")
    schedule: str | None = Field(None, description="A weekly schedule of the tenant, by name")
    holidays: str | None = Field(None, description="A holiday calendar of the tenant, by name")
    forward_to: Number | None = Field(None, description="Forwarding only (null: the default)")


class SelectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    rules: list[RuleIn] = Field(max_length=MAX_RULES)
    default_number: Number | None = Field(None, description="Forwarding only")
    address: str | None = Field(None, max_length=254, description="Notify only: mailed to")


class SelectiveOut(BaseModel):
    kind: SelectiveKind
    feature: str = Field(description="The chapter-7 feature the service needs")
    included: bool = Field(description="The user's profile includes the feature")
    rules: list[dict[str, Any]]
    default_number: str | None = Field(None, description="Forwarding only")
    address: str | None = Field(None, description="Notify only")

    @classmethod
    def of(cls, view: UserServicesView, kind: SelectiveKind) -> SelectiveOut:
        feature = FEATURE_OF_KIND[kind]
        return cls(
            kind=kind,
            feature=feature,
            included=feature in FEATURES[view.profile],
            **service_json(kind, view.services.selective.of(kind)),
        )


class AllSelectiveOut(BaseModel):
    username: str
    extension: str
    profile: Profile
    services: list[SelectiveOut]

    @classmethod
    def of(cls, view: UserServicesView) -> AllSelectiveOut:
        return cls(
            username=view.username,
            extension=view.extension,
            profile=view.profile,
            services=[SelectiveOut.of(view, kind) for kind in SelectiveKind],
        )


SELECTIVE = f"{SERVICES}/selective"
MINE = "/api/v1/me/services/selective"


@router.get(SELECTIVE, summary="A user's selective services")
async def get_selective(
    tenant: TenantId, username: Username, _: Reader, services: Services
) -> AllSelectiveOut:
    return AllSelectiveOut.of(await call(services.get, tenant, username))


@router.get(SELECTIVE + "/{kind}", summary="One selective service of a user")
async def get_selective_kind(
    tenant: TenantId, username: Username, kind: SelectiveKind, _: Reader, services: Services
) -> SelectiveOut:
    return SelectiveOut.of(await call(services.get, tenant, username), kind)


@router.put(SELECTIVE + "/{kind}", summary="Replace one selective service of a user")
async def put_selective_kind(
    tenant: TenantId,
    username: Username,
    kind: SelectiveKind,
    body: SelectiveIn,
    admin: Writer,
    services: Services,
) -> SelectiveOut:
    data = body.model_dump(exclude_unset=True)
    view = await call(services.change_selective, admin.username, tenant, username, kind, data)
    return SelectiveOut.of(view, kind)


@router.get(MINE, summary="Your own selective services")
async def get_my_selective(principal: CurrentPrincipal, services: Services) -> AllSelectiveOut:
    me = own_user(principal)
    return AllSelectiveOut.of(await call(services.get, me.tenant, me.username))


@router.get(MINE + "/{kind}", summary="One of your selective services")
async def get_my_selective_kind(
    kind: SelectiveKind, principal: CurrentPrincipal, services: Services
) -> SelectiveOut:
    me = own_user(principal)
    return SelectiveOut.of(await call(services.get, me.tenant, me.username), kind)


@router.put(MINE + "/{kind}", summary="Replace one of your selective services")
async def put_my_selective_kind(
    kind: SelectiveKind, body: SelectiveIn, principal: CurrentPrincipal, services: Services
) -> SelectiveOut:
    me = own_user(principal)
    data = body.model_dump(exclude_unset=True)
    view = await call(services.change_selective, me.username, me.tenant, me.username, kind, data)
    return SelectiveOut.of(view, kind)
