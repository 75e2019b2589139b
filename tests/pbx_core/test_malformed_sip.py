"""Malformed SIP never crashes the PBX and never drops an established call."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, free_port, trunk_caller
from tests.pbx_core.torture import torture_messages


def _options(host: str, port: int, reply_port: int) -> bytes:
    n = reply_port
    return (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{reply_port};branch=z9hG4bK-alive-{n}\r\nMax-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag=p{n}\r\nTo: <sip:{host}:{port}>\r\n"
        f"Call-ID: alive-{n}@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def _exchange(sock: socket.socket, data: bytes, address: tuple[str, int]) -> list[bytes]:
    """Send one datagram; collect what comes back within a short while."""
    loop = asyncio.get_running_loop()
    sock.sendto(data, address)
    replies: list[bytes] = []
    try:
        async with asyncio.timeout(0.1):
            while True:
                replies.append(await loop.sock_recv(sock, 65535))
    except TimeoutError:
        pass
    return replies


async def test_torture_messages_neither_crash_nor_drop_the_live_call(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    caller = await trunk_caller(
        pbx.config.sip_port, "trunk_call.xml", tmp_path, media_port=free_port(), caller="+3110",
        hold_ms=8000,
    )  # fmt: skip
    address = ("127.0.0.1", pbx.config.sip_port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.setblocking(False)
    try:
        offered = await events.next_of(cc.CallOffered)
        await events.next_of(cc.CallAnswered, call_id=offered.call_id)
        messages = torture_messages("127.0.0.1", pbx.config.sip_port, offered.call_id)
        replies: dict[str, list[bytes]] = {}
        for name, data in messages.items():
            # Replies go to the Via address: point it at our socket.
            data = data.replace(b"127.0.0.1:9;branch", f"127.0.0.1:{port};branch".encode())
            replies[name] = await _exchange(sock, data, address)
            assert await pbx.active_calls() == [offered.call_id], name
        alive = await _exchange(sock, _options("127.0.0.1", pbx.config.sip_port, port), address)
        assert any(r.startswith(b"SIP/2.0 200") for r in alive), "PBX stopped answering"
        assert any(r.startswith(b"SIP/2.0 481") for r in replies["bye_wrong_tag"])
        assert not any(r.startswith(b"SIP/2.0 2") for r in replies["clerr"] + replies["insuf"])
        assert await pbx.active_calls() == [offered.call_id], "the live call was dropped"
        result = await caller.wait()
        assert result.returncode == 0, "the caller's own BYE must still work: " + result.errors
        hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
    finally:
        caller.kill()
        sock.close()
