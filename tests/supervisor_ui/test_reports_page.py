"""The reports page without a browser: periods, rows and requests, the views, and the page's
answers and downloads built against the real web process and its REST reports (seeded with the
reports' synthetic day)."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from supervisor_ui import report_views
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_builders import (
    ReportForm,
    ReportKind,
    build_agent_report,
    build_report,
    kind_options,
)
from supervisor_ui.report_download import download
from supervisor_ui.report_periods import (
    IntervalQuery,
    Period,
    ReportInputError,
    Step,
    period_of,
    queries_of,
    rows_of,
    step_of,
)
from supervisor_ui.reports_api import (
    RANGE,
    AgentFigures,
    CallCenterFigures,
    ExportFormat,
    ReportsApi,
    UsageFigures,
)
from supervisor_ui.reports_page import EMPTY_PAGE, answer
from tests.report_day import OUTBOUND_CALLS
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


BAD_RANGES: list[tuple[tuple[str | None, ...], str]] = [
    (("custom", "2025-11-26", "2025-11-25"), "'from' (2025-11-26) must be before 'to'"),
    (("custom", "2025-11-25 10:00", "2025-11-25 10:00"), "must be before 'to'"),
    (("custom", "", "2025-11-25"), "Enter the custom range's 'from'"),
    (("custom", "2025-11-25", "tomorrow"), "'to' is not a date or time"),
    (("custom", "2025-13-01", "2025-11-25"), "'from' is not a date or time"),
    (("custom", "0001-01-01", "0001-01-02"), "'from' must lie between 1970 and 9998"),
    ((None, None, None), "Choose a range"),
]
"""(preset, from, to) the form holds, and part of what the page says."""


@pytest.mark.parametrize(("given", "message"), BAD_RANGES)
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


def test_one_request_per_report_but_day_rows_split_at_dst() -> None:
    week = period_of("week", None, None, NOW)
    assert len(rows_of(week, Step.HOUR)) == 2 * 24 + 16
    assert queries_of(rows_of(week, Step.HOUR), Step.HOUR) == [IntervalQuery(week, "hour")]
    month = period_of("custom", "2026-11-01", "2026-11-30", NOW)
    assert queries_of(rows_of(month, Step.QUARTER_HOUR), Step.QUARTER_HOUR) == [
        IntervalQuery(month, "15min")
    ]

    def spans(start: str, end: str) -> list[tuple[str, str, str]]:
        days = rows_of(period_of("custom", start, end, NOW), Step.DAY)
        return [
            (f"{q.period.start:%m-%d}", f"{q.period.end:%m-%d}", q.interval)
            for q in queries_of(days, Step.DAY)
        ]

    # Autumn: the 25-hour day is asked alone, as one row; 24-hour days in one request each side.
    assert spans("2026-10-20", "2026-10-30") == [
        ("10-20", "10-25", "day"),
        ("10-25", "10-26", RANGE),
        ("10-26", "10-31", "day"),
    ]
    # Spring: the 23-hour day ends its run, where the API cuts the last interval.
    assert spans("2026-03-27", "2026-03-31") == [
        ("03-27", "03-30", "day"),
        ("03-30", "04-01", "day"),
    ]
    assert spans("2026-11-20", "2026-11-20") == [("11-20", "11-21", RANGE)]
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
    assert [c.children for c in table[2].children[0].children][:3] == ["Whole range", "10", "8"]

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


def test_agent_and_usage_views() -> None:
    period = Period(local("2025-11-25"), local("2025-11-26"))
    busy = AgentFigures(
        "1004",
        12,
        2400.0,
        200.0,
        0.6,
        {"BUSY": 2400.0, "AVAILABLE": 1600.0, "UNAVAILABLE": 900.0},
        {"lunch": 600.0, "": 300.0},
    )
    idle = AgentFigures("1005", 0, 0.0, None, None, {"SIGN_OUT": 3600.0}, {})
    agents = report_views.AgentReport(period, None, {"1004": "Ann", "1005": "Bo"}, (busy, idle))
    assert report_views.agent_states(agents) == ["AVAILABLE", "BUSY", "UNAVAILABLE", "SIGN_OUT"]
    assert report_views.agent_title(agents).startswith("Agents · 2 agents · 2025-11-25 00:00")
    rows = report_views.agent_table(agents).to_plotly_json()["props"]["children"][1].children
    agent, name, *figures = rows[0].children
    assert (agent.children, name.children) == ("1004", "Ann")
    assert {c.to_plotly_json()["props"]["data-figure"]: c.children for c in figures} == {
        "answered": "12",
        "talk": "40:00",
        "aht": "200 s",
        "occupancy": "60 %",
        "state-AVAILABLE": "26:40",
        "state-BUSY": "40:00",
        "state-UNAVAILABLE": "15:00",
        "state-SIGN_OUT": "0:00",
        "code-no code": "5:00",
        "code-lunch": "10:00",
    }
    states = report_views.state_figure(agents)
    assert states["layout"]["barmode"] == "stack"
    assert [(t["name"], t["y"]) for t in states["data"]][1] == ("busy", [0.67, 0.0])
    codes = report_views.unavailable_figure(agents)["data"]
    assert [(t["name"], t["y"]) for t in codes] == [
        ("no code", [0.08, 0.0]),
        ("lunch", [0.17, 0.0]),
    ]
    assert report_views.answered_figure(agents)["data"][1]["y"] == [60.0, None]

    voice = UsageFigures({"usage_type": "voice", "category": "national", "number": "1001"}, 2, 120)
    sms = UsageFigures({"usage_type": "sms", "category": "national", "number": "1001"}, 3, 3)
    usage = report_views.UsageReport(period, (voice, sms))
    tiles = [t.children[1].children for t in report_views.usage_tiles(usage)]
    assert tiles == ["5", "2:00", "3 messages"]
    cells = report_views.usage_table(usage).to_plotly_json()["props"]["children"][1].children
    assert [c.children for c in cells[0].children] == [
        "voice",
        "national",
        "1001",
        "-",
        "2",
        "2:00",
    ]
    assert [t["y"] for t in report_views.usage_figure(usage)["data"]] == [[2], [3]]


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


def day_form(kind: str, **fields: Any) -> ReportForm:
    values: dict[str, Any] = {
        "preset": "custom",
        "custom_from": REPORT_DAY,
        "custom_to": REPORT_DAY,
    }
    return ReportForm(kind=kind, **{**values, **fields})


async def rest(
    world: World, token: str, report: str, start: datetime, end: datetime, **params: str
) -> Any:
    """A REST report as JSON, asked without the page's client."""
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        response = await http.get(
            f"/api/v1/reports/{report}",
            params={"from": start.isoformat(), "to": end.isoformat(), **params},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def test_report_rows_are_the_rest_report_of_each_interval(
    clients: tuple[SupervisorApi, ReportsApi], seeded: World
) -> None:
    api, reports = clients
    token = (await api.sign_in("supervisor", "pwsupervisor")).token
    report = await build_report(
        api, reports, token, "7002", "custom", REPORT_DAY, REPORT_DAY, "hour", NOW
    )
    assert (report.name, len(report.rows)) == ("Sales", 24)
    # The contract's report over the whole day, and over single hours, asked one by one.
    whole = await rest(seeded, token, "call-centers", report.period.start, report.period.end)
    assert report.total == CallCenterFigures.from_json(
        next(r for r in whole if r["number"] == "7002")
    )
    assert report.total.offered > 100
    for row in report.rows[8:10]:
        alone = await rest(seeded, token, "call-centers", row.period.start, row.period.end)
        assert row.figures == CallCenterFigures.from_json(
            next(r for r in alone if r["number"] == "7002")
        )
    # A call counts once, in the interval it arrived in.
    for name in ("offered", "answered", "abandoned", "overflowed", "stranded"):
        assert sum(getattr(r.figures, name) for r in report.rows) == getattr(report.total, name)


async def test_the_client_asks_the_api_for_one_call_center_or_agent_only(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    token = (await api.sign_in("supervisor", "pwsupervisor")).token
    start = datetime.fromisoformat(f"{REPORT_DAY}T00:00:00+00:00")
    end = start + timedelta(days=1)
    every = await reports.call_center_intervals(token, start, end, "day")
    assert len({row.figures.number for row in every}) > 1  # the supervisor sees several
    one = await reports.call_center_intervals(token, start, end, "day", call_center="7002")
    assert {row.figures.number for row in one} == {"7002"}
    assert one == [row for row in every if row.figures.number == "7002"]
    agents = await reports.agents(token, start, end)
    assert len(agents) > 1
    alone = await reports.agents(token, start, end, agent=agents[0].agent)
    assert alone == agents[:1]


async def test_day_rows_across_dst_line_up_with_the_api(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    token = (await api.sign_in("supervisor", "pwsupervisor")).token
    # 2025-10-26 has 25 hours; the page's rows are checked against the API's (else ApiError).
    report = await build_report(
        api, reports, token, "7001", "custom", "2025-10-24", "2025-10-27", "day", NOW
    )
    assert [(f"{r.period.start:%d}", r.figures.offered) for r in report.rows] == [
        ("24", 0),
        ("25", 0),
        ("26", 0),
        ("27", 0),
    ]
    # Hours of that day: 02:00 twice (summer, then winter time), each its own row.
    hours = await build_report(
        api, reports, token, "7001", "custom", "2025-10-26", "2025-10-26", "hour", NOW
    )
    assert [f"{r.period.start:%H%z}" for r in hours.rows[1:4]] == ["01+0200", "02+0200", "02+0100"]
    assert len(hours.rows) == 25


async def test_agent_table_is_the_rest_agent_report(
    clients: tuple[SupervisorApi, ReportsApi], seeded: World
) -> None:
    api, reports = clients
    token = (await api.sign_in("supervisor", "pwsupervisor")).token
    report = await build_agent_report(
        api, reports, token, None, "custom", REPORT_DAY, REPORT_DAY, NOW
    )
    expected = await rest(
        seeded, token, "agents", report.period.start, report.period.end, interval="range"
    )
    assert [AgentFigures.from_json(row) for row in expected] == list(report.rows)
    assert [row.agent for row in report.rows] == [str(n) for n in range(1001, 1011)]
    assert sum(row.answered for row in report.rows) > 100
    table = report_views.agent_table(report).to_plotly_json()["props"]["children"][1].children
    assert [tr.to_plotly_json()["props"]["data-agent"] for tr in table] == [
        r["agent"] for r in expected
    ]

    one = await build_agent_report(
        api, reports, token, "1004", "custom", REPORT_DAY, REPORT_DAY, NOW
    )
    assert one.rows == tuple(r for r in report.rows if r.agent == "1004")


async def test_the_helpdesk_lead_sees_only_helpdesk_agents(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    lead = (await api.sign_in("helpdesk-lead", "pwlead")).to_store()
    shown = await answer(api, reports, lead, day_form(ReportKind.AGENTS), NOW)
    assert shown[1] == "message" and shown[2].startswith("Agents · 3 agents")
    table = shown[10].to_plotly_json()["props"]["children"][1].children
    assert [tr.to_plotly_json()["props"]["data-agent"] for tr in table] == ["1001", "1002", "1003"]
    refused = await answer(api, reports, lead, day_form(ReportKind.AGENTS, agent="1004"), NOW)
    assert refused[:2] == ("You do not supervise agent 1004: choose one of yours.", "message error")
    assert refused[2:] == EMPTY_PAGE[2:]


async def test_downloads_hold_the_rows_shown(clients: tuple[SupervisorApi, ReportsApi]) -> None:
    api, reports = clients
    boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()
    form = day_form(ReportKind.CALL_CENTER, call_center_id="7002", step="hour")
    shown = await answer(api, reports, boss, form, NOW)
    report = await build_report(
        api, reports, boss["token"], "7002", "custom", REPORT_DAY, REPORT_DAY, "hour", NOW
    )
    data, message = await download(reports, boss, shown[11], ExportFormat.CSV)
    assert message == "" and data is not None
    assert data["filename"] == "call-centers-7002-20251125-0000-20251126-0000.csv"
    rows = list(csv.DictReader(io.StringIO(base64_text(data))))
    assert [(r["number"], r["interval_start"], int(r["offered"])) for r in rows] == [
        ("7002", row.period.start.astimezone(UTC).isoformat(), row.figures.offered)
        for row in report.rows
    ]
    xlsx, _ = await download(reports, boss, shown[11], ExportFormat.XLSX)
    assert xlsx is not None
    sheet = load_workbook(io.BytesIO(base64_bytes(xlsx))).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert [str(v) for v in lines[0]] == list(rows[0])
    assert [line[lines[0].index("offered")] for line in lines[1:]] == [
        int(r["offered"]) for r in rows
    ]

    agent = await answer(api, reports, boss, day_form(ReportKind.AGENTS, agent="1005"), NOW)
    one, _ = await download(reports, boss, agent[11], ExportFormat.CSV)
    assert one is not None
    assert [r["agent"] for r in csv.DictReader(io.StringIO(base64_text(one)))] == ["1005"]
    assert (await download(reports, boss, None, ExportFormat.CSV)) == (None, "Show a report first.")
    flood = {**shown[11], "queries": shown[11]["queries"] * 9}
    assert (await download(reports, boss, flood, ExportFormat.CSV)) == (
        None,
        "Show a report first.",
    )


def base64_bytes(data: dict[str, Any]) -> bytes:
    return base64.b64decode(data["content"])


def base64_text(data: dict[str, Any]) -> str:
    return base64_bytes(data).decode("utf-8")


async def test_usage_is_offered_to_admins_only(clients: tuple[SupervisorApi, ReportsApi]) -> None:
    api, reports = clients
    admin = (await api.sign_in("admin", "pwadmin")).to_store()
    boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()
    assert [v for _, v in kind_options(True)] == ["call-centers", "agents", "usage"]
    assert [v for _, v in kind_options(False)] == ["call-centers", "agents"]
    shown = await answer(api, reports, admin, day_form(ReportKind.USAGE), NOW)
    assert shown[1] == "message" and shown[2].startswith("Usage (outbound)")
    body = shown[10].to_plotly_json()["props"]["children"][1].children
    assert sum(int(tr.children[4].children) for tr in body) == len(OUTBOUND_CALLS)
    # A tampered page asking for usage as a supervisor: the API refuses, the page says why.
    refused = await answer(api, reports, boss, day_form(ReportKind.USAGE), NOW)
    assert refused[:2] == (
        "No report: usage reports are billing data: admins and API tokens.",
        "message error",
    )


async def test_a_supervisor_gets_no_report_of_a_call_center_not_theirs(
    clients: tuple[SupervisorApi, ReportsApi],
) -> None:
    api, reports = clients
    lead = (await api.sign_in("helpdesk-lead", "pwlead")).to_store()
    form = day_form(ReportKind.CALL_CENTER, call_center_id="7001", step="day")
    shown = await answer(api, reports, lead, form, NOW)
    assert shown[1] == "message" and "Helpdesk · 7001" in shown[2]
    refused = await answer(
        api, reports, lead, day_form(ReportKind.CALL_CENTER, call_center_id="7002"), NOW
    )
    assert refused == (
        "You do not supervise call center 7002: choose one of yours.",
        "message error",
        *EMPTY_PAGE[2:],
    )
    # The API's own scope agrees: the lead's REST report holds Helpdesk only.
    rows = await reports.call_center_intervals(lead["token"], NOW - timedelta(days=365), NOW, RANGE)
    assert [row.figures.number for row in rows] == ["7001"]


async def test_api_refusals_become_sentences(clients: tuple[SupervisorApi, ReportsApi]) -> None:
    api, reports = clients
    boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()

    def custom(start: str, end: str, step: str) -> ReportForm:
        return ReportForm(ReportKind.CALL_CENTER, "7001", None, "custom", start, end, step)

    too_long = await answer(api, reports, boss, custom("2025-01-01", "2026-01-10", "day"), NOW)
    assert too_long[:2] == ("No report: a report covers at most 366 days.", "message error")
    too_many = await answer(api, reports, boss, custom("2025-01-01", "2025-05-01", "15min"), NOW)
    assert too_many[0] == (
        "No report: 15min intervals over this period make more than 10000 rows; "
        "choose a longer interval or a shorter period."
    )
    forged = {**boss, "token": boss["token"][:-4] + "AAAA"}
    refused = await answer(api, reports, forged, ReportForm(call_center_id="7001"), NOW)
    assert refused[1] == "message error" and refused[0].startswith("No report: ")
    assert (await answer(api, reports, None, ReportForm(call_center_id="7001"), NOW))[0] == (
        "Sign in first."
    )
    with pytest.raises(ApiError) as unauthenticated:
        await reports.agents(forged["token"], NOW - timedelta(days=1), NOW)
    assert unauthenticated.value.code == "UNAUTHENTICATED"
    assert (await download(reports, forged, too_long[11] or {}, ExportFormat.CSV))[0] is None


async def test_an_unreachable_api_is_a_message(seeded: World) -> None:
    dead = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2.0)
    api = SupervisorApi(httpx.AsyncClient(base_url=seeded.server.base_url, timeout=10.0))
    try:
        boss = (await api.sign_in("supervisor", "pwsupervisor")).to_store()
        form = ReportForm(call_center_id="7001")
        shown = await answer(api, ReportsApi(dead), boss, form, NOW)
        assert shown[1] == "message error"
        assert shown[0].startswith("No report: the CTI server cannot be reached")
    finally:
        await api.close()
        await dead.aclose()
