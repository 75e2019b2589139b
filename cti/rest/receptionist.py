"""`/api/v1/receptionist`: the receptionist console's API (docs/receptionist.md). Every route
acts for the signed-in user, in its own tenant, and needs a receptionist licence; the live
stream is Server-Sent Events (`text/event-stream`) read with `fetch`, so the token travels in the
Authorization header as everywhere else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from cti.principal import Principal
from cti.receptionist import TIER_LIMITS, TIER_NAMES, ConsoleError, ReceptionistConsole
from cti.rest.deps import CurrentPrincipal

KEEPALIVE_SECONDS = 15.0

router = APIRouter(
    prefix="/api/v1/receptionist",
    tags=["receptionist"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "No receptionist licence, or beyond the licence's tier"},
        503: {"description": "The console's backend is not running"},
    },
)

EXTENSION = r"^[0-9]{2,8}$"


class Monitored(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extensions: list[Annotated[str, Field(pattern=EXTENSION)]] = Field(max_length=1000)


class TransferTo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str = Field(pattern=r"^\+?[0-9]{2,20}$", description="An extension or a number")


def _console(request: Request) -> ReceptionistConsole:
    console: ReceptionistConsole | None = getattr(request.app.state, "receptionist", None)
    if console is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the console is not running")
    return console


Console = Annotated[ReceptionistConsole, Depends(_console)]


def _refused(error: ConsoleError) -> HTTPException:
    return HTTPException(error.status, {"code": error.code, "message": error.message})


def _extension(principal: CurrentPrincipal) -> str:
    if principal.extension is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the console belongs to a user's phone")
    return principal.extension


@router.get("")
async def console_state(principal: CurrentPrincipal, console: Console) -> dict[str, Any]:
    """The licence's tier and limit, the receptionist's own phone (`own`) and the monitored
    colleagues' tiles."""
    extension = _extension(principal)
    try:
        tier = await console.tier(principal.tenant, principal.username)
    except ConsoleError as error:
        raise _refused(error) from error
    monitored = await console.monitored(principal.tenant, principal.username)
    return {
        "extension": extension,
        "tier": tier,
        "tierName": TIER_NAMES[tier],
        "limit": TIER_LIMITS[tier],
        "own": console.tile(principal.tenant, extension).as_json(),
        "tiles": [console.tile(principal.tenant, e).as_json() for e in monitored],
    }


@router.put("/monitored", responses={422: {"description": "An unknown extension"}})
async def set_monitored(
    body: Monitored, principal: CurrentPrincipal, console: Console
) -> dict[str, Any]:
    """Replace the monitored users; more than the tier allows is refused naming the tier."""
    _extension(principal)
    try:
        kept = await console.set_monitored(principal.tenant, principal.username, body.extensions)
    except ConsoleError as error:
        raise _refused(error) from error
    return {"tiles": [console.tile(principal.tenant, e).as_json() for e in kept]}


@router.get("/directory")
async def directory(
    principal: CurrentPrincipal,
    console: Console,
    q: Annotated[str, Query(max_length=64)] = "",
) -> dict[str, Any]:
    """The company directory (name or extension contains `q`), each with its live state."""
    _extension(principal)
    try:
        await console.tier(principal.tenant, principal.username)
    except ConsoleError as error:
        raise _refused(error) from error
    return {"users": [t.as_json() for t in console.directory(principal.tenant, q)]}


@router.post(
    "/transfer",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "No incoming call on the receptionist's phone"}},
)
async def transfer(
    body: TransferTo, principal: CurrentPrincipal, console: Console
) -> dict[str, str]:
    """Blind transfer of the call on the receptionist's phone (answered, else ringing)."""
    return await _on_own_phone(
        principal, console, lambda ext: console.transfer(principal.tenant, ext, body.target)
    )


@router.post(
    "/voicemail",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        409: {"description": "No ringing call on the receptionist's phone"},
        422: {"description": "An unknown extension"},
    },
)
async def to_voicemail(
    body: TransferTo, principal: CurrentPrincipal, console: Console
) -> dict[str, str]:
    """The call ringing at the receptionist's phone into a colleague's voicemail box."""
    return await _on_own_phone(
        principal, console, lambda ext: console.to_voicemail(principal.tenant, ext, body.target)
    )


@router.post(
    "/answer",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "No call ringing at the receptionist's phone"}},
)
async def answer(principal: CurrentPrincipal, console: Console) -> dict[str, str]:
    """Answer the call ringing at the receptionist's phone (the phone answers by itself)."""
    return await _on_own_phone(
        principal, console, lambda ext: console.answer(principal.tenant, ext)
    )


async def _on_own_phone(
    principal: Principal, console: ReceptionistConsole, act: Callable[[str], str]
) -> dict[str, str]:
    """`act(extension)` on the receptionist's own phone's call, within its licence; its call id."""
    extension = _extension(principal)
    try:
        await console.tier(principal.tenant, principal.username)
        call_id = act(extension)
    except ConsoleError as error:
        raise _refused(error) from error
    return {"callId": call_id}


@router.get("/live", response_class=StreamingResponse)
async def live(principal: CurrentPrincipal, console: Console) -> StreamingResponse:
    """Server-Sent Events: `tile` with a monitored colleague's (or the receptionist's own
    phone's) new state at each change; the
    stream ends when the console fell behind (the client reloads and reconnects)."""
    extension = _extension(principal)
    try:
        await console.tier(principal.tenant, principal.username)
    except ConsoleError as error:
        raise _refused(error) from error
    watched = {extension, *await console.monitored(principal.tenant, principal.username)}

    async def stream() -> AsyncIterator[str]:
        with console.listen(principal.tenant) as queue:
            yield ": connected\n\n"
            while True:
                try:
                    tile = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if tile is None:
                    return
                if tile.extension in watched:
                    yield f"event: tile\ndata: {json.dumps(tile.as_json())}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )
