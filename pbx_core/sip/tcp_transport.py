"""SIP over TCP in front of sippy (UDP only): a transport-translating stateless proxy.

    gateway = TcpTransportGateway(pbx_udp=("127.0.0.1", 5060), listen=("127.0.0.1", 5060))
    gateway.start()          # blocking, seconds at most; from asyncio: asyncio.to_thread
    ...
    gateway.stop()

Phones connect over TCP; the gateway frames their byte stream (`stream_framing`) and relays
each message to sippy's UDP socket from a UDP socket of its own (the *relay address*), and
back. No transaction or dialog state: everything needed to route a message back travels in
the message itself (RFC 3261 16.11), except the table of live connections and the phones'
own Contact URIs per connection.

- Requests from a phone: `received`/`rport` on its Via (RFC 3261 18.2.1, RFC 3581), then our
  UDP Via on top whose branch names the connection; responses from sippy come to the relay
  address, that Via is popped and the response goes down that connection (18.2.2).
- Contacts a phone sends (REGISTER, INVITE, 2xx...) become `sip:user@<relay>;x-tcp-flow=T`,
  T naming the connection and the phone's URI. sippy stores and targets that, so its requests
  to the phone arrive at the relay address; the gateway restores the phone's URI as
  Request-URI, pushes a TCP Via and sends them down the connection. A flow whose connection
  has closed answers 480 at once. The same flow URI in a Contact sippy sends to the phone
  (the 200 to REGISTER) is turned back into the phone's own URI.
- sippy's own Contact gets `transport=tcp` (and the listening address) on the way to a TCP
  phone, so the phone's in-dialog requests come back over TCP, not UDP (RFC 3263).

Given a TLS server context (`tls=`), the same gateway serves SIP over TLS (`tls_transport`).

Runs an asyncio loop in its own thread: socket work never waits behind the application's
event handlers (or the SIP reactor), and start/stop look like `SipThread`'s.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, assert_never, cast

from pbx_core.sip.peer import add_relay, remove_relay
from pbx_core.sip.stream_connection import (
    PhoneConnection as PhoneConnection,  # re-exported: the WebSocket gateway's kind too
)
from pbx_core.sip.stream_connection import StreamConnection
from pbx_core.sip.stream_framing import (
    MAX_MESSAGE,
    Frame,
    FramingError,
    KeepAlive,
    Message,
)
from pbx_core.sip.wire import (
    MalformedMessage,
    Params,
    SipMessage,
    SipUri,
    Via,
    make_response,
)

log = logging.getLogger(__name__)

Address = tuple[str, int]

FLOW_PARAM = "x-tcp-flow"
# Recognised in a configured address, never bound (bandit's B104 is about binding).
_WILDCARDS = ("", "0.0.0.0", "::")  # nosec B104
_MAGIC = "z9hG4bK"
_FROM_TCP = f"{_MAGIC}-tcp."
"""Branch prefix of our Via on requests from TCP phones: `<prefix><connection>.<hash>`."""
_TO_TCP = f"{_MAGIC}-udp."
"""Branch prefix of our Via on sippy's requests to TCP phones."""


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    max_message: int = MAX_MESSAGE
    """Largest message relayed either way to sippy (its datagram buffer)."""
    max_connections: int = 1024
    max_connections_per_address: int = 200
    """Connections from one IP address: one source cannot take every slot, while the largest
    customer (150 users, some with two devices) behind one office NAT still fits."""
    max_contacts_per_connection: int = 16
    """Distinct Contact URIs one connection may use (several lines on one phone)."""
    max_write_buffer: int = 256 * 1024
    """A phone that reads no faster than this much is behind is disconnected."""
    message_timeout: float = 30.0
    """Seconds a started message may take to arrive whole (slow senders hold no slot)."""
    first_message_timeout: float = 30.0
    """A new connection must bring a whole SIP message within this many seconds (keep-alive
    CRLFs do not count): a connection opened only to hold a slot is closed."""
    idle_timeout: float = 3900.0
    """A connection that brings nothing (no message, no CRLF keep-alive) for this long is
    closed: longer than the longest registration (3600 s, `registrar.MAX_EXPIRES`) plus time
    for its refresh, so a registered phone keeps its connection by re-registering."""
    keepalive_idle: int = 60
    """TCP keep-alive: probes after this many idle seconds, so that a phone that vanished
    (power cut, cable) is found out and answered 480 within about a minute and a half."""


class TcpTransportGateway:
    transport = "TCP"
    """Our Via's transport toward a phone, and in lower case the `transport` of sippy's own
    Contact as a phone sees it (a subclass carries another stream transport)."""
    flow_param = FLOW_PARAM

    def __init__(
        self,
        pbx_udp: Address,
        listen: Address,
        limits: GatewayLimits | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: the connections are TLS with this server context (`tls_transport`)."""
        if listen[0] in _WILDCARDS or pbx_udp[0] in _WILDCARDS:
            # The addresses go into Via and Contact headers: they must be reachable ones.
            raise ValueError("the gateway needs concrete addresses, not a wildcard")
        self.pbx_udp = pbx_udp
        self._listen = listen
        self.limits = limits or GatewayLimits()
        self._tls = tls
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._server: asyncio.Server | None = None
        self._relay: asyncio.DatagramTransport | None = None
        self._connections: dict[int, PhoneConnection] = {}
        self._per_address: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self.listen_address: Address = listen
        self.relay_address: Address = (pbx_udp[0], 0)

    # -----------------------------------------------------------------------------------------
    # Life cycle (from any thread)

    def start(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            raise RuntimeError("the TCP gateway already runs")
        self._ready.clear()
        self._startup_error = None
        self.listen_address, self.relay_address = self._listen, (self.pbx_udp[0], 0)
        name = f"sip-{self.transport.lower()}-gateway"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"{self.transport} gateway did not start")
        if self._startup_error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise RuntimeError(f"{self.transport} gateway failed to start") from self._startup_error

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except BaseException as error:
            self._startup_error = error
            loop.run_until_complete(self._close())
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._close())
            loop.close()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._relay, _ = await loop.create_datagram_endpoint(
            lambda: _RelaySocket(self), local_addr=self.relay_address
        )
        self.relay_address = self._relay.get_extra_info("sockname")[:2]
        add_relay(self.relay_address)
        self.listen_address = await self._listen_for_phones(self._listen)
        log.info(
            "SIP over %s on %s:%d, relaying to %s:%d",
            self.transport,
            *self.listen_address,
            *self.pbx_udp,
        )

    async def _listen_for_phones(self, listen: Address) -> Address:
        """Opens the phones' listening socket (gateway thread); returns its address."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: StreamConnection(self),
            listen[0],
            listen[1],
            reuse_address=True,
            ssl=self._tls,
            # A peer that never finishes its handshake holds no socket longer than a message.
            ssl_handshake_timeout=self.limits.message_timeout if self._tls else None,
        )
        return cast(Address, self._server.sockets[0].getsockname()[:2])

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _close(self) -> None:
        await self._stop_listening()
        for connection in list(self._connections.values()):
            connection.abort()
        if self._relay is not None:
            remove_relay(self.relay_address)
            self._relay.close()
        await asyncio.sleep(0)  # let the transports' connection_lost callbacks run
        self._server = None
        self._relay = None

    # -----------------------------------------------------------------------------------------
    # Connections (gateway thread)

    def _accept(self, connection: PhoneConnection) -> bool:
        address = connection.peer[0]
        if len(self._connections) >= self.limits.max_connections:
            log.warning("refusing %s connection from %s: too many", self.transport, connection.peer)
            return False
        if self._per_address[address] >= self.limits.max_connections_per_address:
            log.warning("refusing %s connection from %s: too many from that address",
                        self.transport, connection.peer)  # fmt: skip
            return False
        self._connections[connection.id] = connection
        self._per_address[address] += 1
        return True

    def _forget(self, connection: PhoneConnection) -> None:
        if self._connections.pop(connection.id, None) is None:
            return  # refused: never counted
        address = connection.peer[0]
        self._per_address[address] -= 1
        if self._per_address[address] <= 0:
            del self._per_address[address]

    def _on_frame(self, connection: PhoneConnection, frame: Frame) -> None:
        if isinstance(frame, KeepAlive):
            connection.send(b"\r\n")
        elif isinstance(frame, Message):
            self._from_phone(connection, frame.data)
        elif isinstance(frame, FramingError):
            self._on_framing_error(connection, frame)
        else:
            assert_never(frame)

    def _on_framing_error(self, connection: PhoneConnection, error: FramingError) -> None:
        log.info("closing %s connection from %s: %s", self.transport, connection.peer, error.reason)
        if error.status is not None:
            reason = "Message Too Large" if error.status == 513 else "Bad Request"
            self._refuse_on(connection, error.head, error.status, reason)
        connection.close()

    # -----------------------------------------------------------------------------------------
    # Phone -> sippy

    def _from_phone(self, connection: PhoneConnection, data: bytes) -> None:
        try:
            message = SipMessage.parse(data)
            if message.is_request:
                self._request_from_phone(connection, message)
            else:
                self._response_from_phone(connection, message)
        except TooLarge:
            self._refuse_on(connection, data, 513, "Message Too Large")
        except MalformedMessage as error:
            # Framing is intact (Content-Length was right): refuse this message only.
            log.info("bad message from %s: %s", connection.peer, error)
            self._refuse_on(connection, data, 400, "Bad Request")

    def _refuse_on(
        self, connection: PhoneConnection, data: bytes, status: int, reason: str
    ) -> None:
        """Answer the request in `data` as it came from the phone, if it is one."""
        try:
            request = SipMessage.parse(data, lenient=True)
        except MalformedMessage:
            return
        if request.is_request and request.method != "ACK":
            connection.send(make_response(request, status, reason).to_bytes())

    def _request_from_phone(self, connection: PhoneConnection, request: SipMessage) -> None:
        if not _decrement_max_forwards(request):
            connection.send(make_response(request, 483, "Too Many Hops").to_bytes())
            return
        via = request.top_via()
        host, port = connection.peer
        # RFC 3261 18.2.1 and RFC 3581: where the request really came from, so responses
        # (and anyone reading this Via) know the phone's address behind its NAT. Always set,
        # not only when the Via names another host: a `received` the phone wrote itself must
        # never survive, the PBX trusts this one (`peer.peer_host`).
        via.params.set("received", host)
        if via.params.has("rport"):
            via.params.set("rport", str(port))
        request.replace_top_via(via)
        request.map_contacts(lambda uri: self._flow_uri(connection, uri))
        request.push_via(self._via_to_pbx(connection, request, via))
        self._media_from_phone(connection, request)
        self._send_to_pbx(request)

    def _via_to_pbx(self, connection: PhoneConnection, request: SipMessage, via: Via) -> Via:
        # A function of the phone's branch, so that its CANCEL and the ACK of a failed
        # INVITE carry our branch of that INVITE, as sippy's transaction matching needs.
        if via.branch.startswith(_MAGIC):
            key = via.branch
        else:  # an RFC 2543 phone: no unique branch, hash what identifies the transaction
            cseq = (request.first("cseq") or "").split()[:1]
            key = "|".join([str(via), request.first("call-id") or "", request.first("from") or ""])
            key += "|" + "".join(cseq)
        branch = f"{_FROM_TCP}{connection.id}.{_digest(key)}"
        host, port = self.relay_address
        return Via("SIP/2.0/UDP", host, port, Params([("branch", branch)]))

    def _response_from_phone(self, connection: PhoneConnection, response: SipMessage) -> None:
        ours = response.pop_via()
        if not ours.branch.startswith(_TO_TCP):
            log.info("dropping response from %s: top Via is not ours", connection.peer)
            return
        response.map_contacts(lambda uri: self._flow_uri(connection, uri))
        self._media_from_phone(connection, response)
        self._send_to_pbx(response)

    def _flow_uri(self, connection: PhoneConnection, uri: str) -> str:
        """The phone's Contact URI as sippy should see it: at our relay address, naming the
        connection and (through the connection's table) the phone's URI."""
        try:
            parsed = SipUri.parse(uri)
        except MalformedMessage:
            return uri  # tel: and the like: nothing sippy could send to anyway
        token = connection.token_for(uri, self.limits.max_contacts_per_connection)
        host, port = self.relay_address
        user = parsed.userinfo.partition(":")[0] if parsed.userinfo else None
        return str(SipUri("sip", user, host, port, Params([(self.flow_param, token)])))

    def _send_to_pbx(self, message: SipMessage) -> None:
        data = message.to_bytes()
        if len(data) > self.limits.max_message:
            raise TooLarge(f"{len(data)} bytes with our Via, sippy reads {self.limits.max_message}")
        assert self._relay is not None
        self._relay.sendto(data, self.pbx_udp)

    # -----------------------------------------------------------------------------------------
    # sippy -> phone

    def _from_pbx(self, data: bytes, source: Address) -> None:
        if source != self.pbx_udp:
            log.info("dropping datagram from %s:%d: only the PBX may use the relay", *source)
            return
        try:
            message = SipMessage.parse(data)
        except MalformedMessage as error:
            log.warning("unparsable message from the PBX: %s", error)
            return
        try:
            if message.is_request:
                self._request_from_pbx(message)
            else:
                self._response_from_pbx(message)
        except MalformedMessage as error:
            log.warning("cannot relay %s from the PBX: %s", message.method, error)
            self._answer_pbx(message, 400, "Bad Request")

    def _answer_pbx(self, request: SipMessage, status: int, reason: str) -> None:
        if request.is_request and request.method != "ACK":
            self._send_to_pbx(make_response(request, status, reason))

    def _request_from_pbx(self, request: SipMessage) -> None:
        flow = self._flow(SipUri.parse(request.request_uri))
        if flow is None:
            # The phone's connection is gone: it cannot be reached until it registers again
            # (no new connection is opened to it, it may well be behind NAT).
            self._answer_pbx(request, 480, "Temporarily Unavailable")
            return
        connection, phone_uri = flow
        if not self._forwardable(request):
            return
        request.set_request_uri(phone_uri)
        self._send_down(connection, request)

    def _forwardable(self, request: SipMessage) -> bool:
        """Max-Forwards allows one more hop (decremented); else sippy is answered 483."""
        if _decrement_max_forwards(request):
            return True
        self._answer_pbx(request, 483, "Too Many Hops")
        return False

    def _send_down(self, connection: PhoneConnection, request: SipMessage) -> None:
        """A request of sippy's down `connection`: its Contacts as the peer must see them, our
        stream Via on top (its responses come back through `_response_from_phone`)."""
        request.map_contacts(lambda uri: self._phone_side_uri(connection, uri))
        branch = f"{_TO_TCP}{_digest(request.top_via().branch)}"
        host, port = self.listen_address
        request.push_via(Via(f"SIP/2.0/{self.transport}", host, port, Params([("branch", branch)])))
        self._media_to_phone(connection, request)
        connection.send(request.to_bytes())

    def _response_from_pbx(self, response: SipMessage) -> None:
        ours = response.pop_via()
        connection_id = _connection_of(ours.branch)
        connection = self._connections.get(connection_id) if connection_id else None
        if connection is None:
            log.info("dropping %s response: its connection is gone", response.method)
            return
        response.map_contacts(lambda uri: self._phone_side_uri(connection, uri))
        self._media_to_phone(connection, response)
        connection.send(response.to_bytes())

    def _flow(self, uri: SipUri) -> tuple[PhoneConnection, str] | None:
        connection_text, _, index_text = (uri.params.get(self.flow_param) or "").partition(".")
        if not (connection_text.isdigit() and index_text.isdigit()):
            return None
        connection = self._connections.get(int(connection_text))
        if connection is None or connection.is_closing():
            return None
        if int(index_text) >= len(connection.contacts):
            return None
        return connection, connection.contacts[int(index_text)]

    def _phone_side_uri(self, connection: PhoneConnection, uri: str) -> str:
        """A Contact sippy sends, as the phone on `connection` must see it: its own URI for
        a flow of this connection, and the PBX reached over TCP for sippy's own."""
        try:
            parsed = SipUri.parse(uri)
        except MalformedMessage:
            return uri
        flow = self._flow(parsed)
        if flow is not None and flow[0] is connection:
            return flow[1]
        if (parsed.host, parsed.port or 5060) == self.pbx_udp:
            parsed.host, parsed.port = self.listen_address
            parsed.params.set("transport", self.transport.lower())
            return str(parsed)
        return uri

    # Hooks for a transport whose phones need their media converted (WebRTC) --------------------

    def _media_from_phone(self, connection: PhoneConnection, message: SipMessage) -> None:
        """Called with each message from a phone just before it goes to sippy."""

    def _media_to_phone(self, connection: PhoneConnection, message: SipMessage) -> None:
        """Called with each message from sippy just before it goes down `connection`."""


class TooLarge(MalformedMessage):
    """Larger than sippy's datagram buffer once our Via is in (answered 513)."""


class _RelaySocket(asyncio.DatagramProtocol):
    def __init__(self, gateway: TcpTransportGateway) -> None:
        self._gateway = gateway

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            self._gateway._from_pbx(data, (str(addr[0]), int(addr[1])))
        except Exception:
            # An exception escaping here would make asyncio close the relay socket, and with
            # it every TCP phone's path: log it, lose this one message.
            log.exception("cannot relay a datagram from the PBX")

    def error_received(self, exc: Exception) -> None:
        log.warning("relay socket: %s", exc)


def _decrement_max_forwards(request: SipMessage) -> bool:
    """False when the request must not be forwarded (Max-Forwards 0, RFC 3261 16.3)."""
    value = request.first("max-forwards")
    if value is None:
        return True
    if not value.isdigit():
        raise MalformedMessage(f"bad Max-Forwards {value!r}")
    if int(value) == 0:
        return False
    request.set("max-forwards", str(int(value) - 1))
    return True


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _connection_of(branch: str) -> int | None:
    if not branch.startswith(_FROM_TCP):
        return None
    connection_id = branch[len(_FROM_TCP) :].partition(".")[0]
    return int(connection_id) if connection_id.isdigit() else None
