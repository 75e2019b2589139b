"""Report periods: validated time ranges and the intervals (15 min, hour, day) they split into.

A bad range is the caller's mistake, so it raises `ReportRangeError` with a reason fit to show to
the user; the CTI layer maps it to a 4xx answer (`http_status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

MAX_SPAN = timedelta(days=366)
MAX_INTERVALS = 10_000
"""Bound on rows per call center, so a 15-minute split of a year cannot be asked for."""


class ReportRangeError(ValueError):
    """A report period that cannot be served; `reason` says why, in words for the user."""

    http_status = 400

    def __init__(self, reason: str, parameter: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parameter = parameter


class Interval(StrEnum):
    """How a period is split into rows."""

    QUARTER_HOUR = "15min"
    HOUR = "hour"
    DAY = "day"
    RANGE = "range"
    """One row for the whole (custom) range."""

    @property
    def seconds(self) -> float | None:
        return {"15min": 900.0, "hour": 3600.0, "day": 86400.0}.get(self.value)


@dataclass(frozen=True, slots=True)
class ReportRange:
    """A half-open period [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    def buckets(self, interval: Interval) -> list[tuple[float, float]]:
        """[start, end) epoch pairs of each interval; the last one is cut at the range's end.

        Intervals are aligned on the range's start, so a range starting at local midnight gives
        local days and hours.
        """
        size = interval.seconds
        if size is None:
            return [(self.start_ts, self.end_ts)]
        out: list[tuple[float, float]] = []
        start = self.start_ts
        while start < self.end_ts:
            out.append((start, min(start + size, self.end_ts)))
            start += size
        return out


def _parse_instant(value: str | datetime | None, parameter: str) -> datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ReportRangeError(f"'{parameter}' is required (an ISO 8601 date-time)", parameter)
    if isinstance(value, datetime):
        instant = value
    else:
        try:
            instant = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ReportRangeError(
                f"'{parameter}' is not an ISO 8601 date-time: {value!r}", parameter
            ) from None
    if instant.tzinfo is None:
        # A time without offset is read as UTC, the time base of every stored fact.
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def parse_range(
    start: str | datetime | None,
    end: str | datetime | None,
    interval: Interval | str = Interval.RANGE,
) -> ReportRange:
    """Validate a report period from user input (ISO 8601 strings, or datetimes).

    Raises `ReportRangeError` when a bound is missing or unreadable, when `to` is not after
    `from`, when the period is longer than 366 days, or when `interval` would make more than
    10,000 rows.
    """
    first = _parse_instant(start, "from")
    last = _parse_instant(end, "to")
    if last <= first:
        raise ReportRangeError(
            f"'to' ({last.isoformat()}) must be after 'from' ({first.isoformat()})", "to"
        )
    if last - first > MAX_SPAN:
        raise ReportRangeError(f"a report covers at most {MAX_SPAN.days} days", "to")
    try:
        kind = Interval(interval)
    except ValueError:
        choices = ", ".join(i.value for i in Interval)
        raise ReportRangeError(
            f"'interval' must be one of {choices}, got {interval!r}", "interval"
        ) from None
    size = kind.seconds
    if size is not None and (last - first).total_seconds() / size > MAX_INTERVALS:
        raise ReportRangeError(
            f"{kind.value} intervals over this period make more than {MAX_INTERVALS} rows; "
            "choose a longer interval or a shorter period",
            "interval",
        )
    return ReportRange(first, last)


def day_range(day: datetime) -> ReportRange:
    """The calendar day (in `day`'s own time zone, UTC when naive) that contains `day`."""
    local = day if day.tzinfo is not None else day.replace(tzinfo=UTC)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Aware arithmetic is wall-clock arithmetic: a DST day is 23 or 25 hours long, as it should be.
    end = start + timedelta(days=1)
    return ReportRange(start.astimezone(UTC), end.astimezone(UTC))
