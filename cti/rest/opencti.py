"""The Open CTI adapter's API (`/api/v1/opencti/...`), for per-user CRM tokens only.

What a Salesforce user's softphone panel may do, and all it may do: dial from the extension its
token is bound to (`POST /dial`, no extension in the request), look a caller up for the screen
pop (`GET /screen-pop`), and follow that extension's own call and state events (`GET /events`,
Server-Sent Events read with `fetch`, so the token travels in the Authorization header). Anything
else — reports, other agents, provisioning, GraphQL — refuses the token (cti/crm_user_tokens.py);
and these endpoints refuse every other token, a tenant-wide API token included, so no such token
ever needs to be in a browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from cti.connection_slots import TooManyConnections
from cti.control import UNAVAILABLE, ControlError
from cti.crm_user_tokens import CrmUserToken, CrmUserTokens, is_crm_user_token
from cti.principal import Principal, Role
from cti.rest.deps import Services
from cti.rest.screen_pop import ScreenPopResult, screen_pop_result
from cti.services import CtiServices
from cti.stream_expiry import MIN_WAIT_SECONDS, TokenEnded, until_token_ends
from queueing.events import DomainEvent

router = APIRouter(prefix="/api/v1/opencti", tags=["crm adapter"])

_bearer = HTTPBearer(auto_error=False, description="A per-user CRM token (occrm_...)")
_unauthorized: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not a live per-user CRM token"}
}


async def crm_user(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CrmUserToken:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", challenge)
    token = credentials.credentials.strip()
    if not is_crm_user_token(token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the adapter takes a per-user CRM token (POST /api/v1/me/crm-tokens)",
            challenge,
        )
    info = await _tokens(services).verify(token, services.settings.clock())
    if info is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "CRM token expired or revoked", challenge)
    return info


CrmUser = Annotated[CrmUserToken, Depends(crm_user)]


def _tokens(services: CtiServices) -> CrmUserTokens:
    return CrmUserTokens(services.redis, services.settings.key_prefix)


class Me(BaseModel):
    username: str
    extension: str
    expires_at: float


@router.get("/me", responses=_unauthorized)
async def me(user: CrmUser) -> Me:
    """Whose panel this is: the page shows the extension it dials from."""
    return Me(username=user.username, extension=user.extension, expires_at=user.expires_at)


class Dial(BaseModel):
    # No `extension`: the token names it. Sending one is an attempt to dial from another's.
    model_config = ConfigDict(extra="forbid")

    destination: str = Field(
        pattern=r"^\+?[0-9*#]{2,20}$", description="Number to call once the agent answers"
    )


class Dialled(BaseModel):
    call_id: str
    extension: str


@router.post(
    "/dial",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **_unauthorized,
        409: {"description": "The PBX refused the call"},
        503: {"description": "Call control unavailable"},
    },
)
async def dial(body: Dial, user: CrmUser, services: Services) -> Dialled:
    """Click-to-dial: rings the token's own extension, then calls `destination`."""
    try:
        call_id = await services.control.click_to_dial(
            user.tenant, user.extension, body.destination
        )
    except ControlError as error:
        code = (
            status.HTTP_503_SERVICE_UNAVAILABLE
            if error.code in UNAVAILABLE
            else status.HTTP_409_CONFLICT
        )
        raise HTTPException(code, error.message) from error
    return Dialled(call_id=call_id, extension=user.extension)


@router.get("/screen-pop", responses=_unauthorized)
async def screen_pop(
    number: Annotated[str, Query(pattern=r"^\+?[0-9 ()\-.]{2,32}$")],
    user: CrmUser,
    services: Services,
) -> ScreenPopResult:
    return await screen_pop_result(services, user.tenant, user.username, number)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _event(event: DomainEvent) -> dict[str, Any]:
    return {
        "type": event.type.value,
        "callId": event.call_id,
        "callCenterId": event.call_center_id,
        "caller": event.caller,
        "agent": event.agent,
    }


async def _until_invalid(services: CtiServices, token: str) -> str:
    """Returns once the token is expired or revoked (re-checked at its expiry and at least
    every `stream_recheck_seconds`), like cti/stream_expiry.py's `watch_token` for JWTs."""
    tokens = _tokens(services)
    while True:
        now = services.settings.clock()
        info = await tokens.verify(token, now)
        if info is None:
            return "CRM token expired or revoked"
        wait = min(services.settings.stream_recheck_seconds, info.expires_at - now)
        await asyncio.sleep(max(wait, MIN_WAIT_SECONDS))


@router.get("/events", response_class=StreamingResponse, responses=_unauthorized)
async def events(
    user: CrmUser,
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StreamingResponse:
    """Server-Sent Events: `event: call` for each event of the token's own extension (offered,
    answered, ended, its state); `event: end` when the token expires or is revoked, or when the
    user already has all its connections open."""
    assert credentials is not None  # crm_user refused a request without one
    token = credentials.credentials.strip()
    # The user's own connection budget: its agent client and its CRM panels share it.
    holder = Principal(user.tenant, user.username, Role.AGENT, extension=user.extension)

    def mine(event: DomainEvent) -> bool:
        return event.agent == user.extension

    async def stream() -> AsyncIterator[bytes]:
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(services.connection_slots.hold(holder))
            except TooManyConnections as error:
                yield _sse("end", {"reason": str(error)})
                return
            watcher = asyncio.ensure_future(_until_invalid(services, token))
            stack.callback(watcher.cancel)
            followed = services.fanout.subscribe(
                user.tenant, accepts=mine, queue_size=services.settings.subscriber_queue_size
            )
            stack.push_async_callback(followed.aclose)  # type: ignore[attr-defined]
            yield _sse("ready", {"extension": user.extension})
            try:
                async for event in until_token_ends(followed, watcher):
                    yield _sse("call", _event(event))
            except TokenEnded as ended:
                yield _sse("end", {"reason": str(ended)})

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
