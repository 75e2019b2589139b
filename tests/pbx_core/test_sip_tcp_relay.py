"""The TCP gateway's rewriting, seen from both sides: a raw TCP phone and a stand-in for
sippy's UDP socket (no PBX), so every Via, Contact and Request-URI can be checked exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import pytest

from pbx_core.sip.tcp_transport import FLOW_PARAM, GatewayLimits, TcpTransportGateway
from pbx_core.sip.wire import SipMessage, SipUri, Via
from tests.pbx_core.tcp_support import Peer

PHONE_CONTACT = "sip:1001@10.0.0.9:5999;transport=tcp;ob"
SDP = b"v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"


class FakePbx(asyncio.DatagramProtocol):
    """sippy's UDP socket as the gateway sees it."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[SipMessage] = asyncio.Queue()
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(SipMessage.parse(data))

    async def next(self) -> SipMessage:
        async with asyncio.timeout(5):
            return await self.received.get()

    def send(self, message: SipMessage, to: tuple[str, int]) -> None:
        # Python 3.11's selector datagram transport does not derive from DatagramTransport.
        cast(asyncio.DatagramTransport, self.transport).sendto(message.to_bytes(), to)


@dataclass
class Setup:
    gateway: TcpTransportGateway
    pbx: FakePbx
    pbx_address: tuple[str, int]


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    loop = asyncio.get_running_loop()
    transport, pbx = await loop.create_datagram_endpoint(FakePbx, local_addr=("127.0.0.1", 0))
    address = transport.get_extra_info("sockname")[:2]
    limits = GatewayLimits(message_timeout=0.3)
    gateway = TcpTransportGateway(pbx_udp=address, listen=("127.0.0.1", 0), limits=limits)
    await asyncio.to_thread(gateway.start)
    yield Setup(gateway, pbx, address)
    await asyncio.to_thread(gateway.stop)
    transport.close()


def invite(*, method: str = "INVITE", branch: str = "z9hG4bK-phone-1", body: bytes = SDP) -> bytes:
    return (
        f"{method} sip:1002@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 10.0.0.9:5999;branch={branch};rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=a1\r\nTo: <sip:1002@127.0.0.1>\r\n"
        f"Call-ID: relay-1@phone\r\nCSeq: 1 {method}\r\n"
        f'Contact: "Bob, desk" <{PHONE_CONTACT}>;+sip.instance="<urn:uuid:1>"\r\n'
        f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _contact_uri(contact: str) -> SipUri:
    return SipUri.parse(contact.split("<", 1)[1].split(">", 1)[0])


def reply(request: SipMessage, status: str, contact: str | None = None) -> SipMessage:
    """A response to `request` as its receiver would build it (every Via copied)."""
    copied = [
        (name, value)
        for name, value in request.headers
        if name.lower() in ("via", "v", "from", "to", "call-id", "cseq")
    ]
    response = SipMessage(f"SIP/2.0 {status}", copied)
    if contact is not None:
        response.headers.append(("Contact", contact))
    return response


async def test_request_from_phone_gets_our_via_and_a_flow_contact(setup: Setup) -> None:
    phone = await Peer.connect(setup.gateway)
    try:
        await phone.send(invite())
        relayed = await setup.pbx.next()
        ours, phones = (Via.parse(value) for value in relayed.values("via"))
        assert (ours.protocol, (ours.host, ours.port)) == (
            "SIP/2.0/UDP",
            setup.gateway.relay_address,
        )
        port = phone.writer.get_extra_info("sockname")[1]
        assert str(phones) == (
            f"SIP/2.0/TCP 10.0.0.9:5999;branch=z9hG4bK-phone-1;rport={port};received=127.0.0.1"
        )
        assert relayed.first("max-forwards") == "69"
        assert relayed.body == SDP and relayed.first("content-length") == str(len(SDP))
        (contact,) = relayed.values("contact")
        flow = _contact_uri(contact)
        assert contact == f'"Bob, desk" <{flow}>;+sip.instance="<urn:uuid:1>"'
        assert (flow.userinfo, (flow.host, flow.port)) == ("1001", setup.gateway.relay_address)
        assert flow.params.get(FLOW_PARAM)

        # The CANCEL of that INVITE carries the same branch, so sippy matches it.
        await phone.send(invite(method="CANCEL", body=b""))
        cancel = await setup.pbx.next()
        assert Via.parse(cancel.values("via")[0]).branch == ours.branch

        # sippy's 200: only the phone's Via left, sippy's Contact reachable over TCP.
        pbx_contact = f"<sip:{setup.pbx_address[0]}:{setup.pbx_address[1]}>"
        setup.pbx.send(reply(relayed, "200 OK", pbx_contact), setup.gateway.relay_address)
        ok = await phone.message()
        assert ok.start_line == "SIP/2.0 200 OK"
        assert [Via.parse(value) for value in ok.values("via")] == [phones]
        host, listen_port = setup.gateway.listen_address
        assert ok.values("contact") == [f"<sip:{host}:{listen_port};transport=tcp>"]

        # sippy's in-dialog request to the flow: the phone's own URI, our TCP Via on top.
        bye = SipMessage(
            f"BYE {flow} SIP/2.0",
            [
                (
                    "Via",
                    f"SIP/2.0/UDP {setup.pbx_address[0]}:{setup.pbx_address[1]};branch=z9hG4bKb1",
                ),
                ("Max-Forwards", "70"),
                ("From", "<sip:1002@127.0.0.1>;tag=b2"),
                ("To", "<sip:1001@127.0.0.1>;tag=a1"),
                ("Call-ID", "relay-1@phone"),
                ("CSeq", "2 BYE"),
            ],
        )
        setup.pbx.send(bye, setup.gateway.relay_address)
        delivered = await phone.message()
        assert delivered.start_line == f"BYE {PHONE_CONTACT} SIP/2.0"
        top = Via.parse(delivered.values("via")[0])
        assert (top.protocol, (top.host, top.port)) == ("SIP/2.0/TCP", (host, listen_port))
        await phone.send(reply(delivered, "200 OK").to_bytes())
        bye_ok = await setup.pbx.next()
        assert bye_ok.start_line == "SIP/2.0 200 OK"
        assert bye_ok.values("via") == bye.values("via")
    finally:
        phone.close()


async def test_requests_to_a_closed_flow_get_480_and_strangers_are_ignored(
    setup: Setup,
) -> None:
    phone = await Peer.connect(setup.gateway)
    await phone.send(invite())
    flow_uri = _contact_uri((await setup.pbx.next()).values("contact")[0])
    phone.close()
    async with asyncio.timeout(5):
        while setup.gateway.connection_count:
            await asyncio.sleep(0.01)
    pbx_via = f"SIP/2.0/UDP {setup.pbx_address[0]}:{setup.pbx_address[1]};branch=z9hG4bKc1"

    def request(call_id: str) -> bytes:
        return SipMessage(
            f"INVITE {flow_uri} SIP/2.0",
            [("Via", pbx_via), ("From", "<sip:7001@pbx>;tag=p"), ("To", "<sip:1001@pbx>"),
             ("Call-ID", call_id), ("CSeq", "1 INVITE")],
        ).to_bytes()  # fmt: skip

    # From anyone but the PBX the relay takes nothing; the gateway handles datagrams in
    # order, so an answer to the stranger would come first.
    stranger, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    stranger.sendto(request("stranger@elsewhere"), setup.gateway.relay_address)
    stranger.close()
    setup.pbx.send(SipMessage.parse(request("to-closed@pbx")), setup.gateway.relay_address)
    answer = await setup.pbx.next()
    assert answer.start_line == "SIP/2.0 480 Temporarily Unavailable"
    assert answer.first("call-id") == "to-closed@pbx"
    assert ";tag=" in (answer.first("to") or "")


async def test_message_too_large_for_sippy_is_refused_with_513(setup: Setup) -> None:
    phone = await Peer.connect(setup.gateway)
    try:
        # Fits the framer's limit, but not sippy's 8192-byte datagram once our Via is in.
        padding = b"a=x-padding:" + b"p" * (8192 - len(invite(body=b"")) - 40) + b"\r\n"
        await phone.send(invite(body=padding))
        assert await phone.status() == "SIP/2.0 513 Message Too Large"
        await phone.send(invite(branch="z9hG4bK-phone-2"))  # the connection still serves
        assert (await setup.pbx.next()).start_line.startswith("INVITE ")
    finally:
        phone.close()


async def test_a_message_that_stalls_halfway_costs_the_sender_its_connection(
    setup: Setup,
) -> None:
    phone = await Peer.connect(setup.gateway)
    try:
        await phone.send(invite()[:100])
        assert await phone.closed(timeout=5)  # after message_timeout (0.3 s here)
    finally:
        phone.close()


def test_wildcard_addresses_are_refused() -> None:
    # They would end up in Via and Contact headers, where nobody can reach them.
    with pytest.raises(ValueError, match="wildcard"):
        TcpTransportGateway(pbx_udp=("127.0.0.1", 5060), listen=("0.0.0.0", 5060))
