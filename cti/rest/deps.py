"""FastAPI dependencies: the app's services and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cti.principal import Principal, Role
from cti.services import CtiServices
from cti.tokens import InvalidToken

_bearer = HTTPBearer(auto_error=False, description="An access token or an API token")


def get_services(request: Request) -> CtiServices:
    services: CtiServices = request.app.state.services
    return services


Services = Annotated[CtiServices, Depends(get_services)]


async def get_principal(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    unauthorized = status.HTTP_401_UNAUTHORIZED
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(unauthorized, "missing bearer token", headers=challenge)
    try:
        return await services.principal_for_token(credentials.credentials)
    except InvalidToken as error:
        raise HTTPException(unauthorized, str(error), headers=challenge) from error


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: CurrentPrincipal) -> Principal:
    if principal.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return principal


Admin = Annotated[Principal, Depends(require_admin)]
