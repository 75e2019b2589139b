"""A call's media survives `kill -9` of rtpengine when it keeps its sessions in Redis (issue 20).

Two RTP phones talk through an rtpengine session set up by offer/answer over the ng protocol;
rtpengine is killed and started again on the same ng port and RTP port range. With `--redis`
the new instance restores the session from its Redis DB and forwards both ways through the
same ports, with no new offer/answer; without it (the control) it forwards nothing.

The Redis is a private redis-server on a free port, so no other test's DB can be restored.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from pbx_core.media.ng_client import NgClient, NgError
from pbx_core.media.rtpengine_process import RedisTarget, RtpengineProcess, start_rtpengine
from tests.pbx_core.rtp_phone import RtpPhone

CALLER_TONE = 400.0
CALLEE_TONE = 1000.0
# How long each phase lets media flow; a phone sends 50 packets/s.
FLOW_SECONDS = 2.0


def sdp(port: int) -> str:
    return (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
    )


def media_port(answer_sdp: str) -> int:
    line = next(line for line in answer_sdp.splitlines() if line.startswith("m=audio "))
    return int(line.split()[1])


def received_since(phone: RtpPhone, since: float) -> int:
    return sum(1 for at, _ in phone.packets if at >= since)


async def kill_and_restart(
    rtpengine: RtpengineProcess, work: Path, redis: RedisTarget | None
) -> RtpengineProcess:
    """`kill -9`, then a new instance on the same ng port and RTP port range (as the
    supervisor restarts it)."""
    rtpengine.process.kill()
    rtpengine.process.wait()
    return await asyncio.to_thread(
        start_rtpengine,
        work,
        ng_port=rtpengine.ng_port,
        port_range=(rtpengine.port_min, rtpengine.port_max),
        redis=redis,
    )


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "no-redis-control"])
async def test_media_flows_again_after_kill_9_only_with_redis(
    tmp_path: Path, private_redis: int, with_redis: bool
) -> None:
    redis = RedisTarget("127.0.0.1", private_redis, 3) if with_redis else None
    work = tmp_path / "rtpengine"
    rtpengine = await asyncio.to_thread(start_rtpengine, work, redis=redis)
    caller, callee = RtpPhone(CALLER_TONE), RtpPhone(CALLEE_TONE)
    call_id, from_tag, to_tag = uuid.uuid4().hex, "caller-tag", "callee-tag"
    ng = NgClient(rtpengine.host, rtpengine.ng_port, timeout=1.0)
    try:
        to_callee = ng.offer(call_id, from_tag, sdp(caller.port))
        to_caller = ng.answer(call_id, from_tag, to_tag, sdp(callee.port), latching=True)
        # Each phone sends to the rtpengine port its SDP named (symmetric RTP from then on).
        caller.peer = ("127.0.0.1", media_port(to_caller))
        callee.peer = ("127.0.0.1", media_port(to_callee))
        caller.start()
        callee.start()
        loop = asyncio.get_running_loop()
        await caller.wait_to_hear(CALLEE_TONE)
        await callee.wait_to_hear(CALLER_TONE)
        before = loop.time()
        await asyncio.sleep(FLOW_SECONDS)
        heard_before = (received_since(caller, before), received_since(callee, before))
        sources_before = (caller.sources(before), callee.sources(before))
        assert min(heard_before) > 0

        rtpengine = await kill_and_restart(rtpengine, work, redis)
        after = loop.time()
        await asyncio.sleep(FLOW_SECONDS)
        heard_after = (received_since(caller, after), received_since(callee, after))
        print(f"with_redis={with_redis} packets caller/callee heard in {FLOW_SECONDS} s: "
              f"before the kill {heard_before}, after the restart {heard_after}")  # fmt: skip

        if with_redis:
            # Both ways, from the very ports the phones already knew, with their tones.
            assert caller.sources(after) == sources_before[0]
            assert callee.sources(after) == sources_before[1]
            assert min(heard_after) >= min(heard_before) // 2
            assert caller.share(CALLEE_TONE, after) > 0.9
            assert callee.share(CALLER_TONE, after) > 0.9
            assert ng.query(call_id)["result"] == "ok"
        else:
            assert heard_after == (0, 0)
            with pytest.raises(NgError):
                ng.query(call_id)
    finally:
        ng.close()
        await caller.close()
        await callee.close()
        rtpengine.stop()
