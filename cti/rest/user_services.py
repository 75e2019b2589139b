"""A user's call services over REST: the admin's `/api/v1/tenants/{tenant}/users/{username}/
services` and the signed-in user's own `/api/v1/me/services` (the agent client's settings
panel). GET reads; PATCH is a JSON merge patch (null switches a forward off), one transaction,
audit-logged, applied by the PBX at once. A setting the user's profile does not include is
refused with 422 naming the field and the profile.
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cti.principal import Principal, Role
from cti.provisioning_relay import USER_SERVICES, publish_changes
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning import Username
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.users import make_engine
from provisioning.profiles import FEATURES, Profile
from provisioning.user_services import FEATURE_OF_FIELD
from provisioning.user_services_store import UserServicesService, UserServicesView

router = APIRouter(tags=["user services"], responses=ERRORS)

Destination = Annotated[str | None, Field(max_length=16, description="null: off")]
Extension = Annotated[str, Field(max_length=8)]


def _whole_number(value: object) -> object:
    """JSON Schema's `integer` includes `20.0`: take it as 20. Anything else goes on to the
    strict check unchanged (20.5 and "20" are still refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Seconds = Annotated[Annotated[int, Field(ge=5, le=120)] | None, BeforeValidator(_whole_number)]


class ServicesPatchIn(BaseModel):
    """Only the settings to change (RFC 7386: null switches a forward off)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    forward_always: Destination = None
    forward_busy: Destination = None
    forward_no_answer: Destination = None
    no_answer_seconds: Seconds = None
    forward_not_reachable: Destination = None
    do_not_disturb: bool | None = None
    call_waiting: bool | None = None
    privacy: bool | None = None
    privacy_permitted: Annotated[list[Extension], Field(max_length=50)] | None = None


class ServicesOut(BaseModel):
    username: str
    extension: str
    profile: Profile
    forward_always: str | None
    forward_busy: str | None
    forward_no_answer: str | None
    no_answer_seconds: int
    forward_not_reachable: str | None
    do_not_disturb: bool
    call_waiting: bool
    privacy: bool = Field(description="Left out of colleagues' directory search and BLF")
    privacy_permitted: list[str] = Field(description="The colleagues who still see you")
    included: list[str] = Field(description="The settings the user's profile lets them switch on")

    @classmethod
    def of(cls, view: UserServicesView) -> ServicesOut:
        included = [name for name, f in FEATURE_OF_FIELD.items() if f in FEATURES[view.profile]]
        return cls(
            username=view.username,
            extension=view.extension,
            profile=view.profile,
            included=included,
            **view.services.as_json(),
        )


_making = threading.Lock()


def get_user_services(request: Request, provisioning: Provisioning) -> UserServicesService:
    """The product's service (app.state.user_services, whose changes the PBX hears), or, for a
    web process of its own, one on the provisioning database (migrated by then)."""
    state = request.app.state
    with _making:
        if getattr(state, "user_services", None) is None:
            settings = state.services.settings
            engine = make_engine(settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            made = UserServicesService(engine)
            url, prefix = settings.redis_url, settings.key_prefix
            publish_changes(url, prefix, USER_SERVICES, made.transactions, request.app)
            state.user_services = made
    service: UserServicesService = state.user_services
    return service


Services = Annotated[UserServicesService, Depends(get_user_services)]
SERVICES = "/api/v1/tenants/{tenant}/users/{username}/services"


def own_user(principal: Principal) -> Principal:
    if principal.role in (Role.API, Role.OPERATOR):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, {"field": "role", "reason": "only a user has services"}
        )
    return principal


@router.get(SERVICES, summary="A user's forwarding and do-not-disturb")
async def get_services(
    tenant: TenantId, username: Username, _: Reader, services: Services
) -> ServicesOut:
    return ServicesOut.of(await call(services.get, tenant, username))


@router.patch(SERVICES, summary="Change a user's forwarding and do-not-disturb")
async def patch_services(
    tenant: TenantId, username: Username, body: ServicesPatchIn, admin: Writer, services: Services
) -> ServicesOut:
    patch = body.model_dump(exclude_unset=True)
    return ServicesOut.of(await call(services.change, admin.username, tenant, username, patch))


@router.get("/api/v1/me/services", summary="Your own forwarding and do-not-disturb")
async def get_my_services(principal: CurrentPrincipal, services: Services) -> ServicesOut:
    me = own_user(principal)
    return ServicesOut.of(await call(services.get, me.tenant, me.username))


@router.patch("/api/v1/me/services", summary="Change your own forwarding and do-not-disturb")
async def patch_my_services(
    body: ServicesPatchIn, principal: CurrentPrincipal, services: Services
) -> ServicesOut:
    me = own_user(principal)
    patch = body.model_dump(exclude_unset=True)
    return ServicesOut.of(await call(services.change, me.username, me.tenant, me.username, patch))
