"""The what-if simulator in the whole product (as `make demo` runs it): a known past day ingested
into the product's reports, replayed through `POST /api/v1/what-if` with one agent less, the
API's refusals, and the supervisor's what-if page in Chromium on today's date.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect

from reports.db import make_engine
from reports.observed_traffic import observed_calls
from tests.cti.cti_clients import login
from tests.product_harness import ProductThread
from tests.report_day import seed_report_day
from tests.supervisor_ui.sv_world import REDIS_URL, TOKEN_SECRET
from tests.supervisor_ui.test_product_sipp import sign_in_english

KNOWN_DAY = "2025-11-25"
"""The day `tests/report_day.py` ingests (reports.synthetic.generate_day)."""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    saved = os.environ.get("OPENCC_TOKEN_SECRET")
    os.environ["OPENCC_TOKEN_SECRET"] = TOKEN_SECRET
    try:
        running = ProductThread.start(tmp_path_factory.mktemp("product"), "what-if")
        seed_report_day(running.handle.database_url, REDIS_URL, "demo")
        yield running
        running.stop()
    finally:
        if saved is None:
            os.environ.pop("OPENCC_TOKEN_SECRET", None)
        else:
            os.environ["OPENCC_TOKEN_SECRET"] = saved


def _post(product: ProductThread, who: tuple[str, str], body: dict[str, Any]) -> httpx.Response:
    token = asyncio.run(login(product.base_url, *who))
    return httpx.post(
        f"{product.base_url}/api/v1/what-if",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


SUPERVISOR = ("supervisor", "pwsupervisor")
ADMIN = ("admin", "pwadmin")


def test_a_past_day_with_one_agent_less(product: ProductThread) -> None:
    body = {
        "call_center": "7001",
        "day": KNOWN_DAY,
        "timezone": "UTC",
        "interval_minutes": 60,
        "changes": {"agents_delta": -1},
    }
    reply = _post(product, SUPERVISOR, body)
    assert reply.status_code == 200, reply.text
    result = reply.json()
    start = datetime(2025, 11, 25, tzinfo=UTC).timestamp()
    engine = make_engine(product.handle.database_url)
    try:
        recorded_calls = observed_calls(engine, "demo", "7001", start, start + 86_400)
    finally:
        engine.dispose()
    assert recorded_calls, "the known day has calls at the Helpdesk"
    assert result["source"] == "day" and result["calls"] == len(recorded_calls)
    actual, predicted = result["actual"], result["predicted"]
    assert (actual["agents"], predicted["agents"]) == (3, 2)  # the Helpdesk's 1001-1003
    assert len(actual["intervals"]) == len(predicted["intervals"]) == 24
    assert actual["total"]["offered"] == predicted["total"]["offered"] == len(recorded_calls)
    assert sum(i["offered"] for i in actual["intervals"]) == len(recorded_calls)
    assert actual["intervals"][0]["start"] == "2025-11-25T00:00:00+00:00"
    assert predicted["total"]["service_level"] <= actual["total"]["service_level"]
    assert predicted["total"]["occupancy"] >= actual["total"]["occupancy"]
    assert result["threshold_seconds"] == 20
    # What really happened, next to it: the reports' own figures of that day.
    recorded = result["recorded"]["total"]
    token = asyncio.run(login(product.base_url, *SUPERVISOR))
    report = httpx.get(
        f"{product.base_url}/api/v1/reports/call-centers",
        params={"from": "2025-11-25T00:00:00Z", "to": "2025-11-26T00:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    (helpdesk,) = [row for row in report if row["number"] == "7001"]
    assert recorded["offered"] == helpdesk["offered"] == len(recorded_calls)
    assert (recorded["answered"], recorded["abandoned"]) == (
        helpdesk["answered"],
        helpdesk["abandoned"],
    )
    assert recorded["service_level"] == pytest.approx(helpdesk["service_level"])
    assert recorded["asa_seconds"] == pytest.approx(helpdesk["asa_seconds"])
    assert recorded["occupancy"] is None


@pytest.mark.parametrize(
    ("who", "body", "status", "loc"),
    [
        (("1001", "pw1001"), {"call_center": "7001"}, 403, None),
        (ADMIN, {"call_center": "7999"}, 404, None),
        (ADMIN, {"call_center": "7001", "changes": {"routing": "weighted"}}, 422, "routing"),
        (ADMIN, {"call_center": "7001", "changes": {"routing": "fastest"}}, 422, "routing"),
        (
            ADMIN,
            {"call_center": "7001", "changes": {"agents": 2, "agents_delta": -1}},
            422,
            "agents_delta",
        ),
        (ADMIN, {"call_center": "7001", "changes": {"agents_delta": -4}}, 422, "agents_delta"),
        (ADMIN, {"call_center": "7001", "timezone": "Mars/Olympus"}, 422, "timezone"),
        (
            ADMIN,
            {"call_center": "7001", "synthetic": {"calls": 10, "open_hour": 12, "close_hour": 9}},
            422,
            "close_hour",
        ),
        (ADMIN, {"call_center": "7001", "wrap_up": 5}, 422, "wrap_up"),
    ],
)
def test_refusals_name_the_reason(
    product: ProductThread,
    who: tuple[str, str],
    body: dict[str, Any],
    status: int,
    loc: str | None,
) -> None:
    reply = _post(product, who, body)
    assert reply.status_code == status, reply.text
    if loc is not None:
        assert loc in reply.json()["detail"][0]["loc"]


def test_the_supervisor_runs_a_what_if_on_today_in_the_browser(
    product: ProductThread, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    try:
        sign_in_english(page, product)
        expect(page.locator("#cc-7001-section")).to_be_visible()
        page.click("#nav-what-if")
        expect(page.locator("#what-if-view")).to_be_visible()
        expect(page.locator("#live-view")).to_be_hidden()
        expect(page.locator("#wi-center")).to_contain_text("Helpdesk (7001)")
        page.check("#wi-source input[value='synthetic']")
        page.fill("#wi-calls", "400")
        page.fill("#wi-agents", "-1")
        page.click("#wi-run")
        message = page.locator("#wi-message")
        expect(message).to_contain_text("400 synthetic calls on", timeout=120_000)
        # Today where the dashboard counts its days (its default zone).
        today = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
        expect(message).to_contain_text(today)
        expect(page.locator("#wi-summary [data-kpi='agents']")).to_have_text("3 \u2192 2")
        expect(page.locator("#wi-summary [data-kpi='service-level']")).to_contain_text("%")
        traces = page.locator("#wi-chart .scatterlayer .trace")
        expect(traces).to_have_count(2)
        expect(page.locator("#wi-chart .legendtext", has_text="predicted")).to_be_visible()

        page.fill("#wi-day", "25-11-2025")
        page.click("#wi-run")
        expect(page.locator("#wi-message")).to_contain_text("is not YYYY-MM-DD")
    finally:
        context.close()
