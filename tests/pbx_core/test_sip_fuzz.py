"""A SIP fuzzer: mutated INVITE, REGISTER, SUBSCRIBE and OPTIONS requests over UDP and TCP.

The torture messages (tests/pbx_core/torture.py) are hand-picked; these are many, made by a
seeded mutator (deterministic, so a failure names the message that caused it): bytes flipped,
lines dropped, duplicated or cut, headers blown up, Content-Length lied about, non-UTF-8 and
NUL bytes, CR/LF where they do not belong. After every batch the PBX must still answer OPTIONS
on both transports, and the SIP thread must still answer the service; what it answers to the
garbage itself is free (an error response or silence).
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator

import pytest

from pbx_core.service import PbxService
from tests.pbx_core.tcp_support import Peer, running_gateway

SEED = 4475  # RFC 4475, the SIP torture tests
MESSAGES_PER_TRANSPORT = 240
BATCH = 20


def templates(host: str, port: int) -> list[str]:
    target = f"{host}:{port}"
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
    head = (
        "Via: SIP/2.0/{transport} 127.0.0.1:{reply};branch=z9hG4bK-fuzz-{n}\r\n"
        "Max-Forwards: 70\r\nCall-ID: fuzz-{n}@t\r\n"
    )
    return [
        f"INVITE sip:1002@{target} SIP/2.0\r\n{head}From: <sip:1001@{host}>;tag=f{{n}}\r\n"
        f"To: <sip:1002@{target}>\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@127.0.0.1:{{reply}}>\r\n"
        'Authorization: Digest username="1001", realm="127.0.0.1", nonce="abc", '
        f'uri="sip:1002@{target}", response="00000000000000000000000000000000"\r\n'
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}",
        f"INVITE sip:7001@{target} SIP/2.0\r\n{head}From: <sip:+3110@{host}>;tag=f{{n}}\r\n"
        f"To: <sip:7001@{target}>\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:{{reply}}>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}",
        f"REGISTER sip:{target} SIP/2.0\r\n{head}From: <sip:1001@{host}>;tag=f{{n}}\r\n"
        f"To: <sip:1001@{host}>\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:{{reply}}>\r\n"
        "Expires: 300\r\nContent-Length: 0\r\n\r\n",
        f"SUBSCRIBE sip:1001@{target} SIP/2.0\r\n{head}From: <sip:1001@{host}>;tag=f{{n}}\r\n"
        f"To: <sip:1001@{host}>\r\nCSeq: 1 SUBSCRIBE\r\nEvent: message-summary\r\n"
        "Accept: application/simple-message-summary\r\nExpires: 3600\r\n"
        f"Contact: <sip:1001@127.0.0.1:{{reply}}>\r\nContent-Length: 0\r\n\r\n",
        f"OPTIONS sip:{target} SIP/2.0\r\n{head}From: <sip:probe@{host}>;tag=f{{n}}\r\n"
        f"To: <sip:{target}>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    ]


def _flip(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)


def _lines(rng: random.Random, data: bytearray) -> bytearray:
    lines = bytes(data).split(b"\r\n")
    i = rng.randrange(len(lines))
    match rng.randrange(3):
        case 0:
            del lines[i]
        case 1:
            lines.insert(i, lines[i])
        case _:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return bytearray(b"\r\n".join(lines))


def _blow_up(rng: random.Random, data: bytearray) -> bytearray:
    name = rng.choice([b"Via", b"From", b"To", b"Call-ID", b"CSeq", b"Contact", b"X-Fuzz"])
    value = rng.choice([b"A" * 9000, b"<" * 500, b";" * 2000, b"\x00" * 64, "é".encode() * 300])
    end = bytes(data).find(b"\r\n") + 2
    return data[:end] + name + b": " + value + b"\r\n" + data[end:]


def _content_length(rng: random.Random, data: bytearray) -> bytearray:
    lie = rng.choice([b"-1", b"99999", b"0", b"abc", b"1e9", b"18446744073709551616", b""])
    text = bytes(data)
    start = text.find(b"Content-Length: ")
    if start < 0:
        return data
    end = text.find(b"\r\n", start)
    return bytearray(text[:start] + b"Content-Length: " + lie + text[end:])


def _stray_line_ends(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        data.insert(rng.randrange(len(data)), rng.choice([13, 10, 0, 32, 9]))


def _mutated(rng: random.Random, message: bytes) -> bytes:
    data = bytearray(message)
    for _ in range(rng.randint(1, 3)):
        match rng.randrange(5):
            case 0:
                _flip(rng, data)
            case 1:
                data = _lines(rng, data)
            case 2:
                data = _blow_up(rng, data)
            case 3:
                data = _content_length(rng, data)
            case _:
                _stray_line_ends(rng, data)
    return bytes(data)


def fuzz_messages(
    host: str, port: int, transport: str, reply_port: int, count: int
) -> Iterator[tuple[int, bytes]]:
    rng = random.Random(f"{SEED}-{transport}")
    forms = templates(host, port)
    for n in range(count):
        form = rng.choice(forms)
        message = form.format(n=n, transport=transport, reply=reply_port).encode()
        yield n, _mutated(rng, message)


def options(host: str, port: int, transport: str, reply_port: int, n: int) -> bytes:
    return (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 127.0.0.1:{reply_port};branch=z9hG4bK-alive-{n}\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=a{n}\r\nTo: <sip:{host}:{port}>\r\n"
        f"Call-ID: alive-{transport}-{n}@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def _udp_answers_options(sock: socket.socket, address: tuple[str, int], n: int) -> bool:
    loop = asyncio.get_running_loop()
    probe = options(address[0], address[1], "UDP", sock.getsockname()[1], n)
    for _ in range(3):  # UDP: a probe may be lost; the PBX must answer one of three
        sock.sendto(probe, address)
        try:
            async with asyncio.timeout(2):
                while True:
                    reply = await loop.sock_recv(sock, 65535)
                    if reply.startswith(b"SIP/2.0 200") and f"alive-UDP-{n}@t".encode() in reply:
                        return True
        except TimeoutError:
            continue
    return False


def _drain(sock: socket.socket) -> None:
    """Throw away whatever the PBX answered to the garbage."""
    try:
        while sock.recv(65535):
            pass
    except BlockingIOError:
        pass


async def _still_serving(pbx: PbxService) -> None:
    """The SIP thread still runs the service's requests (a crashed reactor would not answer).
    Some mutants are still valid calls (to 7001 from the trunk): their number is free."""
    async with asyncio.timeout(10):
        await pbx.active_calls()


async def test_mutated_requests_over_udp_leave_the_pbx_answering(pbx: PbxService) -> None:
    address = ("127.0.0.1", pbx.config.sip_port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    reply_port = sock.getsockname()[1]
    sent: list[bytes] = []
    try:
        for n, message in fuzz_messages(*address, "UDP", reply_port, MESSAGES_PER_TRANSPORT):
            sock.sendto(message[:65000], address)
            sent.append(message)
            if (n + 1) % BATCH:
                continue
            await asyncio.sleep(0.05)
            _drain(sock)
            last = [m[:60] for m in sent[-BATCH:]]
            assert await _udp_answers_options(sock, address, n), f"no OPTIONS answer after {last}"
            await _still_serving(pbx)
    finally:
        sock.close()


@pytest.mark.parametrize("framing", ["one_connection", "connection_per_message"])
async def test_mutated_requests_over_tcp_leave_the_pbx_answering(
    pbx: PbxService, framing: str
) -> None:
    async with running_gateway(pbx) as gateway:
        host, port = gateway.listen_address
        peer = await Peer.connect(gateway)
        try:
            for n, message in fuzz_messages(host, port, "TCP", 5060, MESSAGES_PER_TRANSPORT):
                if framing == "connection_per_message" or peer.writer.is_closing():
                    peer.close()
                    peer = await Peer.connect(gateway)  # the gateway may close a garbled flow
                try:
                    await peer.send(message)
                except ConnectionError:
                    peer.close()
                    peer = await Peer.connect(gateway)
                if (n + 1) % BATCH:
                    continue
                probe = await Peer.connect(gateway)
                try:
                    await probe.send(options(host, port, "TCP", 5060, n))
                    assert (await probe.status()).startswith("SIP/2.0 200"), n
                finally:
                    probe.close()
                await _still_serving(pbx)
        finally:
            peer.close()
