"""Benchmark: many callers navigating an auto attendant at once; the figures are failed calls
(goal 0) and DTMF-to-prompt latency: from the caller's RFC 4733 key to the first frame of the
submenu's prompt it hears (p50, p99).

Starts rtpengine and the PBX with the group services' shell (cti/group_calls.py, as the product
wires it), an auto attendant whose main menu is silence and whose submenu (key 1) is a 1 kHz
tone, then N SIPp callers (each its own process, calling the menu over the trunk) with an RTP
phone each that keys 1 and listens for the tone. A single caller first is the baseline,
measured in the same run.

    .venv/bin/python bench/group_menus.py [--callers 50]

Redis at 127.0.0.1:6379 under a key prefix of its own (deleted at the end); free ports only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from bench.voicemail_deposit import sipp_media_base  # noqa: E402
from cti.group_calls import GroupCalls  # noqa: E402
from group_services.config import (  # noqa: E402
    AutoAttendantConfig,
    Menu,
    MenuOption,
    OptionAction,
)
from pbx_core.call_control import DEFAULT_TENANT  # noqa: E402
from pbx_core.config import PbxConfig, RtpengineAddress  # noqa: E402
from pbx_core.directory import Directory  # noqa: E402
from pbx_core.media.prompts import generate_all  # noqa: E402
from pbx_core.media.rtpengine_process import free_udp_port, start_rtpengine  # noqa: E402
from pbx_core.service import PbxService  # noqa: E402
from provisioning.announcements import PROMPTS_SUBDIR  # noqa: E402
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests  # noqa: E402
from tests.pbx_core.rtp_phone import FRAME, RtpPhone, level  # noqa: E402
from tests.pbx_core.support import free_sip_port, run_sipp  # noqa: E402
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets  # noqa: E402

MENU = "7300"
TONE_HZ = 1000
HOLD_MS = 12000
"""From the answer: the menu, the key, the tone, with room to spare on a loaded machine."""

ATTENDANT = AutoAttendantConfig(
    MENU,
    "Bench menu",
    {
        "main": Menu("main", "silence", announcement="announcement:silence",
                     options=(MenuOption("1", OptionAction.SUBMENU, "tone"),)),
        "tone": Menu("tone", "tone", announcement="announcement:tone",
                     options=(MenuOption("9", OptionAction.BACK),)),
    },
    timeout_seconds=30.0,
)  # fmt: skip


def _announcements(prompts: Path) -> None:
    """The menu's prompts as the tenant's announcements: 10 s of silence, 3 s of 1 kHz."""
    folder = prompts / PROMPTS_SUBDIR / DEFAULT_TENANT
    folder.mkdir(parents=True, exist_ok=True)
    for name, synth in (("silence", ["trim", "0", "10"]), ("tone", ["synth", "3", "sine", "1000"])):
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(folder / f"{name}.wav"), *synth],
            check=True,
        )


def _tone(samples: list[int]) -> bool:
    return len(samples) == FRAME and level(samples, TONE_HZ) > 1500


async def _one_caller(pbx: PbxService, work: Path) -> float | str:
    """Seconds from the key to the tone, or why the call failed."""
    phone = RtpPhone(None).start()
    call = asyncio.create_task(
        run_sipp(
            "trunk_call.xml",
            work_dir=work,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={
                "from": "0612345678",
                "to": MENU,
                "media_port": phone.port,
                "hold_ms": HOLD_MS,
            },
            extra=["-mp", str(sipp_media_base())],
        )
    )
    loop = asyncio.get_running_loop()
    try:
        for _ in range(300):  # the silent menu prompt tells where rtpengine listens
            if phone.peer is not None:
                break
            await asyncio.sleep(0.05)
        if phone.peer is None:
            call.cancel()
            return "no audio from the menu within 15 s"
        pressed = loop.time()
        for packet in telephone_event_packets(1, 9000, 900000, 0xBE4C):
            phone.sock.sendto(packet, phone.peer)
            await asyncio.sleep(0.02)
        heard, checked = None, 0
        while heard is None and loop.time() - pressed < 5:
            await asyncio.sleep(0.01)
            frames, checked = phone.received[checked:], len(phone.received)  # new frames only
            heard = next((at for at, samples in frames if at > pressed and _tone(samples)), None)
        try:
            result = await call
        except UnicodeDecodeError as error:  # SIPp's error log with RTP bytes in it
            return f"SIPp failed: {error}"
        if result.returncode != 0:
            return f"SIPp failed: {result.errors[:300]}"
        return "the submenu's tone never came" if heard is None else heard - pressed
    finally:
        await phone.close()


async def round_of(pbx: PbxService, callers: int, work: Path) -> tuple[list[float], list[str]]:
    results = await asyncio.gather(*(_one_caller(pbx, work) for _ in range(callers)))
    return [r for r in results if isinstance(r, float)], [r for r in results if isinstance(r, str)]


def report(label: str, latencies: list[float], failed: list[str]) -> float:
    if not latencies:
        print(f"{label}: every call failed ({failed[:1]})")
        return float("nan")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{label}: {len(latencies)} navigated, {len(failed)} failed;"
        f" DTMF-to-prompt p50 {statistics.median(ordered) * 1000:.0f} ms,"
        f" p99 {p99 * 1000:.0f} ms"
    )
    for why in failed[:3]:
        print(f"  failed: {why}")
    return p99


async def main(callers: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-menus-"))
    prefix = f"bench-menus-{uuid.uuid4().hex[:8]}:"
    prompts = work / "prompts"
    generate_all(prompts)
    _announcements(prompts)
    dtmf_port = free_udp_port("127.0.0.1")  # rtpengine's DTMF feed, as the product takes it
    rtpengine = start_rtpengine(work / "rtpengine", recording_dir=work / "rec",
                                dtmf_log_port=dtmf_port)  # fmt: skip
    users = directory_for_tests()
    pbx = PbxService(
        PbxConfig(
            sip_port=free_sip_port(),
            redis_url=REDIS_URL,
            key_prefix=prefix,
            rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
            prompts_dir=prompts,
            dtmf_listen_port=dtmf_port,
            sip_tcp=False,
        ),
        Directory.of(users.users.values(), [MENU], users.trusted_trunk_addresses),
    )
    groups = GroupCalls(pbx.send, prompts)
    groups.set_tenant(DEFAULT_TENANT, {MENU: ATTENDANT})
    pbx.register_handler(groups.on_call_event, [MENU])
    await pbx.start()
    try:
        base = report("1 caller (baseline)", *await round_of(pbx, 1, work))
        loaded = report(f"{callers} callers at once", *await round_of(pbx, callers, work))
        print(f"p99 with {callers} callers / p99 of one caller: {loaded / base:.2f}")
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
    args = parser.parse_args()
    asyncio.run(main(args.callers))
