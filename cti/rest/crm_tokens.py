"""Per-user CRM adapter tokens (cti/crm_user_tokens.py): a user makes, lists and revokes its own
under `/api/v1/me/crm-tokens`; an admin makes one for a user of its tenant (bound to that user's
provisioned extension), and lists and revokes any of its tenant's, under `/api/v1/crm-tokens`.

Only a signed-in user (a JWT) with an extension may make one: an API token or a CRM token itself
is no user, and a token without an extension could dial from nowhere.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from cti.crm_user_tokens import (
    DEFAULT_TTL_DAYS,
    MAX_TTL_DAYS,
    CrmUserToken,
    CrmUserTokens,
    TooManyTokens,
)
from cti.principal import Principal, Role
from cti.rest.deps import Admin, CurrentPrincipal, Services
from cti.rest.provisioning_access import Provisioning, call
from cti.services import CtiServices

DAY_SECONDS = 86_400

me_router = APIRouter(prefix="/api/v1/me/crm-tokens", tags=["crm adapter tokens"])
admin_router = APIRouter(prefix="/api/v1/crm-tokens", tags=["crm adapter tokens"])

_signed_in: dict[int | str, dict[str, Any]] = {401: {"description": "Not signed in"}}
_admin_only: dict[int | str, dict[str, Any]] = {
    **_signed_in,
    403: {"description": "Not an admin"},
}
_not_found: dict[int | str, dict[str, Any]] = {404: {"description": "No such token"}}


class CrmTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="Where it is used: 'Salesforce'")
    ttl_days: int = Field(DEFAULT_TTL_DAYS, ge=1, le=MAX_TTL_DAYS, description="Days it lives")


class CrmTokenForUser(CrmTokenCreate):
    username: str = Field(min_length=1, max_length=128, description="A user of your tenant")


class CrmTokenOut(BaseModel):
    id: int
    username: str
    extension: str
    name: str
    created_by: str
    created_at: float
    expires_at: float

    @classmethod
    def of(cls, info: CrmUserToken) -> CrmTokenOut:
        return cls(
            id=info.id,
            username=info.username,
            extension=info.extension,
            name=info.name,
            created_by=info.created_by,
            created_at=info.created_at,
            expires_at=info.expires_at,
        )


class CrmTokenCreated(CrmTokenOut):
    token: str = Field(description="Shown once; paste it into the CRM softphone panel")


def _tokens(services: CtiServices) -> CrmUserTokens:
    return CrmUserTokens(services.redis, services.settings.key_prefix)


async def _create(
    services: CtiServices,
    tenant: str,
    username: str,
    extension: str,
    body: CrmTokenCreate,
    by: Principal,
) -> CrmTokenCreated:
    try:
        created = await _tokens(services).create(
            tenant,
            username,
            extension,
            body.name,
            created_by=by.username,
            now=services.settings.clock(),
            ttl_seconds=body.ttl_days * DAY_SECONDS,
        )
    except TooManyTokens as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return CrmTokenCreated(**CrmTokenOut.of(created.info).model_dump(), token=created.token)


def _token_id(token_id: int) -> int:
    if not 0 < token_id < 2**63:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such CRM token")
    return token_id


def _owner(principal: Principal) -> str:
    """The extension a token of `principal` will dial from; 403 when it may have none."""
    if principal.role in (Role.API, Role.OPERATOR) or principal.api_token_id is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a signed-in user makes CRM tokens")
    if not principal.extension:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your account has no extension")
    return principal.extension


@me_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_signed_in,
        403: {"description": "No extension, or not a user"},
        409: {"description": "The user holds the most tokens it may"},
    },
)
async def create_my_crm_token(
    body: CrmTokenCreate, principal: CurrentPrincipal, services: Services
) -> CrmTokenCreated:
    extension = _owner(principal)
    return await _create(services, principal.tenant, principal.username, extension, body, principal)


@me_router.get("", responses=_signed_in)
async def list_my_crm_tokens(principal: CurrentPrincipal, services: Services) -> list[CrmTokenOut]:
    tokens = await _tokens(services).list(principal.tenant, principal.username)
    return [CrmTokenOut.of(t) for t in tokens]


@me_router.delete(
    "/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**_signed_in, **_not_found}
)
async def revoke_my_crm_token(
    token_id: int, principal: CurrentPrincipal, services: Services
) -> None:
    revoked = await _tokens(services).revoke(
        principal.tenant, _token_id(token_id), principal.username
    )
    if not revoked:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such CRM token")


@admin_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_admin_only,
        403: {"description": "Not an admin, or the user has no extension"},
        404: {"description": "No such user in your tenant"},
        409: {"description": "The user holds the most tokens it may"},
    },
)
async def create_crm_token_for_user(
    body: CrmTokenForUser, admin: Admin, services: Services, provisioning: Provisioning
) -> CrmTokenCreated:
    """A token for one of the tenant's users (say, set up before its first day); it dials from
    that user's extension and, like the user's own, ends with the user's sessions."""
    user = await call(provisioning.user, admin.tenant, body.username)  # 404 when none
    if not user.extension:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "that user has no extension")
    return await _create(services, admin.tenant, user.username, user.extension, body, admin)


@admin_router.get("", responses=_admin_only)
async def list_crm_tokens(admin: Admin, services: Services) -> list[CrmTokenOut]:
    return [CrmTokenOut.of(t) for t in await _tokens(services).list(admin.tenant)]


@admin_router.delete(
    "/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**_admin_only, **_not_found}
)
async def revoke_crm_token(token_id: int, admin: Admin, services: Services) -> None:
    if not await _tokens(services).revoke(admin.tenant, _token_id(token_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such CRM token")
