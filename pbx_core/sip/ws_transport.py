"""SIP over WebSocket (RFC 7118) for browser phones, in front of sippy's UDP socket.

    gateway = WsTransportGateway(pbx_udp=("127.0.0.1", 5060), listen=("127.0.0.1", 5066),
                                 media=WebrtcMediaBridge(NgClient(...)))
    gateway.start()  ...  gateway.stop()

The same transport-translating stateless proxy as SIP over TCP (`tcp_transport.py`: Via
handling, flow tokens for the phones' Contacts, 480 for a flow whose connection is gone),
with the WebSocket library `websockets` in place of the byte-stream framing: each WebSocket
message carries exactly one SIP message (RFC 7118 5.2), so no Content-Length framing is
needed. What RFC 7118 adds falls out of the flow tokens: a browser's Contact
(`sip:x@abc.invalid;transport=ws`) names no host anyone could reach, and is never used as
one: sippy stores `sip:x@<relay>;x-ws-flow=T` and the gateway sends its requests down the
connection the browser registered over (RFC 7118 5.3 and 5.4).

Every SDP that crosses goes through `WebrtcMediaBridge`, so the PBX sees plain RTP/G.711.
Only `sip` is accepted as the subprotocol (RFC 7118 4), and only the configured Origins
(a page of another site must not use a signed-in browser's credentials).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Sequence
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Origin, Subprotocol

from pbx_core.location import WS_FLOW_PARAM
from pbx_core.media.webrtc_bridge import MediaBridgeError, WebrtcMediaBridge
from pbx_core.sip.tcp_transport import (
    Address,
    GatewayLimits,
    PhoneConnection,
    TcpTransportGateway,
)
from pbx_core.sip.wire import SipMessage, make_response

log = logging.getLogger(__name__)

SUBPROTOCOL = Subprotocol("sip")
MAX_FRAME = 64 * 1024
"""Largest WebSocket message a browser may send: its SDP (ICE candidates, DTLS fingerprint,
a dozen codecs) is larger than a desk phone's; what reaches sippy is G.711-only and small."""
_SDP = "application/sdp"
_CHALLENGES = (401, 407)
"""A digest challenge to a browser's INVITE keeps its media: the browser sends the same offer
again with credentials (same Call-ID and from-tag), which rtpengine takes as a re-offer on the
same ports. Deleted and made anew, the first call's ICE checks and DTLS ClientHello (rtpengine
is the DTLS client toward an `actpass` offer) had already reached the browser from ports that
were then gone, and the browser's handshake answered that ClientHello: rtpengine's new call
logged "DTLS error: 1 (bad signature)" and no audio ever flowed (docs/webrtc.md). A challenge
never retried loses its media after `webrtc_bridge.CHALLENGE_WAIT_S`."""


class WsTransportGateway(TcpTransportGateway):
    transport = "WS"
    flow_param = WS_FLOW_PARAM

    def __init__(
        self,
        pbx_udp: Address,
        listen: Address,
        media: WebrtcMediaBridge | None,
        *,
        origins: Sequence[str] | None = None,
        limits: GatewayLimits | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`media` None: SDP passes untouched (a PBX without rtpengine cannot serve browsers'
        media; signalling tests use it). `origins`: the web pages allowed to connect (their
        `Origin` header); None: any page, and clients that send none. `tls`: WebSocket over
        TLS (`wss:`, RFC 7118's WSS transport; `tls_context.server_context`)."""
        super().__init__(pbx_udp, listen, limits, tls=tls)
        if tls is not None:
            self.transport = "WSS"  # our Via, sippy's Contact `transport=wss`, thread name
        self._media = media
        self._origins = [Origin(origin) for origin in origins] if origins is not None else None
        self._ws_server: Server | None = None

    async def _listen_for_phones(self, listen: Address) -> Address:
        self._ws_server = await serve(
            self._serve_phone,
            listen[0],
            listen[1],
            subprotocols=[SUBPROTOCOL],
            origins=self._origins,
            process_request=_require_sip_subprotocol,
            max_size=MAX_FRAME,
            ping_interval=self.limits.keepalive_idle / 2,
            ping_timeout=self.limits.keepalive_idle / 2,
            ssl=self._tls,
            # A client that never finishes its TLS handshake holds a socket this long at most.
            ssl_handshake_timeout=self.limits.message_timeout if self._tls else None,
        )
        sockname = next(iter(self._ws_server.sockets)).getsockname()
        return (str(sockname[0]), int(sockname[1]))

    async def _stop_listening(self) -> None:
        if self._ws_server is not None:
            self._ws_server.close(close_connections=False)  # `_close` aborts them

    async def _close(self) -> None:
        await super()._close()
        server = self._ws_server
        if server is not None:
            # Connections still in their handshake (a TLS one closing after a refusal, say)
            # are not ours yet: end them too, so that no handler outlives the gateway's loop.
            for websocket in server.all_connections:
                websocket.transport.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), self.limits.message_timeout)
            self._ws_server = None
        if self._media is not None:
            self._media.close()

    async def _serve_phone(self, websocket: ServerConnection) -> None:
        connection = _WsConnection(self, websocket)
        if not self._accept(connection):
            await websocket.close(1013, "too many connections")
            return
        writer = asyncio.create_task(connection.write_all())
        try:
            async for data in websocket:
                raw = data.encode() if isinstance(data, str) else data
                if not raw.strip():
                    continue  # CRLF keep-alives some clients send; WebSocket pings do that job
                try:
                    self._from_phone(connection, raw)
                except Exception:
                    # A bug met by one peer's bytes costs that peer its connection only.
                    log.exception("closing WebSocket from %s", connection.peer)
                    break
        except ConnectionClosed:
            pass
        finally:
            self._forget(connection)
            writer.cancel()
            await websocket.close()

    # -- media ---------------------------------------------------------------------------------

    def _media_from_phone(self, connection: PhoneConnection, message: SipMessage) -> None:
        if self._media is None:
            return
        try:
            converted = _convert(self._media, message, from_browser=True)
        except MediaBridgeError as error:
            log.warning("browser media refused: %s", error)
            if message.is_request and message.method != "ACK":
                message.pop_via()  # answered as it came from the phone
                connection.send(make_response(message, 488, "Not Acceptable Here").to_bytes())
            raise _Answered from error
        if converted is not None:
            message.body = converted.encode()

    def _media_to_phone(self, connection: PhoneConnection, message: SipMessage) -> None:
        if self._media is None:
            return
        try:
            converted = _convert(self._media, message, from_browser=False)
        except MediaBridgeError as error:
            log.warning("media toward a browser refused: %s", error)
            if message.is_request:
                self._answer_pbx(message, 488, "Not Acceptable Here")
            raise _Answered from error
        if converted is not None:
            message.body = converted.encode()

    def _from_phone(self, connection: PhoneConnection, data: bytes) -> None:
        with contextlib.suppress(_Answered):
            super()._from_phone(connection, data)

    def _from_pbx(self, data: bytes, source: Address) -> None:
        with contextlib.suppress(_Answered):
            super()._from_pbx(data, source)


class _Answered(Exception):
    """The message was answered (488) where it came from: it goes no further."""


def _convert(media: WebrtcMediaBridge, message: SipMessage, *, from_browser: bool) -> str | None:
    """The message's new SDP, if it carries one to convert; ends the media of a call that
    ends. Offers come in INVITE/UPDATE requests, answers in their 18x/2xx responses."""
    call_id = message.first("call-id") or ""
    method = message.method
    if message.is_request:
        if method in ("BYE", "CANCEL"):
            media.delete(call_id)
            return None
        if method not in ("INVITE", "UPDATE") or not _has_sdp(message):
            return None
        from_tag = _tag(message.first("from"))
        sdp = message.body.decode()
        if from_browser:
            return media.offer_from_browser(call_id, from_tag, sdp)
        return media.offer_to_browser(call_id, from_tag, sdp)
    status = int(message.start_line.split()[1])
    if method == "INVITE" and status >= 300:
        if status in _CHALLENGES:
            media.challenged(call_id)
        else:
            media.failed(call_id)
        return None
    if method not in ("INVITE", "UPDATE") or status < 180 or not _has_sdp(message):
        return None
    sdp = message.body.decode()
    return media.answer(call_id, _tag(message.first("from")), _tag(message.first("to")), sdp)


def _has_sdp(message: SipMessage) -> bool:
    content_type = (message.first("content-type") or "").split(";")[0].strip().lower()
    return bool(message.body.strip()) and content_type == _SDP


def _tag(name_addr: str | None) -> str:
    text = name_addr or ""
    params = text[text.rfind(">") + 1 :] if ">" in text else text.partition(";")[2]
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "tag":
            return value
    return ""


def _require_sip_subprotocol(_connection: ServerConnection, request: Request) -> Response | None:
    offered = ",".join(request.headers.get_all("Sec-WebSocket-Protocol"))
    if SUBPROTOCOL not in (p.strip() for p in offered.split(",")):
        return _connection.respond(HTTPStatus.BAD_REQUEST, "WebSocket subprotocol 'sip' needed\n")
    return None


class _WsConnection(PhoneConnection):
    def __init__(self, gateway: WsTransportGateway, websocket: ServerConnection) -> None:
        super().__init__(gateway)
        self._websocket = websocket
        self._limit = gateway.limits.max_write_buffer
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._queued = 0
        self._closing = False
        address = websocket.remote_address
        self.peer = (str(address[0]), int(address[1])) if address else ("", 0)

    def send(self, data: bytes) -> None:
        if self._closing:
            return
        if self._queued + len(data) > self._limit:
            log.warning("closing WebSocket from %s: it does not read", self.peer)
            self.abort()
            return
        self._queued += len(data)
        self._queue.put_nowait(data)

    async def write_all(self) -> None:
        """Sends queued messages in order: text frames (SIP is UTF-8), binary otherwise."""
        while True:
            data = await self._queue.get()
            self._queued -= len(data)
            try:
                await self._websocket.send(data.decode())
            except UnicodeDecodeError:
                await self._websocket.send(data)
            except ConnectionClosed:
                self._closing = True
                return

    def close(self) -> None:
        self._closing = True
        self._websocket.transport.close()

    def abort(self) -> None:
        self._closing = True
        self._websocket.transport.abort()

    def is_closing(self) -> bool:
        return self._closing or self._websocket.state.name in ("CLOSING", "CLOSED")
