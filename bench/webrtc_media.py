"""Benchmark: rtpengine's CPU per browser call against a plain RTP G.711 call, measured in the
same run on the same rtpengine, in three phases of N calls at once:

1. plain: a phone side (A) sending PCMU every 20 ms and a far side (B) answering PCMU, which
   echoes every packet back (the baseline);
2. Opus: B offered Opus only (`codec: {mask: [PCMU, PCMA], transcode: [opus]}`, the gateway's
   codec flags) and echoing, so rtpengine decodes and encodes Opus for every packet, no
   DTLS-SRTP or ICE;
3. WebRTC: B is a real browser leg, an RTCPeerConnection in headless Chromium
   (bench/webrtc_browser.py): rtpengine offers it with the WebSocket gateway's own flags
   (`WebrtcMediaBridge.offer_to_browser`: ICE=force, DTLS=passive, UDP/TLS/RTP/SAVPF, Opus),
   the page answers, ICE and DTLS-SRTP complete, and the browser sends its microphone's tone in
   Opus while A sends PCMU: the full media path of a browser phone's call.

rtpengine's CPU comes from /proc/<pid>/stat over the measured seconds (not Chromium's). A call
fails when A receives no RTP back, or (WebRTC) the page's `getStats()` shows no inbound packets.

    .venv/bin/python bench/webrtc_media.py [--calls 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import socket
import struct
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.webrtc_browser import BrowserLeg, answer_offers, browser_page, inbound, wait_connected  # noqa: E402
from pbx_core.media import g711  # noqa: E402
from pbx_core.media.ng_client import NgClient  # noqa: E402
from pbx_core.media.rtpengine_process import RtpengineProcess, start_rtpengine  # noqa: E402
from pbx_core.media.webrtc_bridge import (  # noqa: E402
    BROWSER_CODECS,
    PHONE_CODECS,
    WebrtcMediaBridge,
)

CONNECT_WAIT_S = 60.0
"""For every browser leg's ICE and DTLS (seconds on a loaded machine); legs not connected by
then are counted as failed calls."""

TICKS = os.sysconf("SC_CLK_TCK")
# A 440 Hz tone, not silence: an encoder may spend less on silence than on speech.
TONE = g711.encode(
    g711.PCMU,
    b"".join(
        struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * n / 8000))) for n in range(160)
    ),
)


def _sdp(port: int, codec: str) -> str:
    media = "m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    if codec == "opus":
        media = "m=audio {port} RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n"
    return (
        f"v=0\r\no=- {port} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        + media.format(port=port)
        + "a=sendrecv\r\n"
    )


def _media_port(sdp: str) -> int:
    for line in sdp.splitlines():
        if line.startswith("m=audio "):
            return int(line.split()[1])
    raise ValueError("no audio in rtpengine's SDP")


@dataclass(frozen=True)
class Phase:
    label: str
    share: float
    """rtpengine's CPU over the measured seconds, as a share of one core."""
    received_by_phones: list[int]
    """RTP packets each call's phone side (A) received back."""
    browser_legs: list[BrowserLeg] | None = None
    """WebRTC phase: what each call's browser leg received."""
    setup_cpu_s: float = 0.0
    """WebRTC phase: rtpengine's CPU seconds from the first offer until every leg completed
    ICE and DTLS (the handshakes a browser call pays once)."""

    @property
    def failed(self) -> int:
        browsers = [leg.packets for leg in self.browser_legs or []] or self.received_by_phones
        return sum(a == 0 or b == 0 for a, b in zip(self.received_by_phones, browsers, strict=True))


class Call:
    """One call's phone side A (PCMU, a socket of this process). Its far side B is an echoing
    socket of this process (`_echo_call`) or a browser leg (`b` None)."""

    def __init__(self) -> None:
        self.a = _socket()
        self.b: socket.socket | None = None
        self.call_id = secrets.token_hex(8)
        self.to_a_side = ("127.0.0.1", 0)  # where A sends
        self.to_b_side = ("127.0.0.1", 0)  # where B sends
        self.received_by_a = 0
        self.sequence = 0


def _echo_call(ng: NgClient, opus: bool) -> Call:
    call = Call()
    call.b = _socket()
    codec: dict[str, list[str]] = {}
    if opus:
        codec = {"mask": list(PHONE_CODECS), "transcode": list(BROWSER_CODECS)}
    offered = ng.request(
        "offer", call_id=call.call_id, from_tag="a", sdp=_sdp(_port(call.a), "pcmu"),
        codec=codec, replace=["origin", "session-connection"],
    )["sdp"]  # fmt: skip
    answered = ng.request(
        "answer", call_id=call.call_id, from_tag="a", to_tag="b",
        sdp=_sdp(_port(call.b), "opus" if opus else "pcmu"),
        replace=["origin", "session-connection"],
    )["sdp"]  # fmt: skip
    call.to_a_side = ("127.0.0.1", _media_port(str(answered)))
    call.to_b_side = ("127.0.0.1", _media_port(str(offered)))
    return call


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def _run(calls: list[Call], seconds: float, pid: int) -> float:
    loop = asyncio.get_running_loop()
    for call in calls:
        if call.b is not None:
            loop.add_reader(call.b, _echo, call)
        loop.add_reader(call.a, _count, call)
    await asyncio.sleep(1.0)  # warm-up: first packets latch, codecs start
    start_cpu, start = _cpu_seconds(pid), loop.time()
    next_send = start
    while loop.time() - start < seconds:
        for call in calls:
            header = struct.pack("!BBHII", 0x80, 0, call.sequence & 0xFFFF, call.sequence * 160, 1)
            call.sequence += 1
            with contextlib.suppress(BlockingIOError):
                call.a.sendto(header + TONE, call.to_a_side)
        next_send += 0.02
        await asyncio.sleep(max(0.0, next_send - loop.time()))
    used = _cpu_seconds(pid) - start_cpu
    for call in calls:
        if call.b is not None:
            loop.remove_reader(call.b)
        loop.remove_reader(call.a)
    return used / (loop.time() - start)


def _echo(call: Call) -> None:
    assert call.b is not None
    try:
        while True:
            data = call.b.recv(2048)
            call.b.sendto(data, call.to_b_side)
    except (BlockingIOError, ConnectionRefusedError):
        pass


def _count(call: Call) -> None:
    try:
        while True:
            call.a.recv(2048)
            call.received_by_a += 1
    except (BlockingIOError, ConnectionRefusedError):
        pass


async def _measure(rtpengine: RtpengineProcess, count: int, seconds: float, opus: bool) -> Phase:
    ng = NgClient(rtpengine.host, rtpengine.ng_port, timeout=2.0)
    calls = [_echo_call(ng, opus) for _ in range(count)]
    try:
        share = await _run(calls, seconds, rtpengine.process.pid)
    finally:
        for call in calls:
            ng.delete(call.call_id)
            call.a.close()
            if call.b is not None:
                call.b.close()
        ng.close()
    label = "browser-style Opus<->G.711" if opus else "plain RTP G.711 (baseline)"
    return Phase(label, share, [call.received_by_a for call in calls])


def _measure_webrtc(rtpengine: RtpengineProcess, count: int, seconds: float, work: Path) -> Phase:
    bridge = WebrtcMediaBridge(NgClient(rtpengine.host, rtpengine.ng_port, timeout=2.0))
    calls = [Call() for _ in range(count)]
    try:
        with browser_page(work) as page:
            setup_start = _cpu_seconds(rtpengine.process.pid)
            offers = [
                bridge.offer_to_browser(call.call_id, "a", _sdp(_port(call.a), "pcmu"))
                for call in calls
            ]
            for call, answer in zip(calls, answer_offers(page, offers), strict=True):
                to_phone = bridge.answer(call.call_id, "a", "b", answer)
                call.to_a_side = ("127.0.0.1", _media_port(to_phone))
            wait_connected(page, CONNECT_WAIT_S)
            setup_cpu = _cpu_seconds(rtpengine.process.pid) - setup_start
            # Playwright's sync API holds this thread's event loop: the phones run in another.
            with ThreadPoolExecutor(1) as pool:
                share = pool.submit(asyncio.run, _run(calls, seconds, rtpengine.process.pid))
                measured = share.result()
            legs = inbound(page)
    finally:
        for call in calls:
            bridge.delete(call.call_id)
            call.a.close()
        bridge.close()
    label = "WebRTC DTLS-SRTP/ICE/Opus"
    return Phase(label, measured, [call.received_by_a for call in calls], legs, setup_cpu)


def main(argv: list[str] | None = None) -> list[Phase]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        rtpengine = start_rtpengine(Path(work))
        try:
            plain = asyncio.run(_measure(rtpengine, args.calls, args.seconds, opus=False))
            time.sleep(1.0)
            opus = asyncio.run(_measure(rtpengine, args.calls, args.seconds, opus=True))
            time.sleep(1.0)
            webrtc = _measure_webrtc(rtpengine, args.calls, args.seconds, Path(work))
        finally:
            rtpengine.stop()
    phases = [plain, opus, webrtc]
    print(f"{args.calls} calls at once, {args.seconds:.0f} s each phase, one rtpengine")
    for phase in phases:
        print(
            f"  {phase.label:27}: {phase.share:6.1%} of a core, "
            f"{phase.share / args.calls:.3%} per call, {phase.failed} failed calls"
        )
    legs = webrtc.browser_legs or []
    codecs = ", ".join(sorted({leg.codec for leg in legs}))
    print(
        f"  WebRTC legs, fewest packets received: phone {min(webrtc.received_by_phones)}, "
        f"browser {min(leg.packets for leg in legs)} ({codecs}); rtpengine CPU per call "
        f"for offer, answer, ICE and DTLS: {webrtc.setup_cpu_s / args.calls * 1000:.1f} ms"
    )
    for phase in (opus, webrtc):
        ratio = phase.share / plain.share if plain.share else float("inf")
        print(f"  ratio {phase.label} / plain per call: {ratio:.1f}x")
    print(f"  ratio WebRTC / Opus only: {webrtc.share / opus.share if opus.share else 0:.2f}x")
    return phases


if __name__ == "__main__":
    main()
