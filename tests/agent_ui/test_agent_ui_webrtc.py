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

import asyncio
import math
import socket
import struct
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.agent_ui.agent_pages import go_available, new_context, watch_errors
from tests.components import CHROMIUM_ARGS, require_chromium, require_executable
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, free_port
from tests.product_harness import ProductThread

CALLER = "+31201234567"
CALLER_TONE = 400.0
BROWSER_TONE = 1000.0

# Keeps every RTCPeerConnection the page makes, so the test can read its statistics without
# a hook in the product's code.
CAPTURE_PEER_CONNECTIONS = """
(() => {
  const Original = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = function (...args) {
    const connection = new Original(...args);
    window.__peerConnections.push(connection);
    return connection;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();
"""

INBOUND_AUDIO = """
async () => {
  const connection = window.__peerConnections[window.__peerConnections.length - 1];
  if (!connection) return null;
  const stats = await connection.getStats();
  for (const report of stats.values()) {
    if (report.type === "inbound-rtp" && report.kind === "audio") {
      return {packets: report.packetsReceived || 0, energy: report.totalAudioEnergy || 0,
              codec: (stats.get(report.codecId) || {}).mimeType || ""};
    }
  }
  return null;
}
"""


def tone_wav(path: Path, frequency: float, seconds: int = 20) -> Path:
    """16-bit mono 48 kHz, Chromium's fake capture reads it and plays it in a loop."""
    rate = 48_000
    samples = (round(8000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(rate))
    second = b"".join(struct.pack("<h", s) for s in samples)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(second * seconds)
    return path


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine", "espeak-ng"):
        require_executable(program)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = require_chromium()
    tone = tone_wav(tmp_path_factory.mktemp("audio") / "tone.wav", BROWSER_TONE)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "webrtc", sip_ws_port=free_port(socket.SOCK_STREAM)
    )
    yield running
    running.stop()


def _sign_in_with_browser_phone(page: Page, product: ProductThread) -> None:
    page.goto(f"{product.base_url}/agent/")
    page.fill("#login-username", "1001")
    page.fill("#login-password", "pw1001")
    page.click("#login-submit")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
    expect(page.locator("#softphone")).to_have_attribute("data-status", "desk")
    page.check("#softphone-mode-browser")
    expect(page.locator("#softphone")).to_have_attribute("data-status", "registered")


def test_queue_call_answered_in_the_browser_with_audio_both_ways(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    context = new_context(browser)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(_started(RtpPhone(CALLER_TONE)))
    caller: Sipp | None = None
    try:
        _sign_in_with_browser_phone(page, product)
        go_available(page)

        caller = loop.run(
            Sipp(
                "trunk_call_remote_bye.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={"from": CALLER, "to": "7001", "media_port": caller_audio.port},
            ).start()
        )
        offer = page.locator('.softphone-call[data-call="ringing"]')
        expect(offer).to_contain_text(CALLER, timeout=20_000)

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


async def _started(phone: RtpPhone) -> RtpPhone:
    return phone.start()


async def _now() -> float:
    return asyncio.get_running_loop().time()
