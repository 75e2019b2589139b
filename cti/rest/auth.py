"""`POST /api/v1/auth/token`: username and password for a signed access token.

Provisioning is the user store (docs/provisioning.md): a bare username is looked up there first,
platform-wide, and a user found there signs in only with its provisioned password. Logins it does
not know (`name@tenant`, the platform operator, and accounts made with `UserDirectory.add_user`)
are checked against provisioning's other accounts (`prov_accounts`, docs/provisioning.md "One
user store").

Failed logins are throttled per client address and per account (cti/login_throttle.py,
docs/cti.md "Auth and tenancy"). `POST /api/v1/auth/revoke` ends sessions: the caller's own
everywhere, or (an admin, the operator) another user's (cti/token_revocation.py).
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.passwords import needs_rehash, verify_password
from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.provisioning_access import Provisioning
from cti.services import CtiServices
from provisioning.errors import NotFound
from provisioning.service import ProvisioningService
from provisioning.users import UserRole
from provisioning.views import Account

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

ROLE_PRECEDENCE = (UserRole.ADMIN, UserRole.SUPERVISOR, UserRole.AGENT)
"""A token carries one role: the widest the user holds (an admin acts on its whole tenant)."""


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200, description="`name` or `name@tenant`")
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


def principal_of(account: Account) -> Principal:
    role = next(r for r in ROLE_PRECEDENCE if r in account.roles)
    return Principal(
        tenant=account.tenant,
        username=account.username,
        role=Role(role.value),
        extension=account.extension,
        call_centers=account.call_centers,
    )


def authenticate(
    services: CtiServices, provisioning: ProvisioningService, login: str, password: str
) -> Principal | None:
    tenant, name = services.split_login(login)
    if name == login:  # a bare name: provisioning's usernames are platform-wide
        try:
            cost = services.settings.password_cost  # what new hashes get here
            outdated = partial(needs_rehash, cost=cost)
            account = provisioning.sign_in(name, password, verify_password, outdated)
        except NotFound:
            pass  # no tenant's user: an operator or a service account may be
        else:
            return None if account is None else principal_of(account)
    return services.users.authenticate(tenant, name, password)


@router.post(
    "/token",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many failed logins; retry after `Retry-After` seconds"},
    },
)
async def issue_token(
    body: LoginRequest, request: Request, services: Services, provisioning: Provisioning
) -> TokenResponse:
    # Behind a reverse proxy this is the forwarded address when uvicorn trusts the proxy
    # (`--forwarded-allow-ips`); otherwise every client would share the proxy's counter.
    address = request.client.host if request.client else "unknown"
    tenant, name = services.split_login(body.username)
    account = f"{name}@{tenant}"  # `admin` and `admin@demo` are one account: one counter
    throttle = services.login_throttle
    wait = await throttle.retry_after(address, account)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins, try again later",
            headers={"Retry-After": str(wait)},
        )
    principal = await run_in_threadpool(
        authenticate, services, provisioning, body.username, body.password
    )
    if principal is None:
        await throttle.record_failure(address, account)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    generation = await services.token_generations.current(principal.tenant, principal.username)
    return TokenResponse(
        access_token=services.signer.issue(principal, generation),
        expires_in=int(services.signer.ttl_seconds),
    )


class RevokeRequest(BaseModel):
    username: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Whose sessions to end (an admin: a user of its tenant; the operator: "
        "`name@tenant`); omitted: the caller's own",
    )


class RevokeResponse(BaseModel):
    tenant: str
    username: str


@router.post(
    "/revoke",
    responses={
        401: {"description": "No valid token"},
        403: {"description": "Another user's sessions, and the caller is no admin of its tenant"},
    },
)
async def revoke_tokens(
    principal: CurrentPrincipal, services: Services, body: RevokeRequest | None = None
) -> RevokeResponse:
    """Sign out everywhere: every access token issued so far to the user stops working, and its
    open websockets and SSE streams close (4401 / an `UNAUTHENTICATED` error) within
    `stream_recheck_seconds`. API tokens are revoked through `/api/v1/api-tokens`."""
    if principal.role is Role.API:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "API tokens are revoked, not signed out")
    tenant, username = principal.tenant, principal.username
    if body is not None and body.username is not None:
        tenant, username = services.split_login(body.username)
        if principal.role is not Role.OPERATOR:
            if principal.role is not Role.ADMIN:
                refusal = "only an admin ends another user's sessions"
                raise HTTPException(status.HTTP_403_FORBIDDEN, refusal)
            tenant = principal.tenant  # an admin names users of its own tenant only
    await services.token_generations.revoke(tenant, username)
    return RevokeResponse(tenant=tenant, username=username)
