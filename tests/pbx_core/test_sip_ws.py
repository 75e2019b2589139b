"""SIP over WebSocket (RFC 7118, `pbx_core.sip.ws_transport`) with the real PBX and rtpengine:
a WebSocket client speaking SIP as a browser phone does (`.invalid` Via host and Contact),
registering with a short-lived credential (`browser_credentials.py`), called by a UDP phone."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from pbx_core import call_control as cc
from pbx_core.call_control import DEFAULT_TENANT
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from pbx_core.sip.browser_credentials import BrowserCredentials
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.support import free_port, free_sip_port, run_sipp
from tests.pbx_core.ws_phone import (
    KEY,
    PAGE,
    BrowserPhone,
    Clock,
    invited_by_udp_phone,
    udp_call_to_1001,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ws_pbx(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess, clock: Clock
) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(),
        sip_ws_port=free_port(socket.SOCK_STREAM),
        sip_ws_origins=(PAGE,),
        browser_credentials=BrowserCredentials(KEY, period=600, clock=clock),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        extension_ring_timeout=5.0,
    )
    service = PbxService(config, directory_for_tests())
    await service.start()
    yield service
    await service.stop()


def _ws_url(pbx: PbxService) -> str:
    gateway = pbx.ws_gateway
    assert gateway is not None
    return "ws://{}:{}".format(*gateway.listen_address)


async def _phone(pbx: PbxService, extension: str) -> BrowserPhone:
    websocket = await connect(_ws_url(pbx), subprotocols=["sip"], origin=PAGE)  # type: ignore[list-item,arg-type]
    return BrowserPhone(websocket, extension)


async def test_handshake_needs_the_sip_subprotocol_and_an_allowed_page(ws_pbx: PbxService) -> None:
    with pytest.raises(InvalidStatus) as no_subprotocol:
        await connect(_ws_url(ws_pbx), origin=PAGE)  # type: ignore[arg-type]
    assert no_subprotocol.value.response.status_code == 400
    with pytest.raises(InvalidStatus) as other_site:
        await connect(_ws_url(ws_pbx), subprotocols=["sip"], origin="http://evil.test")  # type: ignore[list-item,arg-type]
    assert other_site.value.response.status_code == 403


async def test_short_lived_credential_registers_its_own_extension_only(
    ws_pbx: PbxService, clock: Clock
) -> None:
    credentials = ws_pbx.config.browser_credentials
    assert credentials is not None
    password = credentials.issue(DEFAULT_TENANT, "1001").password
    phone = await _phone(ws_pbx, "1001")
    try:
        # Bound to the extension: 1002 cannot register with 1001's credential.
        other = BrowserPhone(phone.ws, "1002")
        refused = await other.register(password)
        assert refused.start_line.startswith("SIP/2.0 403"), refused.start_line
        assert ws_pbx.registration("1002") is None

        accepted = await phone.register(password)
        assert accepted.start_line.startswith("SIP/2.0 200"), accepted.start_line
        # The browser sees its own .invalid Contact; the PBX stores the connection's flow.
        assert f"{phone.instance}.invalid" in (accepted.first("contact") or "")
        binding = ws_pbx.registration("1001")
        assert binding is not None
        assert ";x-ws-flow=" in binding.contact
        assert ".invalid" not in binding.contact

        # Twenty minutes on, the credential is refused (the phone's own password is not).
        clock.now += 1200
        expired = await phone.register(password)
        assert expired.start_line.startswith("SIP/2.0 403"), expired.start_line
        renewed = await phone.register("pw1001")
        assert renewed.start_line.startswith("SIP/2.0 200"), renewed.start_line
    finally:
        await phone.ws.close()


async def test_call_to_a_browser_gets_webrtc_media_and_480_once_its_socket_is_gone(
    ws_pbx: PbxService, tmp_path: Path
) -> None:
    credentials = ws_pbx.config.browser_credentials
    assert credentials is not None
    phone = await _phone(ws_pbx, "1001")
    registered = await phone.register(credentials.issue(DEFAULT_TENANT, "1001").password)
    assert registered.start_line.startswith("SIP/2.0 200"), registered.start_line
    caller, invite = await invited_by_udp_phone(phone, ws_pbx.config.sip_port, tmp_path)
    # To the browser as RFC 7118 wants it: its own Contact, a WS Via; and WebRTC media by
    # rtpengine: DTLS-SRTP over ICE with Opus, whatever the caller's phone offered.
    assert invite.request_uri.startswith(f"sip:{phone.instance}@{phone.instance}.invalid")
    assert invite.top_via().protocol == "SIP/2.0/WS"
    sdp = invite.body.decode()
    assert "m=audio" in sdp and "UDP/TLS/RTP/SAVPF" in sdp
    assert "a=fingerprint:" in sdp and "a=candidate:" in sdp and "a=ice-ufrag:" in sdp
    assert re.search(r"a=rtpmap:\d+ opus/48000", sdp)
    await phone.respond(invite, "486 Busy Here")
    result = await caller
    assert result.returncode == 0, result.errors

    await phone.ws.close()
    call = udp_call_to_1001(ws_pbx.config.sip_port, tmp_path)
    gone = await run_sipp("ext_call_fails_480.xml", **call)
    assert gone.returncode == 0, gone.errors


async def test_click_to_dial_rings_a_browser_phone_with_the_auto_answer_hint(
    ws_pbx: PbxService,
) -> None:
    """The browser phone answers its own click-to-dial by itself (docs/webrtc.md): the PBX's
    INVITE to a binding registered over the WebSocket gateway carries `answer-after=0`."""
    credentials = ws_pbx.config.browser_credentials
    assert credentials is not None
    phone = await _phone(ws_pbx, "1001")
    registered = await phone.register(credentials.issue(DEFAULT_TENANT, "1001").password)
    assert registered.start_line.startswith("SIP/2.0 200"), registered.start_line
    ws_pbx.send(cc.Dial("c2d-browser", "1001", "1002", ring_timeout=5))
    invite = await phone.message()
    while invite.method != "INVITE":
        invite = await phone.message()
    assert invite.first("call-info") == "<sip:pbx>;answer-after=0"
    await phone.respond(invite, "486 Busy Here")
