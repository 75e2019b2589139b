"""The Dash supervisor dashboard, mounted into the CTI web process at `/supervisor/`: its
settings, the app and its API clients, and the sign-in and sign-out callbacks.

`mount(app)` must run before the FastAPI app starts (Dash adds a middleware). Live updates come
by push (`live_board`), actions through the API (`action_callbacks`), reports from the REST
reports (`reports_page`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from common.redis_keys import DEFAULT_PREFIX
from common.security_headers import SELF, SecurityHeaders, content_security_policy, page_headers
from supervisor_ui import (
    action_callbacks,
    insight,
    layout,
    reports_page,
    schedules_page,
    what_if_page,
)
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.hub import LiveHub
from supervisor_ui.live import LiveSource, RedisLiveSource
from supervisor_ui.live_board import LivePush, Timing
from supervisor_ui.reports_api import ReportsApi
from supervisor_ui.schedules_api import SchedulesApi
from supervisor_ui.what_if_api import WhatIfApi

ASSETS = Path(__file__).with_name("assets")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class SupervisorSettings:
    redis_url: str | None = None
    """None: the Redis of the CTI app it is mounted in (its `app.state.services.settings`),
    else `REDIS_URL`, else 127.0.0.1:6379."""
    key_prefix: str | None = None
    """None: the key prefix of the CTI app, else `OPENCC_KEY_PREFIX`, else `opencc`."""
    api_base_url: str | None = None
    """The CTI API; None calls the app it is mounted in, in-process (ASGI), still over its
    public HTTP routes."""
    path: str = "/supervisor/"
    timezone: str = "Europe/Amsterdam"
    """Where "today" starts for the KPIs."""
    tick_seconds: float = 1.0
    session_check_seconds: float = 2.0
    token_recheck_seconds: float = 60.0
    source_factory: Callable[[], LiveSource] | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _no_catchall() -> None:
    return None


class SupervisorDashboard:
    """The Dash app plus what its callbacks share (the hub, the API client)."""

    def __init__(self, server: FastAPI, settings: SupervisorSettings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self._server = server
        factory = settings.source_factory or self._redis_source
        self.hub = LiveHub(factory, self.zone)
        self._api: SupervisorApi | None = None
        self._reports: ReportsApi | None = None
        self._what_if: WhatIfApi | None = None
        self._schedules: SchedulesApi | None = None
        self._push = LivePush(
            self.hub,
            lambda: self.api,
            self.zone,
            Timing(
                settings.tick_seconds,
                settings.session_check_seconds,
                settings.token_recheck_seconds,
            ),
        )
        self.dash = Dash(
            __name__,
            server=cast(Any, server),
            url_base_pathname=settings.path,
            assets_folder=str(ASSETS),
            title="Supervisor",
            update_title=cast(Any, None),
            suppress_callback_exceptions=True,
            # Dash's worker closes an idle websocket after 5 minutes and does not reconnect;
            # a sign-in page left open that long would then never show the board.
            websocket_inactivity_timeout=0,
        )
        self.dash.layout = layout.page
        # Dash's FastAPI backend adds, at startup, a GET catch-all that answers every unknown
        # path of the whole server with the dashboard page (turning the API's 404s into 200s).
        # The dashboard is a single page and needs no catch-all.
        backend: Any = self.dash.backend
        backend._setup_catchall = _no_catchall
        self._register()

    def redis_target(self) -> tuple[str, str]:
        """(Redis URL, key prefix) the dashboard reads; resolved when first needed, because the
        CTI app builds its services at startup."""
        services = getattr(self._server.state, "services", None)
        cti = getattr(services, "settings", None)
        url = (
            self.settings.redis_url
            or getattr(cti, "redis_url", None)
            or os.environ.get("REDIS_URL")
            or DEFAULT_REDIS_URL
        )
        prefix = (
            self.settings.key_prefix
            or getattr(cti, "key_prefix", None)
            or os.environ.get("OPENCC_KEY_PREFIX")
            or DEFAULT_PREFIX
        )
        return str(url), str(prefix)

    def _redis_source(self) -> LiveSource:
        url, prefix = self.redis_target()
        return RedisLiveSource.from_url(url, prefix)

    def _client(self) -> httpx.AsyncClient:
        if self.settings.api_base_url:
            return httpx.AsyncClient(base_url=self.settings.api_base_url, timeout=10.0)
        transport = httpx.ASGITransport(app=self._server)
        return httpx.AsyncClient(transport=transport, base_url="http://cti.internal", timeout=10.0)

    @property
    def api(self) -> SupervisorApi:
        if self._api is None:
            self._api = SupervisorApi(self._client())
        return self._api

    @property
    def reports(self) -> ReportsApi:
        if self._reports is None:
            self._reports = ReportsApi(self._client())
        return self._reports

    @property
    def what_if(self) -> WhatIfApi:
        if self._what_if is None:
            self._what_if = WhatIfApi(self._client())
        return self._what_if

    @property
    def schedules(self) -> SchedulesApi:
        if self._schedules is None:
            self._schedules = SchedulesApi(self._client())
        return self._schedules

    async def close(self) -> None:
        await self.hub.close()
        if self._api is not None:
            await self._api.close()
            self._api = None
        if self._reports is not None:
            await self._reports.close()
            self._reports = None
        if self._what_if is not None:
            await self._what_if.close()
            self._what_if = None
        if self._schedules is not None:
            await self._schedules.close()
            self._schedules = None

    def _register(self) -> None:
        app = self.dash

        app.callback(websocket=True, persistent=True)(self._push.live)
        action_callbacks.register(app, lambda: self.api)
        reports_page.register(app, lambda: self.api, lambda: self.reports, self.zone)
        what_if_page.register(app, lambda: self.api, lambda: self.what_if, self.zone)
        schedules_page.register(app, lambda: self.api, lambda: self.schedules, self.zone)
        insight.register(app, self._client, self.zone)

        @app.callback(
            Output("session", "data"),
            Output("login-message", "children"),
            Input("login-button", "n_clicks"),
            Input("login-password", "n_submit"),
            State("login-username", "value"),
            State("login-password", "value"),
            prevent_initial_call=True,
        )
        async def sign_in(
            _clicks: int | None, _submits: int | None, username: str | None, password: str | None
        ) -> tuple[Any, str]:
            if not username or not password:
                return no_update, "Enter your username and password."
            try:
                session = await self.api.sign_in(username.strip(), password)
            except ApiError as error:
                return None, f"Sign-in failed: {error.message}."
            return session.to_store(), ""

        # The user's language (from provisioning, in the session) to the page's texts.
        app.clientside_callback(  # type: ignore[no-untyped-call]
            ClientsideFunction(namespace="i18n", function_name="fromSession"),
            Output("language", "data"),
            Input("session", "data"),
        )

        @app.callback(
            Output("session", "data", allow_duplicate=True),
            Input("logout-button", "n_clicks"),
            prevent_initial_call=True,
        )
        async def sign_out(_clicks: int | None) -> None:
            return None

        @app.callback(
            Output("login-panel", "style"),
            Output("workspace", "style"),
            Output("who", "children"),
            Output("logout-button", "style"),
            Output("ctl-phone", "value"),
            Input("session", "data"),
        )
        async def show(data: Any) -> tuple[Any, ...]:
            hidden = {"display": "none"}
            if not isinstance(data, dict) or not data.get("token"):
                return {}, hidden, "", hidden, no_update
            who = f"{data.get('username')} @ {data.get('tenant')}"
            return hidden, {}, who, {}, data.get("extension") or no_update


def mount(app: FastAPI, settings: SupervisorSettings | None = None) -> SupervisorDashboard:
    """Serve the dashboard at `settings.path` (`/supervisor/`) of `app`. Call before it starts."""
    settings = settings or SupervisorSettings()
    dashboard = SupervisorDashboard(app, settings)
    # Dash's one inline script (its renderer's start) by hash; Dash and its components set
    # styles inline, so styles alone are loosened (docs/security.md, "Pages").
    policy = content_security_policy(
        script=(SELF, *dashboard.dash.csp_hashes()), style=(SELF, "'unsafe-inline'")
    )
    app.add_middleware(SecurityHeaders, headers=page_headers(policy), path_prefix=settings.path)
    bare = settings.path.rstrip("/")
    if bare:

        async def redirect() -> RedirectResponse:
            return RedirectResponse(settings.path, status_code=307)

        app.add_api_route(bare, redirect, methods=["GET"], include_in_schema=False)

    # Close the hub (its Redis readers) when the app stops, after the app's own lifespan.
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(server: FastAPI) -> AsyncIterator[Any]:
        async with original(server) as state:
            try:
                yield state
            finally:
                with contextlib.suppress(Exception):
                    await dashboard.close()

    app.router.lifespan_context = lifespan
    app.state.supervisor_dashboard = dashboard
    return dashboard
