"""A known synthetic day goes through Redis and the ingester; every figure is checked against
values computed here from the day's ground truth (what happened), not from the facts."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from statistics import mean
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine

from reports.ingest import Ingester
from reports.ranges import Interval, ReportRange, ReportRangeError, parse_range
from reports.service import (
    CALL_CENTER_REPORT_FIELDS,
    agent_figures,
    call_center_figures,
    call_centers_report,
    call_detail_records,
    usage_figures,
)
from reports.synthetic import (
    CALL_CENTERS,
    DAY,
    DAY_START,
    SimCall,
    SimDay,
    call_detail,
    generate_day,
    publish,
    publish_call_detail,
)

THRESHOLDS = {"7002": 30.0}
DAY_RANGE = ReportRange(
    datetime.fromtimestamp(DAY_START, UTC), datetime.fromtimestamp(DAY_START + DAY, UTC)
)


def expected_call_center(calls: list[SimCall], threshold: float) -> dict[str, Any]:
    """The figures of docs/reports.md, computed from what happened."""
    answered = [c for c in calls if c.outcome == "answered"]
    ended = [c for c in calls if c.outcome != "waiting"]
    entered_ended = [c for c in ended if c.entered]
    within = [c for c in answered if c.wait is not None and c.wait <= threshold]
    return {
        "offered": len(calls),
        "answered": len(answered),
        "abandoned": sum(c.outcome == "abandoned" for c in calls),
        "abandoned_during_entrance": sum(
            c.outcome == "abandoned" and c.during_entrance for c in calls
        ),
        "overflowed": sum(c.outcome == "overflowed" for c in calls),
        "stranded": sum(c.outcome == "stranded" for c in calls),
        "transferred": sum(c.outcome == "transferred" for c in calls),
        "escaped": sum(c.outcome == "escaped" for c in calls),
        "diverted": sum(c.outcome == "diverted" for c in calls),
        "waiting": sum(c.outcome == "waiting" for c in calls),
        "entered": sum(c.entered for c in calls),
        "bounced": sum(c.bounces > 0 for c in calls),
        "bounces": sum(c.bounces for c in calls),
        "answered_within_threshold": len(within),
        "service_level": len(within) / len(entered_ended) if entered_ended else None,
        "asa_seconds": mean(c.wait for c in answered if c.wait is not None) if answered else None,
        "aht_seconds": mean(c.talk for c in answered if c.talk is not None) if answered else None,
        "longest_wait_seconds": max((c.wait or 0.0 for c in ended), default=None),
    }


def approx(value: Any) -> Any:
    return None if value is None else pytest.approx(value, rel=1e-9, abs=1e-9)


def assert_figures(actual: Any, expected: dict[str, Any]) -> None:
    got = {name: getattr(actual, name) for name in expected}
    assert got == {name: approx(value) for name, value in expected.items()}


def in_range(calls: list[SimCall], cc: str, start: float, end: float) -> list[SimCall]:
    return [c for c in calls if c.call_center == cc and start <= c.arrival < end]


USAGE_RECORDS = [
    # (call id, caller, called, direction, seconds answered, type, profile, number, quantity)
    ("u-1", "1001", "0201234567", "outbound", 60.0, "voice", "Kantoor", "+31201234501", None),
    ("u-2", "1001", "+4420794601", "outbound", 125.0, "voice", "Kantoor", "+31201234501", None),
    ("u-3", "1002", "+32470123456", "outbound", 30.0, "voice", "Overal", "+31201234502", None),
    ("u-4", "1002", "0612345678", "outbound", 0.0, "sms", "Overal", "+31201234502", None),
    ("u-5", "1002", "0612345679", "outbound", 0.0, "sms", "Overal", "+31201234502", None),
    ("u-6", "1002", "apn", "outbound", 0.0, "data", "Overal", "+31201234502", 5_000_000.0),
    ("u-7", "1001", "1002", "internal", 40.0, "voice", "Kantoor", "+31201234501", None),
]


@pytest.fixture
def ingested_day(engine: Engine, redis_client: Redis, prefix: str) -> SimDay:
    day = generate_day(seed=3, calls_per_center=120)
    publish(redis_client, prefix, day.events)
    records = []
    for n, (
        call_id,
        caller,
        called,
        direction,
        seconds,
        kind,
        profile,
        number,
        quantity,
    ) in enumerate(USAGE_RECORDS):
        start = DAY_START + 9 * 3600 + n * 600
        extra: dict[str, Any] = {"usage_type": kind, "profile": profile, "number": number}
        if quantity is not None:
            extra["quantity"] = quantity
        records.append(
            call_detail(
                call_id,
                caller=caller,
                called=called,
                direction=direction,
                start=start,
                answer=start + 5 if kind == "voice" else None,
                end=start + 5 + seconds,
                **extra,
            )
        )
    publish_call_detail(redis_client, prefix, records)
    stats = Ingester(engine, redis_client, prefix=prefix, batch_size=200).ingest_available("demo")
    assert stats.rejected == 0 and stats.duplicates == 0
    return day


def test_day_figures_per_call_center_match_the_ground_truth(
    engine: Engine, ingested_day: SimDay
) -> None:
    figures = call_center_figures(engine, "demo", DAY_RANGE, thresholds=THRESHOLDS)
    assert [f.call_center for f in figures] == sorted(CALL_CENTERS)
    for f in figures:
        calls = in_range(ingested_day.calls, f.call_center, DAY_START, DAY_START + DAY)
        assert_figures(f, expected_call_center(calls, THRESHOLDS.get(f.call_center, 20.0)))
    # the call that arrived ten seconds before midnight belongs to this day, answered or not
    assert any(
        c.call_id == "s-late"
        for c in in_range(ingested_day.calls, "7001", DAY_START, DAY_START + DAY)
    )


@pytest.mark.parametrize("interval", [Interval.QUARTER_HOUR, Interval.HOUR])
def test_interval_figures_match_the_ground_truth(
    engine: Engine, ingested_day: SimDay, interval: Interval
) -> None:
    period = ReportRange(DAY_RANGE.start + timedelta(hours=6), DAY_RANGE.end)
    figures = call_center_figures(engine, "demo", period, interval, thresholds=THRESHOLDS)
    size = 900.0 if interval == Interval.QUARTER_HOUR else 3600.0
    per_center = int(18 * 3600 / size)
    assert len(figures) == per_center * len(CALL_CENTERS)
    for f in figures:
        assert f.interval_end - f.interval_start == size
        calls = in_range(ingested_day.calls, f.call_center, f.interval_start, f.interval_end)
        assert_figures(f, expected_call_center(calls, THRESHOLDS.get(f.call_center, 20.0)))


def test_custom_range_and_the_contract_shape(engine: Engine, ingested_day: SimDay) -> None:
    start, end = "2025-11-25T10:30:00+01:00", "2025-11-25T15:45:00Z"
    report = call_centers_report(engine, "demo", start, end, thresholds=THRESHOLDS)
    assert [list(row) for row in report] == [list(CALL_CENTER_REPORT_FIELDS)] * 3
    lo = datetime.fromisoformat(start).timestamp()
    hi = datetime.fromisoformat(end).timestamp()
    for row in report:
        expected = expected_call_center(
            in_range(ingested_day.calls, row["number"], lo, hi), THRESHOLDS.get(row["number"], 20.0)
        )
        assert row == {
            "number": row["number"],
            **{k: approx(expected[k]) for k in CALL_CENTER_REPORT_FIELDS if k != "number"},
        }
        assert isinstance(row["offered"], int) and isinstance(row["service_level"], float)
    # a call center with no calls still gets a row when it is asked for
    empty = call_centers_report(engine, "demo", start, end, call_centers=["7009"])
    assert empty == [
        {
            "number": "7009",
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "overflowed": 0,
            "bounced": 0,
            "stranded": 0,
            "service_level": None,
            "asa_seconds": None,
            "aht_seconds": None,
            "longest_wait_seconds": None,
        }
    ]


def test_agent_figures_match_the_ground_truth(engine: Engine, ingested_day: SimDay) -> None:
    as_of = ingested_day.end
    hours = parse_range("2025-11-25T06:00:00Z", "2025-11-26T00:00:00Z")
    for interval, period in ((Interval.RANGE, DAY_RANGE), (Interval.HOUR, hours)):
        figures = agent_figures(engine, "demo", period, interval)
        for f in figures:
            handled = [
                c
                for c in ingested_day.calls
                if c.agent == f.agent
                and c.outcome == "answered"
                and f.interval_start <= c.arrival + (c.wait or 0.0) < f.interval_end
            ]
            assert f.answered == len(handled)
            assert f.talk_seconds == approx(sum(c.talk or 0.0 for c in handled))
            assert f.aht_seconds == approx(
                mean(c.talk or 0.0 for c in handled) if handled else None
            )
            times: dict[str, float] = defaultdict(float)
            codes: dict[str, float] = defaultdict(float)
            for s in ingested_day.states:
                if s.agent != f.agent:
                    continue
                overlap = min(s.end if s.end is not None else as_of, f.interval_end) - max(
                    s.start, f.interval_start
                )
                if overlap > 0:
                    times[s.state] += overlap
                    if s.state == "UNAVAILABLE":
                        codes[s.unavailable_code or ""] += overlap
            assert f.state_seconds == {k: approx(v) for k, v in times.items()}
            assert f.unavailable_seconds == {k: approx(v) for k, v in codes.items()}
            busy = times["BUSY"] + times["WRAP_UP"]
            ready = busy + times["AVAILABLE"]
            assert f.occupancy == approx(busy / ready if ready else None)
    whole_day = {f.agent: f for f in agent_figures(engine, "demo", DAY_RANGE)}
    assert set(whole_day) == {a for agents in CALL_CENTERS.values() for a in agents}
    assert all(f.state_seconds.get("AVAILABLE", 0) > 0 for f in whole_day.values())


def test_usage_report_by_type_category_number_and_profile(
    engine: Engine, ingested_day: SimDay
) -> None:
    rows = usage_figures(engine, "demo", DAY_RANGE)
    expected: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0.0])
    for _, _, called, direction, seconds, kind, profile, number, quantity in USAGE_RECORDS:
        if direction != "outbound":
            continue
        category = (
            "international"
            if called.startswith("+") and not called.startswith("+31")
            else "national"
        )
        amount = seconds if kind == "voice" else (1.0 if kind == "sms" else quantity)
        expected[(kind, category, number, profile)][0] += 1
        expected[(kind, category, number, profile)][1] += amount or 0.0
    got = {
        (
            r.dimensions["usage_type"],
            r.dimensions["category"],
            r.dimensions["number"],
            r.dimensions["profile"],
        ): [
            r.records,
            r.quantity,
        ]
        for r in rows
    }
    assert got == expected
    by_type = {
        r.dimensions["usage_type"]: r.records
        for r in usage_figures(engine, "demo", DAY_RANGE, by=["usage_type"])
    }
    assert by_type == {"voice": 3, "sms": 2, "data": 1}
    # every direction: the queue calls of the day are inbound voice CDRs
    inbound = usage_figures(engine, "demo", DAY_RANGE, by=["direction"], directions=None)
    calls = {c.call_id for c in ingested_day.calls if DAY_START <= c.arrival < DAY_START + DAY}
    first_stays = {c.call_id: c for c in reversed(ingested_day.calls)}
    in_day = [cid for cid in calls if DAY_START <= first_stays[cid].arrival < DAY_START + DAY]
    assert {r.dimensions["direction"]: r.records for r in inbound} == {
        "inbound": len(in_day),
        "internal": 1,
        "outbound": 6,
    }


def test_cdr_listing_and_refusals(engine: Engine, ingested_day: SimDay) -> None:
    listing = call_detail_records(engine, "demo", DAY_RANGE)
    assert [row["start_at"] for row in listing] == sorted(row["start_at"] for row in listing)
    assert {row["call_id"] for row in listing if row["origin"] == "pbx"} == {
        record[0] for record in USAGE_RECORDS
    }
    assert listing[0]["start_at"].endswith("+00:00")
    assert len(call_detail_records(engine, "demo", DAY_RANGE, limit=5)) == 5
    with pytest.raises(ValueError, match="unknown usage dimensions"):
        usage_figures(engine, "demo", DAY_RANGE, by=["colour"])
    with pytest.raises(ReportRangeError) as caught:
        call_centers_report(engine, "demo", "2025-11-26T00:00:00Z", "2025-11-25T00:00:00Z")
    assert caught.value.http_status == 400 and caught.value.parameter == "to"
