"""Report schedules on rq: arm a schedule's job chain, and the job that mails one run.

Each schedule has one self-renewing chain of `enqueue_at` jobs, run by the worker's scheduler
(`rq worker --with-scheduler`, which `make demo` starts): the run due at T first moves the
schedule's next run on and enqueues it, then builds the report and mails it. A failed send raises,
so rq retries it (`retry_policy`), and the schedule's status says `retrying` or `failed` with the
error (GET /api/v1/report-schedules). Jobs carry the schedule id, its chain token and their due
time, never the recipients or report settings: those are read when the job runs, so a deleted
schedule sends nothing and a re-armed one (new token) leaves no twin chain behind.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rq import Queue, Retry, get_current_job
from sqlalchemy import Engine

from common.job_queues import origin_queue
from provisioning.report_schedules import ReportSchedule, ReportScheduleStore
from reports.db import make_engine
from reports.exports import rows_of, to_csv, to_xlsx
from reports.ranges import ReportRange
from reports.scheduled import SmtpSettings, mail_files
from reports.scheduled_times import ScheduleInterval, covered_period, next_run
from reports.service import agent_figures, call_center_figures, usage_figures

log = logging.getLogger(__name__)

QUEUE_NAME = "reports"
RETRY_ENV = "OPENCC_REPORT_RETRY_S"
DEFAULT_RETRY_S = (60, 300, 1800, 7200)
"""A mail server down for a few minutes or a couple of hours still gets the report out."""

REPORTS = ("call-centers", "agents", "usage")
FORMATS = ("csv", "xlsx")


def retry_policy() -> Retry:
    """rq's retries for a send; `OPENCC_REPORT_RETRY_S` (comma-separated seconds) overrides."""
    configured = os.environ.get(RETRY_ENV, "")
    intervals = [int(part) for part in configured.split(",") if part.strip()] or list(
        DEFAULT_RETRY_S
    )
    return Retry(max=len(intervals), interval=intervals)


def new_chain() -> str:
    return uuid.uuid4().hex


def enqueue_run(queue: Queue, database_url: str, schedule: ReportSchedule, due: datetime) -> str:
    """Put the schedule's run due at `due` on the queue (at once when `due` has passed)."""
    job = queue.enqueue_at(
        due,
        run_report_schedule,
        database_url,
        schedule.id,
        schedule.chain,
        due.astimezone(UTC).isoformat(),
        retry=retry_policy(),
        job_id=f"report-schedule-{schedule.id}-{schedule.chain[:8]}-{int(due.timestamp())}",
        description=f"report schedule {schedule.id} due {due.isoformat()}",
    )
    return str(job.id)


def rearm_all(store: ReportScheduleStore, queue: Queue, database_url: str) -> int:
    """At start-up: give every schedule a new chain from its next run (a run missed while the
    product was down goes out at once); the old chains' jobs then end without sending."""
    schedules = store.every()
    for schedule in schedules:
        chain = new_chain()
        store.rearm(schedule.id, chain)
        rearmed = store.get(schedule.id)
        if rearmed is not None:
            enqueue_run(queue, database_url, rearmed, rearmed.next_run_at)
    return len(schedules)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(database_url: str) -> Engine:
    """One engine per database in the worker process (a SimpleWorker runs many jobs)."""
    with _engines_lock:
        engine = _engines.get(database_url)
        if engine is None:
            engine = _engines[database_url] = make_engine(database_url)
        return engine


def run_report_schedule(database_url: str, schedule_id: int, chain: str, due_iso: str) -> str:
    """rq job: one run of a schedule; returns what it did (`sent ...` or `cancelled`)."""
    engine = _engine(database_url)
    store = ReportScheduleStore(engine)
    schedule = store.get(schedule_id)
    if schedule is None or schedule.chain != chain:
        return "cancelled"
    due = datetime.fromisoformat(due_iso)
    interval = ScheduleInterval(schedule.spec.interval)
    following = next_run(interval, due, schedule.spec.time_zone)
    job = get_current_job()
    if store.advance(schedule_id, chain, due, following) and job is not None:
        # Chain first, once: a failing send (and its retries) must not stop the next period.
        queue = origin_queue(job)
        enqueue_run(queue, database_url, schedule, following)
    period = covered_period(interval, due, schedule.spec.time_zone)
    try:
        message_id = send_schedule(engine, schedule, period, SmtpSettings.from_env())
    except Exception as error:
        retrying = job is not None and bool(job.retries_left)
        reason = f"{type(error).__name__}: {error}"
        store.record_failure(schedule_id, datetime.now(UTC), reason, retrying)
        log.warning("report schedule %s: send failed (%s)", schedule_id, reason)
        raise
    store.record_sent(schedule_id, datetime.now(UTC))
    return f"sent {message_id}"


def report_rows(
    engine: Engine, schedule: ReportSchedule, period: ReportRange
) -> list[dict[str, object]]:
    spec = schedule.spec
    if spec.report == "call-centers":
        scope = spec.call_centers or None
        return rows_of(
            call_center_figures(
                engine, spec.tenant, period, thresholds=spec.thresholds, call_centers=scope
            )
        )
    if spec.report == "agents":
        return rows_of(agent_figures(engine, spec.tenant, period, agents=spec.agents))
    if spec.report == "usage":
        return rows_of(usage_figures(engine, spec.tenant, period))
    raise ValueError(f"unknown report {spec.report!r}; choose from {REPORTS}")


def send_schedule(
    engine: Engine, schedule: ReportSchedule, period: ReportRange, smtp: SmtpSettings
) -> str:
    spec = schedule.spec
    rows = report_rows(engine, schedule, period)
    start = period.start.astimezone(ZoneInfo(spec.time_zone))
    name = f"{spec.report}-{start:%Y-%m-%d}-{spec.interval}.{spec.format}"
    content = to_xlsx({spec.report: rows}) if spec.format == "xlsx" else to_csv(rows).encode()
    return mail_files(
        smtp,
        spec.recipients,
        subject=f"{spec.report} report {spec.tenant} {spec.interval} from {start:%Y-%m-%d}",
        message_id=f"<schedule-{schedule.id}-{int(period.start_ts)}@opencc>",
        text=f"The {spec.interval} {spec.report} report of {spec.tenant} from "
        f"{period.start.isoformat()} to {period.end.isoformat()} (UTC) is attached.\n",
        files={name: content},
    )
