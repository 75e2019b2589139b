"""SIP over TLS (RFC 3261 26.2; port 5061) in front of sippy's UDP socket.

    context = server_context(TlsFiles(Path("sip.pem"), Path("sip.key")))  # tls_context.py
    gateway = TlsTransportGateway(("127.0.0.1", 5060), ("127.0.0.1", 5061), context)
    gateway.start()  ...  gateway.stop()

The SIP-over-TCP gateway (`tcp_transport.py`) with a TLS server context on its listener:
framing, flow tokens (`x-tls-flow`: calls to a phone go down the connection it registered on,
480 once that is gone), Via `received`/`rport` for the real peer, limits and keep-alives are
the TCP gateway's own. What TLS changes is named here: our Via toward a phone is
`SIP/2.0/TLS` and sippy's own Contact becomes `transport=tls`. The certificate and key are
loaded by `tls_context.py` (TLS 1.2 at least, errors naming the file).

Phones are not asked for certificates: they prove who they are with digest, as over UDP and
TCP.
"""

from __future__ import annotations

import ssl

from pbx_core.sip.tcp_transport import Address, GatewayLimits, TcpTransportGateway

DEFAULT_PORT = 5061


class TlsTransportGateway(TcpTransportGateway):
    transport = "TLS"
    flow_param = "x-tls-flow"

    def __init__(
        self,
        pbx_udp: Address,
        listen: Address,
        context: ssl.SSLContext,
        limits: GatewayLimits | None = None,
    ) -> None:
        super().__init__(pbx_udp, listen, limits, tls=context)
