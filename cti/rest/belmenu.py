"""Bel-me-nu (seed 3.3.6, docs/group-services.md): the tenant admin's buttons, the public
callback endpoint a company's website posts to, and the snippet that website embeds.

The public endpoint has no user token (the visitor is anonymous). What guards it, in order:
the button id (random, 404 when unknown), the page's `Origin` (exactly one of the button's
origins, else 403; CORS answers name only that origin), a per-address request budget (every
request counts, so a flood of garbage is cut off too), the visitor number (cti/belmenu.py, 422),
then the button's and the number's budgets (429 with `Retry-After`). Refusals name the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import Field

from cti.belmenu import Refusal, RequestCounter, Scope, visitor_number
from cti.control import ControlError
from cti.rest.deps import Services
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.rest.provisioning_schemas import Extension, InputModel
from provisioning.belmenu import BelmenuButtons, ButtonSpec, ButtonView
from provisioning.errors import NotFound
from provisioning.service import ProvisioningService

SNIPPET_PATH = "/belmenu/button.js"
SNIPPET = (Path(__file__).parent.parent / "static" / "belmenu" / "button.js").read_bytes()
BUTTON_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
MAX_BODY = 1024
"""Bytes of a callback request: `{"number": "..."}` is far smaller."""


def get_buttons(service: Provisioning) -> BelmenuButtons:
    return BelmenuButtons(service)


Buttons = Annotated[BelmenuButtons, Depends(get_buttons)]

# ---------------------------------------------------------------------------------------------
# The tenant admin's buttons

admin_router = APIRouter(prefix="/api/v1/tenants", tags=["provisioning"], responses=ERRORS)


class ButtonIn(InputModel):
    label: str = Field(min_length=1, max_length=100, examples=["Bel mij terug"])
    destination: Extension = Field(description="Extension of the user whose phone rings first")
    origins: list[str] = Field(
        min_length=1,
        max_length=20,
        description="Exact origins of the pages that may use the button",
        examples=[["https://www.example.nl"]],
    )
    international: bool = Field(False, description="Visitors abroad may be called back too")
    enabled: bool = True

    def spec(self) -> ButtonSpec:
        return ButtonSpec(
            self.label, self.destination, tuple(self.origins), self.international, self.enabled
        )


@admin_router.get("/{tenant}/belmenu-buttons")
async def list_buttons(tenant: TenantId, _: Reader, buttons: Buttons) -> list[ButtonView]:
    return await call(buttons.all, tenant)


@admin_router.post("/{tenant}/belmenu-buttons", status_code=status.HTTP_201_CREATED)
async def create_button(
    tenant: TenantId, body: ButtonIn, admin: Writer, buttons: Buttons
) -> ButtonView:
    """A new button with a random public id, the `data-button` of the website's snippet."""
    return await call(buttons.create, admin.username, tenant, body.spec())


@admin_router.get("/{tenant}/belmenu-buttons/{button}")
async def get_button(tenant: TenantId, button: str, _: Reader, buttons: Buttons) -> ButtonView:
    return await call(buttons.get, tenant, button)


@admin_router.put("/{tenant}/belmenu-buttons/{button}")
async def replace_button(
    tenant: TenantId, button: str, body: ButtonIn, admin: Writer, buttons: Buttons
) -> ButtonView:
    return await call(buttons.replace, admin.username, tenant, button, body.spec())


@admin_router.delete("/{tenant}/belmenu-buttons/{button}", status_code=204)
async def delete_button(tenant: TenantId, button: str, admin: Writer, buttons: Buttons) -> None:
    await call(buttons.delete, admin.username, tenant, button)


# ---------------------------------------------------------------------------------------------
# The public endpoint and the snippet

public_router = APIRouter(tags=["belmenu"])


def _looks_like_id(button: str) -> bool:
    """What `secrets.token_urlsafe` makes: checked before SQL or HTML sees it."""
    return BUTTON_ID.fullmatch(button) is not None


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _refused(
    code: int, field: str, reason: str, origin: str | None = None, retry_after: int | None = None
) -> JSONResponse:
    headers = _cors(origin) if origin is not None else {"Vary": "Origin"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"detail": {"field": field, "reason": reason}}, code, headers=headers)


async def _button(
    service: ProvisioningService, button: str, request: Request
) -> ButtonView | JSONResponse:
    """The button when the page's origin may use it, else the refusal."""
    if not _looks_like_id(button):
        return _refused(404, "button", "no such Bel-me-nu button")
    try:
        view = await call(BelmenuButtons(service).get, None, button)
    except NotFound:
        return _refused(404, "button", "no such Bel-me-nu button")
    origin = request.headers.get("origin")
    if origin is None:
        return _refused(403, "origin", "a Bel-me-nu request comes from a web page (Origin)")
    if origin not in view.origins:
        return _refused(403, "origin", f"{origin} may not use this button")
    return view


async def _body(request: Request) -> dict[str, Any] | None:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY:
            return None
    try:
        parsed = json.loads(received)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


@public_router.options("/api/v1/public/belmenu/{button}", include_in_schema=False)
async def preflight(button: str, request: Request, service: Provisioning) -> Response:
    found = await _button(service, button, request)
    if isinstance(found, JSONResponse):
        return found
    headers = {
        **_cors(request.headers["origin"]),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


@public_router.post(
    "/api/v1/public/belmenu/{button}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        403: {"description": "Origin not allowed for the button, or the button is off"},
        404: {"description": "No such button"},
        422: {"description": "Not a number to call back; body names `field` and `reason`"},
        429: {"description": "Too many requests (address, button or number); `Retry-After`"},
        503: {"description": "The company cannot be called now"},
    },
)
async def request_callback(
    button: str, request: Request, service: Provisioning, services: Services
) -> Response:
    """A visitor asks to be called back: the button's extension rings first (showing the
    visitor's number), then the visitor is called over the carrier trunk; a button of a call
    center's number queues the callback there instead, called back in its turn
    (docs/callback.md). Body: `{"number": "0612345678"}`."""
    found = await _button(service, button, request)
    if isinstance(found, JSONResponse):
        return found
    origin = request.headers["origin"]
    counter = RequestCounter(
        services.redis, services.settings.key_prefix, services.settings.belmenu_limits
    )
    address = request.client.host if request.client is not None else "unknown"
    wait = await counter.take(Scope.ADDRESS, address)
    if wait is not None:
        return _refused(429, "address", "too many requests from this address", origin, wait)
    if not found.enabled:
        return _refused(403, "button", "this button is switched off", origin)
    body = await _body(request)
    if body is None or not isinstance(body.get("number"), str):
        return _refused(422, "number", 'send {"number": "..."} as JSON', origin)
    number = visitor_number(body["number"], found.international)
    if isinstance(number, Refusal):
        return _refused(422, number.field, number.reason, origin)
    for scope, subject in ((Scope.BUTTON, found.id), (Scope.NUMBER, number)):
        wait = await counter.take(scope, subject)
        if wait is not None:
            reason = f"too many callback requests for this {scope.value}"
            return _refused(429, scope.value, reason, origin, wait)
    control = services.control
    try:
        queues = {cc.number for cc in await control.call_centers(found.tenant)}
        if found.destination in queues:
            await control.book_callback(found.tenant, found.destination, number)
            status = "queued"
        elif (calls := getattr(request.app.state, "belmenu_calls", None)) is not None:
            # The product's process, where the PBX is: a user or a hunt group by its policy.
            calls.call_back(found.tenant, found.destination, number)
            status = "calling"
        else:  # a web worker without the PBX: the engine's click-to-dial of a licensed agent
            await control.click_to_dial(found.tenant, found.destination, number)
            status = "calling"
    except ControlError as error:
        return _refused(503, "button", f"cannot call now ({error.code})", origin)
    return JSONResponse({"status": status}, 202, headers=_cors(origin))


@public_router.get("/belmenu/try/{button}", include_in_schema=False)
async def preview(button: str) -> Response:
    """A page with nothing but the button, for the admin to try it (its origin, the product's
    own, must be among the button's origins like any site's)."""
    if not _looks_like_id(button):
        return Response("no such button", 404, media_type="text/plain")
    page = (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Bel-me-nu</title>'
        f'</head><body><script src="{SNIPPET_PATH}" data-button="{button}"></script>'
        "</body></html>"
    )
    headers = {"Content-Security-Policy": "default-src 'none'; script-src 'self'; "
               "connect-src 'self'"}  # fmt: skip
    return Response(page, media_type="text/html", headers=headers)


@public_router.get(SNIPPET_PATH, include_in_schema=False)
async def snippet() -> Response:
    headers = {
        "Cache-Control": "public, max-age=300",
        # Embedded by the company's own pages, on another site than this one.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(SNIPPET, media_type="text/javascript", headers=headers)
