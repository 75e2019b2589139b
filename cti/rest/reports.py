"""`GET /api/v1/reports/call-centers?from=ISO8601&to=ISO8601`: the contract's call-center report.

Figures come from the report tables the ingester fills from the event stream (`reports`).
Supervisors see their own call centers, admins and API tokens the whole tenant, agents nothing.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Engine

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from reports.db import make_engine, migrate
from reports.ranges import ReportRangeError
from reports.service import call_centers_report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ISO_DATE_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
"""An ISO 8601 date or date-time; the range rules (order, length) are checked after parsing."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _report_engine(url: str) -> Engine:
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


def _scope(principal: Principal) -> frozenset[str] | None:
    if principal.tenant_wide:
        return None
    if principal.role is Role.SUPERVISOR:
        return principal.call_centers
    raise HTTPException(status.HTTP_403_FORBIDDEN, "reports are for supervisors and admins")


@router.get(
    "/call-centers",
    responses={
        400: {"description": "A bad range, with the reason"},
        401: {"description": "Not signed in"},
        403: {"description": "Not a supervisor or admin"},
    },
)
async def call_center_report(
    principal: CurrentPrincipal,
    services: Services,
    start: Annotated[str, Query(alias="from", pattern=ISO_DATE_TIME, max_length=40)],
    end: Annotated[str, Query(alias="to", pattern=ISO_DATE_TIME, max_length=40)],
) -> list[CallCenterReportRow]:
    scope = _scope(principal)
    url = services.settings.database_url

    def run() -> list[dict[str, Any]]:
        return call_centers_report(
            _report_engine(url), principal.tenant, start, end, call_centers=scope
        )

    try:
        rows = await run_in_threadpool(run)
    except ReportRangeError as error:
        raise HTTPException(error.http_status, error.reason) from error
    return [CallCenterReportRow(**row) for row in rows]
