"""BLF SUBSCRIBEs that must be refused, over real SIP with digest auth (two tenants: demo at
127.0.0.1 and acme at acme.test, both with 1001/1002): a colleague of another tenant is 403, an
unknown extension 404, and neither leaves a subscription behind."""

from __future__ import annotations

import asyncio
import re
import socket

from sippy.SipAuthorization import SipAuthorization

from pbx_core.presence.blf import EVENT
from pbx_core.service import PbxService
from tests.pbx_core.test_tenants import ACME_DOMAIN, DEMO, DEMO_DOMAIN, password, pbx

__all__ = ["pbx"]  # the two-tenant PBX fixture


def subscribe(port: int, target: str, n: int, authorization: str = "") -> str:
    lines = [
        f"SUBSCRIBE sip:{target} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK-blf-{n}",
        f"From: <sip:1001@{DEMO_DOMAIN}>;tag=blf{n}",
        f"To: <sip:{target}>",
        f"Call-ID: blf-refused-{n}",
        f"CSeq: {1 + bool(authorization)} SUBSCRIBE",
        f"Contact: <sip:1001@127.0.0.1:{port}>",
        "Event: dialog",
        "Expires: 600",
        *([f"Authorization: {authorization}"] if authorization else []),
        "Content-Length: 0",
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


async def answer_for(pbx: PbxService, target: str, n: int) -> str:
    """SUBSCRIBE as demo's 1001, answer the digest challenge, return the final status line."""
    loop = asyncio.get_running_loop()
    remote = ("127.0.0.1", pbx.config.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        port = sock.getsockname()[1]
        await loop.sock_sendto(sock, subscribe(port, target, n).encode(), remote)
        challenge = (await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)).decode()
        assert challenge.startswith("SIP/2.0 401"), challenge
        nonce = re.search(r'nonce="([^"]+)"', challenge)
        assert nonce is not None
        header = SipAuthorization(
            username="1001",
            uri=f"sip:{target}",
            realm=DEMO_DOMAIN,
            nonce=nonce.group(1),
            response=None,
        )
        header.algorithm = "MD5"
        header.qop, header.nc, header.cnonce = "auth", "00000001", "c0ffee"
        header.genAuthResponse(password(DEMO, "1001"), "SUBSCRIBE", None)
        request = subscribe(port, target, n, str(header))
        await loop.sock_sendto(sock, request.encode(), remote)
        final = (await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)).decode()
    return final.split("\r\n")[0]


async def test_other_tenants_and_unknown_extensions_are_refused(pbx: PbxService) -> None:
    assert await answer_for(pbx, f"1002@{ACME_DOMAIN}", 1) == "SIP/2.0 403 Forbidden"
    assert await answer_for(pbx, f"1999@{DEMO_DOMAIN}", 2) == "SIP/2.0 404 Not Found"
    assert await answer_for(pbx, f"1002@{DEMO_DOMAIN}", 3) == "SIP/2.0 200 OK"  # a colleague
    subscriptions = pbx._subscriptions
    assert subscriptions is not None and subscriptions.count(EVENT) == 1
