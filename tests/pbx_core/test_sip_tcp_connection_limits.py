"""Issue 19.10 as attacks on the stream gateway (TCP; TLS is the same code): one address cannot
take every connection slot, and a connection opened only to hold a slot is closed, while a
phone that talks keeps its connection. The gateway runs with small limits against a stand-in
for sippy's UDP socket (tests/pbx_core/test_sip_tcp_relay.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest

from pbx_core.sip.tcp_transport import GatewayLimits, TcpTransportGateway
from tests.pbx_core.tcp_support import Peer
from tests.pbx_core.test_sip_tcp_relay import FakePbx, invite

PER_ADDRESS = 3
FIRST_MESSAGE_S = 0.5
IDLE_S = 1.5


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[TcpTransportGateway, FakePbx]]:
    loop = asyncio.get_running_loop()
    transport, pbx = await loop.create_datagram_endpoint(FakePbx, local_addr=("127.0.0.1", 0))
    limits = GatewayLimits(
        max_connections_per_address=PER_ADDRESS,
        first_message_timeout=FIRST_MESSAGE_S,
        idle_timeout=IDLE_S,
    )
    address = transport.get_extra_info("sockname")[:2]
    running = TcpTransportGateway(pbx_udp=address, listen=("127.0.0.1", 0), limits=limits)
    await asyncio.to_thread(running.start)
    yield running, pbx
    await asyncio.to_thread(running.stop)
    transport.close()


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def _closed(peer: Peer, timeout: float) -> bool:
    """Whether the gateway closes `peer` within `timeout` (its CRLF answers to keep-alives
    read and dropped on the way)."""
    async with asyncio.timeout(timeout):
        while await peer.reader.read(65536):
            pass
    return True


async def test_one_address_gets_its_share_of_connections_and_others_still_connect(
    gateway: tuple[TcpTransportGateway, FakePbx],
) -> None:
    tcp, pbx = gateway
    held = [await Peer.connect(tcp, "127.0.0.7") for _ in range(PER_ADDRESS)]
    try:
        await _until(lambda: tcp.connection_count == PER_ADDRESS)
        for peer in held:  # each holds its slot by talking
            await peer.send(invite(branch=f"z9hG4bK-{id(peer)}"))
            await pbx.next()
        extra = await Peer.connect(tcp, "127.0.0.7")
        assert await extra.closed(), "one more from the same address is refused"
        other = await Peer.connect(tcp, "127.0.0.8")
        await other.send(invite(branch="z9hG4bK-other"))
        assert (await pbx.next()).first("call-id") == "relay-1@phone"
        other.close()
        # A slot given back is free again for that address.
        held.pop().close()
        await _until(lambda: tcp.connection_count == PER_ADDRESS - 1)
        again = await Peer.connect(tcp, "127.0.0.7")
        await again.send(invite(branch="z9hG4bK-again"))
        await pbx.next()
        held.append(again)
    finally:
        for peer in held:
            peer.close()


async def test_a_connection_that_brings_no_message_is_closed_even_with_keepalives(
    gateway: tuple[TcpTransportGateway, FakePbx],
) -> None:
    tcp, _pbx = gateway
    silent = await Peer.connect(tcp)
    crlf_only = await Peer.connect(tcp)

    async def keep_alive() -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                await crlf_only.send(b"\r\n\r\n")
                await asyncio.sleep(0.1)

    pinger = asyncio.create_task(keep_alive())
    try:
        assert await _closed(silent, FIRST_MESSAGE_S + 5)
        assert await _closed(crlf_only, FIRST_MESSAGE_S + 5)
        await _until(lambda: tcp.connection_count == 0)
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger


async def test_a_phone_that_talks_keeps_its_connection_until_it_falls_silent(
    gateway: tuple[TcpTransportGateway, FakePbx],
) -> None:
    tcp, pbx = gateway
    phone = await Peer.connect(tcp)
    loop = asyncio.get_running_loop()
    await phone.send(invite())
    await pbx.next()
    # Keep-alives after its first message keep it: well past the first-message deadline.
    until = loop.time() + 2 * IDLE_S
    while loop.time() < until:
        await asyncio.sleep(IDLE_S / 5)
        await phone.send(b"\r\n\r\n")
    silent_since = loop.time()
    assert tcp.connection_count == 1
    assert await _closed(phone, IDLE_S + 5)
    assert loop.time() - silent_since >= IDLE_S * 0.9, "closed only once idle"
