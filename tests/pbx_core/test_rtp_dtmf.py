"""RFC 4733 telephone-events from the caller reach the application via rtpengine's DTMF feed."""

from __future__ import annotations

import asyncio
import socket
import struct
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, trunk_caller

DTMF_PAYLOAD_TYPE = 101


def telephone_event_packets(event: int, seq: int, timestamp: int, ssrc: int) -> list[bytes]:
    """One key press as a phone sends it: updates every 20 ms, the end packet three times."""
    packets = []
    for step in range(1, 6):
        end = step == 5
        payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, step * 160)
        for _ in range(3 if end else 1):
            marker = 0x80 if step == 1 else 0
            header = struct.pack(
                "!BBHII", 0x80, marker | DTMF_PAYLOAD_TYPE, seq & 0xFFFF, timestamp, ssrc
            )
            packets.append(header + payload)
            seq += 1
    return packets


async def test_rfc4733_digits_from_the_caller_become_events(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    caller = await trunk_caller(
        pbx.config.sip_port, "trunk_call.xml", tmp_path, media_port=media.getsockname()[1],
        caller="+3120", hold_ms=3000,
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    try:
        offered = await events.next_of(cc.CallOffered)
        # rtpengine's caller-facing port is where its prompt comes from; answer from there.
        _, rtpengine_address = await asyncio.wait_for(loop.sock_recvfrom(media, 2048), 5)
        seq, timestamp = 1000, 160000
        for event in (1, 11):  # "1", "#"
            for packet in telephone_event_packets(event, seq, timestamp, 0xC0FFEE):
                media.sendto(packet, rtpengine_address)
                await asyncio.sleep(0.02)
            seq += 10
            timestamp += 1600
        digits = [
            (await events.next_of(cc.DtmfReceived, call_id=offered.call_id)).digit for _ in range(2)
        ]
        assert digits == ["1", "#"]
        assert (await caller.wait()).returncode == 0
    finally:
        caller.kill()
        media.close()
