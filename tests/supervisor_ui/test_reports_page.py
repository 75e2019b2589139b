"""The reports page without a browser: periods and rows, the views, and the page's answer built
against the real web process and its REST report (seeded with the reports' synthetic day)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from supervisor_ui import report_views
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_periods import (
    MAX_ROWS,
    Period,
    ReportInputError,
    Step,
    period_of,
    rows_of,
    step_of,
)
from supervisor_ui.reports_api import CallCenterFigures, ReportsApi
from supervisor_ui.reports_page import answer, build_report
from tests.supervisor_ui.sv_world import REPORT_DAY, World, seed_report_day

ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 25, 15, 20, tzinfo=ZONE)  # a Wednesday


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


# Periods and rows (pure).


def test_presets_are_local_and_end_now() -> None:
    assert period_of("today", None, None, NOW) == Period(local("2026-11-25"), NOW)
    assert period_of("yesterday", None, None, NOW) == Period(
        local("2026-11-24"), local("2026-11-25")
    )
    assert period_of("week", None, None, NOW) == Period(local("2026-11-23"), NOW)


def test_custom_dates_include_the_to_day_and_times_are_exact() -> None:
    assert period_of("custom", "2025-11-25", "2025-11-25", NOW) == Period(
        local("2025-11-25"), local("2025-11-26")
    )
    assert period_of("custom", " 2025-11-25 08:00", "2025-11-25T09:30", NOW) == Period(
        local("2025-11-25 08:00"), local("2025-11-25 09:30")
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (("custom", "2025-11-26", "2025-11-25"), "'from' (2025-11-26) must be before 'to'"),
        (("custom", "2025-11-25 10:00", "2025-11-25 10:00"), "must be before 'to'"),
        (("custom", "", "2025-11-25"), "Enter the custom range's 'from'"),
        (("custom", "2025-11-25", "tomorrow"), "'to' is not a date or time"),
        (("custom", "2025-13-01", "2025-11-25"), "'from' is not a date or time"),
        (("custom", "0001-01-01", "0001-01-02"), "'from' must lie between 1970 and 9998"),
        ((None, None, None), "Choose a range"),
    ],
)
def test_bad_custom_ranges_say_what_to_change(given: tuple[str | None, ...], message: str) -> None:
    preset, start, end = given
    with pytest.raises(ReportInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        period_of(preset, start, end, NOW)


def test_rows_follow_local_time_across_dst() -> None:
    autumn = period_of("custom", "2026-10-25", "2026-10-25", NOW)  # 25 hours
    hours = rows_of(autumn, Step.HOUR)
    assert len(hours) == 25
    assert [r.start.isoformat() for r in hours[2:4]] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
    ]
    assert len(rows_of(autumn, Step.QUARTER_HOUR)) == 100
    days = rows_of(period_of("custom", "2026-10-24", "2026-10-26", NOW), Step.DAY)
    assert [(d.start.isoformat(), d.end - d.start) for d in days] == [
        ("2026-10-24T00:00:00+02:00", timedelta(days=1)),
        ("2026-10-25T00:00:00+02:00", timedelta(days=1)),  # wall-clock: 25 real hours
        ("2026-10-26T00:00:00+01:00", timedelta(days=1)),
    ]
    assert days[1].end.astimezone(ZoneInfo("UTC")) - days[1].start.astimezone(
        ZoneInfo("UTC")
    ) == timedelta(hours=25)
    today = rows_of(period_of("today", None, None, NOW), Step.HOUR)
    assert (today[-1].start, today[-1].end) == (local("2026-11-25 15:00"), NOW)


def test_too_many_rows_and_unknown_interval_are_refused() -> None:
    week = period_of("week", None, None, NOW)
    with pytest.raises(ReportInputError, match=f"the page shows at most {MAX_ROWS}"):
        rows_of(period_of("custom", "2026-11-01", "2026-11-30", NOW), Step.QUARTER_HOUR)
    assert len(rows_of(week, Step.HOUR)) == 2 * 24 + 16
    with pytest.raises(ReportInputError, match="Choose an interval"):
        step_of("minute")


# The views (pure).


def sample_report() -> report_views.CenterReport:
    period = Period(local("2025-11-25 08:00"), local("2025-11-25 10:00"))
    first, second = rows_of(period, Step.HOUR)
    busy = CallCenterFigures("7001", 10, 8, 1, 1, 2, 0, 0.75, 12.4, 181.6, 130.0)
    quiet = CallCenterFigures("7001")
    return report_views.CenterReport(
        "7001",
        "Helpdesk",
        period,
        Step.HOUR,
        busy,
        (report_views.ReportRow(first, busy), report_views.ReportRow(second, quiet)),
    )


def test_table_and_charts_show_the_report() -> None:
    report = sample_report()
    assert report_views.formatted(report.total) == {
        "offered": "10",
        "answered": "8",
        "abandoned": "1",
        "overflowed": "1",
        "bounced": "2",
        "stranded": "0",
        "service-level": "75 %",
        "asa": "12 s",
        "aht": "182 s",
        "longest-wait": "2:10",
    }
    assert report_views.formatted(report.rows[1].figures)["service-level"] == "-"
    assert report_views.title(report) == (
        "Helpdesk · 7001 · 2025-11-25 08:00 to 2025-11-25 10:00 (Europe/Amsterdam) · per hour"
    )
    table = report_views.table(report).to_plotly_json()["props"]["children"]
    body_rows = table[1].children
    assert [r.children[0].children for r in body_rows] == ["08:00", "09:00"]
    assert [c.children for c in table[2].children.children][:3] == ["Whole range", "10", "8"]

    calls = report_views.calls_figure(report)
    assert [(t["name"], t["y"]) for t in calls["data"]] == [
        ("Offered", [10, 0]),
        ("Answered", [8, 0]),
        ("Abandoned", [1, 0]),
    ]
    assert report_views.service_level_figure(report)["data"][0]["y"] == [75.0, None]
    waits = {t["name"]: t["y"] for t in report_views.waits_figure(report)["data"]}
    assert waits == {"ASA": [12.4, None], "AHT": [181.6, None], "Longest wait": [130.0, None]}


def test_labels_name_the_day_when_the_period_spans_days() -> None:
    report = sample_report()
    two_days = Period(local("2025-11-24"), local("2025-11-26"))
    spanning = report_views.CenterReport("7001", "Helpdesk", two_days, Step.HOUR, report.total, ())
    assert report_views.row_label(report.rows[0].period, spanning) == "Tue 25-11 08:00"
    by_day = report_views.CenterReport("7001", "Helpdesk", two_days, Step.DAY, report.total, ())
    assert report_views.row_label(two_days, by_day) == "Mon 2025-11-24"


# Against the real web process.


@pytest.fixture(scope="module")
def seeded(world: World) -> World:
    seed_report_day(world.database_url)
    return world


@pytest.fixture
async def clients(seeded: World) -> AsyncIterator[tuple[SupervisorApi, ReportsApi]]:
    base = seeded.server.base_url
    api = SupervisorApi(httpx.AsyncClient(base_url=base, timeout=10.0))
    reports = ReportsApi(httpx.AsyncClient(base_url=base, timeout=10.0))
    try:
        yield api, reports
    finally:
        await api.close()
        await reports.close()


async def test_report_rows_are_the_rest_report_of_each_interval(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    token = (await api.sign_in("supervisor", "pwsupervisor")).token
    report = await build_report(
        api, reports, token, "7002", "custom", REPORT_DAY, REPORT_DAY, "hour", NOW
    )
    assert (report.name, len(report.rows)) == ("Sales", 24)
    whole = await reports.call_centers(token, report.period.start, report.period.end)
    assert report.total == next(row for row in whole if row.number == "7002")
    assert report.total.offered > 100
    for row in report.rows[8:10]:
        rest = await reports.call_centers(token, row.period.start, row.period.end)
        assert row.figures == next(r for r in rest if r.number == "7002")
    # A call counts once, in the interval it arrived in.
    for name in ("offered", "answered", "abandoned", "overflowed", "stranded"):
        assert sum(getattr(r.figures, name) for r in report.rows) == getattr(report.total, name)


async def test_a_supervisor_gets_no_report_of_a_call_center_not_theirs(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    lead = (await api.sign_in("helpdesk-lead", "pwlead")).to_store()
    shown = await answer(api, reports, lead, "7001", "custom", REPORT_DAY, REPORT_DAY, "day", NOW)
    assert shown[1] == "message" and "Helpdesk · 7001" in shown[2]
    refused = await answer(api, reports, lead, "7002", "custom", REPORT_DAY, REPORT_DAY, "day", NOW)
    assert refused[:3] == (
        "You do not supervise call center 7002: choose one of yours.",
        "message error",
        "",
    )
    assert refused[3:] == ([], *(report_views.EMPTY_FIGURE,) * 3, [])
    # The API's own scope agrees: the lead's REST report holds Helpdesk only.
    rows = await reports.call_centers(lead["token"], NOW - timedelta(days=365), NOW)
    assert [row.number for row in rows] == ["7001"]


async def test_api_refusals_become_sentences(clients: tuple[SupervisorApi, ReportsApi]) -> None:
    api, reports = clients
    boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()
    too_long = await answer(
        api, reports, boss, "7001", "custom", "2025-01-01", "2026-01-10", "day", NOW
    )
    assert too_long[:2] == ("No report: a report covers at most 366 days.", "message error")
    forged = {**boss, "token": boss["token"][:-4] + "AAAA"}
    refused = await answer(api, reports, forged, "7001", "today", None, None, "hour", NOW)
    assert refused[1] == "message error" and refused[0].startswith("No report: ")
    assert (await answer(api, reports, None, "7001", "today", None, None, "hour", NOW))[0] == (
        "Sign in first."
    )
    with pytest.raises(ApiError) as unauthenticated:
        await reports.call_centers(forged["token"], NOW - timedelta(days=1), NOW)
    assert unauthenticated.value.code == "UNAUTHENTICATED"


async def test_an_unreachable_api_is_a_message(seeded: World) -> None:
    dead = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2.0)
    api = SupervisorApi(httpx.AsyncClient(base_url=seeded.server.base_url, timeout=10.0))
    try:
        boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()
        shown = await answer(api, ReportsApi(dead), boss, "7001", "today", None, None, "hour", NOW)
        assert shown[1] == "message error"
        assert shown[0].startswith("No report: the CTI server cannot be reached")
    finally:
        await api.close()
        await dead.aclose()
