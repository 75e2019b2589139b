"""Report schedules: which report goes to whom, how often, and how its last send went.

The table lives in the provisioning schema (a tenant's settings, deleted with it) but holds no
report logic: `reports.scheduled_jobs` arms and runs the schedules, `cti/rest/report_schedules.py`
is the API. A schedule's `chain` is the token of its one live rq job chain: re-arming it (at
start-up) gives a new token, and jobs carrying an old one end without sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from provisioning.models import METADATA, TENANT_ID

MAX_ERROR_CHARS = 500

report_schedules = Table(
    "prov_report_schedules",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("report", String(16), nullable=False),
    Column("call_centers", JSON, nullable=False),
    Column("agents", JSON, nullable=True),
    Column("thresholds", JSON, nullable=False),
    Column("interval", String(8), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("format", String(8), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("chain", String(32), nullable=False),
    Column("next_run_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(MAX_ERROR_CHARS), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_prov_report_schedules_tenant", "tenant"),
)


class SendStatus(StrEnum):
    SCHEDULED = "scheduled"
    """Nothing sent yet."""
    SENT = "sent"
    RETRYING = "retrying"
    """The last attempt failed; rq tries again (see `last_error`)."""
    FAILED = "failed"
    """Every retry failed; the next period's run tries afresh."""


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    tenant: str
    report: str
    call_centers: tuple[str, ...]
    """Empty: every call center of the tenant (admins only)."""
    agents: tuple[str, ...] | None
    """The agents an agent report may show; None: every agent of the tenant."""
    thresholds: dict[str, float]
    interval: str
    recipients: tuple[str, ...]
    format: str
    time_zone: str
    created_by: str


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    id: int
    spec: ScheduleSpec
    created_at: datetime
    chain: str
    next_run_at: datetime
    status: SendStatus
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    last_sent_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> ReportSchedule:
        spec = ScheduleSpec(
            tenant=row.tenant,
            report=row.report,
            call_centers=tuple(row.call_centers),
            agents=None if row.agents is None else tuple(row.agents),
            thresholds={str(k): float(v) for k, v in row.thresholds.items()},
            interval=row.interval,
            recipients=tuple(row.recipients),
            format=row.format,
            time_zone=row.time_zone,
            created_by=row.created_by,
        )
        return cls(
            id=row.id,
            spec=spec,
            created_at=_utc(row.created_at),
            chain=row.chain,
            next_run_at=_utc(row.next_run_at),
            status=SendStatus(row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            last_attempt_at=_utc_or_none(row.last_attempt_at),
            last_sent_at=_utc_or_none(row.last_sent_at),
        )


def _utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


class ReportScheduleStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self, spec: ScheduleSpec, *, chain: str, next_run_at: datetime, now: datetime
    ) -> ReportSchedule:
        with self._engine.begin() as connection:
            new_id = connection.execute(
                insert(report_schedules).values(
                    tenant=spec.tenant,
                    report=spec.report,
                    call_centers=list(spec.call_centers),
                    agents=None if spec.agents is None else list(spec.agents),
                    thresholds=spec.thresholds,
                    interval=spec.interval,
                    recipients=list(spec.recipients),
                    format=spec.format,
                    time_zone=spec.time_zone,
                    created_by=spec.created_by,
                    created_at=now,
                    chain=chain,
                    next_run_at=next_run_at,
                    status=SendStatus.SCHEDULED.value,
                    attempts=0,
                )
            ).inserted_primary_key
            assert new_id is not None
            row = connection.execute(
                select(report_schedules).where(report_schedules.c.id == new_id[0])
            ).one()
        return ReportSchedule.of(row)

    def of_tenant(self, tenant: str) -> list[ReportSchedule]:
        query = (
            select(report_schedules)
            .where(report_schedules.c.tenant == tenant)
            .order_by(report_schedules.c.id)
        )
        with self._engine.connect() as connection:
            return [ReportSchedule.of(row) for row in connection.execute(query)]

    def every(self) -> list[ReportSchedule]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(report_schedules).order_by(report_schedules.c.id))
            return [ReportSchedule.of(row) for row in rows]

    def get(self, schedule_id: int, tenant: str | None = None) -> ReportSchedule | None:
        """The schedule; with `tenant`, only when it belongs to that tenant."""
        query = select(report_schedules).where(report_schedules.c.id == schedule_id)
        if tenant is not None:
            query = query.where(report_schedules.c.tenant == tenant)
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else ReportSchedule.of(row)

    def delete(self, schedule_id: int, tenant: str) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(report_schedules).where(
                    report_schedules.c.id == schedule_id, report_schedules.c.tenant == tenant
                )
            )
        return result.rowcount == 1

    def rearm(self, schedule_id: int, chain: str) -> None:
        self._update(schedule_id, chain=chain)

    def advance(self, schedule_id: int, chain: str, due: datetime, next_run_at: datetime) -> bool:
        """Move the chain's next run from `due` on to `next_run_at`; False when already moved
        (a retry, or a send-now between two runs) or the chain is no longer the schedule's."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(report_schedules)
                .where(
                    report_schedules.c.id == schedule_id,
                    report_schedules.c.chain == chain,
                    report_schedules.c.next_run_at <= due,
                )
                .values(next_run_at=next_run_at)
            )
        return result.rowcount == 1

    def record_sent(self, schedule_id: int, at: datetime) -> None:
        self._update(
            schedule_id,
            status=SendStatus.SENT.value,
            attempts=0,
            last_error=None,
            last_attempt_at=at,
            last_sent_at=at,
        )

    def record_failure(self, schedule_id: int, at: datetime, error: str, retrying: bool) -> None:
        status = SendStatus.RETRYING if retrying else SendStatus.FAILED
        with self._engine.begin() as connection:
            connection.execute(
                update(report_schedules)
                .where(report_schedules.c.id == schedule_id)
                .values(
                    status=status.value,
                    attempts=report_schedules.c.attempts + 1,
                    last_error=error[:MAX_ERROR_CHARS],
                    last_attempt_at=at,
                )
            )

    def _update(self, schedule_id: int, **values: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(report_schedules)
                .where(report_schedules.c.id == schedule_id)
                .values(**values)
            )


def visible_to(
    schedules: Sequence[ReportSchedule], call_centers: frozenset[str] | None
) -> list[ReportSchedule]:
    """The schedules a supervisor of `call_centers` may see (None: an admin, every one)."""
    if call_centers is None:
        return list(schedules)
    return [
        s for s in schedules if s.spec.call_centers and call_centers.issuperset(s.spec.call_centers)
    ]
