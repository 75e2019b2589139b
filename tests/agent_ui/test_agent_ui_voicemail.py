"""The voicemail tab in Chromium against the whole product: a SIPp colleague leaves 1003 a
message (real RTP), 1003 signs in to the agent client, sees it as new, plays it (the browser
decodes the WAV; playing marks it read, the API agrees), marks it unread, deletes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.components import require_executable
from tests.e2e.test_product_voicemail import leave_message
from tests.product_harness import ProductThread


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine", "espeak-ng"):
        require_executable(program)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "agentui-voicemail")
    yield running
    running.stop()


def api_messages(product: ProductThread) -> list[dict[str, object]]:
    token = httpx.post(
        f"{product.base_url}/api/v1/auth/token", json={"username": "1003", "password": "pw1003"}
    ).json()["access_token"]
    reply = httpx.get(
        f"{product.base_url}/api/v1/voicemail", headers={"Authorization": f"Bearer {token}"}
    )
    listed: list[dict[str, object]] = reply.json()
    return listed


def test_listen_mark_and_delete_in_the_agent_client(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    product.loop.run(leave_message(product, tmp_path, "1003"))
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        page.goto(f"{product.base_url}/agent/")
        page.fill("#login-username", "1003")
        page.fill("#login-password", "pw1003")
        page.click("#login-submit")
        expect(page.locator("#main-view")).to_be_visible()
        page.click("#tab-voicemail")
        row = page.locator("#panel-voicemail li.row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-read", "no")
        expect(row.locator(".row-title")).to_have_text("1001")
        expect(page.locator("#tab-voicemail")).to_have_attribute("data-unread", "1")

        row.get_by_role("button", name="Play").click()
        audio = page.locator("#panel-voicemail audio")
        expect(audio).to_have_count(1)
        # The browser decoded the WAV from the blob: a real duration, not an error.
        page.wait_for_function(
            "() => { const a = document.querySelector('#panel-voicemail audio');"
            " return a && a.readyState >= 1 && a.duration > 1; }"
        )
        assert page.evaluate("document.querySelector('#panel-voicemail audio').error") is None
        expect(row).to_have_attribute("data-read", "yes")
        assert [m["read"] for m in api_messages(product)] == [True]

        row.get_by_role("button", name="Mark unread").click()
        expect(row).to_have_attribute("data-read", "no")
        assert [m["read"] for m in api_messages(product)] == [False]

        row.get_by_role("button", name="Delete").click()
        expect(row).to_have_count(0)
        expect(page.locator("#panel-voicemail")).to_contain_text("No voicemail.")
        assert api_messages(product) == []

        # The PIN for *62 and voicemail to e-mail, set from the same tab.
        page.click(".voicemail-settings summary")
        page.fill("#voicemail-pin", "2468")
        page.click("#voicemail-pin-form button")
        expect(page.locator("#voicemail-notice")).to_have_text("Saved.")
        page.click(".voicemail-settings summary")
        page.fill("#voicemail-email", "jan@example.nl")
        page.click("#voicemail-email-form button")
        expect(page.locator("#voicemail-notice")).to_have_text("Saved.")
        # Past the browser's own check (as a tampered page would be), the server refuses.
        page.click(".voicemail-settings summary")
        page.eval_on_selector("#voicemail-pin", "i => i.removeAttribute('pattern')")
        page.fill("#voicemail-pin", "12a")
        page.click("#voicemail-pin-form button")
        expect(page.locator("#voicemail-notice")).to_have_text("Not saved: check the value.")
        assert errors == []
    finally:
        context.close()
