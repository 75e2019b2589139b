"""The real peer address behind the TCP gateway (issue 15.1: "the TCP gateway passes the real peer
address through, so trust by address means something"): sippy sees every TCP request coming from
the gateway's loopback relay socket, which is also the demo trunk's address (127.0.0.1). A phone
at 127.0.0.2 must neither pass for the trunk nor get the trunk banned for its bad passwords, and
a `received` it forges in its own Via must not help it."""

from __future__ import annotations

import asyncio
import uuid

from pbx_core.service import PbxService
from pbx_core.sip.auth_throttle import ThrottlePolicy
from tests.pbx_core.tcp_support import Peer

OUTSIDER = "127.0.0.2"
TRUNK = "127.0.0.1"


def request(method: str, uri: str, source: str, *, forged: str = "") -> bytes:
    """A request as a phone at `source` writes it; `forged`: a `received` it adds to its Via."""
    received = f";received={forged}" if forged else ""
    call_id = uuid.uuid4().hex
    return (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP {source}:5999;branch=z9hG4bK-{call_id}{received}\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:+31612345678@{source}>;tag=f1\r\nTo: <{uri}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\n"
        f"Contact: <sip:+31612345678@{source}:5999;transport=tcp>\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


async def first_final_or_ringing(phone: Peer) -> str:
    """The status line of the first answer that is not 100 Trying."""
    while True:
        status = await phone.status()
        if not status.startswith("SIP/2.0 100"):
            return status


async def test_a_tcp_caller_is_trusted_as_the_trunk_only_from_the_trunks_address(
    pbx: PbxService,
) -> None:
    assert pbx.tcp_gateway is not None
    uri = f"sip:7001@127.0.0.1:{pbx.config.sip_port}"
    for source, forged in ((OUTSIDER, ""), (OUTSIDER, TRUNK)):
        phone = await Peer.connect(pbx.tcp_gateway, source)
        try:
            await phone.send(request("INVITE", uri, source, forged=forged))
            assert await first_final_or_ringing(phone) == "SIP/2.0 401 Unauthorized", forged
        finally:
            phone.close()
    trunk = await Peer.connect(pbx.tcp_gateway, TRUNK)
    try:
        await trunk.send(request("INVITE", uri, TRUNK))
        assert await first_final_or_ringing(trunk) != "SIP/2.0 401 Unauthorized"
    finally:
        trunk.close()


async def test_password_guessing_over_tcp_bans_the_guesser_not_the_gateway(
    pbx: PbxService,
) -> None:
    assert pbx.tcp_gateway is not None and pbx.auth_throttle is not None
    guesses = ThrottlePolicy().max_failures
    uri = f"sip:127.0.0.1:{pbx.config.sip_port}"
    phone = await Peer.connect(pbx.tcp_gateway, OUTSIDER)
    try:
        for count in range(1, guesses + 1):
            await phone.send(request("REGISTER", uri, OUTSIDER))
            challenge = await phone.message()
            assert challenge.start_line == "SIP/2.0 401 Unauthorized"
            offered = challenge.first("www-authenticate")
            assert offered is not None
            nonce = offered.split('nonce="')[1].split('"')[0]
            guess = (
                f'Authorization: Digest username="1001",realm="127.0.0.1",nonce="{nonce}",'
                f'uri="{uri}",response="{"0" * 32}",qop=auth,nc={count:08x},cnonce="c",'
                "algorithm=MD5\r\nContent-Length: 0"
            )
            await phone.send(
                request("REGISTER", uri, OUTSIDER).replace(b"Content-Length: 0", guess.encode())
            )
            assert await phone.status() == "SIP/2.0 403 Forbidden"
    finally:
        phone.close()
    await asyncio.sleep(0)
    assert pbx.auth_throttle.retry_after(OUTSIDER) is not None
    assert pbx.auth_throttle.retry_after(TRUNK) is None
