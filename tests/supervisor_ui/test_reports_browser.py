"""The reports page in headless Chromium against the real web process, whose reports database
holds the reports' synthetic day (ingested by the real ingester). What the page shows is checked
against the REST report for the same periods.

The screenshot goes to the test's temporary directory; to refresh the one in the docs:

    OPENCC_SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/supervisor_ui -k rest_report
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.supervisor_ui.sv_world import REPORT_DAY, World, seed_report_day
from tests.supervisor_ui.test_dashboard_browser import choose, sign_in

ZONE = ZoneInfo("Europe/Amsterdam")
WAIT_MS = 20_000
"""A day by hour is 25 REST queries; the machine is small and shared."""


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


def rest_report(world: World, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    token = httpx.post(
        f"{world.server.base_url}/api/v1/auth/token",
        json={"username": "supervisor", "password": "pwsupervisor"},
    ).json()["access_token"]
    response = httpx.get(
        f"{world.server.base_url}/api/v1/reports/call-centers",
        params={"from": start.isoformat(), "to": end.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return {row["number"]: row for row in response.json()}


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


def show_custom(page: Page, start: str, end: str, interval: str) -> None:
    page.locator("#rep-range label", has_text="custom").click()
    page.fill("#rep-from", start)
    page.fill("#rep-to", end)
    page.locator("#rep-interval label", has_text=interval).click()
    page.click("#rep-show")


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
    shots = Path(os.environ.get("OPENCC_SCREENSHOTS_DIR") or tmp_path)
    page.screenshot(path=str(shots / "supervisor-reports.png"), full_page=True)

    page.click("#nav-live")
    expect(page.locator("#live-view")).to_be_visible()
    expect(page.locator("#cc-7001-section")).to_be_visible()
    expect(page.locator("#reports-view")).to_be_hidden()
    page.go_back()  # the browser's back button returns to the report, still shown
    expect(page.locator("#reports-view")).to_be_visible()
    expect(title).to_contain_text("Sales · 7002")


def test_bad_ranges_and_api_refusals_show_a_message(reports: Page) -> None:
    page = reports
    page.click("#nav-reports")
    message = page.locator("#rep-message")
    show_custom(page, "2025-11-26", "2025-11-25", "hour")
    expect(message).to_have_text("'from' (2025-11-26) must be before 'to' (2025-11-25).")
    expect(message).to_have_class("message error")
    expect(page.locator("#rep-table tbody tr")).to_have_count(0)

    show_custom(page, "2025-11-01", "2025-11-30", "15 min")
    expect(message).to_contain_text("2880 15-minute rows; the page shows at most 400")

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
