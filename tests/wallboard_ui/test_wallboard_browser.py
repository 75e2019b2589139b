"""The wallboard in headless Chromium against the whole product (`cti.product.run_product`, as
`make demo` runs it): an admin makes a kiosk token for Helpdesk (7001) and sets its waiting
threshold to one call; the TV's page, opened with only that token, goes live, and when a real
SIPp call from the trunk waits the waiting figure turns red — and green again when it is gone.
Screenshots go to $OPENCC_SCREENSHOTS_DIR (docs/screenshots when regenerating them)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.components import require_executable
from tests.pbx_core.support import Sipp, free_port
from tests.product_harness import LoopThread, ProductThread

SHOTS = os.environ.get("OPENCC_SCREENSHOTS_DIR")
CALLER = "+31201234567"
HOLD_MS = 15_000
"""How long the SIPp caller waits before hanging up: time enough to see the board turn red."""
RED_PATTERN = re.compile(r"\bred\b")


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    require_executable("sipp")
    running = ProductThread.start(tmp_path_factory.mktemp("wallboard") / "var", "wallboard")
    yield running
    running.stop()


def kiosk_link(product: ProductThread) -> str:
    """As an admin would: thresholds for Helpdesk, then a kiosk token and its link."""
    with httpx.Client(base_url=product.base_url, timeout=30) as client:
        signed_in = client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": "pwadmin"}
        )
        client.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"
        thresholds = {"waiting_calls": 1, "longest_wait_seconds": 600,
                      "service_level_percent": 0, "available_agents": 0}  # fmt: skip
        client.put("/api/v1/wallboards/7001/thresholds", json=thresholds).raise_for_status()
        made = client.post("/api/v1/wallboards/7001/kiosk-tokens", json={"name": "TV hall"})
        made.raise_for_status()
        url: str = made.json()["url"]
        return f"{product.base_url}{url}"


def test_waiting_call_turns_the_board_red(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if _is_error(m) else None)
    loop = LoopThread()
    caller: Sipp | None = None
    try:
        page.goto(kiosk_link(product))
        expect(page.locator("#status")).to_have_attribute("data-state", "live")
        expect(page.locator("#title")).to_have_text("Helpdesk")
        expect(page.locator("#value-waiting")).to_have_text("0")
        expect(page.locator("#tile-waiting")).not_to_have_class(RED_PATTERN)
        expect(page.locator("#tile-waiting h2")).to_have_text("Wachtend")  # Dutch by default

        caller = Sipp(
            "trunk_call.xml",  # waits HOLD_MS in the queue, then hangs up
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": "7001", "media_port": free_port(), "hold_ms": HOLD_MS},
        )
        loop.run(caller.start())
        expect(page.locator("#value-waiting")).to_have_text("1", timeout=30_000)
        expect(page.locator("#tile-waiting")).to_have_class(RED_PATTERN)
        page.click('[data-lang="en"]')
        expect(page.locator("#tile-waiting h2")).to_have_text("Waiting")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "wallboard-red.png"))

        # The caller hangs up: nobody waits, the figure is green again.
        assert loop.run(caller.wait(), timeout=120).returncode == 0
        caller = None
        expect(page.locator("#value-waiting")).to_have_text("0", timeout=30_000)
        expect(page.locator("#tile-waiting")).not_to_have_class(RED_PATTERN)
    finally:
        if caller is not None:
            caller.kill()
            loop.run(caller.wait(timeout=10), timeout=20)
        loop.stop()
        context.close()
    assert errors == []
    assert console == []  # a CSP violation is reported here


def test_a_link_without_a_valid_token_says_so(browser: Browser, product: ProductThread) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{product.base_url}/wallboard/#cc=7001&token=okiosk_forged")
        expect(page.locator("#message")).to_contain_text("werkt niet meer")
        page.goto(f"{product.base_url}/wallboard/")
        page.reload()
        expect(page.locator("#message")).to_contain_text("Geen kiosk-token")
    finally:
        context.close()


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"
