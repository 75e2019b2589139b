"""End to end, issue 22.3: the receptionist console's dial box (receptionist_ui/static/dialbox.js,
docs/receptionist.md). With the browser phone registered the browser calls the number itself (its
own INVITE and offer, as the agent client's dial box does: docs/webrtc.md "Who dials"); on the
desk phone the dial box asks the PBX for click-to-dial (it rings the receptionist's desk phone,
then the number).

The world of the receptionist's WebRTC tests (tests/receptionist_ui/test_receptionist_ui_webrtc.py:
the whole product with its SIP-over-WebSocket listeners) and the agent client's path tests'
page and phones (Chromium whose fake microphone plays 1000 Hz raw and hears tones by WebAudio, a
SIPp desk phone 1005 with an RTP phone playing 600 Hz).
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.agent_ui.agent_pages import watch_errors
from tests.agent_ui.test_agent_ui_webrtc_own_calls import (
    browser_calls_the_desk,
    hang_up_and_desk_gets_its_bye,
)
from tests.agent_ui.test_agent_ui_webrtc_paths import (
    DESK,
    DESK_HZ,
    _ok,
    _phone,
    _stop,
    context,
)
from tests.agent_ui.webrtc_call import _media_programs, browser
from tests.pbx_core.support import Sipp, agent_phone
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import RECEPTIONIST, licensed
from tests.receptionist_ui.test_receptionist_ui_webrtc import (
    _sign_in_with_browser_phone,
    certificate,
    https_port,
    product,
)

# The fixtures used here: the receptionist WebRTC tests' product (module-wide, as `licensed`).
__all__ = [
    "_media_programs", "browser", "certificate", "context", "https_port", "licensed", "product",
]  # fmt: skip


def _dial(page: Page, number: str) -> float:
    page.fill("#dial-number", number)
    page.click("#dial-call")
    return time.monotonic()


def test_the_consoles_browser_phone_dials_a_desk_phone_with_audio_both_ways(
    context: BrowserContext, product: ProductThread, licensed: None, tmp_path: Path
) -> None:
    """The box in Dutch and back. Not a number: said in the box, nothing dialled, the text
    kept. 1005: the browser's own call (its offer), 1005's desk phone answers, each hears the
    other's tone; Hang up in the phone panel sends 1005 its BYE."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    desk = loop.run(_phone(DESK_HZ))
    answering: Sipp | None = None
    try:
        _sign_in_with_browser_phone(page, product.base_url)
        page.click("#lang")  # the box follows the console's language
        expect(page.locator("#dialbox label")).to_have_text("Nummer of toestel")
        page.click("#lang")
        expect(page.locator("#dial-call")).to_have_text("Call")
        _dial(page, "10a5")
        expect(page.locator("#dialbox-status")).to_contain_text("phone number or an extension")
        expect(page.locator("#dial-number")).to_have_value("10a5")
        expect(page.locator(".softphone-call")).to_have_count(0)

        answering = browser_calls_the_desk(
            page, product, tmp_path, desk, _dial, "the console's own call to a desk phone"
        )
        expect(page.locator("#dial-number")).to_have_value("")

        hang_up_and_desk_gets_its_bye(page, loop, answering)
        assert errors == []
    finally:
        _stop(loop, answering)
        loop.run(desk.close())


def test_on_the_desk_phone_the_dial_box_rings_it_then_the_number(
    context: BrowserContext, product: ProductThread, licensed: None, tmp_path: Path
) -> None:
    """Click-to-dial: the receptionist's SIPp desk phone rings and answers, then 1005's rings and
    answers; the desk phone hangs up after a while and the PBX sends 1005 its BYE."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    own: Sipp | None = None
    colleague: Sipp | None = None
    try:
        own = loop.run(
            agent_phone(product.sip_port, RECEPTIONIST, "agent_answer_hangup.xml", tmp_path,
                        talk_ms=8000)
        )  # fmt: skip
        colleague = loop.run(
            agent_phone(product.sip_port, DESK, "agent_answer.xml", tmp_path, timeout_s=60)
        )
        page.goto(f"{product.base_url}/receptionist/")
        page.fill("#login-username", RECEPTIONIST)
        page.fill("#login-password", f"pw{RECEPTIONIST}")
        page.click("#login-submit")
        expect(page.locator("#softphone")).to_have_attribute("data-status", "desk")
        _dial(page, DESK)
        expect(page.locator("#dialbox-status")).to_contain_text(f"Calling {DESK}")
        _ok(loop, own)
        _ok(loop, colleague)  # answered, then the BYE once the desk phone hung up
        assert errors == []
    finally:
        _stop(loop, own, colleague)
