"""The group-calls report over REST (docs/reports.md, "Group calls").

- `GET /api/v1/reports/groups?from&to&interval&group`: per hunt group / auto attendant and local
  day, week or month: offered, answered, abandoned, forwarded by trigger, average wait to answer,
  answered per member.
- `GET /api/v1/reports/groups/export?...&format=csv|xlsx`: the same rows as a file.

Groups are the tenant's, not a call center's: every supervisor and admin (and API token) of the
tenant sees them all; agents nothing. Intervals follow the tenant's time zone (provisioning).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.provisioning_access import Provisioning
from cti.rest.reports import (
    EXPORT_RESPONSES,
    REPORT_RESPONSES,
    ExportFormat,
    From,
    To,
    export_file,
    run_report,
)
from provisioning.errors import NotFound
from reports.group_report import GroupInterval, group_call_figures
from reports.ranges import parse_range

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

FALLBACK_TIME_ZONE = "UTC"
"""For a tenant the provisioning store does not hold (a test server's): UTC, like the facts."""

IntervalParam = Annotated[
    GroupInterval, Query(description="day, week, month (the tenant's local calendar) or range")
]
GroupParam = Annotated[
    str | None,
    Query(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="only this group's number"),
]


class GroupReportRow(BaseModel):
    group: str
    kind: str
    """`hunt_group` or `auto_attendant`."""
    interval_start: str
    interval_end: str
    offered: int
    answered: int
    abandoned: int
    waiting: int
    forwarded: dict[str, int]
    """Forward trigger (menu, always, night, holiday, outside_hours, busy, no_answer) -> calls."""
    members_rung: int
    answered_by_member: dict[str, int]
    average_wait_to_answer_seconds: float | None


def _allowed(principal: Principal) -> None:
    if not (principal.tenant_wide or principal.role is Role.SUPERVISOR):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "reports are for supervisors and admins")


async def _time_zone(service: Provisioning, tenant: str) -> str:
    try:
        return (await run_in_threadpool(service.tenant, tenant)).time_zone
    except NotFound:
        return FALLBACK_TIME_ZONE


async def _figures(
    principal: Principal,
    services: Services,
    service: Provisioning,
    start: str,
    end: str,
    interval: GroupInterval,
    group: str | None,
) -> list[Any]:
    _allowed(principal)
    zone = await _time_zone(service, principal.tenant)
    return await run_report(
        services,
        lambda db: group_call_figures(
            db, principal.tenant, parse_range(start, end), interval, time_zone=zone, group=group
        ),
    )


@router.get("/groups", responses=REPORT_RESPONSES)
async def group_report(
    principal: CurrentPrincipal,
    services: Services,
    service: Provisioning,
    start: From,
    end: To,
    interval: IntervalParam = GroupInterval.DAY,
    group: GroupParam = None,
) -> list[GroupReportRow]:
    """Every group with calls in the period, per interval, quiet intervals included (zeros)."""
    figures = await _figures(principal, services, service, start, end, interval, group)
    return [GroupReportRow(**f.as_contract()) for f in figures]


@router.get("/groups/export", responses=EXPORT_RESPONSES, response_class=Response)
async def export_group_report(
    principal: CurrentPrincipal,
    services: Services,
    service: Provisioning,
    start: From,
    end: To,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.CSV,
    interval: IntervalParam = GroupInterval.DAY,
    group: GroupParam = None,
) -> Response:
    """The group report as CSV or XLSX: `forwarded_<trigger>` and `answered_by_<member>` columns."""
    figures = await _figures(principal, services, service, start, end, interval, group)
    return export_file([f.as_row() for f in figures], "groups", start, end, export_format)
