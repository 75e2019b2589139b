"""End to end, issue 22.3: the receptionist takes calls in the browser, with the console's own
buttons still in charge.

The whole product with its SIP-over-WebSocket listener, Chromium with a fake microphone playing
a tone (the agent client's WebRTC harness, tests/agent_ui/test_agent_ui_webrtc.py). Receptionist
1003 signs in at /receptionist, chooses Browser (it registers with a credential from
`POST /api/v1/me/sip-credential`); a SIPp phone 1001 whose audio is a test RTP phone calls 1003;
the call rings in the page and the console's Answer answers it in the browser. Audio is checked
both ways (the browser's statistics count inbound packets with energy; the caller's RTP phone
hears the browser's tone). The console's Transfer then hands the call to colleague 1005's desk
phone: the browser's call ends, 1005 answers, talks and hangs up, and the caller gets its BYE.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.agent_ui.test_agent_ui_webrtc import (
    BROWSER_TONE,
    CALLER_TONE,
    CAPTURE_PEER_CONNECTIONS,
    INBOUND_AUDIO,
    _media_programs,
    _started,
    browser,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, free_port, register
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import RECEPTIONIST, licensed

__all__ = ["_media_programs", "browser", "licensed"]

COLLEAGUE = "1005"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path_factory.mktemp("reception-webrtc") / "var",
        "reception-webrtc",
        sip_ws_port=free_port(socket.SOCK_STREAM),
    )
    yield running
    running.stop()


def test_the_receptionist_answers_in_the_browser_and_the_console_transfers(
    browser: Browser, product: ProductThread, licensed: None, tmp_path: Path
) -> None:
    loop = product.loop
    context = new_context(browser)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(_started(RtpPhone(CALLER_TONE)))
    colleague_port = free_port()
    registered = loop.run(register(product.sip_port, COLLEAGUE, colleague_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    colleague = loop.run(
        Sipp(
            "agent_answer_hangup.xml",
            work_dir=tmp_path,
            local_port=colleague_port,
            variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 1000},
        ).start()
    )
    caller: Sipp | None = None
    try:
        page.goto(f"{product.base_url}/receptionist/")
        page.fill("#login-username", RECEPTIONIST)
        page.fill("#login-password", f"pw{RECEPTIONIST}")
        page.click("#login-submit")
        expect(page.locator("#console-view")).to_be_visible()
        phone = page.locator("#softphone")
        expect(phone).to_have_attribute("data-status", "desk")
        page.check("#softphone-mode-browser")
        expect(phone).to_have_attribute("data-status", "registered", timeout=20_000)

        caller = loop.run(
            Sipp(
                "ext_call_remote_bye.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={"from": "1001", "to": RECEPTIONIST, "media_port": caller_audio.port},
                extra=["-au", "1001", "-ap", "pw1001"],
            ).start()
        )
        expect(page.locator('.softphone-call[data-call="ringing"]')).to_be_visible(timeout=20_000)
        own = page.locator("#own")
        expect(own).to_have_attribute("data-state", "ringing", timeout=15_000)

        page.locator("#answer").click()  # the console's Answer: the browser phone answers
        expect(page.locator('.softphone-call[data-call="talking"]')).to_be_visible()
        expect(own).to_have_attribute("data-state", "on_call", timeout=15_000)
        page.wait_for_function(
            f"({INBOUND_AUDIO})().then(s => s && s.packets > 0 && s.energy > 0)", polling=20
        )
        loop.run(caller_audio.wait_to_hear(BROWSER_TONE, timeout=10.0), timeout=15)

        # The console's Transfer (from the directory) hands the call to 1005's desk phone.
        page.fill("#search", COLLEAGUE)
        found = page.locator(f'#results .user[data-ext="{COLLEAGUE}"]')
        found.locator("button.transfer").click()
        expect(page.locator(".softphone-call")).to_have_count(0, timeout=15_000)
        expect(own).to_have_attribute("data-state", "idle", timeout=15_000)
        assert loop.run(colleague.wait(timeout=30), timeout=40).returncode == 0
        result = loop.run(caller.wait(timeout=30), timeout=40)  # 1005 hung up: the BYE
        assert result.returncode == 0, result.errors
        expect(phone).to_have_attribute("data-status", "registered")
        assert errors == []
    finally:
        if caller is not None:
            caller.kill()
        colleague.kill()
        loop.run(caller_audio.close())
        context.close()
