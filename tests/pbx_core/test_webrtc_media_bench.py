"""The WebRTC media benchmark's short form (bench/webrtc_media.py, docs/webrtc.md "Benchmark"):
a private rtpengine, three calls per phase. Every call carries media both ways in each phase;
the WebRTC phase's legs are real Chromium RTCPeerConnections that completed ICE and DTLS-SRTP
with rtpengine offered by the gateway's own flags, and received Opus. CPU figures are the
bench's to print, never asserted here."""

from __future__ import annotations

from bench.webrtc_browser import BrowserLeg
from bench.webrtc_media import Phase, main
from tests.components import require_chromium, require_executable


def test_every_call_carries_media_both_ways_in_every_phase() -> None:
    require_executable("rtpengine")
    require_chromium()
    phases = main(["--calls", "3", "--seconds", "2"])
    assert [phase.label for phase in phases] == [
        "plain RTP G.711 (baseline)",
        "browser-style Opus<->G.711",
        "WebRTC DTLS-SRTP/ICE/Opus",
    ]
    for phase in phases:
        assert phase.failed == 0, phase
        assert len(phase.received_by_phones) == 3, phase
        assert all(packets > 0 for packets in phase.received_by_phones), phase
    legs = phases[2].browser_legs
    assert legs is not None and len(legs) == 3
    for leg in legs:
        assert leg.state == "connected", leg
        assert leg.codec == "audio/opus", leg
        assert leg.packets > 0, leg


def test_a_call_fails_when_either_side_received_nothing() -> None:
    legs = [BrowserLeg(120, "audio/opus", "connected"), BrowserLeg(0, "", "failed")]
    assert Phase("WebRTC", 0.1, [100, 100], legs).failed == 1
    assert Phase("WebRTC", 0.1, [0, 100], legs).failed == 2
    assert Phase("plain", 0.1, [100, 0, 5]).failed == 1
