"""The board's insight panels in headless Chromium against the real web process: today's totals
per agent of the supervisor's call centers, and the decision timeline of the call selected in
the controls (supervisor_ui/insight.py over the CTI REST API)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.supervisor_ui.sv_world import World
from tests.supervisor_ui.test_dashboard_browser import WAIT_MS, choose


def test_agent_totals_and_the_selected_calls_timeline(board: Page, world: World) -> None:
    page = board
    totals = page.locator("#agent-totals")
    expect(totals.locator("tr[data-agent='1001']")).to_be_visible(timeout=WAIT_MS)
    expect(totals.locator("tr[data-agent='1001'] td").nth(1)).to_have_text("0")

    call_id = f"sv-{uuid.uuid4().hex[:8]}"
    world.control.add_waiting("7001", call_id, "+31207654321", priority=1)
    expect(page.locator(f"#cc-7001-waiting tr[data-call-id='{call_id}']")).to_be_visible(
        timeout=WAIT_MS
    )
    choose(page, "ctl-call", "+31207654321")
    expect(page.locator("#timeline-call")).to_have_value(call_id)
    added = page.locator("#call-timeline li[data-type='CALL_ADDED']")
    expect(added).to_contain_text("7001", timeout=WAIT_MS)

    page.fill("#timeline-call", "no-such-call")
    page.click("#btn-timeline")
    expect(page.locator("#call-timeline")).to_contain_text("no call no-such-call")
