"""The dashboard runs under its Content-Security-Policy (common/security_headers.py): the header
is sent, and signing in, the live board and the reports page (Plotly) break none of it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.supervisor_ui.sv_world import World


def test_the_dashboard_works_under_its_content_security_policy(
    browser: Browser, world: World
) -> None:
    index = httpx.get(f"{world.server.base_url}/supervisor/")
    policy = index.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy
    # The API keeps its own answers: the page's policy is the page's.
    assert "content-security-policy" not in httpx.get(f"{world.server.base_url}/healthz").headers

    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: violations.append(str(error)))
    try:
        page.goto(f"{world.server.base_url}/supervisor/")
        page.fill("#login-username", "supervisor")
        page.fill("#login-password", "pwsupervisor")
        page.click("#login-button")
        expect(page.locator("#cc-7003-section")).to_be_visible()
        page.click("#nav-reports")
        expect(page.locator("#reports-view")).to_be_visible()
        page.click("#rep-show")
        expect(page.locator("#rep-title")).not_to_be_empty()
        page.click("#nav-live")
        expect(page.locator("#live-view")).to_be_visible()
    finally:
        context.close()
    assert violations == []
