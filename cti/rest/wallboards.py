"""The wallboard API: one call center's board (a JSON read and a live stream), its red
thresholds, and the kiosk tokens that let a TV read it (docs/wallboard.md).

Who may read a board: a kiosk token made for that call center (cti/kiosk_tokens.py), its
supervisors and the tenant's admins. Who may set thresholds and make or revoke kiosk tokens:
its supervisors and the admins. A kiosk token is refused by every other endpoint of the API,
because it is not a token `CtiServices.verify_token` knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cti.authorization import supervises
from cti.connection_slots import TooManyConnections
from cti.kiosk_tokens import KioskToken, KioskTokens, is_kiosk_token
from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.reports import report_engine
from cti.services import CtiServices
from cti.snapshots import CallCenterSnapshot
from cti.tokens import InvalidToken
from cti.wallboard import Thresholds, ThresholdStore, day_start, wallboard
from queueing.events import DomainEvent
from reports.call_center_report import call_center_figures
from reports.ranges import Interval, ReportRange

router = APIRouter(prefix="/api/v1/wallboards", tags=["wallboards"])

PAGE_PATH = "/wallboard/"
TICK_SECONDS = 5.0
"""The stream sends the board at least this often (the page counts the longest wait itself)."""
SERVICE_LEVEL_REFRESH_SECONDS = 15.0
"""Today's service level comes from the reports, which follow the event log within seconds."""

CallCenterId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
_bearer = HTTPBearer(auto_error=False, description="A kiosk token, or a supervisor's or admin's")
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or an invalid or revoked token"},
    403: {"description": "Not this call center's supervisor or an admin"},
    404: {"description": "No such call center (or kiosk token) in this tenant"},
}


async def _call_center(services: CtiServices, tenant: str, cc: str) -> CallCenterSnapshot:
    found = await services.snapshots.call_center(tenant, cc)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no call center {cc}")
    return found


async def _manager(principal: Principal, services: CtiServices, cc: str) -> CallCenterSnapshot:
    """The call center, when `principal` supervises it (or is an admin of its tenant)."""
    if not supervises(principal, cc):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you do not supervise call center {cc}")
    return await _call_center(services, principal.tenant, cc)


async def _reader(
    services: CtiServices, authorization: HTTPAuthorizationCredentials | None, cc: str
) -> Principal:
    """Who reads board `cc` (its tenant is the board's); 401 or 403 when nobody may. A kiosk
    token reads as the name `kiosk:<id>`, the owner of its open streams' connection slots;
    that principal is never handed to anything else."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if authorization is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", challenge)
    token = authorization.credentials.strip()
    if is_kiosk_token(token):
        kiosk = await KioskTokens(services.redis, services.settings.key_prefix).verify(token)
        if kiosk is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked kiosk token")
        if kiosk.call_center_id != cc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this kiosk token reads another board")
        return Principal(kiosk.tenant, f"kiosk:{kiosk.id}", Role.API)
    try:
        principal = await services.principal_for_token(token)
    except InvalidToken as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error), challenge) from error
    if not supervises(principal, cc):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you do not supervise call center {cc}")
    return principal


async def _still_valid(services: CtiServices, token: str) -> bool:
    if is_kiosk_token(token):
        prefix = services.settings.key_prefix
        return await KioskTokens(services.redis, prefix).verify(token) is not None
    try:
        await services.verify_token(token)
    except InvalidToken:
        return False
    return True


def _service_level_today(url: str, tenant: str, cc: str, threshold: float, now: float) -> Any:
    period = ReportRange(
        datetime.fromtimestamp(day_start(now), UTC), datetime.fromtimestamp(now + 1, UTC)
    )
    figures = call_center_figures(
        report_engine(url), tenant, period, Interval.RANGE,
        thresholds={cc: threshold}, call_centers=[cc],
    )  # fmt: skip
    return figures[0].service_level if figures else None


class Board:
    """One reader's view of one board: the service level is re-read from the reports now and
    then, the live figures on every call."""

    def __init__(self, services: CtiServices, tenant: str, cc: str) -> None:
        self._services = services
        self._tenant = tenant
        self._cc = cc
        self._service_level: float | None = None
        self._read_at = -math.inf
        self.members: frozenset[str] = frozenset()
        """The call center's agents as of the last read: whose events change the board."""

    async def read(self) -> dict[str, Any]:
        services = self._services
        now = services.settings.clock()
        call_center = await _call_center(services, self._tenant, self._cc)
        self.members = frozenset(call_center.members)
        if now - self._read_at >= SERVICE_LEVEL_REFRESH_SECONDS:
            self._service_level = await run_in_threadpool(
                _service_level_today, services.settings.database_url, self._tenant, self._cc,
                float(call_center.service_level_seconds), now,
            )  # fmt: skip
            self._read_at = now
        thresholds = await ThresholdStore(services.redis, services.settings.key_prefix).get(
            self._tenant, self._cc
        )
        agents = await services.snapshots.agents(self._tenant)
        return wallboard(call_center, agents, self._service_level, thresholds, now)


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@router.get("/{call_center_id}", responses=_REFUSALS)
async def read_wallboard(
    call_center_id: CallCenterId, services: Services, authorization: Bearer
) -> dict[str, Any]:
    """The board now: waiting calls, longest wait, today's service level, agents by state, and
    which figures are over their thresholds (`red`)."""
    reader = await _reader(services, authorization, call_center_id)
    return await Board(services, reader.tenant, call_center_id).read()


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get("/{call_center_id}/stream", include_in_schema=False)
async def stream_wallboard(
    call_center_id: CallCenterId, services: Services, authorization: Bearer
) -> StreamingResponse:
    """Server-Sent Events: `event: board` with the board whenever the call center's calls or
    agents change (and every TICK_SECONDS); `event: end` when the token is revoked."""
    reader = await _reader(services, authorization, call_center_id)
    assert authorization is not None  # _reader refuses a request without one
    token = authorization.credentials.strip()
    board = Board(services, reader.tenant, call_center_id)

    def concerns(event: DomainEvent) -> bool:
        return event.call_center_id == call_center_id or event.agent in board.members

    async def stream() -> AsyncIterator[bytes]:
        try:
            async with services.connection_slots.hold(reader):
                async for message in follow():
                    yield message
        except TooManyConnections as refused:
            yield _sse("end", {"reason": str(refused)})

    async def follow() -> AsyncIterator[bytes]:
        # An async generator (EventFanout._iterate), closed here when the client goes away.
        events = cast(
            AsyncGenerator[DomainEvent, None],
            services.fanout.subscribe(reader.tenant, accepts=concerns),
        )
        following = asyncio.ensure_future(anext(events))
        checked_at = services.settings.clock()
        try:
            while True:
                now = services.settings.clock()
                if now - checked_at >= services.settings.stream_recheck_seconds:
                    if not await _still_valid(services, token):
                        yield _sse("end", {"reason": "token revoked"})
                        return
                    checked_at = now
                try:
                    yield _sse("board", await board.read())
                except HTTPException as gone:  # the call center was deleted meanwhile
                    yield _sse("end", {"reason": gone.detail})
                    return
                done, _ = await asyncio.wait({following}, timeout=TICK_SECONDS)
                if done:
                    following.result()
                    following = asyncio.ensure_future(anext(events))
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await following
            await events.aclose()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class ThresholdsBody(BaseModel):
    waiting_calls: int = Field(ge=1, le=10_000, description="Red at this many waiting calls")
    longest_wait_seconds: int = Field(ge=1, le=86_400, description="Red at this longest wait")
    service_level_percent: int = Field(ge=0, le=100, description="Red below this service level")
    available_agents: int = Field(
        ge=0, le=10_000, description="Red below this many available agents while calls wait"
    )


@router.get("/{call_center_id}/thresholds", responses=_REFUSALS)
async def read_thresholds(
    call_center_id: CallCenterId, principal: CurrentPrincipal, services: Services
) -> ThresholdsBody:
    await _manager(principal, services, call_center_id)
    store = ThresholdStore(services.redis, services.settings.key_prefix)
    return ThresholdsBody(**(await store.get(principal.tenant, call_center_id)).to_dict())


@router.put("/{call_center_id}/thresholds", responses=_REFUSALS)
async def set_thresholds(
    call_center_id: CallCenterId,
    body: ThresholdsBody,
    principal: CurrentPrincipal,
    services: Services,
) -> ThresholdsBody:
    await _manager(principal, services, call_center_id)
    store = ThresholdStore(services.redis, services.settings.key_prefix)
    await store.set(principal.tenant, call_center_id, Thresholds(**body.model_dump()))
    return body


class KioskTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="Which screen, e.g. 'TV hall'")


class KioskTokenOut(BaseModel):
    id: int
    call_center_id: str
    name: str
    created_by: str
    created_at: float

    @classmethod
    def of(cls, info: KioskToken) -> KioskTokenOut:
        return cls(
            id=info.id,
            call_center_id=info.call_center_id,
            name=info.name,
            created_by=info.created_by,
            created_at=info.created_at,
        )


class KioskTokenCreated(KioskTokenOut):
    token: str = Field(description="Shown once: the TV's key to this one board")
    url: str = Field(description="The board's page with the token in its fragment")


@router.post(
    "/{call_center_id}/kiosk-tokens", status_code=status.HTTP_201_CREATED, responses=_REFUSALS
)
async def create_kiosk_token(
    call_center_id: CallCenterId,
    body: KioskTokenCreate,
    principal: CurrentPrincipal,
    services: Services,
) -> KioskTokenCreated:
    await _manager(principal, services, call_center_id)
    created = await KioskTokens(services.redis, services.settings.key_prefix).create(
        principal.tenant, call_center_id, body.name, principal.username, services.settings.clock()
    )
    return KioskTokenCreated(
        **KioskTokenOut.of(created.info).model_dump(),
        token=created.token,
        url=f"{PAGE_PATH}#cc={call_center_id}&token={created.token}",
    )


@router.get("/{call_center_id}/kiosk-tokens", responses=_REFUSALS)
async def list_kiosk_tokens(
    call_center_id: CallCenterId, principal: CurrentPrincipal, services: Services
) -> list[KioskTokenOut]:
    await _manager(principal, services, call_center_id)
    tokens = await KioskTokens(services.redis, services.settings.key_prefix).list(
        principal.tenant, call_center_id
    )
    return [KioskTokenOut.of(t) for t in tokens]


@router.delete(
    "/{call_center_id}/kiosk-tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_REFUSALS,
)
async def revoke_kiosk_token(
    call_center_id: CallCenterId, token_id: int, principal: CurrentPrincipal, services: Services
) -> None:
    await _manager(principal, services, call_center_id)
    revoked = 0 < token_id < 2**63 and await KioskTokens(
        services.redis, services.settings.key_prefix
    ).revoke(principal.tenant, call_center_id, token_id)
    if not revoked:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such kiosk token")
