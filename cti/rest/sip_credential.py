"""`POST /api/v1/me/sip-credential`: a short-lived SIP password for the browser phone of the
signed-in user's own extension (docs/security.md, "Browser phone credentials")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel

from cti.ice_servers import IceServer
from cti.principal import Role
from cti.rest.deps import CurrentPrincipal
from pbx_core.sip.browser_credentials import BrowserCredentials

router = APIRouter(
    prefix="/api/v1/me",
    tags=["browser phone"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "An API token, or an account without an extension"},
        503: {"description": "The PBX has no WebSocket listener"},
    },
)


@dataclass(frozen=True, slots=True)
class BrowserPhoneService:
    """What the endpoint needs from the product (kept on `app.state.browser_phone`)."""

    credentials: BrowserCredentials
    ws_url: str
    """The plain `ws:` listener's URL, or the `wss:` one's when only that runs."""
    sip_domain: Callable[[str], str]
    """The SIP domain of a tenant (its phones' AOR host and digest realm)."""
    wss_url: str | None = None
    """The TLS listener's (`wss:`), when a certificate is configured."""
    ice_servers: tuple[IceServer, ...] = ()
    """`OPENCC_WEBRTC_ICE_SERVERS` (cti/ice_servers.py)."""


class SipCredential(BaseModel):
    username: str
    """The SIP (and digest) user: the extension."""
    password: str
    """Good for SIP digest as this extension only, until `expires_at`."""
    uri: str
    """The AOR to register: `sip:<extension>@<tenant's SIP domain>`."""
    ws_url: str
    """SIP over WebSocket (RFC 7118, subprotocol `sip`)."""
    wss_url: str | None
    """The same over TLS, if the server has a certificate: what a page served over https must
    use (browsers refuse `ws:` from it)."""
    ice_servers: list[IceServer]
    """The browser's `iceServers` (STUN/TURN); empty: rtpengine's own candidates suffice."""
    expires_at: datetime
    refresh_after: datetime
    """Fetch a new credential at this time (registrations renew with it)."""


def _service(request: Request) -> BrowserPhoneService:
    service: BrowserPhoneService | None = getattr(request.app.state, "browser_phone", None)
    if service is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no browser phone listener")
    return service


def _phone_user(principal: CurrentPrincipal) -> tuple[str, str]:
    """(tenant, extension) of a signed-in person with a phone. Only people get one: an API token
    (a CRM plugin, a script) may not act as a phone. Checked before anything else is looked at."""
    if principal.role is Role.API or principal.api_token_id is not None or not principal.extension:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a browser phone needs a user's extension")
    return principal.tenant, principal.extension


@router.post("/sip-credential")
async def issue(
    phone_user: Annotated[tuple[str, str], Depends(_phone_user)],
    service: Annotated[BrowserPhoneService, Depends(_service)],
    response: Response,
) -> SipCredential:
    """A credential bound to the caller's own extension in its own tenant."""
    tenant, extension = phone_user
    credential = service.credentials.issue(tenant, extension)
    response.headers["Cache-Control"] = "no-store"  # a password: no cache may keep it
    return SipCredential(
        username=credential.username,
        password=credential.password,
        uri=f"sip:{extension}@{service.sip_domain(tenant)}",
        ws_url=service.ws_url,
        wss_url=service.wss_url,
        ice_servers=list(service.ice_servers),
        expires_at=datetime.fromtimestamp(credential.expires_at, UTC),
        refresh_after=datetime.fromtimestamp(credential.refresh_after, UTC),
    )
