"""Salesforce Open CTI softphone adapter: static files, served with a Content-Security-Policy.

Mount `adapter_app()` at `/crm/opencti` (the product does); `callcenter.xml` is the call center
definition file a Salesforce admin imports. The page holds an API token, so it may run only our
script and Salesforce's Open CTI library, talk only to our own server, and be framed only by
Salesforce (docs/crm.md).
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADAPTER_DIR = Path(__file__).resolve().parent
SOFTPHONE_PAGE = ADAPTER_DIR / "softphone.html"
CALL_CENTER_DEFINITION = ADAPTER_DIR / "callcenter.xml"

SALESFORCE_SOURCES = (
    "https://*.salesforce.com https://*.force.com https://*.visualforce.com"
    " https://*.salesforce-setup.com"
)
"""Where Salesforce frames the softphone from and serves `opencti_min.js`; softphone.js
accepts only these as `sfdcIframeOrigin` too."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' {SALESFORCE_SOURCES}",
        "connect-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # the page's one <style> block
        f"frame-ancestors {SALESFORCE_SOURCES}",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


class _WithHeaders:
    """Adds fixed response headers to every answer of the wrapped ASGI app."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self._headers]}
            await send(message)

        await self._app(scope, receive, send_with_headers)


def adapter_app() -> ASGIApp:
    return _WithHeaders(
        StaticFiles(directory=ADAPTER_DIR, html=True),
        {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
