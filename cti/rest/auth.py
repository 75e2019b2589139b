"""`POST /api/v1/auth/token`: username and password for a signed access token."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.rest.deps import Services

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200, description="`name` or `name@tenant`")
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


@router.post(
    "/token",
    responses={401: {"description": "Wrong username or password"}},
)
async def issue_token(body: LoginRequest, services: Services) -> TokenResponse:
    tenant, name = services.split_login(body.username)
    principal = await run_in_threadpool(services.users.authenticate, tenant, name, body.password)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    return TokenResponse(
        access_token=services.signer.issue(principal),
        expires_in=int(services.signer.ttl_seconds),
    )
