"""Screenshots of the main screens of the agent client (also a walk through all of them).

By default they go to the test's temporary directory. To refresh the ones in the docs:

    OPENCC_SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/agent_ui -k screenshots
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from cti.control import ControlError
from tests.agent_ui.agent_pages import call_card, go_available, new_context
from tests.agent_ui.agent_world import Desk

CALLER = "+31201234567"


def _target(tmp_path: Path) -> Path:
    configured = os.environ.get("OPENCC_SCREENSHOTS_DIR")
    target = Path(configured) if configured else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


def _shot(page: Page, target: Path, name: str) -> None:
    path = target / f"agent-{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000, path


def test_screenshots_of_the_main_screens(browser: Browser, desk: Desk, tmp_path: Path) -> None:
    target = _target(tmp_path)
    context = new_context(browser)
    page = context.new_page()

    page.goto(desk.agent_url)
    expect(page.locator("#login-view")).to_be_visible()
    page.fill("#login-username", "1001")
    _shot(page, target, "sign-in")

    page.fill("#login-password", "pw1001")
    page.click("#login-submit")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
    go_available(page)
    page.get_by_role("tab", name="Contacts").click()
    page.fill("#contact-name", "Groothandel Bakker")
    page.fill("#contact-number", "+31 10 765 4321")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("tab", name="Colleagues").click()
    page.locator("#dial-input").focus()
    _shot(page, target, "available")

    desk.control.offer_call("c-s1", CALLER, "1001")
    card = call_card(page, "c-s1")
    expect(card.locator(".pop-name")).to_have_text("Anna de Vries")
    _shot(page, target, "ringing")

    desk.control.answer("c-s1")
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    card.get_by_role("button", name="Rec").click()
    expect(card.locator(".rec-badge")).to_be_visible()
    card.get_by_role("button", name="Hold").focus()
    _shot(page, target, "connected")

    card.get_by_role("button", name="Transfer").click()
    expect(page.locator("#transfer-dialog")).to_be_visible()
    page.fill("#transfer-input", "1002")
    _shot(page, target, "transfer")
    page.click("#transfer-cancel")

    desk.control.refuse["hold_call"] = ControlError(
        "refused", "the PBX refused: no answered extension to hold"
    )
    card.get_by_role("button", name="Hold").click()
    expect(page.locator(".toast-error")).to_be_visible()
    _shot(page, target, "error")
    page.locator(".toast-close").click()

    desk.control.wrap_up_seconds = 10
    card.get_by_role("button", name="Hang up").click()
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "WRAP_UP")
    wrap = page.locator('.wrap-card[data-call-id="c-s1"]')
    wrap.get_by_label("Disposition code").select_option("resolved")
    expect(page.locator("#state-timer")).to_contain_text("left")
    _shot(page, target, "wrap-up")

    wrap.get_by_role("button", name="Save").click()
    expect(wrap.locator(".saved")).to_be_visible()
    page.get_by_role("tab", name="History").click()
    expect(page.locator('#panel-history .row[data-call-id="c-s1"]')).to_be_visible()
    _shot(page, target, "history")

    page.locator("body").press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    _shot(page, target, "shortcuts")
    page.keyboard.press("Escape")

    page.locator(".topbar .lang", has_text="NL").click()
    desk.control.offer_call("c-s2", "+31301112244", "1001")
    expect(call_card(page, "c-s2").locator(".phase-badge")).to_have_text("Inkomend gesprek")
    _shot(page, target, "nl")

    desk.stop()
    expect(page.locator("#banner")).to_be_visible()
    _shot(page, target, "reconnecting")
    context.close()
