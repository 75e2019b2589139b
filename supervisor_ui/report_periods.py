"""What period a supervisor asked for, its rows, and the API requests that give exactly those
rows: pure functions of the form's values and now.

Periods are local (the dashboard's time zone): "today" starts at local midnight, a day row is a
calendar day (23 or 25 hours across DST). Quarter-hour and hour rows are aligned on the
period's start, as the reports align them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from zoneinfo import ZoneInfo

from supervisor_ui.reports_api import RANGE

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_HINT = "YYYY-MM-DD or YYYY-MM-DD HH:MM"
FIRST_YEAR, LAST_YEAR = 1970, 9998


class ReportInputError(ValueError):
    """The form asks for a report that cannot be made; the message is for the supervisor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Preset(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "week"
    CUSTOM = "custom"


class Step(StrEnum):
    QUARTER_HOUR = "15min"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end), both aware in the dashboard's zone."""

    start: datetime
    end: datetime


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def _instant(text: str | None, name: str, zone: ZoneInfo, *, end: bool) -> datetime:
    if not text or not text.strip():
        raise ReportInputError(f"Enter the custom range's '{name}' ({DATE_HINT}).")
    text = text.strip()
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ReportInputError(
            f"'{name}' is not a date or time ({DATE_HINT}): {text[:40]!r}."
        ) from None
    # Far dates overflow on the way to UTC, and the reports hold no calls before the epoch.
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise ReportInputError(f"'{name}' must lie between {FIRST_YEAR} and {LAST_YEAR}.")
    if end and _DATE_ONLY.match(text):
        # A date alone as 'to' includes that whole day.
        return _midnight(instant.date() + timedelta(days=1), zone)
    return instant.replace(tzinfo=zone) if instant.tzinfo is None else instant.astimezone(zone)


def period_of(
    preset: str | None, custom_from: str | None, custom_to: str | None, now: datetime
) -> Period:
    """The period the form asks for; `now` is aware, in the dashboard's zone."""
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    today = _midnight(now.date(), zone)
    match preset_of(preset):
        case Preset.TODAY:
            return Period(today, now)
        case Preset.YESTERDAY:
            return Period(_midnight(now.date() - timedelta(days=1), zone), today)
        case Preset.THIS_WEEK:
            return Period(_midnight(now.date() - timedelta(days=now.weekday()), zone), now)
        case Preset.CUSTOM:
            start = _instant(custom_from, "from", zone, end=False)
            end = _instant(custom_to, "to", zone, end=True)
            if end <= start:
                raise ReportInputError(
                    f"'from' ({str(custom_from).strip()}) must be before "
                    f"'to' ({str(custom_to).strip()})."
                )
            return Period(start, end)
        case unknown:
            assert_never(unknown)


def preset_of(value: str | None) -> Preset:
    try:
        return Preset(str(value))
    except ValueError:
        raise ReportInputError("Choose a range: today, yesterday, this week or custom.") from None


def _size(step: Step) -> timedelta:
    return {
        Step.QUARTER_HOUR: timedelta(minutes=15),
        Step.HOUR: timedelta(hours=1),
        Step.DAY: timedelta(days=1),
    }[step]


def step_of(value: str | None) -> Step:
    try:
        return Step(str(value))
    except ValueError:
        raise ReportInputError("Choose an interval: 15 minutes, hour or day.") from None


def rows_of(period: Period, kind: Step) -> list[Period]:
    """The period split into rows, the last one cut at the period's end. How many rows a
    period may have is the API's to say (it refuses more than 10,000 with its reason)."""
    size = _size(kind)
    # Instants are compared in UTC: comparing two times of one zone ignores the DST fold.
    end = period.end.astimezone(UTC)
    rows: list[Period] = []
    start = period.start
    while start < end:
        if kind is Step.DAY:
            # Aware arithmetic in one zone is wall-clock arithmetic: the next local midnight.
            following = start + size
        else:
            following = (start.astimezone(UTC) + size).astimezone(start.tzinfo)
        rows.append(Period(start, following if following < end else period.end))
        start = following
    return rows


@dataclass(frozen=True, slots=True)
class IntervalQuery:
    """One request to the per-interval report: its period and its `interval`."""

    period: Period
    interval: str


def _length(row: Period) -> timedelta:
    # Subtracting two times of one zone is wall-clock arithmetic: a DST day would be 24 hours.
    return row.end.astimezone(UTC) - row.start.astimezone(UTC)


def queries_of(rows: Sequence[Period], kind: Step) -> list[IntervalQuery]:
    """The fewest per-interval requests whose answers are exactly `rows`.

    The API splits a request into intervals of a fixed length (15 min, 1 h, 24 h) aligned on
    its `from`, the last one cut at its `to`. Quarter-hour and hour rows are just that: one
    request. Day rows are local days, 23 or 25 hours on a DST change, so a run of 24-hour days
    ends at such a day: a short one is the run's last row (cut at `to`), a long one is asked
    alone as one `range` row. A year by day is at most four requests.
    """
    size = _size(kind)
    runs: list[list[Period]] = []
    for row in rows:
        if runs and _length(runs[-1][-1]) == size and _length(row) <= size:
            runs[-1].append(row)
        else:
            runs.append([row])
    return [
        IntervalQuery(Period(run[0].start, run[-1].end), kind.value if len(run) > 1 else RANGE)
        for run in runs
    ]
