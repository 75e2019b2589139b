"""The browser side of bench/webrtc_media.py's WebRTC phase: real DTLS-SRTP, ICE and Opus.

One headless Chromium page (the tests' fake microphone, a 1000 Hz tone) holds one
RTCPeerConnection per leg. Each answers an offer rtpengine made with the WebSocket gateway's own
flags (`WebrtcMediaBridge.offer_to_browser`), as JsSIP does for a call offered to the browser
phone, and sends the tone; the page's `getStats()` says what each leg received.

The page is served by Playwright's router at a `localhost` address, no server: `localhost` is a
secure context, so `getUserMedia` works. The microphone is captured raw (no noise suppression,
which fades a steady tone within seconds, docs/webrtc.md "Tests"): every leg encodes a real tone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.agent_ui.webrtc_call import chromium_with_fake_microphone

PAGE_URL = "http://localhost/webrtc-bench"

# JsSIP's part for an offered call, once per offer: remote description, the microphone's track,
# answer, and the SDP once ICE gathering is complete (no trickle over SIP).
ANSWER_OFFERS = """
async (offers) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: {
    echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
  const [track] = stream.getAudioTracks();
  window.legs = window.legs || [];
  const answers = [];
  for (const sdp of offers) {
    const connection = new RTCPeerConnection();
    await connection.setRemoteDescription({type: "offer", sdp});
    connection.addTrack(track, stream);
    await connection.setLocalDescription(await connection.createAnswer());
    if (connection.iceGatheringState !== "complete") {
      await new Promise((resolve) => connection.addEventListener("icegatheringstatechange",
        () => connection.iceGatheringState === "complete" && resolve()));
    }
    window.legs.push(connection);
    answers.push(connection.localDescription.sdp);
  }
  return answers;
}
"""

ALL_CONNECTED = "() => window.legs.every((c) => c.connectionState === 'connected')"

INBOUND = """
async () => Promise.all(window.legs.map(async (connection) => {
  const stats = await connection.getStats();
  for (const report of stats.values()) {
    if (report.type === "inbound-rtp" && report.kind === "audio") {
      return {packets: report.packetsReceived || 0,
              codec: (stats.get(report.codecId) || {}).mimeType || "",
              state: connection.connectionState};
    }
  }
  return {packets: 0, codec: "", state: connection.connectionState};
}))
"""


@dataclass(frozen=True)
class BrowserLeg:
    packets: int
    """RTP packets the leg received (from the G.711 phone, through rtpengine)."""
    codec: str
    state: str
    """The RTCPeerConnection's `connectionState` ("connected": ICE and DTLS completed)."""


def _serve_page(route: Route) -> None:
    route.fulfill(content_type="text/html", body="<!doctype html><title>bench</title>")


@contextmanager
def browser_page(work_dir: Path) -> Iterator[Page]:
    with chromium_with_fake_microphone(work_dir) as chromium:
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.route(PAGE_URL, _serve_page)
            page.goto(PAGE_URL)
            yield page
        finally:
            context.close()


def answer_offers(page: Page, offers: list[str]) -> list[str]:
    """The page's answer to each offer, legs in the page in the same order."""
    answers = page.evaluate(ANSWER_OFFERS, offers)
    return [str(answer) for answer in answers]


def wait_connected(page: Page, timeout_s: float) -> bool:
    """Until every leg completed ICE and DTLS, or False after `timeout_s` (the bench then
    counts the legs that did not as failed calls)."""
    try:
        page.wait_for_function(ALL_CONNECTED, timeout=timeout_s * 1000, polling=200)
    except PlaywrightTimeout:
        return False
    return True


def inbound(page: Page) -> list[BrowserLeg]:
    return [
        BrowserLeg(int(leg["packets"]), str(leg["codec"]), str(leg["state"]))
        for leg in page.evaluate(INBOUND)
    ]
