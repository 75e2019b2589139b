"""When report schedules run and which period each run covers (local time, DST included)."""

from __future__ import annotations

from datetime import UTC, datetime

from reports.scheduled_times import ScheduleInterval, covered_period, next_run

AMS = "Europe/Amsterdam"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_runs_are_due_at_six_local_time_daily_mondays_and_firsts() -> None:
    # 2026-03-04 is a Wednesday; Amsterdam is UTC+1 in winter
    assert next_run(ScheduleInterval.DAILY, utc(2026, 3, 4, 4, 59), AMS) == utc(2026, 3, 4, 5, 0)
    assert next_run(ScheduleInterval.DAILY, utc(2026, 3, 4, 5, 0), AMS) == utc(2026, 3, 5, 5, 0)
    assert next_run(ScheduleInterval.WEEKLY, utc(2026, 3, 4, 12), AMS) == utc(2026, 3, 9, 5, 0)
    assert next_run(ScheduleInterval.MONTHLY, utc(2026, 3, 4, 12), AMS) == utc(2026, 4, 1, 4, 0)
    assert next_run(ScheduleInterval.MONTHLY, utc(2026, 12, 31), AMS) == utc(2027, 1, 1, 5, 0)
    # the night of the DST change: 06:00 local is 04:00 UTC from then on
    assert next_run(ScheduleInterval.DAILY, utc(2026, 3, 29, 0), AMS) == utc(2026, 3, 29, 4, 0)


def test_each_run_covers_the_whole_local_period_before_it() -> None:
    day = covered_period(ScheduleInterval.DAILY, utc(2026, 3, 5, 5, 0), AMS)
    assert (day.start, day.end) == (utc(2026, 3, 3, 23), utc(2026, 3, 4, 23))
    week = covered_period(ScheduleInterval.WEEKLY, utc(2026, 3, 9, 5, 0), AMS)
    assert (week.start, week.end) == (utc(2026, 3, 1, 23), utc(2026, 3, 8, 23))
    # March has its DST change inside: 31 local days are 743 hours
    month = covered_period(ScheduleInterval.MONTHLY, utc(2026, 4, 1, 4, 0), AMS)
    assert (month.start, month.end) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))
    january = covered_period(ScheduleInterval.MONTHLY, utc(2027, 1, 1, 5, 0), AMS)
    assert (january.start, january.end) == (utc(2026, 11, 30, 23), utc(2026, 12, 31, 23))
