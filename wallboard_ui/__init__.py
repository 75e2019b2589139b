"""The wallboard: one call center's figures, large, for a TV on the wall, served at `/wallboard`.

A plain read-only page like the admin portal: an ES module and CSS in `wallboard_ui/static`, no
build step, nothing from a CDN. It reads only `GET /api/v1/wallboards/{id}/stream` (Server-Sent
Events, through `fetch` so the bearer token goes in a header, never in a URL the server logs),
with the kiosk token it finds in the page's fragment (`/wallboard/#cc=7001&token=okiosk_...`).
What is red is decided by the API (cti/wallboard.py); the page only draws it (docs/wallboard.md).

    import wallboard_ui
    wallboard_ui.mount(app)
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from common.security_headers import SELF, content_security_policy, page_headers
from common.static_client import mount_static_client

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Own files only, and requests to the own origin only (the stream is a plain fetch).
SECURITY_HEADERS = {
    **page_headers(content_security_policy(connect=(SELF,))),
    "cache-control": "no-cache",
}


def mount(app: Starlette, path: str = "/wallboard") -> None:
    """Serve the wallboard at `path`; call once, after the API routes are added."""
    mount_static_client(app, path, STATIC_DIR, SECURITY_HEADERS, "wallboard_ui")
