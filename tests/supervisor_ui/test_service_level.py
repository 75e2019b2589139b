"""Each call center's service level is measured against its own threshold, end to end: the
setting as the engine publishes it (snapshot) -> the API (GraphQL `serviceLevelSeconds`, the REST
reports) -> the live board and the reports page. In this world Helpdesk (7001) counts 20 s and
Sales (7002) 30 s (`sv_world.SERVICE_LEVEL_SECONDS`); a call answered after 25 s is late at the
Helpdesk and in time at Sales. With one fixed 20 s both would show 0 %.

A module of its own: the board's figures are today's, so no other test's calls may count.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from redis import Redis

from queueing.events import EventType
from reports.db import make_engine, migrate
from reports.ingest import Ingester
from reports.synthetic import EventFactory, publish
from supervisor_ui.api_client import SupervisorApi
from supervisor_ui.report_builders import build_report
from supervisor_ui.reports_api import ReportsApi
from tests.supervisor_ui.sv_world import REDIS_URL, SERVICE_LEVEL_SECONDS, TENANT, World

WAIT_SECONDS = 25.0
"""Between the two thresholds."""
REPORT_DAY = "2025-12-02"
ZONE = ZoneInfo("Europe/Amsterdam")


def test_the_board_counts_each_call_center_against_its_own_threshold(
    page: Page, world: World, tmp_path: Path
) -> None:
    page.goto(f"{world.server.base_url}/supervisor/")
    page.fill("#login-username", "supervisor")
    page.fill("#login-password", "pwsupervisor")
    page.click("#login-button")
    assert SERVICE_LEVEL_SECONDS["7001"] < WAIT_SECONDS < SERVICE_LEVEL_SECONDS["7002"]
    for cc, agent in (("7001", "1001"), ("7002", "1004")):
        call_id = f"sl-{uuid.uuid4().hex[:8]}"
        arrived = time.time() - WAIT_SECONDS
        world.control.add_waiting(cc, call_id, "+31201112222", arrived_at=arrived)
        world.control.answer(call_id, agent)

    def tile(cc: str) -> tuple[Locator, Locator]:
        found = page.locator(f"#cc-{cc}-kpis [data-kpi='service-level']")
        return found.locator(".kpi-label"), found.locator(".kpi-value")

    helpdesk_label, helpdesk = tile("7001")
    sales_label, sales = tile("7002")
    expect(helpdesk).to_have_text("0 %")
    expect(sales).to_have_text("100 %")
    expect(helpdesk_label).to_have_text("Service level (20 s)")
    expect(sales_label).to_have_text("Service level (30 s)")
    expect(page.locator("#cc-7002-staffing")).to_contain_text("in 30 s")
    page.screenshot(path=str(tmp_path / "service-level.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'service-level.png'}")


@pytest.fixture(scope="module")
def late_and_in_time(world: World) -> World:
    """One call per call center on `REPORT_DAY`, each answered after 25 s, in the reports
    database of the web process (ingested from a stream of its own, deleted afterwards)."""
    prefix = f"sltest:{uuid.uuid4().hex[:12]}"
    at = datetime.fromisoformat(f"{REPORT_DAY}T11:00").replace(tzinfo=ZONE).timestamp()
    # Far past the known report day's sequence numbers, which share the tenant's event log.
    factory = EventFactory(tenant=TENANT, next_sequence=900_000_000)
    events = []
    for cc in ("7001", "7002"):
        call = {"call_center": cc, "call_id": f"sl-{cc}", "caller": "+31201112222"}
        events += [
            factory.make(EventType.CALL_ADDED, at, **call, priority=0, position=1, called=cc),
            factory.make(
                EventType.CALL_ANSWERED, at + WAIT_SECONDS, **call, wait_seconds=WAIT_SECONDS
            ),
        ]
    redis = Redis.from_url(REDIS_URL)
    engine = make_engine(world.database_url)
    try:
        migrate(engine)
        publish(redis, prefix, events, tenant=TENANT)
        Ingester(engine, redis, prefix=prefix).ingest_available(TENANT)
    finally:
        engine.dispose()
        keys = list(redis.scan_iter(match=f"{prefix}:*"))
        if keys:
            redis.delete(*keys)
        redis.close()
    return world


async def service_levels(base_url: str) -> dict[str, float | None]:
    """The whole day's service level of each call center, as the reports page gets it."""
    api = SupervisorApi(httpx.AsyncClient(base_url=base_url, timeout=10.0))
    reports = ReportsApi(httpx.AsyncClient(base_url=base_url, timeout=10.0))
    try:
        token = (await api.sign_in("supervisor", "pwsupervisor")).token
        now = datetime(2025, 12, 3, 9, 0, tzinfo=ZONE)
        levels = {}
        for cc in ("7001", "7002"):
            report = await build_report(
                api, reports, token, cc, "custom", REPORT_DAY, REPORT_DAY, "hour", now
            )
            assert report.total.answered == 1
            levels[cc] = report.total.service_level
        return levels
    finally:
        await api.close()
        await reports.close()


# Sync, run on the world's loop thread: the browser test's Playwright holds this thread's loop.
def test_the_call_center_report_counts_each_against_its_own_threshold(
    late_and_in_time: World,
) -> None:
    levels = late_and_in_time.run(service_levels(late_and_in_time.server.base_url))
    assert levels == {"7001": 0.0, "7002": 1.0}
