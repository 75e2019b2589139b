"""SIP over TLS in the product (docs/pbx.md, "SIP over TLS"): its settings from the environment,
the certificate checked before anything starts, the address the banners show."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pbx_core.sip.tls_context import TlsConfigError, TlsFiles, server_context


def tls_files_from_env(env: Mapping[str, str], prefix: str) -> TlsFiles | None:
    """`<prefix>_CERT` (PEM chain) and `<prefix>_KEY` (PEM key; unset: in the certificate
    file); None without a certificate (no listener)."""
    certificate, key = env.get(f"{prefix}_CERT"), env.get(f"{prefix}_KEY")
    if not certificate:
        return None
    return TlsFiles(Path(certificate), Path(key) if key else None)


def certificate_problem(files: TlsFiles | None, listener: str, prefix: str) -> str | None:
    """Why the certificate or key of `listener` (read from `<prefix>_CERT`, `<prefix>_KEY`)
    cannot be used, or None. The PBX would find out only once everything else runs: the
    product asks first, and stops before starting anything."""
    if files is None:
        return None
    try:
        server_context(files)
    except TlsConfigError as error:
        return f"{listener} ({prefix}_CERT, {prefix}_KEY): {error}"
    return None


def sip_tls_address(host: str, files: TlsFiles | None, port: int) -> str:
    return f"{host}:{port}" if files is not None else "off (OPENCC_SIP_TLS_CERT)"
