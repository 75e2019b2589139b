"""Benchmark: many callers leaving voicemail at once; the figure is lost RTP packets (goal 0).

Starts rtpengine and the PBX with voicemail (as the product does), then N SIPp callers (each
its own process, extension 1001 calling 1003, whose phone is not registered) with an RTP phone
each sending G.711 every 20 ms for the whole call. Every message the PBX's recorder wrote is
checked: packets received, sequence gaps (lost), and the WAV's length against the packets.
A single caller first is the baseline, measured in the same run.

    .venv/bin/python bench/voicemail_deposit.py [--callers 50] [--talk 8]

Redis at 127.0.0.1:6379 under a key prefix of its own (deleted at the end); free ports only.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from pbx_core.config import PbxConfig, RtpengineAddress  # noqa: E402
from pbx_core.media.prompts import generate_all  # noqa: E402
from pbx_core.media.rtpengine_process import start_rtpengine  # noqa: E402
from pbx_core.service import PbxService  # noqa: E402
from pbx_core.voicemail.deposit import DepositedMessage, Mailbox, VoicemailSettings  # noqa: E402
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests  # noqa: E402
from tests.pbx_core.rtp_phone import RtpPhone  # noqa: E402
from tests.pbx_core.support import free_port, free_sip_port, run_sipp  # noqa: E402

GREETING_SECONDS = 6.0
"""Time from the 200 OK to the end of the spoken greeting and beep, with room to spare."""


def sipp_media_base() -> int:
    """A port SIPp can bind its own (unused) audio sockets on: it takes the port and the next
    ones, and 50 SIPp processes on its default would collide."""
    while True:
        base = free_port()
        if base % 2 == 0 and all(_free(base + n) for n in range(1, 4)):
            return base


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def round_of(
    pbx: PbxService, messages: asyncio.Queue[DepositedMessage], callers: int, talk: float,
    work: Path,
) -> list[DepositedMessage]:  # fmt: skip
    phones = [RtpPhone(440).start() for _ in range(callers)]
    hold_ms = int((GREETING_SECONDS + talk) * 1000)
    calls = [
        run_sipp(
            "ext_call.xml",
            work_dir=work,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": "1001", "to": "1003", "media_port": p.port, "hold_ms": hold_ms},
            extra=["-au", "1001", "-ap", "pw1001", "-mp", str(sipp_media_base())],
        )
        for p in phones
    ]
    try:
        results = await asyncio.gather(*calls)
    finally:
        for phone in phones:
            await phone.close()
    failed = [r.errors for r in results if r.returncode != 0]
    if failed:
        raise SystemExit(f"{len(failed)} calls failed: {failed[0][:500]}")
    return [await asyncio.wait_for(messages.get(), 10) for _ in range(callers)]


def _hand_over(
    loop: asyncio.AbstractEventLoop, messages: asyncio.Queue[DepositedMessage], m: DepositedMessage
) -> None:
    loop.call_soon_threadsafe(messages.put_nowait, m)


def report(label: str, found: list[DepositedMessage]) -> tuple[int, int]:
    packets = sum(m.packets for m in found)
    lost = sum(m.lost_packets for m in found)
    seconds = [m.duration_seconds for m in found]
    short = sum(abs(m.duration_seconds - m.packets * 0.02) > 0.001 for m in found)
    print(
        f"{label}: {len(found)} messages, {packets} packets, {lost} lost,"
        f" {min(seconds):.2f}-{max(seconds):.2f} s each, {short} with audio missing from the WAV"
    )
    return packets, lost


async def main(callers: int, talk: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-voicemail-"))
    prefix = f"bench-vm-{uuid.uuid4().hex[:8]}:"
    prompts = work / "prompts"
    generate_all(prompts)
    rtpengine = start_rtpengine(work / "rtpengine", recording_dir=work / "rec")
    loop = asyncio.get_running_loop()
    messages: asyncio.Queue[DepositedMessage] = asyncio.Queue()
    settings = VoicemailSettings(
        directory=work / "voicemail",
        on_message=lambda m: _hand_over(loop, messages, m),
        mailbox=lambda _tenant, _ext: Mailbox("en"),
    )
    pbx = PbxService(
        PbxConfig(
            sip_port=free_sip_port(),
            redis_url=REDIS_URL,
            key_prefix=prefix,
            rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
            prompts_dir=prompts,
            sip_tcp=False,
        ),
        directory_for_tests(),
        voicemail=settings,
    )
    await pbx.start()
    try:
        baseline = report("1 caller (baseline)", await round_of(pbx, messages, 1, talk, work))
        started = time.monotonic()
        loaded = report(
            f"{callers} callers at once", await round_of(pbx, messages, callers, talk, work)
        )
        print(f"round of {callers} took {time.monotonic() - started:.1f} s")
        share = loaded[1] / loaded[0] if loaded[0] else 1.0
        print(
            f"lost packets: {loaded[1]} of {loaded[0]} ({share:.4%});"
            f" baseline {baseline[1]} of {baseline[0]}"
        )
    finally:
        await pbx.stop()
        rtpengine.stop()
        client = Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--talk", type=float, default=8.0, help="seconds after the greeting")
    args = parser.parse_args()
    asyncio.run(main(args.callers, args.talk))
