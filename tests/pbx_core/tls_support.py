"""Helpers for SIP over TLS tests: a self-signed certificate, TLS clients of the gateway, a phone
written by hand that registers with digest over one TLS connection."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import ssl
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pbx_core.config import SipTls
from pbx_core.sip.stream_framing import Message
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.wire import SipMessage
from tests.pbx_core.tcp_support import Peer


def self_signed(directory: Path, port: int) -> SipTls:
    """A certificate for 127.0.0.1 signed by its own key, in two PEM files under `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opencc test PBX")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    certificate_file, key_file = directory / "sip.pem", directory / "sip.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SipTls(certificate_file, key_file, port)


def client_context(tls: SipTls) -> ssl.SSLContext:
    """A client that trusts the test certificate only and checks it names 127.0.0.1."""
    return ssl.create_default_context(cafile=str(tls.certificate))


async def tls_peer(gateway: TcpTransportGateway, context: ssl.SSLContext) -> Peer:
    host, port = gateway.listen_address
    return Peer(*await asyncio.open_connection(host, port, ssl=context))


async def next_message(peer: Peer, timeout: float = 15.0) -> SipMessage:
    """The next SIP message on the connection, waiting as long as a loaded PBX may take."""
    frame = await peer.receive(timeout)
    assert isinstance(frame, Message), frame
    return SipMessage.parse(frame.data)


def options(uri: str) -> bytes:
    call_id = uuid.uuid4().hex
    return (
        f"OPTIONS {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-{call_id}\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <{uri}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


class TlsPhone:
    """A phone on one TLS connection: REGISTERs `extension` with digest, as a phone does."""

    CONTACT_PORT = 5999
    """The port in the phone's own Contact: never used, its requests come down the connection."""

    def __init__(
        self, peer: Peer, extension: str, registrar: str, contact: str | None = None
    ) -> None:
        self.peer = peer
        self.extension = extension
        self.registrar = registrar
        """The REGISTER's Request-URI, `sip:127.0.0.1:<TLS port>` (or `sips:`)."""
        self.contact = contact or f"sip:{extension}@127.0.0.1:{self.CONTACT_PORT};transport=tls"
        self._call_id = uuid.uuid4().hex
        self._cseq = 0

    async def register(self, password: str) -> SipMessage:
        """The final answer to a REGISTER answered with `password` after the PBX's 401."""
        challenge = await self._register()
        assert challenge.start_line == "SIP/2.0 401 Unauthorized", challenge.start_line
        offered = challenge.first("www-authenticate")
        assert offered is not None
        realm, nonce = _param(offered, "realm"), _param(offered, "nonce")
        return await self._register(self._authorization(password, realm, nonce))

    async def _register(self, authorization: str = "") -> SipMessage:
        self._cseq += 1
        uri, extension = self.registrar, self.extension
        header = f"Authorization: {authorization}\r\n" if authorization else ""
        await self.peer.send(
            (
                f"REGISTER {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/TLS 127.0.0.1:{self.CONTACT_PORT};branch=z9hG4bK-"
                f"{uuid.uuid4().hex}\r\nMax-Forwards: 70\r\n"
                f"From: <sip:{extension}@127.0.0.1>;tag=r1\r\nTo: <sip:{extension}@127.0.0.1>\r\n"
                f"Call-ID: {self._call_id}\r\nCSeq: {self._cseq} REGISTER\r\n"
                f"Contact: <{self.contact}>\r\n"
                f"Expires: 300\r\n{header}Content-Length: 0\r\n\r\n"
            ).encode()
        )
        while True:
            answer = await self.peer.message()
            if not answer.start_line.startswith("SIP/2.0 100"):
                return answer

    def _authorization(self, password: str, realm: str, nonce: str) -> str:
        def md5(text: str) -> str:
            return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

        ha1 = md5(f"{self.extension}:{realm}:{password}")
        ha2 = md5(f"REGISTER:{self.registrar}")
        response = md5(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}")
        return (
            f'Digest username="{self.extension}",realm="{realm}",nonce="{nonce}",'
            f'uri="{self.registrar}",response="{response}",qop=auth,nc=00000001,'
            'cnonce="c0ffee",algorithm=MD5'
        )


def _param(header: str, name: str) -> str:
    return header.split(f'{name}="')[1].split('"')[0]
