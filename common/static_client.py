"""Serving a browser client's static files under one path with its page headers: `GET /x`
redirects to `/x/`, and every file under `/x/` is answered with the client's headers. The
agent client, the admin portal and the recordings portal are each mounted this way."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from common.security_headers import SecurityHeaders


def mount_static_client(
    app: Starlette, path: str, directory: Path, headers: Mapping[str, str], name: str
) -> str:
    """Serve `directory` at `path` (normalised to `/x`, which it returns); call once, after
    the API routes are added."""
    path = "/" + path.strip("/")

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{path}/", status_code=307)

    app.router.routes.extend(
        [
            Route(path, redirect, methods=["GET", "HEAD"], include_in_schema=False),
            Mount(
                path,
                app=SecurityHeaders(StaticFiles(directory=directory, html=True), headers),
                name=name,
            ),
        ]
    )
    return path
