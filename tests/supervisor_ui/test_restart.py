"""A dashboard survives a restart of the web process: the browser's Dash worker reconnects,
the persistent live callback starts again, checks the stored token and keeps pushing."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.supervisor_ui.sv_world import World


def test_board_resumes_after_the_web_process_restarts(page: Page, world: World) -> None:
    page.goto(f"{world.server.base_url}/supervisor/")
    page.fill("#login-username", "supervisor")
    page.fill("#login-password", "pwsupervisor")
    page.click("#login-button")
    expect(page.locator("#cc-7001-section")).to_be_visible()

    world.restart()
    call_id = f"rs-{uuid.uuid4().hex[:8]}"
    world.control.add_waiting("7002", call_id, "+31204040404")
    expect(page.locator(f"#cc-7002-waiting tr[data-call-id='{call_id}']")).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("#who")).to_have_text("supervisor @ demo")
