"""End to end: the whole product (`cti.product.run_product`: PBX with rtpengine, engine runtime,
CTI web process with the agent client mounted, demo CRM) on free ports, a SIPp caller on the
trunk, a SIPp phone for agent 1001, and the agent client in headless Chromium.

Issue 5: sign in, go Available, a SIPp caller dials 7001, the card pops with the CRM name, the
SIPp agent phone answers, the call shows, hold and resume, hang up (from the browser), wrap-up
counts down, state returns to Available.

The product runs on an asyncio loop in a thread of its own (Playwright's sync API holds the
main thread's loop); SIPp processes are started on that loop too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.agent_ui.agent_pages import call_card, go_available, new_context, watch_errors
from tests.components import require_executable
from tests.pbx_core.support import Sipp, SippResult, free_port, register
from tests.product_harness import ProductThread

CALLER = "+31201234567"
CRM_NAME = "Jansen Installatietechniek B.V."


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine", "espeak-ng"):
        require_executable(program)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "agentui-product")
    yield running
    running.stop()


def test_sipp_call_to_7001_in_the_agent_client(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    sip_port = product.settings.sip_port

    # Agent 1001's phone registers and will answer after ringing 2.5 s, then wait for a BYE.
    phone_port = free_port()
    registered = loop.run(register(sip_port, "1001", phone_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    phone = loop.run(
        Sipp(
            "agent_answer.xml",
            work_dir=tmp_path,
            local_port=phone_port,
            variables={"media_port": free_port(), "ring_ms": 2500},
        ).start()
    )

    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        page.goto(f"{product.base_url}/agent/")
        page.fill("#login-username", "1001")
        page.fill("#login-password", "pw1001")
        page.click("#login-submit")
        expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
        expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
        go_available(page)

        # A caller on the trunk dials 7001 and waits until the far side hangs up.
        caller = loop.run(
            Sipp(
                "trunk_call_remote_bye.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", sip_port),
                variables={"from": CALLER, "to": "7001", "media_port": free_port()},
            ).start()
        )
        try:
            card = page.locator(".call-card").first
            expect(card).to_have_attribute("data-phase", "RINGING", timeout=20_000)
            expect(card.locator(".caller-number")).to_have_text(CALLER)
            expect(card.locator(".pop-name")).to_have_text(CRM_NAME)
            call_id = card.get_attribute("data-call-id") or ""

            # The SIPp phone answers: the call shows as connected, the agent is busy.
            expect(card).to_have_attribute("data-phase", "CONNECTED", timeout=15_000)
            expect(page.locator("#state-pill")).to_have_attribute("data-state", "BUSY")

            # Hold and resume from the browser: the PBX plays music to the caller meanwhile.
            call_card(page, call_id).get_by_role("button", name="Hold").click()
            expect(call_card(page, call_id)).to_have_attribute("data-phase", "HELD")
            call_card(page, call_id).get_by_role("button", name="Resume").click()
            expect(call_card(page, call_id)).to_have_attribute("data-phase", "CONNECTED")

            # Hang up from the browser: the PBX sends BYE to both, wrap-up counts down.
            call_card(page, call_id).get_by_role("button", name="Hang up").click()
            expect(call_card(page, call_id)).to_have_count(0)
            expect(page.locator("#state-pill")).to_have_attribute("data-state", "WRAP_UP")
            timer = page.locator("#state-timer")
            expect(timer).to_have_attribute("data-countdown", re.compile(r"^([6-9]|10)$"))
            expect(timer).to_have_attribute(
                "data-countdown", re.compile(r"^[0-4]$"), timeout=15_000
            )
            expect(page.locator(f'.wrap-card[data-call-id="{call_id}"]')).to_contain_text(CALLER)
            expect(page.locator("#state-pill")).to_have_attribute(
                "data-state", "AVAILABLE", timeout=20_000
            )
            # The engine's decisions about the call, from the product's event log.
            page.get_by_role("tab", name="History").click()
            row = page.locator(f'#panel-history .row[data-call-id="{call_id}"]')
            row.get_by_role("button", name="Timeline").click()
            offered = row.locator("ol.timeline li[data-type='CALL_OFFERED']")
            expect(offered).to_contain_text("1001")
            expect(row.locator("ol.timeline li[data-type='CALL_ANSWERED']")).to_be_visible()
            expect(page.locator("#today-totals")).to_be_visible()
            caller_result: SippResult = loop.run(caller.wait(timeout=30), timeout=40)
            assert caller_result.returncode == 0, caller_result.errors
        finally:
            caller.kill()
        phone_result: SippResult = loop.run(phone.wait(timeout=20), timeout=30)
        assert phone_result.returncode == 0, phone_result.errors
        assert errors == []
    finally:
        phone.kill()
        context.close()
