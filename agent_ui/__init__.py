"""The agent's browser client: static files served at `/agent` by the web process.

The client is a plain-JavaScript single-page app (ES modules and CSS in `agent_ui/static`, no build
step, nothing from a CDN). It talks to the backend only through the public API: REST
`POST /api/v1/auth/token` for signing in, GraphQL over HTTP at `/graphql` for queries and mutations
and GraphQL subscriptions over `graphql-transport-ws` on the same path for live updates.

The web process serves it with one call::

    import agent_ui
    agent_ui.mount(app)             # app: the FastAPI (or Starlette) application

That adds `GET /agent` (redirects to `/agent/`), `GET /agent/config.json` (the client's settings,
see `AgentUiConfig`, with the contract's terminal event types) and the static files under `/agent/`.
Nothing here imports the backend: the package depends on Starlette and the shared kernel
(`common/`) only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from common.event_types import TERMINAL_CALL_EVENTS
from common.security_headers import SecurityHeaders, content_security_policy, page_headers

__all__ = ["STATIC_DIR", "AgentUiConfig", "CodeOption", "mount"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The client's files (index.html, *.js, *.css), served as they are."""

# The page loads only its own files and talks only to its own origin (http + websocket).
SECURITY_HEADERS = {**page_headers(content_security_policy()), "cache-control": "no-cache"}


@dataclass(frozen=True)
class CodeOption:
    """An unavailable (reason) code or a disposition code: the code sent to the API and labels.

    `labels` maps a language (`en`, `nl`) to the text shown; without one the code itself shows.
    """

    code: str
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "labels": dict(self.labels)}


def _option(code: str, en: str, nl: str) -> CodeOption:
    return CodeOption(code, {"en": en, "nl": nl})


DEFAULT_UNAVAILABLE_CODES: tuple[CodeOption, ...] = (
    _option("lunch", "Lunch", "Lunch"),
    _option("break", "Break", "Pauze"),
    _option("meeting", "Meeting", "Overleg"),
    _option("training", "Training", "Training"),
    _option("backoffice", "Back office", "Backoffice"),
)
DEFAULT_DISPOSITION_CODES: tuple[CodeOption, ...] = (
    _option("resolved", "Resolved", "Opgelost"),
    _option("information", "Information given", "Informatie gegeven"),
    _option("sale", "Sale", "Verkoop"),
    _option("callback", "Call back", "Terugbellen"),
    _option("complaint", "Complaint", "Klacht"),
    _option("wrong-number", "Wrong number", "Verkeerd verbonden"),
)


@dataclass(frozen=True)
class AgentUiConfig:
    """Settings the client reads from `/agent/config.json` at start.

    The API has no query for reason codes, disposition codes or a call center's wrap-up time yet,
    so the web process passes them here (defaults: the demo company's).
    """

    unavailable_codes: tuple[CodeOption, ...] = DEFAULT_UNAVAILABLE_CODES
    disposition_codes: tuple[CodeOption, ...] = DEFAULT_DISPOSITION_CODES
    wrap_up_seconds: int = 10
    """Length of the wrap-up countdown when the server does not say (demo: 10 s everywhere)."""
    graphql_path: str = "/graphql"
    token_path: str = "/api/v1/auth/token"
    product_name: str = "OpenCC"

    def to_dict(self) -> dict[str, Any]:
        return {
            "unavailableCodes": [c.to_dict() for c in self.unavailable_codes],
            "dispositionCodes": [c.to_dict() for c in self.disposition_codes],
            "wrapUpSeconds": self.wrap_up_seconds,
            "graphqlPath": self.graphql_path,
            "tokenPath": self.token_path,
            "productName": self.product_name,
            # The contract's terminal event types, from their one definition (common/), so the
            # client never keeps a copy of the list that could drift.
            "terminalEventTypes": sorted(TERMINAL_CALL_EVENTS),
        }


def mount(app: Starlette, path: str = "/agent", config: AgentUiConfig | None = None) -> None:
    """Serve the agent client at `path` (default `/agent`) on a FastAPI/Starlette app.

    Call it once, after the API routes are added; it adds three routes and nothing else.
    """
    path = "/" + path.strip("/")
    settings = config or AgentUiConfig()
    payload = settings.to_dict()

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{path}/", status_code=307)

    async def client_config(request: Request) -> Response:
        return JSONResponse(payload, headers=SECURITY_HEADERS)

    app.router.routes.extend(
        [
            Route(path, redirect, methods=["GET", "HEAD"], include_in_schema=False),
            Route(f"{path}/config.json", client_config, methods=["GET"], include_in_schema=False),
            Mount(
                path,
                app=SecurityHeaders(StaticFiles(directory=STATIC_DIR, html=True), SECURITY_HEADERS),
                name="agent_ui",
            ),
        ]
    )
