"""The phones' connections of the stream gateways (`tcp_transport`, `tls_transport`).

`PhoneConnection` is what the gateway needs of any connection (the WebSocket gateway has its
own kind); `StreamConnection` is one over TCP, with or without TLS: its byte stream framed
(`stream_framing`), a message that takes too long or a peer that does not read cut off,
TCP keep-alive so that a vanished phone is found out.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, cast

from pbx_core.sip.stream_framing import Message, StreamFramer
from pbx_core.sip.wire import MalformedMessage

if TYPE_CHECKING:  # the gateway module imports this one
    from pbx_core.sip.tcp_transport import Address, GatewayLimits, TcpTransportGateway

log = logging.getLogger(__name__)


class PhoneConnection:
    """One phone's connection as the gateway sees it, whatever carries it."""

    def __init__(self, gateway: TcpTransportGateway) -> None:
        self.id = next(gateway._ids)
        self.contacts: list[str] = []
        """The phone's own Contact URIs; a flow token is `<id>.<index in this list>`."""
        self.peer: Address = ("", 0)

    def token_for(self, uri: str, limit: int) -> str:
        if uri not in self.contacts:
            if len(self.contacts) >= limit:
                raise MalformedMessage(f"more than {limit} Contact URIs on one connection")
            self.contacts.append(uri)
        return f"{self.id}.{self.contacts.index(uri)}"

    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def is_closing(self) -> bool:
        raise NotImplementedError


class StreamConnection(asyncio.Protocol, PhoneConnection):
    """A phone's TCP (or TLS) connection: its bytes framed into SIP messages for the gateway."""

    def __init__(self, gateway: TcpTransportGateway) -> None:
        PhoneConnection.__init__(self, gateway)
        self._gateway = gateway
        self.framer = StreamFramer(gateway.limits.max_message)
        self.transport: asyncio.Transport
        self._slow_message: asyncio.TimerHandle | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._brought_a_message = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.peer = self.transport.get_extra_info("peername")[:2]
        if not self._gateway._accept(self):
            self.transport.abort()
            return
        limits = self._gateway.limits
        _enable_keepalive(self.transport.get_extra_info("socket"), limits)
        self._idle = asyncio.get_running_loop().call_later(
            limits.first_message_timeout, self._silent, "no SIP message"
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._gateway._forget(self)
        for timer in (self._slow_message, self._idle):
            if timer is not None:
                timer.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            for frame in self.framer.feed(data):
                self._brought_a_message |= isinstance(frame, Message)
                self._gateway._on_frame(self, frame)
        except Exception:
            # A bug met by one peer's bytes must cost that peer its connection, nothing more.
            log.exception("closing %s connection from %s", self._gateway.transport, self.peer)
            self.transport.abort()
        self._watch_partial_message()
        if self._brought_a_message and self._idle is not None:
            # Until its first message, only that deadline counts (CRLFs must not extend it).
            self._idle.cancel()
            self._idle = asyncio.get_running_loop().call_later(
                self._gateway.limits.idle_timeout, self._silent, "idle"
            )

    def _silent(self, why: str) -> None:
        log.info("closing %s connection from %s: %s", self._gateway.transport, self.peer, why)
        self._idle = None
        self.transport.abort()

    def _watch_partial_message(self) -> None:
        if not self.framer.partial:
            if self._slow_message is not None:
                self._slow_message.cancel()
                self._slow_message = None
        elif self._slow_message is None:
            loop = asyncio.get_running_loop()
            timeout = self._gateway.limits.message_timeout
            self._slow_message = loop.call_later(timeout, self._too_slow)

    def _too_slow(self) -> None:
        log.info("closing connection from %s: a message took too long", self.peer)
        self.transport.abort()

    def send(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.transport.get_write_buffer_size() > self._gateway.limits.max_write_buffer:
            log.warning("closing connection from %s: it does not read", self.peer)
            self.transport.abort()
            return
        self.transport.write(data)

    def close(self) -> None:
        self.transport.close()

    def abort(self) -> None:
        self.transport.abort()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


def _enable_keepalive(sock: socket.socket | None, limits: GatewayLimits) -> None:
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", limits.keepalive_idle), ("TCP_KEEPINTVL", 10),
                          ("TCP_KEEPCNT", 3)):  # fmt: skip
        if hasattr(socket, option):  # Linux names; elsewhere the system's defaults apply
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
