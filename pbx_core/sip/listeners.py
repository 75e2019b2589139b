"""The PBX's listeners beside sippy's UDP socket: SIP over TCP, TLS, WebSocket and secure
WebSocket, each a gateway that relays to sippy (docs/pbx.md, docs/webrtc.md). Their certificates
are loaded when the listeners are planned, before the PBX starts anything, so one that cannot be
used (`TlsConfigError`) leaves nothing half-started; they start in that order and stop in the
reverse one."""

from __future__ import annotations

import asyncio
import ssl
from typing import TypeVar

from pbx_core.config import PbxConfig
from pbx_core.media.ng_client import NgClient
from pbx_core.media.webrtc_bridge import WebrtcMediaBridge
from pbx_core.sip.carrier_transport import CarrierConnectors
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.tls_context import server_context
from pbx_core.sip.tls_transport import TlsTransportGateway
from pbx_core.sip.ws_transport import WsTransportGateway

_Gateway = TypeVar("_Gateway", bound=TcpTransportGateway)


class StreamListeners:
    def __init__(self, config: PbxConfig) -> None:
        self._config = config
        self._tls_context = server_context(config.sip_tls) if config.sip_tls is not None else None
        if config.sip_wss_port is not None and config.sip_wss_tls is None:
            raise ValueError("sip_wss_port needs sip_wss_tls (certificate and key)")
        wss = config.sip_wss_tls if config.sip_wss_port is not None else None
        self._wss_context = server_context(wss) if wss is not None else None
        self.tcp: TcpTransportGateway | None = None
        self.tls: TlsTransportGateway | None = None
        self.ws: WsTransportGateway | None = None
        self.wss: WsTransportGateway | None = None
        self.carriers: CarrierConnectors | None = None
        """The connections to TCP/TLS carriers (`carrier_transport.py`), told these
        listeners' addresses as our Contact."""

    async def start(self) -> None:
        """Every configured listener, running; the first that cannot start raises (the PBX
        then stops, and with it the ones already running)."""
        config = self._config
        address = (config.sip_host, config.sip_port)
        if config.sip_tcp:
            self.tcp = await _started(TcpTransportGateway(pbx_udp=address, listen=address))
        if self._tls_context is not None:
            listen = (config.sip_host, config.sip_tls_port)
            self.tls = await _started(TlsTransportGateway(address, listen, self._tls_context))
        if config.sip_ws_port is not None:
            self.ws = await _started(self._websocket(config.sip_ws_port, None))
        if self._wss_context is not None:
            assert config.sip_wss_port is not None
            self.wss = await _started(self._websocket(config.sip_wss_port, self._wss_context))
        ours = {name: g.listen_address for name, g in (("tcp", self.tcp), ("tls", self.tls)) if g}
        self.carriers = CarrierConnectors(address, ours, config.carrier_tls_ca)

    async def stop(self) -> None:
        if self.carriers is not None:
            await self.carriers.stop()
            self.carriers = None
        for gateway in (self.wss, self.ws, self.tls, self.tcp):
            if gateway is not None:
                await asyncio.to_thread(gateway.stop)
        self.tcp = self.tls = self.ws = self.wss = None

    def _websocket(self, port: int, tls: ssl.SSLContext | None) -> WsTransportGateway:
        config = self._config
        rtpengine = config.rtpengine
        media = (
            WebrtcMediaBridge(NgClient(rtpengine.host, rtpengine.ng_port), opus=config.webrtc_opus)
            if rtpengine is not None
            else None
        )
        return WsTransportGateway(
            (config.sip_host, config.sip_port),
            (config.sip_host, port),
            media,
            origins=config.sip_ws_origins,
            tls=tls,
        )


async def _started(gateway: _Gateway) -> _Gateway:
    await asyncio.to_thread(gateway.start)
    return gateway
