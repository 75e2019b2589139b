"""The browser phone's media edge (`pbx_core/media/webrtc_bridge.py`) against a real rtpengine:
a digest challenge keeps the browser's offer on its ports for the retry (made anew, the DTLS
handshake of the retried call failed: docs/webrtc.md), and a challenge never retried gives its
ports back after `CHALLENGE_WAIT_S`."""

from __future__ import annotations

import re
import time

import pytest

from pbx_core.media.ng_client import NgClient, NgError
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.media.webrtc_bridge import CHALLENGE_WAIT_S, EDGE_CALL_PREFIX, WebrtcMediaBridge
from tests.pbx_core.ws_phone import Clock

FINGERPRINT = ":".join(["AB"] * 32)
BROWSER_OFFER = f"""v=0\r
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r
c=IN IP4 0.0.0.0\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=candidate:1 1 udp 2122194687 127.0.0.1 9 typ host\r
a=ice-ufrag:Pv4f\r
a=ice-pwd:e4CDTYQIcSxAnZ3MvHokhd8x\r
a=fingerprint:sha-256 {FINGERPRINT}\r
a=setup:actpass\r
a=mid:0\r
a=sendrecv\r
a=rtcp-mux\r
a=rtpmap:111 opus/48000/2\r
a=rtpmap:0 PCMU/8000\r
"""
"""A Chromium offer as JsSIP sends it, cut down to what rtpengine reads (its ICE candidate
points at the discard port: nothing here completes ICE or DTLS)."""


@pytest.fixture
def ng(rtpengine: RtpengineProcess) -> NgClient:
    return NgClient(rtpengine.host, rtpengine.ng_port, timeout=2)


def _port(sdp: str) -> int:
    found = re.search(r"^m=audio (\d+) RTP/AVP", sdp, re.MULTILINE)
    assert found, sdp
    return int(found.group(1))


def _gone(ng: NgClient, call_id: str) -> bool:
    try:
        ng.query(EDGE_CALL_PREFIX + call_id)
    except NgError:
        return True
    return False


def test_a_challenged_offer_keeps_its_media_for_the_retry(ng: NgClient) -> None:
    bridge = WebrtcMediaBridge(ng, clock=Clock())
    first = bridge.offer_from_browser("challenged-1", "browser-tag", BROWSER_OFFER)
    bridge.challenged("challenged-1")
    retried = bridge.offer_from_browser("challenged-1", "browser-tag", BROWSER_OFFER)
    assert _port(retried) == _port(first)  # the same rtpengine call, not a new one
    assert not _gone(ng, "challenged-1")
    bridge.delete("challenged-1")


def test_a_challenge_never_retried_gives_its_ports_back(ng: NgClient) -> None:
    clock = Clock()
    bridge = WebrtcMediaBridge(ng, clock=clock)
    bridge.offer_from_browser("abandoned-1", "browser-tag", BROWSER_OFFER)
    bridge.challenged("abandoned-1")
    clock.now += CHALLENGE_WAIT_S - 1
    bridge.offer_from_browser("other-1", "browser-tag", BROWSER_OFFER)
    assert not _gone(ng, "abandoned-1")  # still waiting for its retry

    clock.now += 2
    bridge.offer_from_browser("other-2", "browser-tag", BROWSER_OFFER)  # any request sweeps
    deadline = time.monotonic() + 10
    while not _gone(ng, "abandoned-1"):  # the delete is sent without waiting for its reply
        assert time.monotonic() < deadline, "the abandoned call's media is still there"
        time.sleep(0.05)
    assert not _gone(ng, "other-1")
    for call_id in ("other-1", "other-2"):
        bridge.delete(call_id)
