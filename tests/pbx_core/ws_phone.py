"""A browser phone's SIP over a WebSocket (ws or wss) as JsSIP sends it, for the gateway's tests."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from pbx_core.sip.wire import SipMessage
from tests.pbx_core.support import SippResult, free_port, run_sipp

PAGE = "http://agent.test"
"""The one page (Origin) the test PBXs let open their SIP WebSockets."""
KEY = b"k" * 32
"""The test PBXs' key of short-lived browser credentials."""


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class BrowserPhone:
    """SIP over one WebSocket, as JsSIP sends it."""

    def __init__(
        self, websocket: ClientConnection, extension: str, domain: str = "127.0.0.1"
    ) -> None:
        self.ws = websocket
        self.extension = extension
        self.domain = domain
        """The AOR's host: the tenant's SIP domain."""
        self.instance = secrets.token_hex(4)
        self.contact = f"<sip:{self.instance}@{self.instance}.invalid;transport=ws>"
        self.cseq = 0

    async def message(self, timeout: float = 10.0) -> SipMessage:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        return SipMessage.parse(data.encode() if isinstance(data, str) else data)

    async def register(self, password: str, call_id: str | None = None) -> SipMessage:
        call_id = call_id or secrets.token_hex(8)
        response = await self._register(call_id, None)
        if not response.start_line.startswith("SIP/2.0 401"):
            return response
        challenge = response.first("www-authenticate") or ""
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        uri, cnonce, nc = f"sip:{self.domain}", secrets.token_hex(4), "00000001"
        ha1 = _md5(f"{self.extension}:{fields['realm']}:{password}")
        ha2 = _md5(f"REGISTER:{uri}")
        answer = _md5(f"{ha1}:{fields['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        authorization = (
            f'Digest username="{self.extension}",realm="{fields["realm"]}",'
            f'nonce="{fields["nonce"]}",uri="{uri}",response="{answer}",algorithm=MD5,'
            f'qop=auth,nc={nc},cnonce="{cnonce}"'
        )
        return await self._register(call_id, authorization)

    async def _register(self, call_id: str, authorization: str | None) -> SipMessage:
        self.cseq += 1
        lines = [
            f"REGISTER sip:{self.domain} SIP/2.0",
            f"Via: SIP/2.0/WSS {self.instance}.invalid;branch=z9hG4bK{secrets.token_hex(6)}",
            "Max-Forwards: 69",
            f"To: <sip:{self.extension}@{self.domain}>",
            f"From: <sip:{self.extension}@{self.domain}>;tag={self.instance}",
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: {self.contact};+sip.ice;expires=300",
            "Expires: 300",
        ]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        await self.ws.send("\r\n".join([*lines, "Content-Length: 0", "", ""]))
        while True:
            response = await self.message()
            if response.method == "REGISTER" and not response.start_line.startswith("SIP/2.0 1"):
                return response

    async def respond(self, request: SipMessage, status: str) -> None:
        copied = [
            f"{name}: {value}"
            for name, value in request.headers
            if name.lower() in ("via", "from", "call-id", "cseq")
        ]
        to = f"{request.first('to')};tag=b{self.instance}"
        await self.ws.send("\r\n".join([f"SIP/2.0 {status}", *copied, f"To: {to}",
                                        "Content-Length: 0", "", ""]))  # fmt: skip


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def udp_call_to_1001(sip_port: int, work_dir: Path) -> dict[str, Any]:
    """`run_sipp` arguments: 1002's UDP phone calling 1001 (a browser in these tests)."""
    return {
        "work_dir": work_dir,
        "remote": ("127.0.0.1", sip_port),
        "variables": {"from": "1002", "to": "1001", "media_port": free_port()},
        "extra": ["-au", "1002", "-ap", "pw1002"],
    }


async def invited_by_udp_phone(
    phone: BrowserPhone, sip_port: int, work_dir: Path
) -> tuple[asyncio.Task[SippResult], SipMessage]:
    """1002's UDP phone calls 1001, expecting the 486 the test answers: its SIPp, and the INVITE
    as the browser received it."""
    call = udp_call_to_1001(sip_port, work_dir)
    caller = asyncio.create_task(run_sipp("ext_call_fails_486.xml", **call))
    invite = await phone.message()
    while invite.method != "INVITE":
        invite = await phone.message()
    return caller, invite
