"""The admin portal ("Beheer", seed 3.5.2): static files served at `/admin` by the web process.

Plain pages like the agent client: ES modules and CSS in `admin_ui/static`, no build step,
nothing from a CDN. It talks to the backend only through the public admin REST API
(`/api/v1/auth/token`, `/api/v1/tenants/...`, docs/provisioning.md) with the bearer token; the
API decides what each role may do, the pages only show it.

    import admin_ui
    admin_ui.mount(app)             # app: the FastAPI (or Starlette) application

That adds `GET /admin` (redirects to `/admin/`) and the static files under `/admin/`. The
package imports Starlette only (docs/admin_ui.md).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Own files only; API calls to the own origin; announcements are played from `blob:` URLs made
# of what the API answered (an <audio> element cannot send the bearer token itself).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


class _SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)


def mount(app: Starlette, path: str = "/admin") -> None:
    """Serve the admin portal at `path`; call once, after the API routes are added."""
    path = "/" + path.strip("/")

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{path}/", status_code=307)

    app.router.routes.extend(
        [
            Route(path, redirect, methods=["GET", "HEAD"], include_in_schema=False),
            Mount(
                path,
                app=_SecurityHeaders(StaticFiles(directory=STATIC_DIR, html=True)),
                name="admin_ui",
            ),
        ]
    )
