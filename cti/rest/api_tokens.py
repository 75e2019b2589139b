"""API tokens for CRM plugins: an admin creates, lists and revokes them within its tenant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.rest.deps import Admin, Services
from provisioning.accounts import ApiTokenInfo

router = APIRouter(prefix="/api/v1/api-tokens", tags=["api tokens"])

_admin_only: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not an admin"},
}


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="What the token is for")


class ApiTokenOut(BaseModel):
    id: int
    name: str
    created_by: str
    created_at: float
    revoked: bool

    @classmethod
    def of(cls, info: ApiTokenInfo) -> ApiTokenOut:
        return cls(
            id=info.id,
            name=info.name,
            created_by=info.created_by,
            created_at=info.created_at,
            revoked=info.revoked,
        )


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="Shown once; store it in the CRM plugin's settings")


@router.post("", status_code=status.HTTP_201_CREATED, responses=_admin_only)
async def create_api_token(
    body: ApiTokenCreate, admin: Admin, services: Services
) -> ApiTokenCreated:
    created = await run_in_threadpool(
        services.users.create_api_token, admin.tenant, body.name, admin.username
    )
    return ApiTokenCreated(**ApiTokenOut.of(created.info).model_dump(), token=created.token)


@router.get("", responses=_admin_only)
async def list_api_tokens(admin: Admin, services: Services) -> list[ApiTokenOut]:
    tokens = await run_in_threadpool(services.users.list_api_tokens, admin.tenant)
    return [ApiTokenOut.of(t) for t in tokens]


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_admin_only, 404: {"description": "No such active token in this tenant"}},
)
async def revoke_api_token(token_id: int, admin: Admin, services: Services) -> None:
    if not 0 < token_id < 2**63:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such API token")
    revoked = await run_in_threadpool(services.users.revoke_api_token, admin.tenant, token_id)
    if not revoked:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such API token")
