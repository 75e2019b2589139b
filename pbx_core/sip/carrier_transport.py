"""SIP over TCP and TLS towards a carrier (a trunk's `transport`): sippy speaks UDP only, so each
such trunk gets a connector, a stream gateway (`tcp_transport`) turned around: instead of phones
connecting to us, it keeps one connection to the carrier, opened when sippy first sends it
something and again after the carrier or the network closes it.

- sippy sends the trunk's requests (INVITE, REGISTER, the CANCEL or ACK of a failed INVITE) to
  the connector's relay address (`Carrier.relay`, the leg's next hop); with no flow token in
  the Request-URI they go down the carrier connection as they are (the Request-URI names the
  carrier: `sip:<number>@<host>:<port>;transport=tcp`, `Carrier.request_uri`), our stream Via on
  top.
- Everything else is the stream gateway's own: the carrier's Contact becomes a flow URI at the
  relay (so in-dialog requests, BYE and re-INVITE, follow the same connection), responses and
  the carrier's requests on the connection go to sippy with Via `received` (the carrier's real
  address, `peer.peer_host`), sippy's own Contact is the PBX's TCP/TLS listener when it has one
  (else this connection's local address) with `transport=tcp`/`tls`.
- A carrier that cannot be reached (refused, no answer within `CONNECT_SECONDS`, a TLS
  certificate that does not verify): the waiting requests are answered 503 for sippy, so the
  call fails over to the next trunk as for a UDP carrier's 503.

TLS: the carrier's certificate is checked against the given CA file (None: the system's) and
its host name (RFC 5922 server identity); no client certificate is shown (digest proves who
we are, as over UDP). Runs in its own thread like the listeners; `CarrierConnectors` starts and
stops them as the trunks change (docs/trunks.md, "TCP and TLS towards a carrier").
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable
from pathlib import Path

from pbx_core.sip.stream_connection import StreamConnection
from pbx_core.sip.tcp_transport import Address, GatewayLimits, TcpTransportGateway
from pbx_core.sip.wire import MalformedMessage, SipMessage
from pbx_core.trunks.routing import STREAM_TRANSPORTS, Carrier, TrunkRouting

log = logging.getLogger(__name__)

CONNECT_SECONDS = 4.0
"""A carrier that has not accepted the connection (and finished TLS) by then is taken for down,
as a silent UDP carrier (`carrier.SILENT_CARRIER_SECONDS`)."""
_KEPT = 7 * 86_400.0
_CARRIER_LIMITS = GatewayLimits(first_message_timeout=_KEPT, idle_timeout=_KEPT)
"""The connection is ours and kept open while quiet (a registered trunk's calls come down it
between refreshes that may be hours apart); TCP keep-alive still finds a carrier that is gone."""

RETIRE_SECONDS = 5.0
"""A carrier's connector outlives its trunk this long (its unregistration, its last BYEs)."""

Endpoint = tuple[str, str, int]
"""(transport, host, port) of a carrier: one connector each."""


class CarrierConnector(TcpTransportGateway):
    def __init__(
        self,
        pbx_udp: Address,
        carrier: Endpoint,
        contact: Address | None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`contact`: the PBX's own listener for this transport (the carrier's new connections
        reach it), None: the connection's local address. `tls`: a client context."""
        super().__init__(pbx_udp, (pbx_udp[0], 0), _CARRIER_LIMITS)
        transport, host, port = carrier
        self.transport = transport.upper()
        self._carrier = (host, port)
        self._client_tls = tls
        self._contact = contact
        self._connection: StreamConnection | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._waiting: list[SipMessage] = []

    async def _listen_for_phones(self, listen: Address) -> Address:
        return self._contact or listen  # nobody connects to a connector

    def _request_from_pbx(self, request: SipMessage) -> None:
        if self.flow_param in request.request_uri:  # in a dialog: the stream gateway's way
            super()._request_from_pbx(request)
            return
        if not self._forwardable(request):
            return
        connection = self._connection
        if connection is None or connection.is_closing():
            self._waiting.append(request)
            if self._connecting is None:
                self._connecting = asyncio.ensure_future(self._connect())
            return
        self._send_down(connection, request)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self._carrier
        tls = self._client_tls
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: StreamConnection(self), host, port,
                    ssl=tls, server_hostname=host if tls is not None else None,
                ),
                CONNECT_SECONDS,
            )  # fmt: skip
        except (OSError, TimeoutError, ssl.SSLError) as error:
            log.warning("carrier %s:%d over %s cannot be reached: %s", host, port,
                        self.transport, error or type(error).__name__)  # fmt: skip
            waiting, self._waiting = self._waiting, []
            for request in waiting:
                self._answer_pbx(request, 503, "Service Unavailable")
            return
        finally:
            self._connecting = None
        self._connection = connection
        if self._contact is None:
            self.listen_address = connection.transport.get_extra_info("sockname")[:2]
        log.info("connected to carrier %s:%d over %s", host, port, self.transport)
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            try:
                self._send_down(connection, request)
            except MalformedMessage as error:
                log.warning("cannot send %s to the carrier: %s", request.method, error)
                self._answer_pbx(request, 400, "Bad Request")

    async def _close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        await super()._close()


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Checks a carrier's certificate and name: against `ca_file`, or the system's CAs."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class CarrierConnectors:
    """One running connector per TCP/TLS carrier of the routing (owner's event loop)."""

    def __init__(
        self,
        pbx_udp: Address,
        listeners: dict[str, Address],
        ca_file: Path | None,
    ) -> None:
        """`listeners`: the PBX's own address per stream transport it listens on ("tcp",
        "tls"), what the carrier's new connections are told (our Contact)."""
        self._pbx_udp = pbx_udp
        self._listeners = listeners
        self._ca_file = ca_file
        self._running: dict[Endpoint, CarrierConnector] = {}
        self._retiring: dict[CarrierConnector, asyncio.Task[None]] = {}

    async def route(self, routing: TrunkRouting) -> TrunkRouting:
        """`routing` with each TCP/TLS carrier's `relay` set, its connector running; the
        connectors of carriers gone are stopped a little later (`RETIRE_SECONDS`)."""
        wanted = {_endpoint(c) for c in _carriers(routing) if c.transport in STREAM_TRANSPORTS}
        for endpoint in set(self._running) - wanted:
            connector = self._running.pop(endpoint)
            self._retiring[connector] = asyncio.create_task(self._retire(connector))
        for endpoint in wanted - set(self._running):
            transport = endpoint[0]
            tls = client_context(self._ca_file) if transport == "tls" else None
            connector = CarrierConnector(
                self._pbx_udp, endpoint, self._listeners.get(transport), tls
            )
            await asyncio.to_thread(connector.start)
            self._running[endpoint] = connector
        relays = {endpoint: c.relay_address for endpoint, c in self._running.items()}
        return routing.with_relays(relays)

    async def _retire(self, connector: CarrierConnector) -> None:
        # The trunk's unregistration and the BYEs of its last calls still go out meanwhile.
        await asyncio.sleep(RETIRE_SECONDS)
        await asyncio.to_thread(connector.stop)
        self._retiring.pop(connector, None)

    async def stop(self) -> None:
        for task in self._retiring.values():
            task.cancel()
        for connector in [*self._running.values(), *self._retiring]:
            await asyncio.to_thread(connector.stop)
        self._running.clear()
        self._retiring.clear()


def _carriers(routing: TrunkRouting) -> Iterable[Carrier]:
    yield from routing.carriers
    for carriers in routing.tenant_carriers.values():
        yield from carriers


def _endpoint(carrier: Carrier) -> Endpoint:
    return (carrier.transport, carrier.host, carrier.port)
