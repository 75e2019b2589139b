"""BLF SUBSCRIBEs over real SIP with digest auth (two tenants: demo at 127.0.0.1 and acme at
acme.test, both with 1001/1002): a colleague of another tenant is 403, an unknown extension 404,
neither leaves a subscription behind; a refresh is bounded (at least 60 s) and NOTIFYs the next
version, a refresh in another dialog is 481, and an un-SUBSCRIBE ends it with a last NOTIFY."""

from __future__ import annotations

import asyncio
import re
import socket

from sippy.SipAuthorization import SipAuthorization

from pbx_core.presence.blf import EVENT
from pbx_core.service import PbxService
from tests.pbx_core.test_tenants import ACME_DOMAIN, DEMO, DEMO_DOMAIN, password, pbx

__all__ = ["pbx"]  # the two-tenant PBX fixture


class RawPhone:
    """Demo's 1001 over a plain UDP socket: SUBSCRIBEs with digest auth (each answer to a 401
    computed with sippy, as a phone does), NOTIFYs answered 200 and kept."""

    def __init__(self, pbx: PbxService) -> None:
        self.remote = ("127.0.0.1", pbx.config.sip_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.notifies: list[str] = []
        self.cseq = 0

    def close(self) -> None:
        self.sock.close()

    def request(self, target: str, call_id: str, expires: int, to_tag: str, auth: str) -> str:
        self.cseq += 1
        lines = [
            f"SUBSCRIBE sip:{target} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bK-{call_id}-{self.cseq}",
            f"From: <sip:1001@{DEMO_DOMAIN}>;tag=key-{call_id}",
            f"To: <sip:{target}>" + (f";tag={to_tag}" if to_tag else ""),
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} SUBSCRIBE",
            f"Contact: <sip:1001@127.0.0.1:{self.port}>",
            "Event: dialog",
            f"Expires: {expires}",
            *([f"Authorization: {auth}"] if auth else []),
            "Content-Length: 0",
        ]
        return "\r\n".join(lines) + "\r\n\r\n"

    async def response(self) -> str:
        """The next response; NOTIFYs on the way are answered and kept."""
        loop = asyncio.get_running_loop()
        while True:
            data = (await asyncio.wait_for(loop.sock_recv(self.sock, 8192), 5)).decode()
            if data.startswith("SIP/2.0"):
                return data
            self._answer(data)

    async def notify(self) -> str:
        loop = asyncio.get_running_loop()
        while True:
            data = (await asyncio.wait_for(loop.sock_recv(self.sock, 8192), 5)).decode()
            if data.startswith("NOTIFY"):
                self._answer(data)
                return data

    def _answer(self, notify: str) -> None:
        head = notify.split("\r\n\r\n")[0].split("\r\n")
        kept = [
            h
            for h in head[1:]
            if h.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")
        ]
        reply = "\r\n".join(["SIP/2.0 200 OK", *kept, "Content-Length: 0", "", ""])
        self.sock.sendto(reply.encode(), self.remote)
        self.notifies.append(notify)

    async def subscribe(
        self, target: str, call_id: str, expires: int = 600, to_tag: str = ""
    ) -> str:
        """The final response to a SUBSCRIBE (after answering its 401)."""
        loop = asyncio.get_running_loop()
        first = self.request(target, call_id, expires, to_tag, "")
        await loop.sock_sendto(self.sock, first.encode(), self.remote)
        challenge = await self.response()
        assert challenge.startswith("SIP/2.0 401"), challenge
        nonce = re.search(r'nonce="([^"]+)"', challenge)
        assert nonce is not None
        header = SipAuthorization(
            username="1001",
            uri=f"sip:{target}",
            realm=DEMO_DOMAIN,
            nonce=nonce.group(1),
            response=None,
        )
        header.algorithm = "MD5"
        header.qop, header.nc, header.cnonce = "auth", "00000001", "c0ffee"
        header.genAuthResponse(password(DEMO, "1001"), "SUBSCRIBE", None)
        second = self.request(target, call_id, expires, to_tag, str(header))
        await loop.sock_sendto(self.sock, second.encode(), self.remote)
        return await self.response()


def status(response: str) -> str:
    return response.split("\r\n")[0]


def header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*)$", message, re.IGNORECASE | re.MULTILINE)
    assert found is not None, message
    return found.group(1).strip()


def watching(pbx: PbxService) -> int:
    subscriptions = pbx._subscriptions
    assert subscriptions is not None
    return subscriptions.count(EVENT)


async def test_other_tenants_and_unknown_extensions_are_refused(pbx: PbxService) -> None:
    phone = RawPhone(pbx)
    try:
        refused = await phone.subscribe(f"1002@{ACME_DOMAIN}", "r1")
        assert status(refused) == "SIP/2.0 403 Forbidden"
        unknown = await phone.subscribe(f"1999@{DEMO_DOMAIN}", "r2")
        assert status(unknown) == "SIP/2.0 404 Not Found"
        assert status(await phone.subscribe(f"1002@{DEMO_DOMAIN}", "r3")) == "SIP/2.0 200 OK"
    finally:
        phone.close()
    assert watching(pbx) == 1  # the colleague's only


async def test_refresh_bounds_wrong_dialog_and_unsubscribe(pbx: PbxService) -> None:
    phone = RawPhone(pbx)
    target = f"1002@{DEMO_DOMAIN}"
    try:
        accepted = await phone.subscribe(target, "k1", expires=600)
        assert (status(accepted), header(accepted, "Expires")) == ("SIP/2.0 200 OK", "600")
        tag = re.search(r";tag=([^;\s]+)", header(accepted, "To"))
        assert tag is not None
        first = await phone.notify()
        assert header(first, "Subscription-State") == "active;expires=600"
        assert 'version="0" state="full"' in first

        refreshed = await phone.subscribe(target, "k1", expires=5, to_tag=tag.group(1))
        assert (status(refreshed), header(refreshed, "Expires")) == ("SIP/2.0 200 OK", "60")
        again = await phone.notify()  # the refresh's NOTIFY: the next version, the new expiry
        assert header(again, "Subscription-State") == "active;expires=60"
        assert 'version="1"' in again

        stranger = await phone.subscribe(target, "k1", expires=600, to_tag="not-ours")
        assert status(stranger) == "SIP/2.0 481 Subscription Does Not Exist"
        assert watching(pbx) == 1

        ended = await phone.subscribe(target, "k1", expires=0, to_tag=tag.group(1))
        assert (status(ended), header(ended, "Expires")) == ("SIP/2.0 200 OK", "0")
        last = await phone.notify()
        assert header(last, "Subscription-State").startswith("terminated")
    finally:
        phone.close()
    assert watching(pbx) == 0
