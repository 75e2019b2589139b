"""Each user's intercom (PushToTalk) choice over REST (docs/phone-features.md, "Intercom"):
the user's own `GET`/`PUT /api/v1/me/intercom`, the admin's `GET`/`PUT
/api/v1/tenants/{tenant}/intercom/{extension}` (reading: operator, admin, supervisors; writing:
operator and admin; another tenant's routes 403). A listed colleague must be a user of the same
tenant (404 `allowed`). `barge_in_exempt` rides along: it too is what colleagues' calls may do
to your phone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from cti.principal import Principal
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from provisioning.intercom_store import MAX_ALLOWED, IntercomChoice, IntercomService

router = APIRouter(tags=["intercom"], responses=ERRORS)

ME = "/api/v1/me/intercom"
USERS = "/api/v1/tenants/{tenant}/intercom/{extension}"
Extension = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[0-9]+$")]


class IntercomIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    accept: bool = Field(description="Accept intercom calls (auto-answered) at all")
    allowed: list[Annotated[str, Field(pattern=r"^[0-9]{2,8}$")]] = Field(
        default_factory=list,
        max_length=MAX_ALLOWED,
        description="Not empty: only these colleagues' intercom calls are accepted",
    )
    barge_in_exempt: bool = Field(
        False, description="Nobody barges in on your calls (`*33`; needs BargeinExempt)"
    )


class IntercomOut(BaseModel):
    extension: str
    accept: bool
    allowed: list[str]
    barge_in_exempt: bool

    @classmethod
    def of(cls, choice: IntercomChoice) -> IntercomOut:
        return cls(
            extension=choice.extension,
            accept=choice.accept,
            allowed=list(choice.allowed),
            barge_in_exempt=choice.barge_in_exempt,
        )


def get_service(request: Request, provisioning: Provisioning) -> IntercomService:
    """The product's service (whose changes the PBX hears), or one on the database."""
    wired: IntercomService | None = getattr(request.app.state, "intercom", None)
    return wired if wired is not None else IntercomService(provisioning.engine)


Service = Annotated[IntercomService, Depends(get_service)]


def _me(principal: Principal) -> str:
    if principal.extension is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, {"field": "role", "reason": "only a user has a phone"}
        )
    return principal.extension


@router.get(ME, summary="Your intercom choice")
async def my_intercom(principal: CurrentPrincipal, service: Service) -> IntercomOut:
    return IntercomOut.of(await call(service.choice, principal.tenant, _me(principal)))


@router.put(ME, summary="Accept intercom calls or not, optionally only from listed colleagues")
async def set_my_intercom(
    body: IntercomIn, principal: CurrentPrincipal, service: Service
) -> IntercomOut:
    choice = await call(service.set, principal.username, principal.tenant, _me(principal),
                        body.accept, body.allowed, body.barge_in_exempt)  # fmt: skip
    return IntercomOut.of(choice)


@router.get(USERS, summary="A user's intercom choice")
async def user_intercom(
    tenant: TenantId, extension: Extension, _: Reader, service: Service
) -> IntercomOut:
    return IntercomOut.of(await call(service.choice, tenant, extension))


@router.put(USERS, summary="Set a user's intercom choice")
async def set_user_intercom(
    tenant: TenantId, extension: Extension, body: IntercomIn, admin: Writer, service: Service
) -> IntercomOut:
    choice = await call(service.set, admin.username, tenant, extension, body.accept,
                        body.allowed, body.barge_in_exempt)  # fmt: skip
    return IntercomOut.of(choice)
