"""Music on hold plays again after `kill -9` of rtpengine (issue 20, media/restart_watch.py).

Two trunk callers wait in a call-center number with music (or a looped prompt) from
rtpengine, which keeps its sessions in a private Redis. The application stops the second
caller's music. rtpengine is killed and started again on the same ports and DB (as its
supervisor does): it restores both sessions but plays nothing until the PBX notices the new
instance and plays the first caller's loop again. The second caller, whose music had stopped,
must still hear nothing.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.media.restart_watch import WATCH_SECONDS
from pbx_core.media.rtpengine_process import RedisTarget, RtpengineProcess, start_rtpengine
from pbx_core.service import PbxService
from pbx_core.sip.calls.commands import RINGBACK_TONE
from tests.pbx_core.support import EventLog, Sipp, free_port

WAIT_MS = 30_000
"""How long each SIPp caller stays (it is killed at the end of the test)."""
BACK_WITHIN = 15 * WATCH_SECONDS
"""The watch's poll, the SIP thread's turn and rtpengine's first packet, with room for a loaded
CI machine (quiet: 0.3-1.7 s); without the watch the music never comes back at all."""


class Ear:
    """A caller's RTP port: when each RTP packet arrived."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self.arrivals: list[float] = []

    async def listen(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            packet = await loop.sock_recv(self.sock, 2048)
            if len(packet) > 12 and packet[0] >> 6 == 2:  # RTP version 2
                self.arrivals.append(loop.time())

    def since(self, moment: float) -> int:
        return sum(1 for at in self.arrivals if at >= moment)

    async def hears(self, within: float) -> float | None:
        """Seconds until the next packet from now, None if none came within `within`."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < within:
            if self.since(start):
                return min(at for at in self.arrivals if at >= start) - start
            await asyncio.sleep(0.02)
        return None


@pytest.fixture
def rtpengine(tmp_path: Path, private_redis: int) -> Iterator[RtpengineProcess]:
    """This test's own rtpengine, keeping its sessions in the private Redis (the test kills
    it, so never the session's shared one; the `pbx` fixture's config is built on it). Whatever
    instance runs at the end is stopped, after the PBX."""
    instance = start_rtpengine(
        tmp_path / "rtpengine",
        ng_port=free_port(),
        redis=RedisTarget("127.0.0.1", private_redis, 0),
    )
    yield instance
    instance.stop()


def music(call_id: str) -> cc.CallCommand:
    return cc.StartMusicOnHold(call_id)


def looped_prompt(call_id: str) -> cc.CallCommand:
    return cc.PlayPrompt(call_id, RINGBACK_TONE, loop=True)


@pytest.mark.parametrize("loop", [music, looped_prompt], ids=["music", "looped-prompt"])
async def test_music_plays_again_after_rtpengine_restarts_only_where_it_played(
    pbx: PbxService,
    events: EventLog,
    rtpengine: RtpengineProcess,
    tmp_path: Path,
    loop: Callable[[str], cc.CallCommand],
) -> None:
    def answer_with_music(event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            pbx.send(cc.Answer(event.call_id))
            pbx.send(loop(event.call_id))

    pbx.register_handler(answer_with_music)
    waiting, stopped = Ear(), Ear()
    listeners = [asyncio.create_task(ear.listen()) for ear in (waiting, stopped)]
    callers: list[Sipp] = []
    try:
        call_ids = []
        for ear in (waiting, stopped):
            sipp = Sipp(
                "trunk_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", pbx.config.sip_port),
                variables={"from": "+31201234567", "to": "7001", "media_port": ear.port,
                           "hold_ms": WAIT_MS},
                timeout_s=60,
            )  # fmt: skip
            callers.append(await sipp.start())
            call_ids.append((await events.next_of(cc.CallOffered)).call_id)
            assert await ear.hears(15.0) is not None, "no music before the restart"
        pbx.send(cc.StopMedia(call_ids[1]))
        await asyncio.sleep(0.5)
        quiet_from = asyncio.get_running_loop().time()
        await asyncio.sleep(1.0)
        assert stopped.since(quiet_from) == 0, "StopMedia did not stop the music"

        killed = asyncio.get_running_loop().time()
        rtpengine.process.kill()
        await asyncio.to_thread(rtpengine.process.wait)
        restarted = await asyncio.to_thread(
            start_rtpengine,
            tmp_path / "rtpengine",
            ng_port=rtpengine.ng_port,
            port_range=(rtpengine.port_min, rtpengine.port_max),
            redis=rtpengine.redis,
        )
        rtpengine.process = restarted.process  # for the fixture to stop
        after = asyncio.get_running_loop().time()
        back_after = await waiting.hears(BACK_WITHIN)
        await asyncio.sleep(2.0)
        print(f"music back {after - killed + (back_after or 0):.2f} s after the kill "
              f"({back_after} s after the new instance answered); "
              f"stopped caller got {stopped.since(after)} packets")  # fmt: skip
        assert back_after is not None, f"no music within {BACK_WITHIN} s of the restart"
        assert waiting.since(after + back_after + 1.0) >= 40, "music did not go on (50/s)"
        assert stopped.since(after) == 0, "music came back for a caller whose music stopped"
        assert set(call_ids) <= set(await pbx.active_calls())
    finally:
        for sipp in callers:
            sipp.kill()
        for listener in listeners:
            listener.cancel()
        for ear in (waiting, stopped):
            ear.sock.close()
