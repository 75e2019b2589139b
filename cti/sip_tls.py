"""SIP over TLS in the product (docs/pbx.md, "SIP over TLS"): its settings from the environment,
the certificate checked before anything starts, the address the banners show."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pbx_core.config import SipTls
from pbx_core.sip.tls_transport import TlsSetupError, server_context


def sip_tls_from_env(env: Mapping[str, str]) -> SipTls | None:
    """On once `OPENCC_SIP_TLS_CERT` names a certificate; its key is in that file unless
    `OPENCC_SIP_TLS_KEY` names another; `OPENCC_SIP_TLS_PORT` (5061)."""
    certificate, key = env.get("OPENCC_SIP_TLS_CERT"), env.get("OPENCC_SIP_TLS_KEY")
    if not certificate:
        return None
    port = int(env.get("OPENCC_SIP_TLS_PORT", "5061"))
    return SipTls(Path(certificate), Path(key) if key else None, port)


def sip_tls_problem(tls: SipTls | None) -> str | None:
    """Why the certificate or key cannot be used, or None. The PBX would find out only once
    everything else runs: the product asks first, and stops before starting anything."""
    if tls is None:
        return None
    try:
        server_context(tls)
    except TlsSetupError as error:
        return str(error)
    return None


def sip_tls_address(host: str, tls: SipTls | None) -> str:
    return f"{host}:{tls.port}" if tls is not None else "off (OPENCC_SIP_TLS_CERT)"
