"""Self-signed TLS certificates made in a test, a client context that trusts one, a TLS front."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pbx_core.sip.tls_context import TlsFiles


def self_signed(directory: Path, host: str = "127.0.0.1", name: str = "server") -> TlsFiles:
    """`<name>.crt` and `<name>.key` (PEM) in `directory` for `host` (an IP address or a name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alternative = x509.DNSName(host)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / f"{name}.crt", directory / f"{name}.key")
    files.cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    assert files.key_file is not None
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def client_context(files: TlsFiles) -> ssl.SSLContext:
    """A client that trusts only this certificate and checks the host name against it."""
    return ssl.create_default_context(cafile=str(files.cert_file))


async def tls_front(
    listen: tuple[str, int], backend: tuple[str, int], files: TlsFiles
) -> asyncio.Server:
    """An https (and wss) front for a plain-http server, as a TLS proxy in front of the product:
    every TLS connection to `listen` is piped, decrypted, to `backend`. Close the server to stop."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert_file, files.key_file)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_connection(*backend)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, backend_writer), pipe(backend_reader, writer))

    return await asyncio.start_server(serve, *listen, ssl=context)
