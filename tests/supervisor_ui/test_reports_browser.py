"""The reports page in headless Chromium against the real web process, whose reports database
holds the reports' synthetic day (ingested by the real ingester). What the page shows is checked
against the REST reports for the same periods, and its downloads against what it shows.

The screenshots go to the test's temporary directory; to refresh the ones in the docs:

    OPENCC_SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/supervisor_ui -k rest_
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.report_day import OUTBOUND_CALLS
from tests.supervisor_ui.sv_world import REPORT_DAY, World, seed_report_day
from tests.supervisor_ui.test_dashboard_browser import choose, sign_in

ZONE = ZoneInfo("Europe/Amsterdam")
WAIT_MS = 20_000
"""The machine is small and shared: a report may take a while."""


@pytest.fixture(scope="module")
def seeded(world: World) -> World:
    seed_report_day(world.database_url)
    return world


@pytest.fixture(scope="module")
def reports(browser: Browser, seeded: World) -> Iterator[Page]:
    """The demo supervisor's page, on the reports tab (Plotly loads once per module)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    opened = context.new_page()
    sign_in(opened, seeded)
    expect(opened.locator("#cc-7003-section")).to_be_visible()
    try:
        yield opened
    finally:
        context.close()


def rest(
    world: World,
    report: str,
    start: datetime,
    end: datetime,
    user: tuple[str, str] = ("supervisor", "pwsupervisor"),
    **params: str,
) -> Any:
    username, password = user
    token = httpx.post(
        f"{world.server.base_url}/api/v1/auth/token",
        json={"username": username, "password": password},
    ).json()["access_token"]
    response = httpx.get(
        f"{world.server.base_url}/api/v1/reports/{report}",
        params={"from": start.isoformat(), "to": end.isoformat(), **params},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def rest_report(world: World, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    return {row["number"]: row for row in rest(world, "call-centers", start, end)}


def shown(row: dict[str, Any]) -> dict[str, str]:
    """How the page writes the REST figures."""

    def ratio(value: float | None, scale: float, unit: str) -> str:
        return "-" if value is None else f"{value * scale:.0f} {unit}"

    return {
        **{
            key: str(row[key])
            for key in ("offered", "answered", "abandoned", "overflowed", "bounced", "stranded")
        },
        "service-level": ratio(row["service_level"], 100, "%"),
        "asa": ratio(row["asa_seconds"], 1, "s"),
        "aht": ratio(row["aht_seconds"], 1, "s"),
    }


def cells(page: Page, row: str) -> dict[str, str]:
    figures = page.locator(f"#rep-table {row} td[data-figure]")
    return {
        figures.nth(i).get_attribute("data-figure") or "": figures.nth(i).inner_text()
        for i in range(figures.count())
    }


def show_custom(page: Page, start: str, end: str, interval: str | None) -> None:
    page.locator("#rep-range label", has_text="custom").click()
    page.fill("#rep-from", start)
    page.fill("#rep-to", end)
    if interval is not None:
        page.locator("#rep-interval label", has_text=interval).click()
    page.click("#rep-show")


def pick_report(page: Page, kind: str) -> None:
    page.locator("#rep-kind label", has_text=kind).click()


def downloaded_csv(page: Page, tmp_path: Path) -> tuple[str, list[dict[str, str]]]:
    """Clicks "Download CSV"; the file's name and rows."""
    with page.expect_download(timeout=WAIT_MS) as started:
        page.click("#rep-csv")
    saved = tmp_path / started.value.suggested_filename
    started.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as file:
        return saved.name, list(csv.DictReader(file))


def screenshot(page: Page, tmp_path: Path, name: str) -> None:
    shots = Path(os.environ.get("OPENCC_SCREENSHOTS_DIR") or tmp_path)
    page.screenshot(path=str(shots / name), full_page=True)


def test_report_of_a_day_matches_the_rest_report(
    reports: Page, seeded: World, tmp_path: Path
) -> None:
    page = reports
    page.click("#nav-reports")
    expect(page.locator("#reports-view")).to_be_visible()
    expect(page.locator("#live-view")).to_be_hidden()
    assert page.url.endswith("/supervisor/#reports")
    choose(page, "rep-center", "Sales")
    show_custom(page, REPORT_DAY, REPORT_DAY, "hour")

    title = page.locator("#rep-title")
    expect(title).to_contain_text(
        "Sales · 7002 · 2025-11-25 00:00 to 2025-11-26 00:00", timeout=WAIT_MS
    )
    body = page.locator("#rep-table tbody tr")
    expect(body).to_have_count(24)
    start = datetime.fromisoformat(REPORT_DAY).replace(tzinfo=ZONE)
    whole = rest_report(seeded, start, start + timedelta(days=1))["7002"]
    assert whole["offered"] > 100
    total = cells(page, "tr.total")
    assert {k: v for k, v in total.items() if k != "longest-wait"} == shown(whole)
    expect(page.locator("#rep-summary [data-kpi='offered'] .kpi-value")).to_have_text(
        str(whole["offered"])
    )

    offered_per_hour = []
    for hour in range(24):
        begin = start + timedelta(hours=hour)
        rest = rest_report(seeded, begin, begin + timedelta(hours=1))
        row = rest.get("7002")
        offered_per_hour.append(row["offered"] if row else 0)
        if hour in (9, 14):  # busy hours of the synthetic day, cell by cell
            assert row is not None and row["offered"] > 0
            label = f"tr[data-interval='{begin.isoformat()}']"
            assert {k: v for k, v in cells(page, label).items() if k != "longest-wait"} == shown(
                row
            )
    table_offered = [
        int(t) for t in page.locator("#rep-table tbody td[data-figure='offered']").all_inner_texts()
    ]
    assert table_offered == offered_per_hour
    chart = page.evaluate(
        "() => document.querySelector('#rep-calls .js-plotly-plot').data.map(t => [t.name, t.y])"
    )
    assert chart[0] == ["Offered", offered_per_hour]
    sl_chart = page.evaluate(
        "() => document.querySelector('#rep-sl .js-plotly-plot').data[0].y.length"
    )
    assert sl_chart == 24
    screenshot(page, tmp_path, "supervisor-reports.png")

    # The download holds the rows shown: Sales only, the same intervals, the same figures.
    name, rows = downloaded_csv(page, tmp_path)
    assert name == "call-centers-7002-20251125-0000-20251126-0000.csv"
    intervals = [
        datetime.fromisoformat(str(v)).astimezone(UTC).isoformat()
        for v in body.evaluate_all("rows => rows.map(r => r.dataset.interval)")
    ]
    assert [(r["number"], r["interval_start"], int(r["offered"])) for r in rows] == [
        ("7002", start, offered) for start, offered in zip(intervals, table_offered, strict=True)
    ]

    page.click("#nav-live")
    expect(page.locator("#live-view")).to_be_visible()
    expect(page.locator("#cc-7001-section")).to_be_visible()
    expect(page.locator("#reports-view")).to_be_hidden()
    page.go_back()  # the browser's back button returns to the report, still shown
    expect(page.locator("#reports-view")).to_be_visible()
    expect(title).to_contain_text("Sales · 7002")


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def agent_rows(page: Page) -> dict[str, dict[str, str]]:
    """Agent -> (data-figure -> text) of the agent table, read in one go."""
    rows: list[list[Any]] = page.locator("#rep-table tbody tr").evaluate_all(
        """rows => rows.map(r => [r.dataset.agent, Object.fromEntries(
            [...r.querySelectorAll('td[data-figure]')]
                .map(c => [c.dataset.figure, c.innerText]))])"""
    )
    return {agent: cells for agent, cells in rows}


def test_agents_match_the_rest_agent_report(reports: Page, seeded: World, tmp_path: Path) -> None:
    page = reports
    page.click("#nav-reports")
    pick_report(page, "Agents")
    expect(page.locator("#rep-center-box")).to_be_hidden()
    expect(page.locator("#rep-interval-box")).to_be_hidden()
    show_custom(page, REPORT_DAY, REPORT_DAY, None)
    expect(page.locator("#rep-title")).to_contain_text(
        "Agents · 10 agents · 2025-11-25 00:00 to 2025-11-26 00:00", timeout=WAIT_MS
    )
    start = datetime.fromisoformat(REPORT_DAY).replace(tzinfo=ZONE)
    expected = rest(seeded, "agents", start, start + timedelta(days=1), interval="range")
    shown = agent_rows(page)
    assert list(shown) == [row["agent"] for row in expected]
    for row in expected:
        cells = shown[row["agent"]]
        aht, occupancy = row["aht_seconds"], row["occupancy"]
        assert cells["answered"] == str(row["answered"])
        assert cells["talk"] == clock(row["talk_seconds"])
        assert cells["aht"] == ("-" if aht is None else f"{aht:.0f} s")
        assert cells["occupancy"] == ("-" if occupancy is None else f"{occupancy * 100:.0f} %")
        for state, seconds in row["state_seconds"].items():
            assert cells[f"state-{state}"] == clock(seconds)
        for code, seconds in row["unavailable_seconds"].items():
            assert cells[f"code-{code or 'no code'}"] == clock(seconds)
    assert sum(row["answered"] for row in expected) > 100

    # The classic view: time per state, stacked per agent.
    chart = page.evaluate(
        """() => { const p = document.querySelector('#rep-calls .js-plotly-plot');
            return [p.layout.barmode, p.data.map(t => [t.name, t.x, t.y])]; }"""
    )
    assert chart[0] == "stack"
    busy = next(t for t in chart[1] if t[0] == "busy")
    assert busy[1] == [row["agent"] for row in expected]
    assert busy[2] == [round(row["state_seconds"].get("BUSY", 0.0) / 3600, 2) for row in expected]
    screenshot(page, tmp_path, "supervisor-reports-agents.png")

    _, rows = downloaded_csv(page, tmp_path)
    assert [(r["agent"], r["answered"]) for r in rows] == [
        (agent, cells["answered"]) for agent, cells in shown.items()
    ]


def test_bad_ranges_and_api_refusals_show_a_message(reports: Page) -> None:
    page = reports
    page.click("#nav-reports")
    pick_report(page, "Call center")
    message = page.locator("#rep-message")
    show_custom(page, "2025-11-26", "2025-11-25", "hour")
    expect(message).to_have_text("'from' (2025-11-26) must be before 'to' (2025-11-25).")
    expect(message).to_have_class("message error")
    expect(page.locator("#rep-table tbody tr")).to_have_count(0)

    show_custom(page, "2025-01-01", "2025-05-01", "15 min")  # the API's limit: 10,000 rows
    expect(message).to_have_text(
        "No report: 15min intervals over this period make more than 10000 rows; "
        "choose a longer interval or a shorter period.",
        timeout=WAIT_MS,
    )

    show_custom(page, "2025-01-01", "2026-01-10", "day")  # 375 rows, but the API's limit is 366
    expect(message).to_have_text("No report: a report covers at most 366 days.", timeout=WAIT_MS)

    show_custom(page, "25/11/2025", REPORT_DAY, "day")
    expect(message).to_contain_text("'from' is not a date or time")

    page.locator("#rep-range label", has_text="yesterday").click()
    expect(page.locator("#rep-from")).to_be_disabled()
    expect(page.locator("#rep-to")).to_be_disabled()


def test_the_next_supervisor_sees_only_their_own_call_centers(reports: Page) -> None:
    page = reports
    page.click("#nav-reports")
    pick_report(page, "Call center")
    choose(page, "rep-center", "Service")
    show_custom(page, REPORT_DAY, REPORT_DAY, "day")
    title = page.locator("#rep-title")
    expect(title).to_contain_text("Service · 7003", timeout=WAIT_MS)

    # Another supervisor signs in on the same browser: the last report is gone.
    page.click("#logout-button")
    page.fill("#login-username", "helpdesk-lead")
    page.fill("#login-password", "pwlead")
    page.click("#login-button")
    expect(page.locator("#reports-view")).to_be_visible()
    expect(title).to_have_text("")
    expect(page.locator("#rep-table tbody tr")).to_have_count(0)
    page.click("#rep-center")
    options = page.locator(".dash-dropdown-content [role='option']")
    expect(options).to_have_count(1)
    expect(options).to_have_text("Helpdesk (7001)")
    page.keyboard.press("Escape")

    # A page tampered with to ask for Sales: the server checks the call center itself.
    page.evaluate("() => window.dash_clientside.set_props('rep-center', {value: '7002'})")
    page.click("#rep-show")
    message = page.locator("#rep-message")
    expect(message).to_have_text(
        "You do not supervise call center 7002: choose one of yours.", timeout=WAIT_MS
    )
    expect(page.locator("#rep-table tbody tr")).to_have_count(0)
    expect(title).to_have_text("")

    # The lead's agents are Helpdesk's, in the choice and in the report; usage is not offered.
    expect(page.locator("#rep-kind label")).to_have_text(["Call center", "Agents"])
    pick_report(page, "Agents")
    page.click("#rep-agent")
    expect(options).to_have_text(["1001 Agent 1001", "1002 Agent 1002", "1003 Agent 1003"])
    page.keyboard.press("Escape")
    show_custom(page, REPORT_DAY, REPORT_DAY, None)
    expect(title).to_contain_text("Agents · 3 agents", timeout=WAIT_MS)
    assert list(agent_rows(page)) == ["1001", "1002", "1003"]


def test_admins_get_the_usage_report(reports: Page, seeded: World) -> None:
    page = reports
    page.click("#logout-button")
    page.fill("#login-username", "admin")
    page.fill("#login-password", "pwadmin")
    page.click("#login-button")
    expect(page.locator("#rep-kind label")).to_have_text(["Call center", "Agents", "Usage"])
    page.click("#nav-reports")
    pick_report(page, "Usage")
    show_custom(page, REPORT_DAY, REPORT_DAY, None)
    expect(page.locator("#rep-title")).to_contain_text("Usage (outbound)", timeout=WAIT_MS)
    start = datetime.fromisoformat(REPORT_DAY).replace(tzinfo=ZONE)
    expected = rest(seeded, "usage", start, start + timedelta(days=1), ("admin", "pwadmin"))
    records = page.locator("#rep-table tbody td[data-figure='records']").all_inner_texts()
    assert records == [str(row["records"]) for row in expected]
    assert sum(int(r) for r in records) == len(OUTBOUND_CALLS)
