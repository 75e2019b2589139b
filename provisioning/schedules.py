"""Weekly schedules and holiday calendars of a tenant, as the engine's own objects.

A weekly schedule is a set of opening intervals; two intervals of one weekday that overlap are
refused (the engine would accept them, but an admin who writes them has made a mistake). A
holiday calendar is a country's public holidays (the `holidays` package; "NL" for Dutch ones)
plus the company's own days.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, assert_never

import holidays

from provisioning.engine_config import build, dump
from provisioning.errors import Invalid
from queueing.schedule import HolidayCalendar, WeeklySchedule

SCHEDULE_NAME_MAX = 64


class ScheduleKind(StrEnum):
    WEEKLY = "weekly"
    HOLIDAYS = "holidays"


def validate_schedule_name(name: str) -> None:
    if not name or len(name) > SCHEDULE_NAME_MAX or not name.replace("-", "").isalnum():
        raise Invalid("name", f"1-{SCHEDULE_NAME_MAX} letters, digits or '-'")


def weekly_schedule(data: Mapping[str, Any]) -> WeeklySchedule:
    """A schedule `{"timezone": ..., "hours": [{"weekday": 0, "start": "08:00", "end": ...}]}`."""
    schedule = build(WeeklySchedule, data)
    ordered = sorted(enumerate(schedule.hours), key=lambda item: (item[1].weekday, item[1].start))
    for (_, earlier), (index, later) in itertools.pairwise(ordered):
        if earlier.weekday == later.weekday and later.start < earlier.end:
            raise Invalid(
                f"hours[{index}]",
                f"overlaps another interval of weekday {later.weekday} ({earlier.start}-"
                f"{earlier.end})",
            )
    return schedule


def holiday_calendar(data: Mapping[str, Any]) -> HolidayCalendar:
    """A calendar `{"name", "country": "NL" | null, "timezone", "extra_dates": ["2025-12-24"]}`."""
    return build(HolidayCalendar, data)


def holidays_in(calendar: HolidayCalendar, year: int) -> dict[date, str]:
    """Every holiday of `calendar` in `year`, public ones and own days, by date."""
    found: dict[date, str] = {}
    if calendar.country is not None:
        found.update(holidays.country_holidays(calendar.country, years=year).items())
    found.update({day: calendar.name for day in calendar.extra_dates if day.year == year})
    return dict(sorted(found.items()))


def normal_form(kind: ScheduleKind, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` validated as a schedule of `kind`, in the engine's JSON form (as stored)."""
    match kind:
        case ScheduleKind.WEEKLY:
            return dump(WeeklySchedule, weekly_schedule(data))
        case ScheduleKind.HOLIDAYS:
            return dump(HolidayCalendar, holiday_calendar(data))
        case _:
            assert_never(kind)
