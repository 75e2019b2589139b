"""TCP and TLS towards carriers (a trunk's `transport`): SIPp as a TCP carrier that challenges
with digest; a carrier nobody answers on TCP fails over to the next trunk; a TLS carrier (a small
asyncio server, SIPp here has no TLS) gets the INVITE over TLS with its own certificate checked,
and hangs up over the same connection."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from pathlib import Path

import pytest

from pbx_core.config import PbxConfig
from pbx_core.service import PbxService
from pbx_core.sip.stream_framing import Message
from pbx_core.sip.tls_context import TlsFiles
from pbx_core.sip.wire import SipMessage, make_response
from pbx_core.trunks.routing import Carrier as Trunk
from pbx_core.trunks.routing import TrunkRouting
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import SippResult, free_port, free_sip_port, run_sipp
from tests.pbx_core.tcp_support import TCP, Peer
from tests.pbx_core.test_trunk_outbound import CUSTOMER, NUMBERS, _extension_calls
from tests.tls_certs import self_signed


@pytest.fixture
def certificate(tmp_path: Path) -> TlsFiles:
    """The TLS carrier's certificate (for 127.0.0.1), which the PBX is told to trust."""
    return self_signed(tmp_path, name="carrier")


@pytest.fixture
def pbx_config(pbx_config: PbxConfig, certificate: TlsFiles) -> PbxConfig:
    return dataclasses.replace(
        pbx_config, carrier_tls_ca=certificate.cert_file, extension_ring_timeout=5.0
    )


async def _route(pbx: PbxService, *trunks: Trunk) -> None:
    await pbx.update_trunks(TrunkRouting.of(None, NUMBERS, tenant_carriers={"demo": trunks}))


async def test_a_call_reaches_a_tcp_carrier_with_digest_and_ends_on_its_connection(
    pbx: PbxService, tmp_path: Path
) -> None:
    port = free_sip_port()
    await _route(pbx, Trunk("127.0.0.1", port, "acct", "secret", transport="tcp"))
    async with Carrier(port, tmp_path, "carrier_digest.xml", transport=TCP) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "0201234567")
        seen = await carrier.finished()  # SIPp got the INVITE twice, the ACK and the BYE
    assert seen["digest"] == "true"
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{port};transport=tcp"
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"


async def test_a_tcp_carrier_nobody_answers_fails_over_to_the_next_trunk(
    pbx: PbxService, tmp_path: Path
) -> None:
    down, up = free_sip_port(), free_sip_port()  # nothing listens on `down`: refused
    await _route(pbx, Trunk("127.0.0.1", down, transport="tcp"), Trunk("127.0.0.1", up))
    async with Carrier(up, tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "0201234567")
        seen = await carrier.finished()
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{up}"


class TlsCarrier:
    """A carrier on TLS: answers the first INVITE with 200, takes the ACK, hangs up with BYE
    on the same connection after `talk` seconds; `invite` and `bye_answer` say what came."""

    def __init__(self, certificate: TlsFiles, talk: float = 0.5) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(certificate.cert_file, certificate.key_file)
        self._talk = talk
        self.invite: SipMessage | None = None
        self.bye_answer: SipMessage | None = None
        self.done = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> TlsCarrier:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(reader, writer)
        try:
            await self._call(peer)
        finally:
            self.done.set()

    async def _call(self, peer: Peer) -> None:
        invite = await _next_request(peer, "INVITE")
        self.invite = invite
        answer = make_response(invite, 200, "OK")
        answer.set("contact", f"<sip:carrier@127.0.0.1:{self.port};transport=tls>")
        answer.set("content-type", "application/sdp")
        sdp = (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {free_port()} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        answer.body = sdp.encode()
        await peer.send(answer.to_bytes())
        await _next_request(peer, "ACK")
        await asyncio.sleep(self._talk)
        to, contact = answer.first("to"), invite.first("contact")
        assert to is not None and contact is not None
        bye = (
            f"BYE {contact.strip('<>')} SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS 127.0.0.1:{self.port};branch=z9hG4bK-carrier-bye\r\n"
            f"Max-Forwards: 70\r\nFrom: {to}\r\nTo: {invite.first('from')}\r\n"
            f"Call-ID: {invite.first('call-id')}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
        )
        await peer.send(bye.encode())
        while True:
            message = await _next_message(peer)
            if not message.is_request:
                self.bye_answer = message
                return


async def _next_message(peer: Peer) -> SipMessage:
    while True:
        frame = await peer.receive(15)
        if isinstance(frame, Message):
            return SipMessage.parse(frame.data)


async def _next_request(peer: Peer, method: str) -> SipMessage:
    while True:
        message = await _next_message(peer)
        if message.is_request and message.method == method:
            return message


async def _call_through(
    pbx: PbxService, carrier: TlsCarrier, tmp_path: Path, scenario: str
) -> SippResult:
    """1001 dials 0201234567 with `carrier` as the tenant's only trunk."""
    await _route(pbx, Trunk("127.0.0.1", carrier.port, transport="tls"))
    return await run_sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "1001", "to": "0201234567", "media_port": free_port()},
        extra=["-au", "1001", "-ap", "pw1001"],
    )


async def test_a_call_reaches_a_tls_carrier_which_hangs_up_on_the_same_connection(
    pbx: PbxService, certificate: TlsFiles, tmp_path: Path
) -> None:
    async with TlsCarrier(certificate) as carrier:
        caller = await _call_through(pbx, carrier, tmp_path, "ext_call_remote_bye.xml")
        await asyncio.wait_for(carrier.done.wait(), 15)
    assert caller.returncode == 0, caller.errors  # the carrier's BYE reached the caller
    assert carrier.invite is not None
    assert carrier.invite.request_uri == f"sip:{CUSTOMER}@127.0.0.1:{carrier.port};transport=tls"
    assert carrier.invite.top_via().protocol == "SIP/2.0/TLS"
    assert "transport=tls" in (carrier.invite.first("contact") or "")
    assert carrier.bye_answer is not None and carrier.bye_answer.start_line.startswith(
        "SIP/2.0 200"
    )


async def test_a_tls_carrier_whose_certificate_is_not_trusted_gets_nothing(
    pbx: PbxService, tmp_path: Path
) -> None:
    """Another certificate than the trusted one: the PBX does not talk to it; with no other
    trunk the caller hears 503."""
    async with TlsCarrier(self_signed(tmp_path, name="impostor")) as carrier:
        caller = await _call_through(pbx, carrier, tmp_path, "ext_call_fails_503.xml")
    assert caller.returncode == 0, caller.errors
    assert carrier.invite is None
