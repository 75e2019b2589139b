"""The product with a certificate for SIP over WSS (`OPENCC_SIP_WSS_CERT`, docs/webrtc.md):
the credential endpoint names the `wss:` URL next to the `ws:` one, and a browser phone
registers over it with that credential; a certificate that cannot be read stops the start
with a message that names it."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from cti.demo import banner
from cti.product import Product, ProductSettings, run_product
from cti.product_checks import ProductError
from pbx_core.sip.tls_context import TlsFiles
from tests.cti.cti_clients import login
from tests.pbx_core.support import free_port, free_sip_port
from tests.pbx_core.ws_phone import BrowserPhone
from tests.product_harness import ProductThread
from tests.tls_certs import client_context, self_signed


def test_credential_names_the_wss_listener_and_a_browser_registers_there(
    tmp_path: Path,
) -> None:
    certificate = self_signed(tmp_path)
    wss_port = free_port(socket.SOCK_STREAM)
    product = ProductThread.start(
        tmp_path / "var",
        "wss",
        sip_ws_port=free_port(socket.SOCK_STREAM),
        sip_wss_port=wss_port,
        sip_wss_tls=certificate,
    )
    try:
        product.loop.run(_register_over_wss(product, certificate, wss_port), timeout=90)
    finally:
        product.stop()


async def _register_over_wss(product: ProductThread, certificate: TlsFiles, port: int) -> None:
    token = await login(product.base_url, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        response = await http.post(
            "/api/v1/me/sip-credential", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    credential = response.json()
    assert credential["ws_url"] == f"ws://127.0.0.1:{product.settings.sip_ws_port}"
    assert credential["wss_url"] == f"wss://127.0.0.1:{port}"
    websocket = await connect(
        credential["wss_url"],
        ssl=client_context(certificate),
        subprotocols=["sip"],  # type: ignore[list-item]
        origin=product.base_url,  # type: ignore[arg-type]
    )
    try:
        domain = credential["uri"].split("@", 1)[1]
        phone = BrowserPhone(websocket, credential["username"], domain)
        registered = await phone.register(credential["password"])
        assert registered.start_line.startswith("SIP/2.0 200"), registered.start_line
    finally:
        await websocket.close()


def test_an_unreadable_certificate_stops_the_start_with_its_name(tmp_path: Path) -> None:
    settings = replace(
        ProductSettings(
            http_port=free_port(socket.SOCK_STREAM),
            sip_port=free_sip_port(),
            var_dir=tmp_path / "var",
            sip_ws_port=None,
            sip_wss_port=free_port(socket.SOCK_STREAM),
        ),
        sip_wss_tls=TlsFiles(tmp_path / "missing.crt", tmp_path / "missing.key"),
    )
    with pytest.raises(ProductError, match=r"OPENCC_SIP_WSS_CERT.*missing\.crt cannot be read"):
        asyncio.run(run_product(settings))
    assert not (tmp_path / "var").exists()  # refused before anything was made


def test_make_demo_reads_the_wss_settings_and_shows_the_listener(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OPENCC_SIP_WSS_KEY", "OPENCC_PUBLIC_URL", "OPENCC_MEDIA", "OPENCC_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENCC_SIP_WS_PORT", "5066")
    monkeypatch.setenv("OPENCC_SIP_WSS_CERT", "/etc/opencc/sip.pem")
    monkeypatch.setenv("OPENCC_SIP_WSS_PORT", "8443")
    settings = ProductSettings.from_env(demo=True)
    assert settings.sip_wss_tls == TlsFiles(Path("/etc/opencc/sip.pem"))  # key in the same file
    assert settings.sip_wss_port == 8443
    assert "ws://127.0.0.1:5066  wss://127.0.0.1:8443" in banner(settings, Product())

    monkeypatch.delenv("OPENCC_SIP_WSS_CERT")
    monkeypatch.delenv("OPENCC_SIP_WSS_PORT")
    plain = ProductSettings.from_env(demo=True)
    assert (plain.sip_wss_tls, plain.sip_wss_port) == (None, 7443)
    assert "wss:" not in banner(plain, Product())
