"""The admin portal ("Beheer", seed 3.5.2): static files served at `/admin` by the web process.

Plain pages like the agent client: ES modules and CSS in `admin_ui/static`, no build step,
nothing from a CDN. It talks to the backend only through the public admin REST API
(`/api/v1/auth/token`, `/api/v1/tenants/...`, docs/provisioning.md) with the bearer token; the
API decides what each role may do, the pages only show it.

    import admin_ui
    admin_ui.mount(app)             # app: the FastAPI (or Starlette) application

That adds `GET /admin` (redirects to `/admin/`) and the static files under `/admin/`. The
package imports Starlette and the shared page headers only (docs/admin_ui.md).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from common.security_headers import SELF, content_security_policy, page_headers
from common.static_client import mount_static_client

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Own files only; API calls to the own origin; announcements are played from `blob:` URLs made
# of what the API answered (an <audio> element cannot send the bearer token itself).
SECURITY_HEADERS = {
    **page_headers(content_security_policy(media=("blob:",), connect=(SELF,))),
    "cache-control": "no-cache",
}


def mount(app: Starlette, path: str = "/admin") -> None:
    """Serve the admin portal at `path`; call once, after the API routes are added."""
    mount_static_client(app, path, STATIC_DIR, SECURITY_HEADERS, "admin_ui")
