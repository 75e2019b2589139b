"""The recording portal in the browser (seed 3.2.6 "Beheeromgeving"), served at `/recordings`.

Plain ES modules and CSS in `recordings_ui/static`, no build step, nothing from a CDN. It signs
in with `POST /api/v1/auth/token` and uses only `/api/v1/recordings` (docs/recordings.md).
Nothing here imports the backend.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Its own files, its own origin; audio (media-src) only from its own signed links.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


class _Page(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount(app: Starlette, path: str = "/recordings") -> None:
    path = "/" + path.strip("/")

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{path}/", status_code=307)

    app.router.routes.extend(
        [
            Route(path, redirect, methods=["GET", "HEAD"], include_in_schema=False),
            Mount(path, app=_Page(directory=STATIC_DIR, html=True), name="recordings_ui"),
        ]
    )
