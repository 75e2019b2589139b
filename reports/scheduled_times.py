"""When a report schedule runs and which period each run reports (pure: no clock, no I/O).

A run is due at 06:00 local time (the tenant's time zone): daily every day, weekly on Mondays,
monthly on the 1st; it reports the last whole day, week (Monday to Monday) or calendar month
before its due time. Retries and late runs keep their due time, so they report the same period.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from zoneinfo import ZoneInfo

from reports.ranges import ReportRange

SEND_AT = time(6, 0)
"""Local time of day a run is due: after the night, before the working day."""


class ScheduleInterval(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def _local_send_time(day: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), SEND_AT, tzinfo=zone)


def _period_start(moment: datetime, interval: ScheduleInterval) -> datetime:
    """The local midnight starting the day, week or month `moment` (local) lies in."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval is ScheduleInterval.DAILY:
        return midnight
    if interval is ScheduleInterval.WEEKLY:
        return midnight - timedelta(days=midnight.weekday())
    if interval is ScheduleInterval.MONTHLY:
        return midnight.replace(day=1)
    assert_never(interval)


def _previous_start(start: datetime, interval: ScheduleInterval) -> datetime:
    if interval is ScheduleInterval.DAILY:
        return _period_start(start - timedelta(days=1), interval)
    if interval is ScheduleInterval.WEEKLY:
        return _period_start(start - timedelta(days=7), interval)
    if interval is ScheduleInterval.MONTHLY:
        return _period_start(start - timedelta(days=1), interval)
    assert_never(interval)


def _next_start(start: datetime, interval: ScheduleInterval) -> datetime:
    if interval is ScheduleInterval.DAILY:
        return _period_start(start + timedelta(days=1, hours=12), interval)
    if interval is ScheduleInterval.WEEKLY:
        return _period_start(start + timedelta(days=7, hours=12), interval)
    if interval is ScheduleInterval.MONTHLY:
        return _period_start(start + timedelta(days=32), interval)
    assert_never(interval)


def next_run(interval: ScheduleInterval, after: datetime, time_zone: str) -> datetime:
    """The first due time (UTC) strictly after `after`."""
    zone = ZoneInfo(time_zone)
    start = _period_start(after.astimezone(zone), interval)
    while True:
        due = _local_send_time(start, zone)
        if due > after:
            return due.astimezone(UTC)
        start = _next_start(start, interval)


def covered_period(interval: ScheduleInterval, due: datetime, time_zone: str) -> ReportRange:
    """The last whole day, week or month (local) that ended before `due`."""
    zone = ZoneInfo(time_zone)
    end = _period_start(due.astimezone(zone), interval)
    start = _previous_start(end, interval)
    # Local midnights rebuilt in the zone, so a DST change inside the period moves the offset.
    start_local = datetime.combine(start.date(), time(0), tzinfo=zone)
    end_local = datetime.combine(end.date(), time(0), tzinfo=zone)
    return ReportRange(start_local.astimezone(UTC), end_local.astimezone(UTC))
