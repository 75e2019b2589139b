"""A queue call answered in the browser phone, for the WebRTC tests (issue 22): the whole product
with rtpengine and its SIP-over-WebSocket listener, Chromium whose fake microphone plays a known
tone, and a SIPp trunk caller whose audio is a test RTP phone playing another tone.

The fake microphone's tone goes through Chromium's capture processing unless the page asks for
raw audio: its noise suppression takes a steady sine for background noise and brings it down
by ~30 dB within 2-3 s (measured: 27000 peak at the caller's phone, 844 three seconds later,
with no hold or any other change). A real voice is not stationary and passes; a test that
listens to the tone for longer than a second must ask for raw capture (`RAW_MICROPHONE`).
"""

from __future__ import annotations

import math
import socket
import struct
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.agent_ui.agent_pages import go_available, new_context
from tests.components import CHROMIUM_ARGS, require_chromium, require_executable
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, free_port
from tests.product_harness import ProductThread

CALLER = "+31201234567"
CALLER_TONE = 400.0
BROWSER_TONE = 1000.0

# Keeps every RTCPeerConnection the page makes, so a test can read its statistics without
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

# The test's fake microphone without Chromium's capture processing (see the module docstring);
# the product keeps the browser's defaults for a real headset.
RAW_MICROPHONE = """
(() => {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  const raw = {echoCancellation: false, noiseSuppression: false, autoGainControl: false};
  devices.getUserMedia = (constraints) => original({...constraints,
    audio: constraints.audio === true ? raw : {...constraints.audio, ...raw}});
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


@contextmanager
def chromium_with_fake_microphone(work_dir: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays `BROWSER_TONE`, allowed without asking."""
    executable = require_chromium()
    tone = tone_wav(work_dir / "tone.wav", BROWSER_TONE)
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


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    """Imported by each WebRTC test module: every test there needs these programs."""
    for program in ("sipp", "rtpengine", "espeak-ng"):
        require_executable(program)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One Chromium with the fake microphone per test module."""
    with chromium_with_fake_microphone(tmp_path_factory.mktemp("audio")) as chromium:
        yield chromium


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    """The whole product with rtpengine and its SIP WebSocket listener, one per test."""
    running = ProductThread.start(
        tmp_path / "var", "webrtc", sip_ws_port=free_port(socket.SOCK_STREAM)
    )
    try:
        yield running
    finally:
        running.stop()


def phone_context(browser: Browser, *, raw_microphone: bool) -> BrowserContext:
    context = new_context(browser)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    if raw_microphone:
        context.add_init_script(RAW_MICROPHONE)
    return context


def sign_in(page: Page, product: ProductThread) -> None:
    """Agent 1001 in the agent client, on the desk phone (the default of a new session)."""
    page.goto(f"{product.base_url}/agent/")
    page.fill("#login-username", "1001")
    page.fill("#login-password", "pw1001")
    page.click("#login-submit")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
    expect(page.locator("#softphone")).to_have_attribute("data-status", "desk")


def sign_in_with_browser_phone(page: Page, product: ProductThread) -> None:
    sign_in(page, product)
    page.check("#softphone-mode-browser")
    expect(page.locator("#softphone")).to_have_attribute("data-status", "registered")


async def started(phone: RtpPhone) -> RtpPhone:
    return phone.start()


def trunk_call(product: ProductThread, work_dir: Path, caller_audio: RtpPhone) -> Sipp:
    """A trunk caller (audio: `caller_audio`) calls queue 7001; its SIPp expects the PBX's BYE."""
    return product.loop.run(
        Sipp(
            "trunk_call_remote_bye.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": "7001", "media_port": caller_audio.port},
        ).start()
    )


def queue_call_offered(
    page: Page, product: ProductThread, work_dir: Path, caller_audio: RtpPhone
) -> Sipp:
    """Agent 1001, signed in with the browser phone, goes available; a `trunk_call` rings in
    the page. Returns the caller's SIPp."""
    sign_in_with_browser_phone(page, product)
    go_available(page)
    caller = trunk_call(product, work_dir, caller_audio)
    expect(page.locator('.softphone-call[data-call="ringing"]')).to_contain_text(
        CALLER, timeout=20_000
    )
    return caller
