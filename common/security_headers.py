"""Security headers for the product's pages: one Content-Security-Policy builder and one ASGI
wrapper that every browser page (agent client, supervisor dashboard, admin portal, the Open
CTI adapter) uses, so each page states its policy and none is served without one.

The default policy is the strictest a page of ours can live with: its own scripts, styles,
images and fonts only, requests (HTTP and websocket) to its own origin only, no plugins, no
`<base>`, no form posts elsewhere, and no framing. A page loosens only what it needs, named in
its own call (docs/security.md, "Pages").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SELF = "'self'"
NONE = "'none'"


def content_security_policy(
    *,
    script: Iterable[str] = (SELF,),
    style: Iterable[str] = (SELF,),
    connect: Iterable[str] = (SELF, "ws:", "wss:"),
    img: Iterable[str] = (SELF, "data:"),
    media: Iterable[str] = (SELF,),
    frame_ancestors: Iterable[str] = (NONE,),
) -> str:
    """`connect`: `ws:`/`wss:` because Chromium before CSP level 3 did not let `'self'` match
    the page's own websocket; the token in the socket's first message is what guards it."""
    directives = {
        "default-src": (NONE,),
        "script-src": tuple(script),
        "style-src": tuple(style),
        "img-src": tuple(img),
        "font-src": (SELF,),
        "media-src": tuple(media),
        "connect-src": tuple(connect),
        "object-src": (NONE,),
        "base-uri": (NONE,),
        "form-action": (SELF,),
        "frame-ancestors": tuple(frame_ancestors),
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def page_headers(policy: str) -> dict[str, str]:
    return {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }


class SecurityHeaders:
    """Adds `headers` to every HTTP response of the wrapped app whose path starts with
    `path_prefix` (all of them by default), replacing any the app set itself."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str], path_prefix: str = "/") -> None:
        self._app = app
        self._headers = dict(headers)
        self._prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self._prefix):
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers.items():
                    headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)
