"""End to end, issue 22: an agent with nothing but Chromium takes a queue call in the browser.

The whole product (PBX with rtpengine and its SIP-over-WebSocket listener, engine, web process)
on free ports; Chromium with a fake microphone playing a known tone (a WAV file); a SIPp caller
on the trunk whose audio is a test RTP phone sending another tone. Agent 1001 signs in with no
desk phone, chooses the browser phone (it registers with a credential from
`POST /api/v1/me/sip-credential`), goes available, and answers the queue offer in the page.
Audio is checked both ways: the browser's WebRTC statistics count inbound audio packets with
energy, and the caller's RTP phone hears the browser's tone (decoded G.711, after rtpengine's
DTLS-SRTP and Opus). Hang-up from the browser ends the caller's call (SIPp gets the BYE).

The setup time from the answer click to two-way audio is printed, not asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.agent_ui.agent_pages import watch_errors
from tests.agent_ui.webrtc_call import (
    BROWSER_TONE,
    CALLER_TONE,
    INBOUND_AUDIO,
    _media_programs,
    browser,
    phone_context,
    product,
    queue_call_offered,
    started,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp
from tests.product_harness import ProductThread

__all__ = ["_media_programs", "browser", "product"]  # fixtures the tests here use


def test_queue_call_answered_in_the_browser_with_audio_both_ways(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    context = phone_context(browser, raw_microphone=True)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    caller: Sipp | None = None
    try:
        caller = queue_call_offered(page, product, tmp_path, caller_audio)
        offer = page.locator('.softphone-call[data-call="ringing"]')
        answered_at = time.monotonic()
        offer.get_by_role("button", name="Answer").click()
        expect(page.locator('.softphone-call[data-call="talking"]')).to_be_visible()
        talking_at = time.monotonic()

        # The caller's tone reaches the browser: inbound audio packets with energy in them.
        page.wait_for_function(
            f"({INBOUND_AUDIO})().then(s => s && s.packets > 0 && s.energy > 0)", polling=20
        )
        browser_hears_at = time.monotonic()
        # The browser's tone reaches the caller, as G.711 after DTLS-SRTP/Opus.
        loop.run(caller_audio.wait_to_hear(BROWSER_TONE, timeout=10.0), timeout=15)
        caller_hears_at = time.monotonic()
        inbound = page.evaluate(INBOUND_AUDIO)
        print(
            f"\nWebRTC setup, answer click to two-way audio: "
            f"{max(browser_hears_at, caller_hears_at) - answered_at:.3f} s "
            f"(200 OK shown after {talking_at - answered_at:.3f} s, "
            f"browser hears after {browser_hears_at - answered_at:.3f} s; "
            f"browser codec {inbound['codec']}; caller received "
            f"{len(caller_audio.received)} RTP packets)"
        )
        assert inbound["packets"] > 0
        assert len(caller_audio.received) > 0

        # Hang up in the browser: the caller gets the BYE.
        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        result = loop.run(caller.wait(timeout=20), timeout=30)
        assert result.returncode == 0, result.errors
        assert errors == []
    finally:
        if caller is not None:
            caller.kill()
        loop.run(caller_audio.close())
        context.close()
