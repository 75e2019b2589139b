"""Playwright helpers for the agent client tests."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.agent_ui.agent_world import Desk

VIEWPORT = {"width": 1360, "height": 900}
WAIT_MS = 10_000
# Waiting for a UI state (not a timing assertion): roomy, for loaded CI machines.
expect.set_options(timeout=WAIT_MS)


def new_context(
    browser: Browser, locale: str = "en-US", *, ignore_https_errors: bool = False
) -> BrowserContext:
    """`ignore_https_errors`: trust any certificate (pages and sockets behind a test's own)."""
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        locale=locale,
        ignore_https_errors=ignore_https_errors,
    )
    context.set_default_timeout(WAIT_MS)
    return context


def watch_errors(page: Page) -> list[str]:
    """Collect uncaught page errors (a test asserts there are none)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page: Page, desk: Desk, username: str = "1001", password: str = "pw1001") -> None:
    page.goto(desk.agent_url)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect(page.locator("#main-view")).to_be_visible()
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
    # A signed-out agent is signed in to the ACD by the client right after the web sign-in.
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")


def state_pill(page: Page) -> str:
    return page.locator("#state-pill").inner_text()


def call_card(page: Page, call_id: str) -> Locator:
    return page.locator(f'.call-card[data-call-id="{call_id}"]')


def go_available(page: Page) -> None:
    page.click("#btn-available")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "AVAILABLE")
