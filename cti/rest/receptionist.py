"""`/api/v1/receptionist`: the receptionist console's API (docs/receptionist.md). Every route
acts for the signed-in user, in its own tenant, and needs a receptionist licence; the live
stream is Server-Sent Events (`text/event-stream`) read with `fetch`, so the token travels in the
Authorization header as everywhere else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Annotated, Any, assert_never

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from cti.principal import Principal
from cti.receptionist import (
    TIER_LIMITS,
    TIER_NAMES,
    Actions,
    ConsoleError,
    ReceptionistConsole,
    Tile,
)
from cti.receptionist_calls import ReceptionistCalls
from cti.receptionist_notes import NOTE_LENGTH, CallNotes
from cti.rest.deps import CurrentPrincipal
from provisioning.users import Tier

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


def _running(request: Request, name: str) -> Any:
    """The product's part `name` (`app.state`); 503 while it is not running."""
    part = getattr(request.app.state, name, None)
    if part is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the console is not running")
    return part


def _console(request: Request) -> ReceptionistConsole:
    console: ReceptionistConsole = _running(request, "receptionist")
    return console


Console = Annotated[ReceptionistConsole, Depends(_console)]


def _calls(request: Request) -> ReceptionistCalls:
    calls: ReceptionistCalls = _running(request, "receptionist_calls")
    return calls


Calls = Annotated[ReceptionistCalls, Depends(_calls)]


def _notes(request: Request) -> CallNotes:
    notes: CallNotes = _running(request, "receptionist_notes")
    return notes


Notes = Annotated[CallNotes, Depends(_notes)]


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=NOTE_LENGTH, description='"" removes the note')


class Colleague(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str = Field(pattern=EXTENSION, description="A colleague's extension")


def _refused(error: ConsoleError) -> HTTPException:
    return HTTPException(error.status, {"code": error.code, "message": error.message})


def _extension(principal: CurrentPrincipal) -> str:
    if principal.extension is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the console belongs to a user's phone")
    return principal.extension


async def _licensed(principal: Principal, console: ReceptionistConsole) -> tuple[str, Tier]:
    """The receptionist's extension and licence tier; 403 without either."""
    extension = _extension(principal)
    try:
        return extension, await console.tier(principal.tenant, principal.username)
    except ConsoleError as error:
        raise _refused(error) from error


@router.get("")
async def console_state(
    principal: CurrentPrincipal, console: Console, calls: Calls, notes: Notes
) -> dict[str, Any]:
    """The licence's tier and limit, the receptionist's own phone (`own`), the monitored
    colleagues' tiles and the receptionist's calls in progress (`actions`: the consultation,
    calls camping on colleagues, calls parked)."""
    extension, tier = await _licensed(principal, console)
    monitored = await console.monitored(principal.tenant, principal.username)
    await notes.register(principal.tenant, extension)  # its calls go into its history
    return {
        "extension": extension,
        "tier": tier,
        "tierName": TIER_NAMES[tier],
        "limit": TIER_LIMITS[tier],
        "own": console.tile(principal.tenant, extension).as_json(),
        "tiles": [console.tile(principal.tenant, e).as_json() for e in monitored],
        "actions": calls.actions(principal.tenant, extension),
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
    await _licensed(principal, console)
    found = console.directory(principal.tenant, q, principal.extension)
    return {"users": [t.as_json() for t in found]}


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
        409: {"description": "No call on the receptionist's phone, or a call center's"},
        422: {"description": "An unknown extension"},
    },
)
async def to_voicemail(
    body: TransferTo, principal: CurrentPrincipal, console: Console
) -> dict[str, str]:
    """The call on the receptionist's phone (answered, else ringing) into a colleague's
    voicemail box."""
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


class ColleagueAction(StrEnum):
    """What the console does with the call of the receptionist's phone and a colleague."""

    CONSULT = "consult"
    """Attended transfer, step 1: the caller hears music, the colleague is rung and talks to
    the receptionist alone."""
    CONFERENCE = "conference"
    """The caller, the receptionist and the colleague (the consulted one, else rung now) talk
    together."""
    CAMP_ON = "camp-on"
    """The answered call waits (music) for the busy colleague and rings them once free."""
    PARK = "park"
    """The answered call parked for the colleague: `*88` on their phone takes it."""
    ANNOUNCE = "announce"
    """The receptionist's phone calls the colleague (answering by itself) to tell them."""
    PICKUP = "pickup"
    """The colleague's ringing call rings the receptionist's phone, which answers it."""


class ConsultStep(StrEnum):
    COMPLETE = "complete"
    """Attended transfer, step 2: the consulted colleague keeps the caller."""
    BACK = "back"
    """The consulted colleague leaves; the receptionist talks to the caller again."""


ACTION_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {"description": "No answered call, or not in the state the action needs"},
    422: {"description": "Not a colleague of the receptionist's tenant"},
}


# Before `/calls/{action}`, which would take these paths and refuse them as no colleague action.
@router.post("/calls/hold", status_code=status.HTTP_202_ACCEPTED, responses=ACTION_REFUSALS)
async def hold(principal: CurrentPrincipal, console: Console, calls: Calls) -> dict[str, str]:
    """The receptionist's answered call on hold: the caller hears music; 409 `held` if it is."""
    return await _on_own_phone(
        principal, console, lambda ext: calls.hold(principal.tenant, ext, held=True)
    )


@router.post("/calls/resume", status_code=status.HTTP_202_ACCEPTED, responses=ACTION_REFUSALS)
async def resume(principal: CurrentPrincipal, console: Console, calls: Calls) -> dict[str, str]:
    """The held call back: caller and receptionist hear each other; 409 `not_held` if not."""
    return await _on_own_phone(
        principal, console, lambda ext: calls.hold(principal.tenant, ext, held=False)
    )


@router.post("/calls/{action}", status_code=status.HTTP_202_ACCEPTED, responses=ACTION_REFUSALS)
async def colleague_action(
    action: ColleagueAction,
    body: Colleague,
    principal: CurrentPrincipal,
    console: Console,
    calls: Calls,
) -> dict[str, str]:
    """Consult, conference, camp-on, park, announce or pickup with colleague `target`
    (docs/receptionist.md)."""

    def act(extension: str) -> str:
        tenant, target = principal.tenant, body.target
        match action:
            case ColleagueAction.CONSULT:
                return calls.consult(tenant, extension, target)
            case ColleagueAction.CONFERENCE:
                return calls.conference(tenant, extension, target)
            case ColleagueAction.CAMP_ON:
                return calls.camp_on(tenant, extension, target)
            case ColleagueAction.PARK:
                return calls.park(tenant, extension, target)
            case ColleagueAction.ANNOUNCE:
                return calls.announce(tenant, extension, target)
            case ColleagueAction.PICKUP:
                return calls.pick_up(tenant, extension, target)
            case _:
                assert_never(action)

    return await _on_own_phone(principal, console, act)


@router.post(
    "/calls/consult/{step}", status_code=status.HTTP_202_ACCEPTED, responses=ACTION_REFUSALS
)
async def consult_step(
    step: ConsultStep, principal: CurrentPrincipal, console: Console, calls: Calls
) -> dict[str, str]:
    """Complete the attended transfer, or go back to the caller."""
    finish = calls.complete if step is ConsultStep.COMPLETE else calls.back_to_caller
    return await _on_own_phone(principal, console, lambda ext: finish(principal.tenant, ext))


@router.get("/history")
async def history(principal: CurrentPrincipal, console: Console, notes: Notes) -> dict[str, Any]:
    """The receptionist's latest ended calls (newest first), each with its note."""
    extension, _ = await _licensed(principal, console)
    calls = await notes.history(principal.tenant, extension)
    return {"calls": [c.as_json() for c in calls]}


@router.put(
    "/history/{call_id}/note",
    responses={404: {"description": "Not a call of the receptionist's history"}},
)
async def write_note(
    call_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9@._:+~-]{1,200}$")],
    body: Note,
    principal: CurrentPrincipal,
    console: Console,
    notes: Notes,
) -> dict[str, Any]:
    """Write (or, with "", remove) the note on one of the receptionist's calls; the company's
    other receptionists see it on the same call."""
    extension, _ = await _licensed(principal, console)
    try:
        entry = await notes.write(
            principal.tenant, extension, principal.username, call_id, body.text
        )
    except ConsoleError as error:
        raise _refused(error) from error
    return entry.as_json()


async def _on_own_phone(
    principal: Principal, console: ReceptionistConsole, act: Callable[[str], str]
) -> dict[str, str]:
    """`act(extension)` on the receptionist's own phone's call, within its licence; its call id."""
    extension, _ = await _licensed(principal, console)
    try:
        call_id = act(extension)
    except ConsoleError as error:
        raise _refused(error) from error
    return {"callId": call_id}


@router.get("/live", response_class=StreamingResponse)
async def live(principal: CurrentPrincipal, console: Console) -> StreamingResponse:
    """Server-Sent Events: `tile` with a monitored colleague's (or the receptionist's own
    phone's) new state at each change, `actions` with the receptionist's calls in progress; the
    stream ends when the console fell behind (the client reloads and reconnects)."""
    extension, _ = await _licensed(principal, console)
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
                match tile:
                    case None:
                        return
                    case Tile() if tile.extension in watched:
                        yield f"event: tile\ndata: {json.dumps(tile.as_json())}\n\n"
                    case Actions(extension=own, payload=payload) if own == extension:
                        yield f"event: actions\ndata: {json.dumps(payload)}\n\n"
                    case Tile() | Actions():
                        pass  # another console's

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )
