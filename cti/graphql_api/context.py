"""Per-request GraphQL context: the app's services and the caller's identity.

Over HTTP the identity comes from the `Authorization` header; over a websocket from the
`connection_init` payload (`{"Authorization": "Bearer ..."}`), which strawberry stores in
`connection_params` after the context is built, so it is resolved lazily and cached.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from cti.control import CallCenterControl
from cti.graphql_api.errors import Refused, Unauthenticated
from cti.principal import Principal
from cti.services import CtiServices
from cti.tokens import InvalidToken


class CtiContext(BaseContext):
    def __init__(self, services: CtiServices, authorization: str | None) -> None:
        super().__init__()
        self.services = services
        self._authorization = authorization
        self._principal: Principal | None = None

    def authorization(self) -> str | None:
        params: Any = self.connection_params
        if isinstance(params, dict):
            for key, value in params.items():
                if str(key).lower() == "authorization" and isinstance(value, str):
                    return value
        return self._authorization

    def control(self) -> CallCenterControl:
        control = self.services.control_impl
        if control is None:
            raise Refused("call control is not available", "control_unavailable")
        return control

    async def principal(self) -> Principal:
        if self._principal is None:
            try:
                self._principal = await self.services.principal_for_authorization(
                    self.authorization()
                )
            except InvalidToken as error:
                raise Unauthenticated(str(error)) from error
        return self._principal

    @contextlib.asynccontextmanager
    async def connection_slot(self) -> AsyncIterator[None]:
        """One of the principal's open-connection slots while the block runs (a websocket or an
        SSE stream; raises TooManyConnections). Without a valid token it holds none: the
        operation itself then reports the error."""
        try:
            principal = await self.principal()
        except Unauthenticated:
            yield
            return
        async with self.services.connection_slots.hold(principal):
            yield


async def get_context(connection: HTTPConnection) -> CtiContext:
    return CtiContext(connection.app.state.services, connection.headers.get("authorization"))


CtiInfo = Info[CtiContext, None]


async def principal_of(info: CtiInfo) -> Principal:
    return await info.context.principal()
