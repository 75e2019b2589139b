"""CSV/XLSX exports, and scheduled reports: an rq cron job mails them to a local SMTP server."""

from __future__ import annotations

import csv
import email
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from openpyxl import load_workbook
from redis import Redis
from rq import Queue
from sqlalchemy import Engine

from common.job_queues import JsonCronScheduler, enqueue_cron_job, job_queue, simple_worker
from reports.exports import rows_of, to_csv, to_xlsx
from reports.ingest import Ingester
from reports.ranges import Interval, parse_range
from reports.scheduled import SmtpSettings, previous_period, register_scheduled_report
from reports.service import agent_figures, call_center_figures
from reports.synthetic import generate_day, publish
from tests.ports import free_port


def test_csv_and_xlsx_exports_hold_every_row_and_column() -> None:
    rows: list[dict[str, Any]] = [
        {"agent": "1001", "answered": 3, "busy_seconds": 12.5},
        {"agent": "1002", "answered": 0, "occupancy": None, "wrap_up_seconds": 10.0},
    ]
    text = to_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == ["agent", "answered", "busy_seconds", "occupancy", "wrap_up_seconds"]
    assert parsed[1] == {
        "agent": "1002",
        "answered": "0",
        "busy_seconds": "",
        "occupancy": "",
        "wrap_up_seconds": "10.0",
    }
    workbook = load_workbook(io.BytesIO(to_xlsx({"agents": rows, "empty": []})))
    assert workbook.sheetnames == ["agents", "empty"]
    values = list(workbook["agents"].iter_rows(values_only=True))
    assert values == [
        ("agent", "answered", "busy_seconds", "occupancy", "wrap_up_seconds"),
        ("1001", 3, 12.5, None, None),
        ("1002", 0, None, None, 10.0),
    ]


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(email.message_from_bytes(content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def rq_queue(redis_client: Redis) -> Iterator[Queue]:
    queue = job_queue(f"test-reports-{uuid.uuid4().hex[:12]}", redis_client)
    yield queue
    # rq keeps finished jobs, their results and registries; remove ours, nobody else's
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            redis_client.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        redis_client.delete(registry.key)
    queue.delete(delete_jobs=True)


def attachments(message: Message) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            files[name] = payload
    return files


def test_a_cron_scheduled_report_is_mailed_with_csv_and_xlsx(
    db_url: str,
    engine: Engine,
    redis_client: Redis,
    prefix: str,
    smtp_server: tuple[Inbox, int],
    rq_queue: Queue,
    request: pytest.FixtureRequest,
) -> None:
    inbox, port = smtp_server
    day = generate_day(seed=5, calls_per_center=40)
    publish(redis_client, prefix, day.events)
    Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")

    scheduler = JsonCronScheduler(connection=redis_client, name=f"test-{uuid.uuid4().hex[:8]}")
    cron_job = register_scheduled_report(
        scheduler,
        queue_name=rq_queue.name,
        cron="0 6 * * *",
        database_url=db_url,
        tenant="demo",
        recipients=["manager@example.com"],
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="reports@example.com"),
        period="previous_day",
        time_zone="UTC",
    )
    assert cron_job.cron == "0 6 * * *" and cron_job.next_enqueue_time is not None
    assert (cron_job.next_enqueue_time.hour, cron_job.next_enqueue_time.minute) == (6, 0)
    # fire it as the scheduler does at 06:00, for the synthetic day (pinned "now": next morning)
    cron_job.kwargs["now"] = "2025-11-26T06:00:00+00:00"
    job = enqueue_cron_job(cron_job, redis_client)
    request.addfinalizer(lambda: redis_client.delete(cron_job.job_history_key))
    simple_worker([rq_queue], redis_client).work(burst=True)
    job.refresh()
    assert job.is_finished, job.latest_result()

    [message] = inbox.messages
    assert inbox.recipients == [["manager@example.com"]]
    assert message["Subject"] == "Call-center report demo 2025-11-25 00:00 (previous_day)"
    files = attachments(message)
    assert sorted(files) == [
        "agents-20251125T0000Z.csv",
        "call-centers-20251125T0000Z.csv",
        "report-20251125T0000Z.xlsx",
    ]
    period = parse_range("2025-11-25T00:00:00Z", "2025-11-26T00:00:00Z")
    expected = rows_of(call_center_figures(engine, "demo", period))
    mailed = list(csv.DictReader(io.StringIO(files["call-centers-20251125T0000Z.csv"].decode())))
    assert [row["offered"] for row in mailed] == [str(row["offered"]) for row in expected]
    assert [row["call_center"] for row in mailed] == ["7001", "7002", "7003"]

    workbook = load_workbook(io.BytesIO(files["report-20251125T0000Z.xlsx"]))
    assert workbook.sheetnames == ["call centers", "call centers per hour", "agents", "usage"]
    sheet = list(workbook["call centers"].iter_rows(values_only=True))
    header = list(sheet[0])
    # Excel keeps 15 significant digits, hence approx for the ratios and averages
    assert [dict(zip(header, row, strict=True)) for row in sheet[1:]] == [
        {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in row.items()}
        for row in expected
    ]
    hourly = list(workbook["call centers per hour"].iter_rows(values_only=True))
    assert len(hourly) == 1 + 3 * 24
    agents = list(workbook["agents"].iter_rows(values_only=True))
    assert len(agents) == 1 + len(agent_figures(engine, "demo", period, Interval.RANGE))


def test_previous_periods_are_whole_local_periods() -> None:
    now = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday, the day after the DST change
    day = previous_period("previous_day", now)
    assert (day.start.isoformat(), day.end.isoformat()) == (
        "2026-03-28T23:00:00+00:00",
        "2026-03-29T22:00:00+00:00",
    )
    hour = previous_period("previous_hour", now)
    assert (hour.start.hour, hour.end.hour) == (5, 6)
    week = previous_period("previous_week", now)
    assert week.end.isoformat() == "2026-03-29T22:00:00+00:00"
    assert week.end_ts - week.start_ts == 7 * 86400 - 3600
    with pytest.raises(ValueError, match="unknown period"):
        previous_period("fortnight", now)
