"""`POST /api/v1/what-if`: the what-if simulator for supervisors (docs/what-if.md).

A day of traffic at one call center (a past day from the reports, or a synthetic load) replayed
through the real queue engine twice, with the call center's configuration as it is and changed;
the answer holds both days' figures per interval. The supervisor of that call center and the
tenant's admins may ask; the traffic and the configuration are the asker's tenant's only.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, timedelta
from functools import cache, partial
from multiprocessing import get_context
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.provisioning_access import Provisioning
from cti.rest.reports import report_engine
from provisioning.errors import NotFound
from queueing.config import RoutingPolicy, TenantConfig
from queueing.errors import ConfigError
from queueing.what_if import Changes, Comparison, DayResult, apply_changes, compare
from queueing.what_if_figures import IntervalFigures, recorded_figures
from queueing.what_if_traffic import (
    DAY_SECONDS,
    Arrival,
    ObservedCall,
    Profile,
    from_observed,
    synthetic,
)
from reports.observed_traffic import TooMuchTraffic, observed_calls

router = APIRouter(prefix="/api/v1/what-if", tags=["what-if"])

_running = asyncio.Semaphore(1)
"""One simulation at a time per process: each is seconds of CPU, and the API must stay live."""

Extension = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")]


class WhatIfChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agents: int | None = Field(default=None, ge=0, le=1000, description="agents taking calls")
    agents_delta: int | None = Field(
        default=None, ge=-1000, le=1000, description="or: agents more (+) or fewer (-)"
    )
    routing: RoutingPolicy | None = None
    wrap_up_seconds: int | None = Field(default=None, ge=0, le=3600, description="0: no wrap-up")
    max_wait_seconds: int | None = Field(
        default=None, ge=0, le=7200, description="overflow after this wait; 0: never"
    )
    skill_levels: dict[Extension, Annotated[int, Field(ge=1, le=20)]] = Field(
        default_factory=dict, max_length=1000
    )


class SyntheticLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calls: int = Field(default=500, ge=1, le=50_000)
    open_hour: int = Field(default=8, ge=0, le=23)
    close_hour: int = Field(default=18, ge=1, le=24)
    mean_talk_seconds: float = Field(default=180.0, ge=1, le=7200)
    mean_patience_seconds: float | None = Field(default=120.0, ge=1, le=7200)
    seed: int = Field(default=1, ge=0, le=2**31)


class WhatIfRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_center: str = Field(pattern=r"^[0-9]{1,32}$", description="the call center's number")
    day: date | None = Field(
        default=None, description="the day whose traffic is replayed; default today"
    )
    timezone: str = Field(default="UTC", max_length=64, description="IANA zone the day is taken in")
    synthetic: SyntheticLoad | None = Field(
        None, description="replay this synthetic load on the day instead of the day's calls"
    )
    interval_minutes: Literal[15, 30, 60] = 30
    changes: WhatIfChanges = Field(default_factory=lambda: WhatIfChanges())


class Figures(BaseModel):
    start: str
    offered: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    other_ends: int
    service_level: float | None
    asa_seconds: float | None
    abandonment: float | None
    occupancy: float | None


class SimulatedDay(BaseModel):
    agents: int
    total: Figures
    intervals: list[Figures]


class RecordedDay(BaseModel):
    total: Figures
    intervals: list[Figures]


class WhatIfResult(BaseModel):
    call_center: str
    day: date
    timezone: str
    source: Literal["day", "synthetic"]
    calls: int
    interval_minutes: int
    threshold_seconds: int
    actual: SimulatedDay
    """The traffic replayed with the configuration as it is."""
    predicted: SimulatedDay
    """The same traffic with the changes."""
    recorded: RecordedDay | None
    """What the reports recorded of the day (a past day only; occupancy is not known here)."""


def _field_error(where: list[str], message: str) -> HTTPException:
    """A 422 shaped like the app's validation errors, naming the field."""
    detail = [{"loc": ["body", *where], "msg": message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def may_simulate(principal: Principal, call_center: str) -> bool:
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.SUPERVISOR and call_center in principal.call_centers


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _field_error(["timezone"], f"{name!r} is not an IANA time zone") from error


def _figures(f: IntervalFigures, zone: ZoneInfo) -> Figures:
    return Figures(
        start=datetime.fromtimestamp(f.start, zone).isoformat(),
        offered=f.offered,
        answered=f.answered,
        answered_within_threshold=f.answered_within,
        abandoned=f.abandoned,
        other_ends=f.other_ends,
        service_level=f.service_level,
        asa_seconds=f.asa_seconds,
        abandonment=f.abandonment,
        occupancy=f.occupancy,
    )


def _day(result: DayResult, zone: ZoneInfo) -> SimulatedDay:
    return SimulatedDay(
        agents=result.agents,
        total=_figures(result.total, zone),
        intervals=[_figures(f, zone) for f in result.intervals],
    )


def _agents(body: WhatIfChanges, config: TenantConfig, call_center: str) -> int | None:
    if body.agents_delta is None:
        return body.agents
    if body.agents is not None:
        raise _field_error(["changes", "agents_delta"], "give agents or agents_delta, not both")
    (members,) = [len(c.members) for c in config.call_centers if c.id == call_center]
    if members + body.agents_delta < 0:
        raise _field_error(["changes", "agents_delta"], f"the call center has {members} agents")
    return members + body.agents_delta


def _changes(body: WhatIfChanges, config: TenantConfig, call_center: str) -> Changes:
    return Changes(
        agents=_agents(body, config, call_center),
        routing=body.routing,
        wrap_up_seconds=body.wrap_up_seconds,
        max_wait_seconds=body.max_wait_seconds,
        skill_levels=dict(body.skill_levels),
    )


def _traffic(
    services: Services, tenant: str, body: WhatIfRequest, start: float
) -> tuple[list[Arrival], list[ObservedCall] | None]:
    """Blocking (SQL): the synthetic load laid on the day, or the day's recorded calls (also
    returned as recorded, for what really happened)."""
    if body.synthetic is not None:
        load = body.synthetic
        if load.open_hour >= load.close_hour:
            raise _field_error(["synthetic", "close_hour"], "must be after open_hour")
        profile = Profile(**load.model_dump())
        return synthetic(profile, body.call_center, start), None
    db = report_engine(services.settings.database_url)
    try:
        calls = observed_calls(db, tenant, body.call_center, start, start + DAY_SECONDS)
    except TooMuchTraffic as error:
        raise _field_error(["day"], str(error)) from error
    return from_observed(calls), calls


def _recorded(
    calls: list[ObservedCall] | None, start: float, result: Comparison, zone: ZoneInfo
) -> RecordedDay | None:
    if calls is None:
        return None
    intervals, total = recorded_figures(
        calls,
        start,
        result.interval_seconds,
        DAY_SECONDS // result.interval_seconds,
        result.threshold_seconds,
    )
    return RecordedDay(
        total=_figures(total, zone), intervals=[_figures(f, zone) for f in intervals]
    )


def _checked(config: TenantConfig, body: WhatIfRequest) -> Changes:
    """The changes, once the call center took them (its validation names the field)."""
    changes = _changes(body.changes, config, body.call_center)
    try:
        apply_changes(config, body.call_center, changes)
    except ConfigError as error:
        raise _field_error(error.field.split("."), error.message) from error
    return changes


@cache
def _simulator() -> ProcessPoolExecutor:
    """A process of its own for the simulations: a day is seconds of CPU, which in the web
    process would hold the interpreter lock against every other request and push update.
    Spawned, not forked: the web process runs threads."""
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))


@router.post(
    "",
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not the supervisor of this call center, nor an admin"},
        404: {"description": "No such call center in your tenant"},
        422: {"description": "A bad field, named in detail[].loc"},
        503: {"description": "The simulator process stopped (the next request starts one)"},
    },
)
async def what_if(
    body: WhatIfRequest, principal: CurrentPrincipal, services: Services, provisioning: Provisioning
) -> WhatIfResult:
    if not may_simulate(principal, body.call_center):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "a what-if is for the call center's supervisors and the tenant's admins",
        )
    zone = _zone(body.timezone)
    day = body.day or datetime.now(zone).date()
    start = datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
    if day > datetime.now(zone).date() + timedelta(days=366):
        raise _field_error(["day"], "more than a year ahead")
    try:
        config = await run_in_threadpool(provisioning.engine_config, principal.tenant)
    except NotFound as error:  # a token of a tenant deleted since
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tenant") from error
    if body.call_center not in {c.id for c in config.call_centers}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no call center {body.call_center}")
    async with _running:
        arrivals, calls = await run_in_threadpool(_traffic, services, principal.tenant, body, start)
        changes = _checked(config, body)
        run = partial(
            compare, config, body.call_center, arrivals, changes, start, body.interval_minutes * 60
        )
        try:
            result = await asyncio.get_running_loop().run_in_executor(_simulator(), run)
        except BrokenProcessPool as error:
            _simulator.cache_clear()  # the next request starts a new one
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "the simulator process stopped; try again"
            ) from error
    return WhatIfResult(
        call_center=body.call_center,
        day=day,
        timezone=body.timezone,
        source="synthetic" if body.synthetic is not None else "day",
        calls=len(arrivals),
        interval_minutes=body.interval_minutes,
        threshold_seconds=result.threshold_seconds,
        actual=_day(result.actual, zone),
        predicted=_day(result.predicted, zone),
        recorded=_recorded(calls, start, result, zone),
    )
