"""A server's TLS certificate and key loaded into an `ssl.SSLContext`, with start-up errors that
say which file is wrong and why (TLS 1.2 at least; docs/webrtc.md, "WSS").

    context = server_context(TlsFiles(Path("/etc/opencc/sip.crt"), Path("/etc/opencc/sip.key")))

Any TLS listener of the PBX loads its certificate here (SIP over WSS for browser phones).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert_file: Path
    """PEM: the server's certificate, then any intermediates (the chain browsers need)."""
    key_file: Path | None = None
    """PEM private key, unencrypted; None: the key is in `cert_file` too."""


class TlsConfigError(ValueError):
    """The certificate or key cannot be used; the message names the file and the reason."""


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """A server context with the certificate chain and key of `files`, TLS 1.2 or newer."""
    for path, what in ((files.cert_file, "certificate"), (files.key_file, "private key")):
        if path is None:
            continue
        try:
            path.read_bytes()  # an unreadable file's own error beats OpenSSL's "PEM lib"
        except OSError as error:
            raise TlsConfigError(
                f"TLS {what} file {path} cannot be read: {error.strerror or error}"
            ) from error
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    key = files.key_file or files.cert_file
    try:
        # A password, even empty, keeps OpenSSL from prompting on the terminal for an
        # encrypted key (a service has nobody to answer); such a key fails here instead.
        context.load_cert_chain(files.cert_file, files.key_file, password=b"")
    except ssl.SSLError as error:
        raise TlsConfigError(
            f"TLS certificate {files.cert_file} with private key {key} cannot be used"
            f" ({_reason(error)}): both must be PEM, the key unencrypted and the"
            " certificate's own"
        ) from error
    return context


def _reason(error: ssl.SSLError) -> str:
    reasons = {
        "KEY_VALUES_MISMATCH": "the key is not the certificate's",
        "NO_START_LINE": "not PEM",
        "BAD_DECRYPT": "the key is encrypted",
    }
    return reasons.get(error.reason or "", error.reason or str(error))
