"""What the product checks before it starts anything (docs/cti.md): its ports free, the
certificates of its TLS listeners usable, the browser phones' ICE servers well formed, and no
published demo password reachable from other machines. Each refusal is a `ProductError` whose
message says what to change. A malformed `REDIS_URL` or `DATABASE_URL` is refused here too."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import TYPE_CHECKING

from common.database_url import DatabaseUrlError, engine_url
from common.redis_connect import check_url
from cti.demo_company import DEMO_TENANT
from cti.ice_servers import IceServersError, parse_ice_servers
from cti.product_children import DEFAULT_REDIS_URL, rtpengine_redis_target
from cti.provisioning_demo import published_demo_logins
from cti.sip_tls import certificate_problem
from cti.users import UserDirectory
from provisioning.service import ProvisioningService

if TYPE_CHECKING:
    from cti.product import ProductSettings


def check_before_start(settings: ProductSettings) -> None:
    """Ports and certificates: refused here, nothing has started yet."""
    _check_ports_free(settings)
    if settings.redis_url is not None:
        try:
            check_url(settings.redis_url)
        except ValueError as error:
            raise ProductError(f"REDIS_URL {error}") from error
    if settings.database_url is not None:
        try:  # a host list (primary, replica) mistyped: before a child is given it
            engine_url(settings.database_url)
        except DatabaseUrlError as error:
            raise ProductError(f"DATABASE_URL: {error}") from error
    for problem in (
        certificate_problem(settings.sip_tls, "SIP over TLS", "OPENCC_SIP_TLS"),
        # No media: no WebSocket listener, so its certificate is not used either.
        certificate_problem(settings.sip_wss_tls if settings.media else None, "SIP over WSS",
                            "OPENCC_SIP_WSS"),
    ):  # fmt: skip
        if problem is not None:
            raise ProductError(problem)
    try:
        parse_ice_servers(settings.webrtc_ice_servers)
    except IceServersError as error:
        raise ProductError(str(error)) from error
    if settings.media and settings.rtpengine is None:
        try:  # its own rtpengine's sessions: never in the product's own Redis DB
            rtpengine_redis_target(
                settings.redis_url or DEFAULT_REDIS_URL, settings.rtpengine_redis_db
            )
        except ValueError as error:
            raise ProductError(str(error)) from error


class ProductError(RuntimeError):
    """The product cannot start (a port in use, a missing program); the message says which."""


def _check_ports_free(settings: ProductSettings) -> None:
    for kind, port, name in (
        (socket.SOCK_STREAM, settings.http_port, "HTTP (OPENCC_HTTP_PORT)"),
        (socket.SOCK_DGRAM, settings.sip_port, "SIP (OPENCC_SIP_PORT)"),
        *(
            [(socket.SOCK_STREAM, settings.sip_ws_port, "SIP over WebSocket (OPENCC_SIP_WS_PORT)")]
            if settings.sip_ws_port is not None
            else []
        ),
        *(
            [(socket.SOCK_STREAM, settings.sip_wss_port, "SIP over WSS (OPENCC_SIP_WSS_PORT)")]
            if settings.sip_wss_tls is not None
            else []
        ),
        *(
            [(socket.SOCK_STREAM, settings.sip_tls_port, "SIP over TLS (OPENCC_SIP_TLS_PORT)")]
            if settings.sip_tls is not None
            else []
        ),
    ):
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((settings.host, port))
            except OSError as exc:
                raise ProductError(
                    f"{name} port {settings.host}:{port} is in use ({exc.strerror});"
                    " stop what uses it or choose another port"
                ) from exc


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def refuse_published_passwords_beyond_loopback(
    host: str, provisioning: ProvisioningService, users: UserDirectory
) -> None:
    """The demo's passwords are in the contract, for everyone to read: an installation reachable
    from other machines must not let them sign in (issue 14, "no demo in production")."""
    if _is_loopback(host):
        return
    published = await asyncio.to_thread(published_demo_logins, provisioning, users, DEMO_TENANT)
    if published:
        raise ProductError(
            f"refusing to serve on {host}: the demo accounts {', '.join(published)} still sign"
            " in with their published passwords; change them (admin portal or API) or serve on"
            " 127.0.0.1"
        )
