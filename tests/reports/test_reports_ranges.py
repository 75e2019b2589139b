"""Report periods: bad ranges are refused with a typed error and a reason; intervals split right."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.ranges import Interval, ReportRangeError, day_range, parse_range


@pytest.mark.parametrize(
    ("start", "end", "interval", "parameter", "words"),
    [
        (None, "2025-11-25T00:00:00Z", "range", "from", "'from' is required"),
        ("2025-11-25T00:00:00Z", "", "range", "to", "'to' is required"),
        ("yesterday", "2025-11-25T00:00:00Z", "range", "from", "not an ISO 8601"),
        ("2025-11-25T00:00:00Z", "2025-13-01", "range", "to", "not an ISO 8601"),
        ("2025-11-25T10:00:00Z", "2025-11-25T10:00:00Z", "range", "to", "must be after"),
        ("2025-11-25T10:00:00Z", "2025-11-25T11:00:00+02:00", "range", "to", "must be after"),
        ("2024-01-01T00:00:00Z", "2025-11-25T00:00:00Z", "range", "to", "at most 366 days"),
        ("2025-01-01T00:00:00Z", "2025-11-25T00:00:00Z", "15min", "interval", "more than 10000"),
        ("2025-11-24T00:00:00Z", "2025-11-25T00:00:00Z", "week", "interval", "must be one of"),
    ],
)
def test_bad_ranges_raise_a_typed_error_with_a_reason(
    start: str | None, end: str, interval: str, parameter: str, words: str
) -> None:
    with pytest.raises(ReportRangeError) as caught:
        parse_range(start, end, interval)
    assert caught.value.parameter == parameter
    assert words in caught.value.reason
    assert caught.value.http_status == 400
    assert isinstance(caught.value, ValueError)


def test_good_ranges_are_normalised_to_utc() -> None:
    period = parse_range("2025-11-25T01:00:00+01:00", "2025-11-25T02:00:00")  # naive reads as UTC
    assert period.start == datetime(2025, 11, 25, 0, 0, tzinfo=UTC)
    assert period.end == datetime(2025, 11, 25, 2, 0, tzinfo=UTC)
    assert period.buckets(Interval.RANGE) == [(period.start_ts, period.end_ts)]
    assert len(period.buckets(Interval.QUARTER_HOUR)) == 8
    assert parse_range("2025-11-25T00:00:00Z", "2025-11-25T00:00:01Z").end_ts == period.start_ts + 1


def test_hour_intervals_cut_the_last_one_at_the_range_end() -> None:
    period = parse_range("2025-11-25T00:00:00Z", "2025-11-25T02:30:00Z", "hour")
    assert [end - start for start, end in period.buckets(Interval.HOUR)] == [3600, 3600, 1800]


def test_a_local_day_across_a_dst_change_is_23_hours() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    spring = day_range(datetime(2026, 3, 29, 12, 0, tzinfo=amsterdam))
    assert spring.end_ts - spring.start_ts == 23 * 3600
    assert spring.start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert len(spring.buckets(Interval.HOUR)) == 23
