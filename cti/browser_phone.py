"""The product's browser phone: the PBX's SIP-over-WebSocket listener and the API endpoint that
hands out its short-lived credentials, both keyed from the installation secret (docs/webrtc.md)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI

from cti.ice_servers import parse_ice_servers
from cti.rest import sip_credential
from cti.settings import installation_secret
from pbx_core.service import PbxService
from pbx_core.sip.browser_credentials import BrowserCredentials
from pbx_core.sip.tls_context import TlsFiles

DEFAULT_WSS_PORT = 7443
"""`OPENCC_SIP_WSS_PORT` unless set (FreeSWITCH's; 5066 for `ws:` is its too)."""


def page_origins(host: str, http_port: int) -> tuple[str, ...]:
    """The agent client's own origins: only its pages may open the SIP WebSocket."""
    public = urlsplit(os.environ.get("OPENCC_PUBLIC_URL", f"http://{host}:{http_port}"))
    origins = {f"{public.scheme}://{public.netloc}", f"http://{host}:{http_port}"}
    if host == "127.0.0.1":
        origins.add(f"http://localhost:{http_port}")
    return tuple(sorted(origins))


def browser_phone_pbx_settings(
    host: str,
    http_port: int,
    ws_port: int | None,
    media: bool,
    wss: tuple[int, TlsFiles] | None = None,
) -> dict[str, Any]:
    """The `PbxConfig` fields of the browser phone (none when it is off): the plain listener
    on `ws_port`, the TLS one on `wss` (port, certificate). Without rtpengine (`media` off)
    nobody could bridge a browser's DTLS-SRTP: no listener then."""
    if (ws_port is None and wss is None) or not media:
        return {}
    return {
        "sip_ws_port": ws_port,
        **({"sip_wss_port": wss[0], "sip_wss_tls": wss[1]} if wss is not None else {}),
        "sip_ws_origins": page_origins(host, http_port),
        "browser_credentials": BrowserCredentials.derived_from(installation_secret()),
    }


def install_browser_phone(app: FastAPI, pbx: PbxService, host: str, ice_servers: str) -> None:
    """Backs `POST /api/v1/me/sip-credential` with the PBX's WebSocket listeners, if they run.
    `ice_servers`: the `OPENCC_WEBRTC_ICE_SERVERS` JSON, checked before the start."""
    plain, secure, credentials = pbx.ws_gateway, pbx.wss_gateway, pbx.config.browser_credentials
    if (plain is None and secure is None) or credentials is None:
        return  # the endpoint answers 503: no listener to register with

    def sip_domain(tenant: str) -> str:
        directory = pbx.directories.of_tenant(tenant)
        return directory.domain if directory is not None and directory.domain else host

    ws_url = "ws://{}:{}".format(*plain.listen_address) if plain is not None else None
    wss_url = wss_address(host, secure.listen_address[1]) if secure is not None else None
    url = ws_url or wss_url
    assert url is not None
    app.state.browser_phone = sip_credential.BrowserPhoneService(
        credentials, url, sip_domain, wss_url, parse_ice_servers(ice_servers)
    )


def wss_address(host: str, port: int) -> str:
    """The `wss:` URL browsers use: the name of `OPENCC_PUBLIC_URL` (the one its certificate
    is for, as a rule: a browser checks the name it connects to) or else the listening host."""
    public = os.environ.get("OPENCC_PUBLIC_URL")
    name = (urlsplit(public).hostname if public else None) or host
    return f"wss://[{name}]:{port}" if ":" in name else f"wss://{name}:{port}"
