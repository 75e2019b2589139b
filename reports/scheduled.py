"""Scheduled reports: rq cron jobs that build a period's reports and mail them over SMTP.

`register_scheduled_report` puts a job on a `JsonCronScheduler` (common/job_queues.py: rq 3's
cron scheduler enqueueing JSON jobs; run it with `python -m common.job_queues cron <config>` or
`start()`); an rq worker then runs `send_report_mail`, which reads the reports database, attaches
CSV and XLSX exports and sends one mail. Job arguments are plain JSON values (URLs, names,
numbers): rq stores them in Redis, and the product's workers read nothing else.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from rq.cron import CronJob

from common.job_queues import JsonCronScheduler
from reports.db import make_engine
from reports.exports import rows_of, to_csv, to_xlsx
from reports.ranges import Interval, ReportRange, day_range
from reports.service import agent_figures, call_center_figures, usage_figures

log = logging.getLogger(__name__)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PERIODS = ("previous_day", "previous_hour", "previous_week")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "reports@opencc.local"
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """From SMTP_HOST, SMTP_PORT, SMTP_FROM, SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS."""
        return cls(
            host=os.environ.get("SMTP_HOST", "127.0.0.1"),
            port=int(os.environ.get("SMTP_PORT", "25")),
            sender=os.environ.get("SMTP_FROM", "reports@opencc.local"),
            username=os.environ.get("SMTP_USERNAME"),
            password=os.environ.get("SMTP_PASSWORD"),
            starttls=os.environ.get("SMTP_STARTTLS", "") in {"1", "true", "yes"},
        )

    @classmethod
    def configured(cls) -> SmtpSettings | None:
        """From the environment, or None when no SMTP server is configured (`SMTP_HOST`
        unset): the product then mails nothing (voicemail, alerts)."""
        return cls.from_env() if os.environ.get("SMTP_HOST") else None

    def send(self, message: EmailMessage, timeout: float = 30.0) -> None:
        """Blocking: hand `message` to the SMTP server (STARTTLS and login when configured)."""
        with smtplib.SMTP(self.host, self.port, timeout=timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)

    def as_job_argument(self) -> dict[str, Any]:
        return asdict(self)


def previous_period(kind: str, now: datetime, time_zone: str = "Europe/Amsterdam") -> ReportRange:
    """The last complete day, hour or week (Monday to Monday) before `now`, in `time_zone`."""
    local = now.astimezone(ZoneInfo(time_zone))
    if kind == "previous_day":
        return day_range(local - timedelta(days=1))
    if kind == "previous_hour":
        end = local.replace(minute=0, second=0, microsecond=0)
        return ReportRange((end - timedelta(hours=1)).astimezone(UTC), end.astimezone(UTC))
    if kind == "previous_week":
        monday = day_range(local - timedelta(days=local.weekday())).start.astimezone(local.tzinfo)
        start = monday - timedelta(days=7)
        return ReportRange(start.astimezone(UTC), monday.astimezone(UTC))
    raise ValueError(f"unknown period {kind!r}; choose from {PERIODS}")


def build_report_files(
    database_url: str,
    tenant: str,
    period: ReportRange,
    interval: Interval = Interval.HOUR,
    thresholds: Mapping[str, float] | None = None,
) -> dict[str, bytes]:
    """File name -> content: call-center and agent CSVs and one XLSX with every sheet."""
    engine = make_engine(database_url)
    try:
        totals = rows_of(call_center_figures(engine, tenant, period, thresholds=thresholds))
        intervals = rows_of(
            call_center_figures(engine, tenant, period, interval, thresholds=thresholds)
        )
        agents = rows_of(agent_figures(engine, tenant, period))
        usage = rows_of(usage_figures(engine, tenant, period))
    finally:
        engine.dispose()
    stamp = period.start.strftime("%Y%m%dT%H%MZ")
    return {
        f"call-centers-{stamp}.csv": to_csv(totals).encode(),
        f"agents-{stamp}.csv": to_csv(agents).encode(),
        f"report-{stamp}.xlsx": to_xlsx(
            {
                "call centers": totals,
                f"call centers per {interval.value}": intervals,
                "agents": agents,
                "usage": usage,
            }
        ),
    }


def send_report_mail(
    database_url: str,
    tenant: str,
    recipients: Sequence[str],
    smtp: Mapping[str, Any],
    period: str = "previous_day",
    time_zone: str = "Europe/Amsterdam",
    thresholds: Mapping[str, float] | None = None,
    now: str | None = None,
) -> str:
    """rq job: mail the reports of the previous period; returns the Message-ID it sent.

    `now` (ISO 8601) pins the clock for reruns of a missed period.
    """
    settings = SmtpSettings(**smtp)
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    window = previous_period(period, moment, time_zone)
    files = build_report_files(database_url, tenant, window, thresholds=thresholds)
    local_start = window.start.astimezone(ZoneInfo(time_zone))
    return mail_files(
        settings,
        recipients,
        subject=f"Call-center report {tenant} {local_start:%Y-%m-%d %H:%M} ({period})",
        message_id=f"<report-{tenant}-{int(window.start_ts)}-{period}@opencc>",
        text=f"Reports of tenant {tenant} from {window.start.isoformat()} to "
        f"{window.end.isoformat()} (UTC) are attached as CSV and XLSX.\n",
        files=files,
    )


def mail_files(
    settings: SmtpSettings,
    recipients: Sequence[str],
    *,
    subject: str,
    message_id: str,
    text: str,
    files: Mapping[str, bytes],
) -> str:
    """Send one mail with `files` attached (by their extension: XLSX, PDF or CSV); its
    Message-ID."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = message_id
    message.set_content(text)
    for name, content in files.items():
        if name.endswith(".xlsx"):
            message.add_attachment(
                content, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name
            )
        elif name.endswith(".pdf"):  # a fax (cti/fax.py)
            message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
        else:
            message.add_attachment(content, maintype="text", subtype="csv", filename=name)
    settings.send(message)
    log.info("mailed %s to %s", subject, ", ".join(recipients))
    return message_id


def register_scheduled_report(
    scheduler: JsonCronScheduler,
    *,
    queue_name: str,
    cron: str,
    database_url: str,
    tenant: str,
    recipients: Sequence[str],
    smtp: SmtpSettings,
    period: str = "previous_day",
    time_zone: str = "Europe/Amsterdam",
    thresholds: Mapping[str, float] | None = None,
) -> CronJob:
    """Schedule `send_report_mail` on a JSON cron scheduler, e.g. `cron="0 6 * * *"` daily."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; choose from {PERIODS}")
    return scheduler.register(
        send_report_mail,
        queue_name=queue_name,
        kwargs={
            "database_url": database_url,
            "tenant": tenant,
            "recipients": list(recipients),
            "smtp": smtp.as_job_argument(),
            "period": period,
            "time_zone": time_zone,
            "thresholds": dict(thresholds or {}),
        },
        cron=cron,
        name=f"reports:{tenant}:{period}:{','.join(recipients)}",
    )
