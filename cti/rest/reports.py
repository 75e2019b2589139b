"""Call-center reports over REST (docs/reports.md, "REST").

- `GET /api/v1/reports/call-centers?from&to`: the contract's report, one row per call center.
- `GET /api/v1/reports/call-centers/intervals?from&to&interval`: the same figures per 15 min,
  hour or day (plus the counts behind them).
- `GET /api/v1/reports/agents?from&to&interval`: calls, handle time, occupancy, time per state.
- `GET /api/v1/reports/usage?from&to&by`: seed 3.5.3 usage by type, category, number, profile.
- `GET /api/v1/reports/export?report&format&from&to&interval`: any of those as CSV or XLSX.

Figures come from the report tables the ingester fills from the event stream (`reports`).
Supervisors see their own call centers and those call centers' agents; admins and API tokens
the whole tenant (usage, being billing data, is theirs only); agents nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Engine

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from reports.db import make_engine, migrate
from reports.exports import to_csv, to_xlsx
from reports.ranges import Interval, ReportRangeError, parse_range
from reports.service import (
    USAGE_DIMENSIONS,
    agent_figures,
    call_center_figures,
    call_centers_report,
    usage_figures,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ISO_DATE_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
"""An ISO 8601 date or date-time; the range rules (order, length) are checked after parsing."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def report_engine(url: str) -> Engine:
    """One engine per database, migrated once (the ingester may not have run yet)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            migrate(engine)
            _engines[url] = engine
        return engine


class CallCenterReportRow(BaseModel):
    number: str
    offered: int
    answered: int
    abandoned: int
    overflowed: int
    bounced: int
    stranded: int
    service_level: float | None
    asa_seconds: float | None
    aht_seconds: float | None
    longest_wait_seconds: float | None


class CallCenterIntervalRow(CallCenterReportRow):
    interval_start: str
    interval_end: str
    threshold_seconds: float
    entered: int
    answered_within_threshold: int
    abandoned_during_entrance: int
    bounces: int
    transferred: int
    escaped: int
    diverted: int
    waiting: int


class AgentReportRow(BaseModel):
    agent: str
    interval_start: str
    interval_end: str
    answered: int
    talk_seconds: float
    aht_seconds: float | None
    occupancy: float | None
    state_seconds: dict[str, float]
    """ACD state -> seconds in it (AVAILABLE, UNAVAILABLE, WRAP_UP, BUSY...)."""
    unavailable_seconds: dict[str, float]
    """Unavailable code -> seconds ('' when no code was given)."""


class UsageRow(BaseModel):
    dimensions: dict[str, str | None]
    records: int
    quantity: float


class ReportKind(StrEnum):
    CALL_CENTERS = "call-centers"
    AGENTS = "agents"
    USAGE = "usage"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


EXPORT_MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A bad range, interval or dimension, with the reason"},
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed to see this report"},
}
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **REPORT_RESPONSES,
    200: {
        "description": "The report as a file (Content-Disposition: attachment)",
        "content": {media: {} for media in EXPORT_MEDIA_TYPES.values()},
    },
}

From = Annotated[str, Query(alias="from", pattern=ISO_DATE_TIME, max_length=40)]
To = Annotated[str, Query(alias="to", pattern=ISO_DATE_TIME, max_length=40)]
IntervalParam = Annotated[Interval, Query(description="15min, hour, day, or range (one row)")]
UsageBy = Annotated[
    str,
    Query(
        pattern=rf"^({'|'.join(USAGE_DIMENSIONS)})(,({'|'.join(USAGE_DIMENSIONS)}))*$",
        max_length=80,
        description=f"comma-separated dimensions of {', '.join(USAGE_DIMENSIONS)}",
    ),
]
DEFAULT_USAGE_BY = "usage_type,category,number,profile"
CallCenterParam = Annotated[
    str | None,
    Query(
        alias="call_center",
        pattern=r"^[0-9A-Za-z_-]{1,32}$",
        description="only this call center (default: every one you may see)",
    ),
]
AgentParam = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9A-Za-z_-]{1,32}$",
        description="only this agent's extension (default: every agent you may see)",
    ),
]

T = TypeVar("T")


def _scope(principal: Principal) -> frozenset[str] | None:
    if principal.tenant_wide:
        return None
    if principal.role is Role.SUPERVISOR:
        return principal.call_centers
    raise HTTPException(status.HTTP_403_FORBIDDEN, "reports are for supervisors and admins")


async def _agent_scope(principal: Principal, services: Services) -> frozenset[str] | None:
    """None: every agent of the tenant; else the members of the supervised call centers."""
    call_centers = _scope(principal)
    if call_centers is None:
        return None
    agents = await services.snapshots.agents(principal.tenant)
    return frozenset(a.extension for a in agents if call_centers.intersection(a.call_centers))


def _narrowed(scope: frozenset[str] | None, chosen: str | None, what: str) -> frozenset[str] | None:
    """The report's scope, narrowed to the one call center or agent the caller names."""
    if chosen is None:
        return scope
    if scope is not None and chosen not in scope:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{what} {chosen} is not in your reports")
    return frozenset({chosen})


def _usage_scope(principal: Principal) -> None:
    if not principal.tenant_wide:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "usage reports are billing data: admins and API tokens"
        )


async def _thresholds(principal: Principal, services: Services) -> dict[str, float]:
    """Each call center's service-level threshold: its setting, as the engine publishes it."""
    centers = await services.snapshots.call_centers(principal.tenant)
    return {cc.id: float(cc.service_level_seconds) for cc in centers}


async def run_report(services: Services, work: Callable[[Engine], T]) -> T:
    url = services.settings.database_url
    try:
        return await run_in_threadpool(lambda: work(report_engine(url)))
    except ReportRangeError as error:
        raise HTTPException(error.http_status, error.reason) from error


@router.get("/call-centers", responses=REPORT_RESPONSES)
async def call_center_report(
    principal: CurrentPrincipal, services: Services, start: From, end: To
) -> list[CallCenterReportRow]:
    scope = _scope(principal)
    thresholds = await _thresholds(principal, services)
    rows = await run_report(
        services,
        lambda db: call_centers_report(
            db, principal.tenant, start, end, thresholds=thresholds, call_centers=scope
        ),
    )
    return [CallCenterReportRow(**row) for row in rows]


def _call_center_rows(
    db: Engine,
    tenant: str,
    start: str,
    end: str,
    interval: Interval,
    scope: frozenset[str] | None,
    thresholds: dict[str, float],
) -> list[dict[str, Any]]:
    period = parse_range(start, end, interval)
    figures = call_center_figures(
        db, tenant, period, interval, thresholds=thresholds, call_centers=scope
    )
    return [{**f.as_row(), **f.as_contract()} for f in figures]


@router.get("/call-centers/intervals", responses=REPORT_RESPONSES)
async def call_center_intervals(
    principal: CurrentPrincipal,
    services: Services,
    start: From,
    end: To,
    interval: IntervalParam = Interval.HOUR,
    call_center: CallCenterParam = None,
) -> list[CallCenterIntervalRow]:
    """Every call center's figures per interval, quiet intervals included (zeros)."""
    scope = _narrowed(_scope(principal), call_center, "call center")
    thresholds = await _thresholds(principal, services)
    rows = await run_report(
        services,
        lambda db: _call_center_rows(db, principal.tenant, start, end, interval, scope, thresholds),
    )
    return [CallCenterIntervalRow(**row) for row in rows]


def _agent_rows(
    db: Engine, tenant: str, start: str, end: str, interval: Interval, scope: frozenset[str] | None
) -> list[AgentReportRow]:
    period = parse_range(start, end, interval)
    rows = []
    for f in agent_figures(db, tenant, period, interval, agents=scope):
        flat = f.as_row()
        rows.append(
            AgentReportRow(
                agent=f.agent,
                interval_start=str(flat["interval_start"]),
                interval_end=str(flat["interval_end"]),
                answered=f.answered,
                talk_seconds=f.talk_seconds,
                aht_seconds=f.aht_seconds,
                occupancy=f.occupancy,
                state_seconds=dict(f.state_seconds),
                unavailable_seconds=dict(f.unavailable_seconds),
            )
        )
    return rows


@router.get("/agents", responses=REPORT_RESPONSES)
async def agent_report(
    principal: CurrentPrincipal,
    services: Services,
    start: From,
    end: To,
    interval: IntervalParam = Interval.RANGE,
    agent: AgentParam = None,
) -> list[AgentReportRow]:
    scope = _narrowed(await _agent_scope(principal, services), agent, "agent")
    return await run_report(
        services, lambda db: _agent_rows(db, principal.tenant, start, end, interval, scope)
    )


def _usage_rows(db: Engine, tenant: str, start: str, end: str, by: str) -> list[UsageRow]:
    period = parse_range(start, end)
    dimensions = list(dict.fromkeys(by.split(",")))
    return [
        UsageRow(dimensions=f.dimensions, records=f.records, quantity=f.quantity)
        for f in usage_figures(db, tenant, period, by=dimensions)
    ]


@router.get("/usage", responses=REPORT_RESPONSES)
async def usage_report(
    principal: CurrentPrincipal,
    services: Services,
    start: From,
    end: To,
    by: UsageBy = DEFAULT_USAGE_BY,
) -> list[UsageRow]:
    """Outbound usage (what is billed) by the chosen dimensions; quantity in seconds for voice."""
    _usage_scope(principal)
    return await run_report(services, lambda db: _usage_rows(db, principal.tenant, start, end, by))


NESTED_COLUMNS: dict[str, Callable[[str], str]] = {
    "dimensions": lambda key: key,
    "state_seconds": lambda key: f"{key.lower()}_seconds",
    "unavailable_seconds": lambda key: f"unavailable_{key or 'no_code'}_seconds",
}
"""Export columns for the nested maps (the names `reports.service`'s `as_row` uses)."""


def _flat(rows: Sequence[BaseModel]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = {}
        for key, value in row.model_dump().items():
            if key in NESTED_COLUMNS:
                out.update({NESTED_COLUMNS[key](k): v for k, v in sorted(value.items())})
            else:
                out[key] = value
        flat.append(out)
    return flat


@router.get("/export", responses=EXPORT_RESPONSES, response_class=Response)
async def export_report(
    principal: CurrentPrincipal,
    services: Services,
    report: ReportKind,
    start: From,
    end: To,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.CSV,
    interval: IntervalParam = Interval.RANGE,
    by: UsageBy = DEFAULT_USAGE_BY,
    call_center: CallCenterParam = None,
    agent: AgentParam = None,
) -> Response:
    """A report as CSV or XLSX, with the same scope rules (and filters) as the report itself."""
    rows: Sequence[BaseModel]
    if report is ReportKind.CALL_CENTERS:
        rows = await call_center_intervals(principal, services, start, end, interval, call_center)
    elif report is ReportKind.AGENTS:
        rows = await agent_report(principal, services, start, end, interval, agent)
    else:
        rows = await usage_report(principal, services, start, end, by)
    return export_file(_flat(rows), report.value, start, end, export_format)


def export_file(
    rows: Sequence[dict[str, Any]], report: str, start: str, end: str, export_format: ExportFormat
) -> Response:
    """Report rows as a CSV or XLSX attachment named after the report and its period."""
    name = f"{report}-{start[:10]}-{end[:10]}.{export_format.value}"
    body: str | bytes = (
        to_csv(rows) if export_format is ExportFormat.CSV else to_xlsx({report: rows})
    )
    return Response(
        content=body,
        media_type=EXPORT_MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
