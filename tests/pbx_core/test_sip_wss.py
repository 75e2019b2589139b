"""SIP over secure WebSocket (`wss:`, `WsTransportGateway` with TLS) with the real PBX and
rtpengine: a certificate made in the test, a TLS WebSocket client speaking SIP as JsSIP does,
registering with a short-lived credential and called by a UDP phone; the certificate checks of
`pbx_core.sip.tls_context`; plaintext and garbage on the TLS port."""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from pbx_core.call_control import DEFAULT_TENANT
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from pbx_core.sip.browser_credentials import BrowserCredentials
from pbx_core.sip.tls_context import TlsConfigError, TlsFiles, server_context
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.support import free_port, free_sip_port
from tests.pbx_core.ws_phone import KEY, PAGE, BrowserPhone, invited_by_udp_phone
from tests.tls_certs import client_context, self_signed


@pytest.fixture
def certificate(tmp_path: Path) -> TlsFiles:
    return self_signed(tmp_path)


@pytest.fixture
async def wss_pbx(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess, certificate: TlsFiles
) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(),
        sip_wss_port=free_port(socket.SOCK_STREAM),  # and no plain ws listener
        sip_wss_tls=certificate,
        sip_ws_origins=(PAGE,),
        browser_credentials=BrowserCredentials(KEY, period=600),
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


def _address(pbx: PbxService) -> tuple[str, int]:
    gateway = pbx.wss_gateway
    assert gateway is not None and pbx.ws_gateway is None
    return gateway.listen_address


def _wss_url(pbx: PbxService) -> str:
    return "wss://{}:{}".format(*_address(pbx))


async def _phone(pbx: PbxService, certificate: TlsFiles, extension: str) -> BrowserPhone:
    websocket = await connect(
        _wss_url(pbx),
        ssl=client_context(certificate),
        subprotocols=["sip"],  # type: ignore[list-item]
        origin=PAGE,  # type: ignore[arg-type]
    )
    return BrowserPhone(websocket, extension)


async def _password(pbx: PbxService, extension: str) -> str:
    credentials = pbx.config.browser_credentials
    assert credentials is not None
    return credentials.issue(DEFAULT_TENANT, extension).password


async def test_handshake_over_tls_needs_the_sip_subprotocol_and_an_allowed_page(
    wss_pbx: PbxService, certificate: TlsFiles
) -> None:
    tls = client_context(certificate)
    with pytest.raises(InvalidStatus) as no_subprotocol:
        await connect(_wss_url(wss_pbx), ssl=tls, origin=PAGE)  # type: ignore[arg-type]
    assert no_subprotocol.value.response.status_code == 400
    with pytest.raises(InvalidStatus) as other_site:
        await connect(_wss_url(wss_pbx), ssl=tls, subprotocols=["sip"], origin="https://evil.test")  # type: ignore[list-item,arg-type]
    assert other_site.value.response.status_code == 403


async def test_a_browser_registers_over_wss_and_is_called_there(
    wss_pbx: PbxService, certificate: TlsFiles, tmp_path: Path
) -> None:
    phone = await _phone(wss_pbx, certificate, "1001")
    try:
        # A credential of another extension is refused, its own one registers.
        refused = await BrowserPhone(phone.ws, "1002").register(await _password(wss_pbx, "1001"))
        assert refused.start_line.startswith("SIP/2.0 403"), refused.start_line
        registered = await phone.register(await _password(wss_pbx, "1001"))
        assert registered.start_line.startswith("SIP/2.0 200"), registered.start_line
        binding = wss_pbx.registration("1001")
        assert binding is not None and ";x-ws-flow=" in binding.contact

        caller, invite = await invited_by_udp_phone(phone, wss_pbx.config.sip_port, tmp_path)
        assert invite.request_uri.startswith(f"sip:{phone.instance}@{phone.instance}.invalid")
        assert invite.top_via().protocol == "SIP/2.0/WSS"
        # In-dialog requests come back over this TLS socket (sippy's Contact says so).
        assert "transport=wss" in (invite.first("contact") or "")
        sdp = invite.body.decode()
        assert "UDP/TLS/RTP/SAVPF" in sdp and "a=fingerprint:" in sdp
        await phone.respond(invite, "486 Busy Here")
        result = await caller
        assert result.returncode == 0, result.errors
    finally:
        await phone.ws.close()


async def test_plaintext_and_garbage_on_the_wss_port_do_not_hurt_the_pbx(
    wss_pbx: PbxService, certificate: TlsFiles
) -> None:
    host, port = _address(wss_pbx)
    # A plain ws: client, a SIP-over-TCP phone, and random bytes: each is dropped.
    with pytest.raises((OSError, InvalidHandshake)):
        await connect(f"ws://{host}:{port}", subprotocols=["sip"], origin=PAGE, open_timeout=30)  # type: ignore[list-item,arg-type]
    for junk in (
        b"REGISTER sip:127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n",
        secrets.token_bytes(4096),
    ):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(junk)
        answer = await _read_until_closed(reader)  # the server hangs up: a TLS alert at most
        assert b"SIP/2.0" not in answer
        writer.close()
    # A client that opens TCP and never says anything holds no slot others need: the PBX still
    # serves a TLS browser that comes after all of them.
    idle_reader, idle_writer = await asyncio.open_connection(host, port)
    phone = await _phone(wss_pbx, certificate, "1003")
    try:
        registered = await phone.register(await _password(wss_pbx, "1003"))
        assert registered.start_line.startswith("SIP/2.0 200"), registered.start_line
        assert not idle_reader.at_eof()  # the idle one waits for its handshake meanwhile
    finally:
        await phone.ws.close()
        idle_writer.close()


async def _read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """What the server sends before it closes (a TLS alert at most), waiting generously."""
    received = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(4096), 30):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_certificate_problems_are_named_at_start_up(tmp_path: Path) -> None:
    good = self_signed(tmp_path, name="good")
    other = self_signed(tmp_path, name="other")
    assert good.key_file is not None and other.key_file is not None

    context = server_context(good)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2

    missing = TlsFiles(tmp_path / "nowhere.crt", good.key_file)
    with pytest.raises(TlsConfigError, match=r"certificate file .*nowhere\.crt cannot be read"):
        server_context(missing)
    with pytest.raises(TlsConfigError, match=r"private key file .* cannot be read: Is a directory"):
        server_context(TlsFiles(good.cert_file, tmp_path))
    with pytest.raises(TlsConfigError, match="the key is not the certificate's"):
        server_context(TlsFiles(good.cert_file, other.key_file))
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    with pytest.raises(TlsConfigError, match=r"not\.pem .*cannot be used"):
        server_context(TlsFiles(not_pem, good.key_file))


async def test_a_pbx_with_a_missing_certificate_does_not_start(
    redis_prefix: str, prompts_dir: Path, tmp_path: Path
) -> None:
    port = free_port(socket.SOCK_STREAM)
    config = PbxConfig(
        sip_port=free_sip_port(),
        sip_wss_port=port,
        sip_wss_tls=TlsFiles(tmp_path / "absent.crt", tmp_path / "absent.key"),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        prompts_dir=prompts_dir,
    )
    service = PbxService(config, directory_for_tests())
    with pytest.raises(TlsConfigError, match=r"absent\.crt cannot be read"):
        await service.start()
    # Nothing was left running: the SIP port is free again.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", config.sip_port))
