"""Message waiting indication (RFC 3842) over real SIP: a SIPp phone subscribes to its own
mailbox, gets 200 and a NOTIFY with the counts, then a NOTIFY at each change; bad SUBSCRIBEs
get a clear SIP answer and change nothing."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from pbx_core.service import PbxService
from tests.pbx_core.support import Sipp, run_sipp


def counts_pushed(pbx: PbxService) -> int:
    subscriptions = pbx._subscriptions  # the SIP thread's own record: a test looks in
    return subscriptions.count("message-summary") if subscriptions is not None else -1


async def test_a_phone_is_told_of_new_and_read_messages(pbx: PbxService, tmp_path: Path) -> None:
    phone = await Sipp(
        "mwi_subscribe.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"to": "1003"},
        extra=["-au", "1003", "-ap", "pw1003"],
    ).start()
    try:
        for _ in range(100):
            if counts_pushed(pbx) == 1:
                break
            await asyncio.sleep(0.05)
        assert counts_pushed(pbx) == 1
        await asyncio.sleep(0.3)  # the first NOTIFY (nothing waiting) is answered
        pbx.set_message_counts("demo", "1004", 5, 0)  # another box: no NOTIFY to 1003
        pbx.set_message_counts("other-tenant", "1003", 7, 0)  # same extension, other company
        pbx.set_message_counts("demo", "1003", 1, 0)
        await asyncio.sleep(0.3)
        pbx.set_message_counts("demo", "1003", 0, 1)
        result = await phone.wait()
        assert result.returncode == 0, result.errors
    finally:
        phone.kill()


async def test_another_extensions_mailbox_is_refused(pbx: PbxService, tmp_path: Path) -> None:
    result = await run_sipp(
        "mwi_subscribe_refused.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"to": "1004"},
        extra=["-au", "1003", "-ap", "pw1003"],
    )
    assert result.returncode == 0, result.errors
    assert counts_pushed(pbx) == 0


def subscribe(port: int, event: str | None, expires: str, n: int) -> str:
    lines = [
        f"SUBSCRIBE sip:1003@127.0.0.1:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-mwi-test-{n}",
        "From: <sip:1003@127.0.0.1>;tag=abc",
        "To: <sip:1003@127.0.0.1>",
        f"Call-ID: mwi-bad-{n}",
        "CSeq: 1 SUBSCRIBE",
        "Contact: <sip:1003@127.0.0.1:9>",
        f"Expires: {expires}",
        *([f"Event: {event}"] if event is not None else []),
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


async def test_other_events_and_unauthenticated_subscribes_get_sip_answers(
    pbx: PbxService,
) -> None:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        answers = []
        for n, (event, expires) in enumerate(
            (
                ("presence", "600"),
                (None, "600"),
                ("message-summary", "600"),
                ("message-summary", "junk"),
            )
        ):
            request = subscribe(pbx.config.sip_port, event, expires, n)
            await loop.sock_sendto(sock, request.encode(), ("127.0.0.1", pbx.config.sip_port))
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)
            answers.append(data.decode().split("\r\n")[0])
    assert answers == [
        "SIP/2.0 489 Bad Event",
        "SIP/2.0 489 Bad Event",
        "SIP/2.0 401 Unauthorized",
        "SIP/2.0 401 Unauthorized",
    ]
    assert counts_pushed(pbx) == 0
