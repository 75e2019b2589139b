"""RFC 3261 18.3 framing on TCP: the sans-I/O framer, the text helpers, and the same cases
against a live gateway in front of the real PBX (which must keep serving UDP meanwhile)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from pbx_core.sip.stream_framing import (
    MAX_MESSAGE,
    FramingError,
    KeepAlive,
    Message,
    StreamFramer,
)
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.wire import SipMessage, SipUri, Via, make_response, map_contact, split_list
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, free_port, trunk_caller
from tests.pbx_core.tcp_support import Peer, running_gateway


def options(n: int, *, length: str | None = "0", body: bytes = b"", extra: str = "") -> bytes:
    head = (
        f"OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 10.0.0.9:5999;branch=z9hG4bK-framing-{n};rport\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=f{n}\r\n"
        f"To: <sip:127.0.0.1>\r\nCall-ID: framing-{n}@t\r\nCSeq: {n} OPTIONS\r\n{extra}"
    )
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return head.encode() + b"\r\n" + body


# ---------------------------------------------------------------------------------------------
# The framer


def test_message_fed_byte_by_byte_comes_out_once_complete() -> None:
    framer = StreamFramer()
    data = options(1, length="5", body=b"hello")
    frames = [frame for byte in data for frame in framer.feed(bytes([byte]))]
    assert frames == [Message(data)]


def test_two_messages_in_one_segment_and_one_split_across_segments() -> None:
    framer = StreamFramer()
    first, second, third = options(1), options(2, length="3", body=b"abc"), options(3)
    assert framer.feed(first + second + third[:10]) == [Message(first), Message(second)]
    assert framer.feed(third[10:]) == [Message(third)]


def test_keep_alive_pings_are_reported_and_lone_crlfs_ignored() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n") == [KeepAlive()]
    assert framer.feed(b"\r\n") == []  # maybe half a ping
    assert framer.feed(b"\r\n") == [KeepAlive()]
    assert framer.feed(b"\r\n" + options(1)) == [Message(options(1))]


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=8))
def test_any_segmentation_gives_the_same_messages(cuts: list[int]) -> None:
    stream = b"\r\n\r\n".join([options(1), options(2, length="4", body=b"\r\n\r\n"), options(3)])
    framer = StreamFramer()
    frames = []
    position = 0
    for cut in cuts:
        frames += framer.feed(stream[position : position + cut])
        position += cut
    frames += framer.feed(stream[position:])
    expected = [
        Message(options(1)),
        KeepAlive(),
        Message(options(2, length="4", body=b"\r\n\r\n")),
        KeepAlive(),
        Message(options(3)),
    ]
    assert frames == expected


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"\x00\x01\x02garbage", None),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", None),
        (b"A" * (MAX_MESSAGE + 1), None),
        (b"OPTIONS sip:x SIP/2.0\r\n" + b"X-Pad: y\r\n" * 1000, None),
        (options(1, length=None), 400),
        (options(1, length="ten"), 400),
        (options(1, length="-1"), 400),
        (options(1, extra="l: 3\r\n"), 400),
        (options(1, length="99999999999"), 513),
        (options(1, length=str(MAX_MESSAGE)), 513),
    ],
)
def test_broken_framing_is_final(data: bytes, status: int | None) -> None:
    framer = StreamFramer()
    frames = framer.feed(data)
    assert len(frames) == 1 and isinstance(frames[0], FramingError), frames
    assert frames[0].status == status
    assert framer.feed(options(2)) == []  # nothing after the error can be trusted


def test_partial_is_a_started_message_not_a_lone_crlf() -> None:
    framer = StreamFramer()
    assert not framer.partial
    framer.feed(b"\r\n")
    assert not framer.partial
    framer.feed(options(1)[:20])
    assert framer.partial
    framer.feed(options(1)[20:])
    assert not framer.partial


def test_compact_content_length_frames_too() -> None:
    data = options(1, length=None, extra="l: 2\r\n", body=b"ok")
    assert StreamFramer().feed(data) == [Message(data)]


# ---------------------------------------------------------------------------------------------
# The text helpers


def test_via_received_rport_and_ipv6_round_trip() -> None:
    via = Via.parse("SIP/2.0/TCP phone.example:5070 ;branch=z9hG4bK1;rport")
    via.params.set("received", "192.0.2.1")
    via.params.set("rport", "40000")
    assert (
        str(via) == "SIP/2.0/TCP phone.example:5070;branch=z9hG4bK1;rport=40000;received=192.0.2.1"
    )
    assert Via.parse("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx").host == "[2001:db8::1]"


def test_contacts_and_uris_keep_what_is_not_rewritten() -> None:
    assert split_list('"Doe, J" <sip:a@b>;q=1, <sip:c@d>') == [
        '"Doe, J" <sip:a@b>;q=1',
        "<sip:c@d>",
    ]
    assert map_contact('"A <x>" <sip:a@h>;expires=60', str.upper) == '"A <x>" <SIP:A@H>;expires=60'
    assert map_contact("sip:a@h;expires=60", lambda uri: "sip:z@y") == "<sip:z@y>;expires=60"
    assert map_contact("*", str.upper) == "*"
    uri = SipUri.parse("sips:alice:secret@[::1]:5061;transport=tcp;ob?subject=hi")
    assert (uri.userinfo, uri.host, uri.port, uri.params.get("transport")) == (
        "alice:secret", "[::1]", 5061, "tcp")  # fmt: skip
    assert str(uri) == "sips:alice:secret@[::1]:5061;transport=tcp;ob?subject=hi"


def test_own_response_copies_the_dialog_headers_and_adds_a_to_tag() -> None:
    request = SipMessage.parse(options(1, extra="v: SIP/2.0/UDP 10.0.0.8;branch=z9hG4bK2\r\n"))
    response = SipMessage.parse(make_response(request, 400, "Bad Request").to_bytes())
    assert response.start_line == "SIP/2.0 400 Bad Request"
    assert len(response.values("via")) == 2
    assert ";tag=" in (response.first("to") or "")
    assert response.first("content-length") == "0"


# ---------------------------------------------------------------------------------------------
# Live: the gateway in front of the real PBX


@pytest.fixture
async def gateway(pbx: PbxService) -> AsyncIterator[TcpTransportGateway]:
    async with running_gateway(pbx) as running:
        yield running


async def test_live_split_segments_pipelining_and_keep_alive(gateway: TcpTransportGateway) -> None:
    peer = await Peer.connect(gateway)
    try:
        data = options(1)
        for start in range(0, len(data), 37):
            await peer.send(data[start : start + 37])
        response = await peer.message()
        assert response.start_line == "SIP/2.0 200 OK"
        # Only the phone's own Via is left, with where the request really came from.
        (via,) = [Via.parse(value) for value in response.values("via")]
        port = peer.writer.get_extra_info("sockname")[1]
        assert (via.params.get("received"), via.params.get("rport")) == ("127.0.0.1", str(port))
        await peer.send(b"\r\n\r\n")
        async with asyncio.timeout(5):
            assert await peer.reader.readexactly(2) == b"\r\n"  # RFC 5626 pong
        await peer.send(options(2) + options(3))
        assert [await peer.status(), await peer.status()] == ["SIP/2.0 200 OK"] * 2
    finally:
        peer.close()


async def test_live_bad_requests_are_answered_and_broken_framing_closes(
    gateway: TcpTransportGateway,
) -> None:
    peer = await Peer.connect(gateway)
    try:
        await peer.send(options(1, extra="this line is no header\r\n"))
        assert await peer.status() == "SIP/2.0 400 Bad Request"
        await peer.send(options(2).replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
        assert await peer.status() == "SIP/2.0 483 Too Many Hops"
        await peer.send(options(3))  # framing was intact: the connection still serves
        assert await peer.status() == "SIP/2.0 200 OK"
        await peer.send(options(4, length=None))
        assert await peer.status() == "SIP/2.0 400 Bad Request"
        assert await peer.closed()
    finally:
        peer.close()
    for data, answer in [
        (options(5, length="99999999"), "SIP/2.0 513 Message Too Large"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", None),  # a TLS ClientHello
    ]:
        peer = await Peer.connect(gateway)
        try:
            await peer.send(data)
            if answer is not None:
                assert await peer.status() == answer
            assert await peer.closed()
        finally:
            peer.close()


async def test_pbx_keeps_serving_udp_calls_while_tcp_peers_send_garbage(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    caller = await trunk_caller(
        pbx.config.sip_port, "trunk_call.xml", tmp_path, media_port=free_port(), caller="+3110",
        hold_ms=1500,
    )  # fmt: skip
    try:
        offered = await events.next_of(cc.CallOffered)
        await events.next_of(cc.CallAnswered, call_id=offered.call_id)
        garbage = [
            b"\x00" * 5000,
            b"GET / HTTP/1.1\r\nHost: pbx\r\n\r\n",
            options(1, length="4000000000"),
            b"INVITE sip:7001@127.0.0.1 SIP/2.0\r\n" + b"X: y\r\n" * 2000,
            options(2, extra="Via: garbage\r\n").replace(b"Via: SIP/2.0/TCP", b"Via: SIP/9/TCP"),
        ]
        peers = [await Peer.connect(gateway) for _ in garbage]
        await asyncio.gather(*(peer.send(data) for peer, data in zip(peers, garbage, strict=True)))
        healthy = await Peer.connect(gateway)
        await healthy.send(options(3))
        assert await healthy.status() == "SIP/2.0 200 OK"
        healthy.close()
        for peer in peers:
            peer.close()
        assert await pbx.active_calls() == [offered.call_id]
        result = await caller.wait()
        assert result.returncode == 0, result.errors
        hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
    finally:
        caller.kill()
