"""Benchmark: rtpengine's CPU per browser call (Opus <-> G.711, as the WebSocket gateway asks it)
against a plain RTP G.711 call, measured in the same run on the same rtpengine.

Each call is two legs in one rtpengine call: a phone side (A) sending PCMU every 20 ms, and a
far side (B). Plain: B is offered PCMU and answers PCMU. Browser-style: B is offered Opus only
(`codec: {mask: [PCMU, PCMA], transcode: [opus]}`, the flags of `webrtc_bridge.offer_to_browser`)
and answers Opus; B echoes every packet it gets, so rtpengine encodes Opus toward B and decodes
B's Opus back to PCMU toward A: transcoding both ways, no Opus encoder needed here. Not in the
figure: DTLS-SRTP and ICE (a browser would need a DTLS client; SRTP's AES + HMAC per packet is
small beside an Opus encode). rtpengine's CPU comes from /proc/<pid>/stat over the measured
seconds; every call must see A receive packets back (0 failed calls).

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pbx_core.media import g711  # noqa: E402
from pbx_core.media.ng_client import NgClient  # noqa: E402
from pbx_core.media.rtpengine_process import RtpengineProcess, start_rtpengine  # noqa: E402
from pbx_core.media.webrtc_bridge import BROWSER_CODECS, PHONE_CODECS  # noqa: E402

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


class Call:
    def __init__(self, ng: NgClient, opus: bool) -> None:
        self.a = _socket()
        self.b = _socket()
        self.call_id = secrets.token_hex(8)
        codec: dict[str, list[str]] = {}
        if opus:
            codec = {"mask": list(PHONE_CODECS), "transcode": list(BROWSER_CODECS)}
        offered = ng.request(
            "offer", call_id=self.call_id, from_tag="a", sdp=_sdp(_port(self.a), "pcmu"),
            codec=codec, replace=["origin", "session-connection"],
        )["sdp"]  # fmt: skip
        answered = ng.request(
            "answer", call_id=self.call_id, from_tag="a", to_tag="b",
            sdp=_sdp(_port(self.b), "opus" if opus else "pcmu"),
            replace=["origin", "session-connection"],
        )["sdp"]  # fmt: skip
        self.to_a_side = ("127.0.0.1", _media_port(str(answered)))  # where A sends
        self.to_b_side = ("127.0.0.1", _media_port(str(offered)))  # where B sends
        self.received_by_a = 0
        self.sequence = 0


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
        loop.remove_reader(call.b)
        loop.remove_reader(call.a)
    return used / (loop.time() - start)


def _echo(call: Call) -> None:
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


async def _measure(
    rtpengine: RtpengineProcess, count: int, seconds: float, opus: bool
) -> tuple[float, int]:
    ng = NgClient(rtpengine.host, rtpengine.ng_port, timeout=2.0)
    calls = [Call(ng, opus) for _ in range(count)]
    try:
        share = await _run(calls, seconds, rtpengine.process.pid)
        failed = sum(call.received_by_a == 0 for call in calls)
    finally:
        for call in calls:
            ng.delete(call.call_id)
            call.a.close()
            call.b.close()
        ng.close()
    return share, failed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        rtpengine = start_rtpengine(Path(work))
        try:
            plain, plain_failed = await _measure(rtpengine, args.calls, args.seconds, opus=False)
            await asyncio.sleep(1.0)
            opus, opus_failed = await _measure(rtpengine, args.calls, args.seconds, opus=True)
        finally:
            rtpengine.stop()
    print(f"{args.calls} calls at once, {args.seconds:.0f} s each run, one rtpengine")
    print(
        f"  plain RTP G.711 (baseline): {plain:6.1%} of a core, "
        f"{plain / args.calls:.3%} per call, {plain_failed} failed calls"
    )
    print(
        f"  browser-style Opus<->G.711: {opus:6.1%} of a core, "
        f"{opus / args.calls:.3%} per call, {opus_failed} failed calls"
    )
    print(f"  ratio Opus / plain per call: {opus / plain if plain else float('inf'):.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
