"""SIP over TLS (RFC 3261 26.2; port 5061) in front of sippy's UDP socket.

    gateway = TlsTransportGateway(("127.0.0.1", 5060), ("127.0.0.1", 5061),
                                  server_context(SipTls(Path("sip.pem"), Path("sip.key"))))
    gateway.start()  ...  gateway.stop()

The SIP-over-TCP gateway (`tcp_transport.py`) with a TLS server context on its listener:
framing, flow tokens (`x-tls-flow`: calls to a phone go down the connection it registered on,
480 once that is gone), Via `received`/`rport` for the real peer, limits and keep-alives are
the TCP gateway's own. Only what TLS adds is here: the server context from the configured
certificate and key, with a start-up error that names the file and what is wrong with it.

Phones are not asked for certificates: they prove who they are with digest, as over UDP and
TCP. TLS 1.2 is the oldest version accepted.
"""

from __future__ import annotations

import ssl
from functools import partial
from pathlib import Path

from pbx_core.config import SipTls
from pbx_core.sip.tcp_transport import Address, GatewayLimits, TcpTransportGateway


class TlsSetupError(ValueError):
    """The configured certificate or key cannot be used; the message says which and why."""


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


def server_context(tls: SipTls) -> ssl.SSLContext:
    """The listener's TLS context; `TlsSetupError` for a missing, unreadable or wrong file."""
    for role, path in (("certificate", tls.certificate), ("key", tls.key)):
        if path is not None:
            _check_readable(role, path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        key_file = tls.key or tls.certificate
        context.load_cert_chain(tls.certificate, tls.key, password=partial(_encrypted, key_file))
    except ssl.SSLError as error:
        key = f" with the key {tls.key}" if tls.key is not None else ""
        raise TlsSetupError(
            f"SIP over TLS: {tls.certificate}{key} is no PEM certificate and its matching"
            f" private key ({error.reason or error})"
        ) from None
    return context


def _encrypted(key: Path) -> bytes:
    # Without this, OpenSSL would ask for the passphrase on the terminal and start-up would hang.
    raise TlsSetupError(f"SIP over TLS: the key {key} is encrypted; give an unencrypted key file")


def _check_readable(role: str, path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise TlsSetupError(
            f"SIP over TLS: cannot read the {role} {path}: {error.strerror or error}"
        ) from None
