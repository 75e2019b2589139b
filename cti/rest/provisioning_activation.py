"""Activation links (docs/provisioning.md, "Activation links"): a user imported without a web
password sets its own. The admin gets a link per such user from the CSV import's answer, or a
new one here; the user opens it (`/admin/activate.html#tenant=...&token=...`: the token is in
the fragment, which no server or proxy log sees) and the page posts the tenant, the token and
the chosen password to `POST /api/v1/activation`, without a bearer token (outside
`/api/v1/tenants/{tenant}`, whose every route needs one of the tenant's admins or readers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, Field

from cti.rest.deps import Services
from cti.rest.provisioning_access import Provisioning, TenantId, Writer, call
from provisioning.activations import Activation, digest

router = APIRouter()
"""Under provisioning's `/api/v1/tenants` (cti/rest/provisioning.py includes it)."""
public_router = APIRouter(prefix="/api/v1", tags=["provisioning"])
ACTIVATION_PAGE = "/admin/activate.html"


class ActivationOut(BaseModel):
    username: str
    token: str = Field(description="Shown once: only its SHA-256 is stored")
    link: str
    expires_at: datetime


class ActivateIn(BaseModel):
    tenant: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")
    token: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=200)


class ActivatedOut(BaseModel):
    username: str


def activation_out(request: Request, tenant: str, made: Activation) -> ActivationOut:
    fragment = urlencode({"tenant": tenant, "token": made.token})
    link = f"{str(request.base_url).rstrip('/')}{ACTIVATION_PAGE}#{fragment}"
    return ActivationOut(
        username=made.username, token=made.token, link=link, expires_at=made.expires_at
    )


@router.post(
    "/{tenant}/users/{username}/activation",
    status_code=status.HTTP_201_CREATED,
    summary="A new activation link for a user (the old one stops working)",
)
async def new_activation(
    tenant: TenantId,
    username: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    admin: Writer,
    service: Provisioning,
) -> ActivationOut:
    made = await call(service.activations.reissue, admin.username, tenant, username)
    return activation_out(request, tenant, made)


@public_router.post(
    "/activation",
    summary="Set one's own web password with an activation link (no sign-in)",
    responses={
        404: {"description": "No such link, used, expired or another tenant's (`token`)"},
        422: {"description": "The password is refused (`password`, with the reason)"},
        429: {"description": "Too many failed attempts; retry after `Retry-After` seconds"},
    },
)
async def activate(
    body: ActivateIn, request: Request, services: Services, service: Provisioning
) -> ActivatedOut:
    tenant = body.tenant
    # Guessing a 256-bit token is hopeless, but failures count like failed logins all the same:
    # per address, and per token (never per tenant: a stranger's bad guesses must not lock the
    # tenant's users out of their own links).
    address = request.client.host if request.client else "unknown"
    account = f"activation:{digest(body.token)}@{tenant}"
    throttle = services.login_throttle
    wait = await throttle.retry_after(address, account)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            {"field": "token", "reason": "too many failed attempts, try again later"},
            headers={"Retry-After": str(wait)},
        )
    try:
        username = await call(service.activations.activate, tenant, body.token, body.password)
    except HTTPException as refused:
        if refused.status_code == status.HTTP_404_NOT_FOUND:
            await throttle.record_failure(address, account)
        raise
    return ActivatedOut(username=username)
