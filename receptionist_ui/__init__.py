"""The receptionist console in the browser (seed 3.2.3, docs/receptionist.md), served at
`/receptionist`.

Plain ES modules and CSS in `receptionist_ui/static`, no build step, nothing from a CDN. It signs
in with `POST /api/v1/auth/token` and uses `/api/v1/receptionist` (REST, and its Server-Sent
Events stream read with `fetch`); its browser phone is the agent client's (`/agent/softphone.js`
and JsSIP, same origin) with `POST /api/v1/me/sip-credential` and the PBX's SIP WebSocket.
Nothing here imports the backend (the page headers are the shared kernel's).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from common.security_headers import content_security_policy, page_headers
from common.static_client import mount_static_client

__all__ = ["STATIC_DIR", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Files of its own origin only (its own and the agent client's softphone); its own origin, and
# the browser phone's SIP WebSocket (another port of the PBX: `ws:`/`wss:`, as the agent's).
SECURITY_HEADERS = {
    **page_headers(content_security_policy()),
    "cache-control": "no-cache",
}


def mount(app: Starlette, path: str = "/receptionist") -> None:
    """Serve the console at `path`; call once, after the API routes are added."""
    mount_static_client(app, path, STATIC_DIR, SECURITY_HEADERS, "receptionist_ui")
