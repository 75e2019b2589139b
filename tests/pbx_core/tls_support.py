"""Helpers for SIP over TLS tests: TLS clients of the gateway, a phone written by hand that
registers with digest over one TLS connection (certificates: `tests/tls_certs.py`)."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import uuid

from pbx_core.sip.stream_framing import Message
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.wire import SipMessage
from tests.pbx_core.tcp_support import Peer


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
