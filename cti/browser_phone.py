"""The product's browser phone: the PBX's SIP-over-WebSocket listener and the API endpoint that
hands out its short-lived credentials, both keyed from the installation secret (docs/webrtc.md)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI

from cti.rest import sip_credential
from cti.settings import installation_secret
from pbx_core.service import PbxService
from pbx_core.sip.browser_credentials import BrowserCredentials


def page_origins(host: str, http_port: int) -> tuple[str, ...]:
    """The agent client's own origins: only its pages may open the SIP WebSocket."""
    public = urlsplit(os.environ.get("OPENCC_PUBLIC_URL", f"http://{host}:{http_port}"))
    origins = {f"{public.scheme}://{public.netloc}", f"http://{host}:{http_port}"}
    if host == "127.0.0.1":
        origins.add(f"http://localhost:{http_port}")
    return tuple(sorted(origins))


def browser_phone_pbx_settings(
    host: str, http_port: int, ws_port: int | None, media: bool
) -> dict[str, Any]:
    """The `PbxConfig` fields of the browser phone (none when it is off). Without rtpengine
    (`media` off) nobody could bridge a browser's DTLS-SRTP: no listener then."""
    if ws_port is None or not media:
        return {}
    return {
        "sip_ws_port": ws_port,
        "sip_ws_origins": page_origins(host, http_port),
        "browser_credentials": BrowserCredentials.derived_from(installation_secret()),
    }


def install_browser_phone(app: FastAPI, pbx: PbxService, host: str) -> None:
    """Backs `POST /api/v1/me/sip-credential` with the PBX's WebSocket listener, if it runs."""
    gateway, credentials = pbx.ws_gateway, pbx.config.browser_credentials
    if gateway is None or credentials is None:
        return  # the endpoint answers 503: no listener to register with

    def sip_domain(tenant: str) -> str:
        directory = pbx.directories.of_tenant(tenant)
        return directory.domain if directory is not None and directory.domain else host

    ws_host, ws_port = gateway.listen_address
    app.state.browser_phone = sip_credential.BrowserPhoneService(
        credentials, f"ws://{ws_host}:{ws_port}", sip_domain
    )
