"""The recording portal in the browser (seed 3.2.6 "Beheeromgeving"), served at `/recordings`.

Plain ES modules and CSS in `recordings_ui/static`, no build step, nothing from a CDN. It signs
in with `POST /api/v1/auth/token` and uses only `/api/v1/recordings` (docs/recordings.md).
Nothing here imports the backend (the page headers are the shared kernel's).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from common.security_headers import SELF, content_security_policy, page_headers
from common.static_client import mount_static_client

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Its own files, its own origin; audio (media-src) only from its own signed links.
SECURITY_HEADERS = {
    **page_headers(content_security_policy(media=(SELF,), connect=(SELF,))),
    "cache-control": "no-cache",
}


def mount(app: Starlette, path: str = "/recordings") -> None:
    """Serve the recordings portal at `path`; call once, after the API routes are added."""
    mount_static_client(app, path, STATIC_DIR, SECURITY_HEADERS, "recordings_ui")
