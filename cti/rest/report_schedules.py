"""Scheduled e-mail reports over REST (docs/reports.md, "Scheduled reports").

- `POST /api/v1/report-schedules`: which report (`call-centers`, `agents`, `usage`), which call
  centers, `daily`/`weekly`/`monthly`, recipients, `csv`/`xlsx`; 201 with the schedule.
- `GET /api/v1/report-schedules` and `GET .../{id}`: with the next run and the last send's
  status (`scheduled`, `sent`, `retrying`, `failed`) and error.
- `DELETE /api/v1/report-schedules/{id}`: 204; its queued job ends without sending.
- `POST /api/v1/report-schedules/{id}/send`: 202; sends the last whole period now.

Admins schedule anything of their tenant; supervisors the call-center and agent reports of the
call centers they supervise (and see only those schedules); agents and API tokens nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from rq import Queue

from common.job_queues import job_queue
from common.redis_connect import sync_client
from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.provisioning_access import Provisioning
from provisioning.report_schedules import (
    ReportSchedule,
    ReportScheduleStore,
    ScheduleSpec,
    visible_to,
)
from reports.scheduled_jobs import QUEUE_NAME, enqueue_run, new_chain
from reports.scheduled_times import ScheduleInterval, next_run

router = APIRouter(
    prefix="/api/v1/report-schedules",
    tags=["reports"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not a supervisor or admin, or not your call centers"},
        404: {"description": "No such schedule (or not one you may see)"},
        422: {"description": "A bad body or id, with the reason"},
        503: {"description": "The job queue (Redis) refused the run"},
    },
)

EMAIL = r"^[^@\s,;:<>\"'()\[\]\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
"""One plain address: no display name, quotes, commas or line breaks (header injection)."""
CALL_CENTER = r"^[0-9A-Za-z_-]{1,32}$"

Email = Annotated[str, Field(pattern=EMAIL, max_length=254)]
CallCenterId = Annotated[str, Field(pattern=CALL_CENTER)]
ScheduleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ScheduleIn(BaseModel):
    report: Annotated[str, Field(pattern=r"^(call-centers|agents|usage)$")]
    call_centers: Annotated[list[CallCenterId], Field(max_length=100)] = []
    """Empty: every call center (admins); supervisors name theirs."""
    interval: ScheduleInterval
    recipients: Annotated[list[Email], Field(min_length=1, max_length=20)]
    format: Annotated[str, Field(pattern=r"^(csv|xlsx)$")] = "csv"

    model_config = {"extra": "forbid"}


class ScheduleOut(BaseModel):
    id: int
    report: str
    call_centers: list[str]
    interval: str
    recipients: list[str]
    format: str
    time_zone: str
    created_by: str
    created_at: datetime
    next_run_at: datetime
    status: str
    attempts: int
    """Failed attempts since the last successful send."""
    last_error: str | None
    last_attempt_at: datetime | None
    last_sent_at: datetime | None

    @classmethod
    def of(cls, schedule: ReportSchedule) -> ScheduleOut:
        spec = schedule.spec
        return cls(
            id=schedule.id,
            report=spec.report,
            call_centers=list(spec.call_centers),
            interval=spec.interval,
            recipients=list(spec.recipients),
            format=spec.format,
            time_zone=spec.time_zone,
            created_by=spec.created_by,
            created_at=schedule.created_at,
            next_run_at=schedule.next_run_at,
            status=schedule.status.value,
            attempts=schedule.attempts,
            last_error=schedule.last_error,
            last_attempt_at=schedule.last_attempt_at,
            last_sent_at=schedule.last_sent_at,
        )


def _scope(principal: CurrentPrincipal) -> frozenset[str] | None:
    """None: the whole tenant (an admin); else the supervised call centers."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.SUPERVISOR:
        return principal.call_centers
    raise HTTPException(
        status.HTTP_403_FORBIDDEN, "report schedules are for supervisors and admins"
    )


Scope = Annotated[frozenset[str] | None, Depends(_scope)]


def get_store(service: Provisioning) -> ReportScheduleStore:
    return ReportScheduleStore(service.engine)


Store = Annotated[ReportScheduleStore, Depends(get_store)]


def get_queue(request: Request, services: Services) -> Queue:
    state = request.app.state
    queue: Queue | None = getattr(state, "report_queue", None)
    if queue is None:
        queue = job_queue(QUEUE_NAME, sync_client(services.settings.redis_url))
        state.report_queue = queue
    return queue


ReportQueue = Annotated[Queue, Depends(get_queue)]


async def _visible(store: ReportScheduleStore, principal: Principal, scope: frozenset[str] | None,
                   schedule_id: int) -> ReportSchedule:  # fmt: skip
    found = await run_in_threadpool(store.get, schedule_id, principal.tenant)
    if found is None or not visible_to([found], scope):
        # Another tenant's or call center's schedule answers as if it did not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report schedule {schedule_id}")
    return found


async def _enqueue(
    queue: Queue, database_url: str, schedule: ReportSchedule, due: datetime
) -> None:
    try:
        await run_in_threadpool(enqueue_run, queue, database_url, schedule, due)
    except Exception as error:  # Redis down: say so, the schedule stays and start-up re-arms it
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the job queue refused the run: {error}"
        ) from error


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_schedule(
    body: ScheduleIn,
    principal: CurrentPrincipal,
    scope: Scope,
    services: Services,
    service: Provisioning,
    store: Store,
    queue: ReportQueue,
) -> ScheduleOut:
    call_centers = tuple(dict.fromkeys(body.call_centers))
    agents: tuple[str, ...] | None = None
    if scope is not None:
        if body.report == "usage":
            raise HTTPException(status.HTTP_403_FORBIDDEN, "usage reports are for admins")
        if not call_centers or not scope.issuperset(call_centers):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "name call centers you supervise in call_centers"
            )
    if call_centers:
        known = {cc.id for cc in await services.snapshots.call_centers(principal.tenant)}
        unknown = sorted(set(call_centers) - known)
        if unknown:
            raise HTTPException(422, f"no such call centers: {', '.join(unknown)}")
        if body.report == "agents":
            # The agents shown are the call centers' members when the schedule is made.
            members = await services.snapshots.agents(principal.tenant)
            agents = tuple(
                sorted(a.extension for a in members if set(call_centers) & set(a.call_centers))
            )
    thresholds = {
        cc.id: float(cc.service_level_seconds)
        for cc in await services.snapshots.call_centers(principal.tenant)
    }
    tenant = await run_in_threadpool(service.tenant, principal.tenant)
    now = datetime.now(UTC)
    spec = ScheduleSpec(
        tenant=principal.tenant,
        report=body.report,
        call_centers=call_centers,
        agents=agents,
        thresholds=thresholds,
        interval=body.interval.value,
        recipients=tuple(dict.fromkeys(body.recipients)),
        format=body.format,
        time_zone=tenant.time_zone,
        created_by=principal.username,
    )
    first = next_run(body.interval, now, tenant.time_zone)
    created = await run_in_threadpool(
        lambda: store.create(spec, chain=new_chain(), next_run_at=first, now=now)
    )
    await _enqueue(queue, services.settings.database_url, created, first)
    return ScheduleOut.of(created)


@router.get("")
async def list_schedules(
    principal: CurrentPrincipal, scope: Scope, store: Store
) -> list[ScheduleOut]:
    schedules = await run_in_threadpool(store.of_tenant, principal.tenant)
    return [ScheduleOut.of(s) for s in visible_to(schedules, scope)]


@router.get("/{schedule_id}")
async def get_schedule(
    schedule_id: ScheduleId, principal: CurrentPrincipal, scope: Scope, store: Store
) -> ScheduleOut:
    return ScheduleOut.of(await _visible(store, principal, scope, schedule_id))


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_schedule(
    schedule_id: ScheduleId, principal: CurrentPrincipal, scope: Scope, store: Store
) -> None:
    await _visible(store, principal, scope, schedule_id)
    await run_in_threadpool(store.delete, schedule_id, principal.tenant)


@router.post("/{schedule_id}/send", status_code=status.HTTP_202_ACCEPTED)
async def send_now(
    schedule_id: ScheduleId,
    principal: CurrentPrincipal,
    scope: Scope,
    services: Services,
    store: Store,
    queue: ReportQueue,
) -> ScheduleOut:
    """Send the last whole period now, besides the schedule's own runs."""
    schedule = await _visible(store, principal, scope, schedule_id)
    await _enqueue(queue, services.settings.database_url, schedule, datetime.now(UTC))
    return ScheduleOut.of(schedule)
