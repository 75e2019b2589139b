"""Manager/Assistant over REST (docs/manager-assistant.md).

- The admin pairs a manager with its assistants: `/api/v1/tenants/{tenant}/managers` (reading:
  operator, the tenant's admin and supervisors; writing: operator and admin;
  `provisioning_access`: another tenant's routes 403).
- The pair themselves, `/api/v1/me/manager-assistant`: the manager and its assistants switch the
  filter; an assistant opts in or out; both see the filtered calls (and their live stream); an
  assistant puts a filtered call through to the manager (who hears a whisper first) or diverts
  it (the manager's voicemail, another number).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from common.manager_assistant import MAX_ASSISTANTS, MAX_LISTED_NUMBERS, FilterMode
from cti.manager_assistant_calls import Filtered, ManagerAssistant
from cti.principal import Principal
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from pbx_core import call_control as cc
from provisioning.manager_assistant_store import ManagerAssistantService, ManagerView

router = APIRouter(tags=["manager-assistant"], responses=ERRORS)
calls_router = APIRouter(
    tags=["manager-assistant"],
    responses=ERRORS | {503: {"description": "The PBX does not run in this process"}},
)
"""The filtered calls: mounted by the product, where the PBX runs (cti/product.py)."""

KEEPALIVE_SECONDS = 15.0
EXTENSION = r"^[0-9]{2,8}$"
NUMBER = r"^\+?[0-9]{2,15}$"
Extension = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[0-9]+$")]
MANAGERS = "/api/v1/tenants/{tenant}/managers"
ME = "/api/v1/me/manager-assistant"


class ManagerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    assistants: list[Annotated[str, Field(pattern=EXTENSION)]] = Field(
        min_length=1, max_length=MAX_ASSISTANTS, description="Extensions, in ringing order"
    )
    filtering: bool = False
    mode: FilterMode = Field(FilterMode.ALL, strict=False, description="Which calls are filtered")
    numbers: list[Annotated[str, Field(pattern=NUMBER)]] = Field(
        default_factory=list, max_length=MAX_LISTED_NUMBERS,
        description="The callers `listed` filters",
    )  # fmt: skip


class FilterPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    filtering: bool | None = None
    mode: FilterMode | None = Field(None, strict=False)
    numbers: list[Annotated[str, Field(pattern=NUMBER)]] | None = Field(
        None, max_length=MAX_LISTED_NUMBERS
    )


class OptIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    opted_in: bool


class DivertTo(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    to: Literal["voicemail"] | Annotated[str, Field(pattern=NUMBER)] = Field(
        description="`voicemail` (the manager's box, a ringing call) or a number"
    )


class AssistantOut(BaseModel):
    extension: str
    name: str
    opted_in: bool


class ManagerOut(BaseModel):
    extension: str
    name: str
    filtering: bool
    mode: FilterMode
    numbers: list[str]
    assistants: list[AssistantOut]

    @classmethod
    def of(cls, view: ManagerView) -> ManagerOut:
        m, names = view.manager, view.names
        return cls(
            extension=m.extension,
            name=names.get(m.extension, ""),
            filtering=m.filtering,
            mode=m.mode,
            numbers=list(m.numbers),
            assistants=[
                AssistantOut(extension=a.extension, name=names.get(a.extension, ""),
                             opted_in=a.opted_in)
                for a in m.assistants
            ],
        )  # fmt: skip


class ManagersOut(BaseModel):
    managers: list[ManagerOut]


class MineOut(BaseModel):
    extension: str = Field(description="Your own extension")
    manager: ManagerOut | None = Field(description="Your own filtering, when you are a manager")
    assists: list[ManagerOut] = Field(description="The managers you assist")


class FilteredOut(BaseModel):
    call_id: str
    at: datetime
    manager: str
    assistant: str = Field(description="The assistant who took it, else the first rung")
    assistants: list[str] = Field(description="Every assistant rung (at once)")
    caller: str
    caller_name: str
    outcome: str = Field(description="ringing, answered, put_through, diverted, not_answered")
    diverted_to: str | None
    ended: bool


class FilteredListOut(BaseModel):
    calls: list[FilteredOut]


def get_service(request: Request, provisioning: Provisioning) -> ManagerAssistantService:
    """The product's service (whose changes the PBX hears), or, for a web process without the
    PBX, one on the provisioning database."""
    wired: ManagerAssistant | None = getattr(request.app.state, "manager_assistant", None)
    return wired.service if wired is not None else ManagerAssistantService(provisioning.engine)


def get_wired(request: Request) -> ManagerAssistant:
    wired: ManagerAssistant | None = getattr(request.app.state, "manager_assistant", None)
    if wired is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the PBX is not running here")
    return wired


Service = Annotated[ManagerAssistantService, Depends(get_service)]
Wired = Annotated[ManagerAssistant, Depends(get_wired)]


def _me(principal: Principal) -> str:
    if principal.extension is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, {"field": "role", "reason": "only a user has a phone"}
        )
    return principal.extension


# The admin's side


@router.get(MANAGERS, summary="Managers and their assistants")
async def list_managers(tenant: TenantId, _: Reader, service: Service) -> ManagersOut:
    return ManagersOut(managers=[ManagerOut.of(v) for v in await call(service.managers, tenant)])


@router.put(MANAGERS + "/{extension}", summary="Make a user a manager with its assistants")
async def put_manager(
    tenant: TenantId, extension: Extension, body: ManagerIn, admin: Writer, service: Service
) -> ManagerOut:
    view = await call(service.set_manager, admin.username, tenant, extension, body.assistants,
                      filtering=body.filtering, mode=body.mode, numbers=body.numbers)  # fmt: skip
    return ManagerOut.of(view)


@router.delete(
    MANAGERS + "/{extension}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="No manager any more (its assistants are released)",
)
async def delete_manager(
    tenant: TenantId, extension: Extension, admin: Writer, service: Service
) -> None:
    await call(service.remove_manager, admin.username, tenant, extension)


# The pair's side


async def _mine(principal: Principal, service: ManagerAssistantService) -> MineOut:
    me = _me(principal)
    views = await call(service.managers, principal.tenant)
    own = next((v for v in views if v.manager.extension == me), None)
    assists = [v for v in views if me in {a.extension for a in v.manager.assistants}]
    return MineOut(
        extension=me,
        manager=None if own is None else ManagerOut.of(own),
        assists=[ManagerOut.of(v) for v in assists],
    )


@router.get(ME, summary="Your filtering as a manager, and the managers you assist")
async def get_mine(principal: CurrentPrincipal, service: Service) -> MineOut:
    return await _mine(principal, service)


@router.patch(ME + "/managers/{extension}", summary="Change a manager's filtering (the manager "
              "or an assistant)")  # fmt: skip
async def patch_filter(
    extension: Extension, body: FilterPatch, principal: CurrentPrincipal, service: Service
) -> ManagerOut:
    me = _me(principal)
    view = await call(service.change_filter, principal.username, principal.tenant, extension, me,
                      filtering=body.filtering, mode=body.mode, numbers=body.numbers)  # fmt: skip
    return ManagerOut.of(view)


@router.put(ME + "/managers/{extension}/opt-in", summary="An assistant takes the manager's "
            "filtered calls, or stops")  # fmt: skip
async def put_opt_in(
    extension: Extension, body: OptIn, principal: CurrentPrincipal, service: Service
) -> MineOut:
    me = _me(principal)
    await call(service.opt, principal.username, principal.tenant, extension, me, body.opted_in)
    return await _mine(principal, service)


async def _watched(principal: Principal, service: ManagerAssistantService) -> set[str]:
    """The managers whose filtered calls `principal` sees: itself and whom it assists."""
    mine = await _mine(principal, service)
    own = {mine.manager.extension} if mine.manager is not None else set()
    return own | {m.extension for m in mine.assists}


def _out(entry: Filtered) -> FilteredOut:
    return FilteredOut.model_validate(entry.as_json())


@calls_router.get(
    ME + "/filtered-calls", summary="The calls filtered to the assistants, newest first"
)
async def filtered_calls(
    principal: CurrentPrincipal, service: Service, wired: Wired
) -> FilteredListOut:
    watched = await _watched(principal, service)
    found = await wired.calls.of(principal.tenant, watched)
    return FilteredListOut(calls=[_out(e) for e in found])


async def _assistants_call(
    principal: Principal, service: ManagerAssistantService, wired: ManagerAssistant, call_id: str
) -> Filtered:
    """A filtered call going on, of a manager `principal` assists; 404 otherwise (another
    tenant's call or another manager's is no call here)."""
    me = _me(principal)
    entry = wired.calls.live(principal.tenant, call_id)
    assists = (await _mine(principal, service)).assists
    if entry is None or entry.call.manager not in {m.extension for m in assists}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, {"field": "call_id",
                            "reason": f"{me} has no filtered call {call_id}"})  # fmt: skip
    return entry


@calls_router.post(
    ME + "/filtered-calls/{call_id}/put-through",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Put the call through to the manager, who hears who it is first",
)
async def put_through(
    call_id: Annotated[str, Path(max_length=200)],
    principal: CurrentPrincipal,
    service: Service,
    wired: Wired,
) -> dict[str, str]:
    entry = await _assistants_call(principal, service, wired, call_id)
    wired.send(cc.Transfer(call_id, entry.call.manager))
    return {"call_id": call_id}


@calls_router.post(
    ME + "/filtered-calls/{call_id}/divert",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the call to the manager's voicemail (while it rings) or another number",
)
async def divert(
    call_id: Annotated[str, Path(max_length=200)],
    body: DivertTo,
    principal: CurrentPrincipal,
    service: Service,
    wired: Wired,
) -> dict[str, str]:
    entry = await _assistants_call(principal, service, wired, call_id)
    if body.to == "voicemail":
        wired.send(cc.Transfer(call_id, entry.call.manager, to_voicemail=True))
    else:
        wired.send(cc.Transfer(call_id, body.to))
    return {"call_id": call_id}


@calls_router.get(ME + "/live", response_class=StreamingResponse)
async def live(principal: CurrentPrincipal, service: Service, wired: Wired) -> StreamingResponse:
    """Server-Sent Events: `filtered` with a filtered call (as in the list) at each change, for
    the manager and its assistants; the stream ends when it fell behind (reload, reconnect)."""
    watched = await _watched(principal, service)

    async def stream() -> AsyncIterator[str]:
        with wired.calls.listen(principal.tenant) as queue:
            yield ": connected\n\n"
            while True:
                try:
                    entry = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if entry is None:
                    return
                if entry.call.manager in watched:
                    data: dict[str, Any] = entry.as_json()
                    yield f"event: filtered\ndata: {json.dumps(data)}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )
