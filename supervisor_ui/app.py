"""The Dash supervisor dashboard, mounted into the CTI web process at `/supervisor/`.

`mount(app)` must run before the FastAPI app starts (Dash adds a middleware). Live updates come
by push: one persistent websocket callback per browser (architecture decision 6) waits on the
tenant's feed (`supervisor_ui.hub`) and sends, with `set_props`, only what changed. Actions are
ordinary callbacks that call the CTI GraphQL API with the supervisor's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
from dash import Dash, Input, Output, State, ctx, no_update, set_props
from dash import _utils as dash_utils
from dash.exceptions import PreventUpdate, WebsocketDisconnected
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from common.redis_keys import DEFAULT_PREFIX
from supervisor_ui import layout, reports_page, views
from supervisor_ui.actions import ACTIONS, ActionInput, LiveIndex, perform
from supervisor_ui.api_client import ApiError, CallCenterInfo, Session, SupervisorApi
from supervisor_ui.hub import LiveHub, TenantFeed
from supervisor_ui.live import (
    LiveSnapshot,
    LiveSource,
    RedisLiveSource,
    agents_of,
    visible,
)
from supervisor_ui.reports_api import ReportsApi

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

to_json = cast(Callable[[Any], str], dash_utils.to_json)
"""Dash's own serializer (plotly's JSON encoder), as `set_props` uses it."""


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
    service_level_seconds: float = 20.0
    tick_seconds: float = 1.0
    session_check_seconds: float = 2.0
    token_recheck_seconds: float = 60.0
    source_factory: Callable[[], LiveSource] | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Board:
    """One browser's view: the JSON text it was last sent per property, so only changes go."""

    ws: Any = None
    sent: dict[tuple[str, str], str] = field(default_factory=dict)
    token: str | None = None
    session: Session | None = None
    centers: list[CallCenterInfo] = field(default_factory=list)
    feed: TenantFeed | None = None
    checked_at: float = 0.0
    verified_at: float = 0.0

    def push(self, component: str, prop: str, value: Any) -> None:
        self.send(component, prop, to_json(value))

    def send(self, component: str, prop: str, text: str) -> None:
        key = (component, prop)
        if self.sent.get(key) == text:
            return
        self.sent[key] = text
        queue = getattr(self.ws, "_outbound_queue", None)
        renderer = getattr(self.ws, "_renderer_id", None)
        if queue is None or renderer is None:
            set_props(component, {prop: json.loads(text)})
            return
        if self.ws.is_shutdown:
            return
        # What `set_props` queues, with the value serialized once for every browser.
        queue.sync_q.put_nowait(
            '{"type":"set_props","rendererId":'
            + json.dumps(renderer)
            + ',"payload":{"componentId":'
            + json.dumps(component)
            + ',"props":{'
            + json.dumps(prop)
            + ":"
            + text
            + "}}}"
        )


def _no_catchall() -> None:
    return None


class SupervisorDashboard:
    """The Dash app plus what its callbacks share (the hub, the API client)."""

    def __init__(self, server: FastAPI, settings: SupervisorSettings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self._server = server
        factory = settings.source_factory or self._redis_source
        self.hub = LiveHub(factory, self.zone, threshold_seconds=settings.service_level_seconds)
        self._api: SupervisorApi | None = None
        self._reports: ReportsApi | None = None
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

    async def close(self) -> None:
        await self.hub.close()
        if self._api is not None:
            await self._api.close()
            self._api = None
        if self._reports is not None:
            await self._reports.close()
            self._reports = None

    # The live loop (one per browser).

    async def live(self) -> None:
        ws = ctx.websocket
        if ws is None:
            raise PreventUpdate
        board = Board(ws=ws)
        try:
            while not ws.is_shutdown:
                await self._follow_session(board, ws)
                feed = board.feed
                if feed is None or board.session is None:
                    await asyncio.sleep(0.25)
                    continue
                version = feed.version
                self._render(board, feed, time.time())
                now = time.time()
                next_tick = self.settings.tick_seconds - (now % self.settings.tick_seconds)
                await feed.wait_newer(version, min(next_tick, self.settings.session_check_seconds))
        except WebsocketDisconnected:
            pass
        finally:
            if board.feed is not None:
                self.hub.release(board.feed)
        raise PreventUpdate

    async def _follow_session(self, board: Board, ws: Any) -> None:
        """Notices sign-in and sign-out (the browser's `session` store) and expired tokens."""
        now = time.monotonic()
        if (
            board.session is not None
            and now - board.checked_at < self.settings.session_check_seconds
        ):
            return
        data = await ws.get_prop("session", "data", timeout=10.0)
        board.checked_at = now
        token = data.get("token") if isinstance(data, dict) else None
        if token == board.token:
            if (
                board.session is not None
                and now - board.verified_at > self.settings.token_recheck_seconds
            ):
                await self._verify(board, str(token), recheck=True)
            return
        self._leave(board)
        if token:
            await self._verify(board, str(token))
        else:
            board.token = None
            set_props("board", {"children": []})

    async def _verify(self, board: Board, token: str, recheck: bool = False) -> None:
        """Asks the API who the token is and which call centers it may see."""
        try:
            session, centers = await self.api.session_for(token)
        except ApiError as error:
            self._leave(board)
            set_props("live-status", {"children": f"Not signed in: {error.message}"})
            if error.code in ("UNAUTHENTICATED", "FORBIDDEN"):
                board.token = token  # the same bad token is not asked about again
                set_props("session", {"data": None})
            else:
                board.token = None  # the API may be back soon: ask again
                await asyncio.sleep(1.0)
            return
        board.token = token
        board.verified_at = time.monotonic()
        if recheck and [c.id for c in centers] == [c.id for c in board.centers]:
            return
        board.session = session
        board.centers = centers
        board.sent.clear()
        set_props(
            "board",
            {"children": [layout.section(c.id, c.name, c.number, c.tier) for c in centers]},
        )
        options = [{"label": f"{c.name} ({c.number})", "value": c.id} for c in centers]
        board.push("ctl-target", "options", options)
        board.push("ctl-cc", "options", options)
        if board.feed is None:
            board.feed = await self.hub.acquire(session.tenant)

    def _leave(self, board: Board) -> None:
        if board.feed is not None:
            self.hub.release(board.feed)
        board.feed = None
        board.session = None
        board.centers = []
        board.sent.clear()

    def _render(self, board: Board, feed: TenantFeed, now: float) -> None:
        """Sends what changed since this browser's last frame.

        A frame (every part as JSON text) is built once per audience, version and second and
        shared by every browser that sees the same call centers: per browser only a string
        comparison and a queue put remain (serialize once per audience, decision 4)."""
        ids = tuple(c.id for c in board.centers)
        key = ("frame", ids, int(now))
        frame = feed.cache.get(key)
        if frame is None:
            frame = feed.cache[key] = self._frame(feed, ids, now)
        for component, prop, text in frame:
            board.send(component, prop, text)

    def _frame(
        self, feed: TenantFeed, ids: tuple[str, ...], now: float
    ) -> list[tuple[str, str, str]]:
        snapshot = visible(feed.snapshot, ids)
        frame: list[tuple[str, str, str]] = []
        tick = int(now)
        if feed.sections_tick != tick:
            feed.sections.clear()
            feed.sections_tick = tick
        for center in snapshot.call_centers:
            # Sections are shared between audiences and survive events elsewhere.
            key = (
                center,
                agents_of(snapshot, center),
                tuple(
                    c
                    for c in snapshot.calls
                    if c.call_center_id == center.id or c.agent in center.members
                ),
                feed.stats.changes.get(center.id, 0),
                feed.error,
            )
            parts = feed.sections.get(key)
            if parts is None:
                parts = feed.sections[key] = self._render_center(snapshot, feed, center.id, now)
            frame.extend(parts)
        status = (
            feed.error
            if feed.error
            else f"live · event {feed.last_sequence}"
            if feed.last_sequence >= 0
            else "live"
        )
        waiting_options = [
            {
                "label": f"{c.number} {c.name} · #{w.position} {w.caller} (prio {w.priority})",
                "value": w.call_id,
            }
            for c in snapshot.call_centers
            for w in c.waiting_calls
        ]
        agent_options = [
            {"label": f"{a.extension} {a.name}".strip() + f" · {a.state}", "value": a.extension}
            for a in snapshot.agents
        ]
        index = {
            "waiting": {
                w.call_id: {"cc": c.id, "caller": w.caller}
                for c in snapshot.call_centers
                for w in c.waiting_calls
            },
            "agent_calls": {
                call.agent: call.call_id
                for call in snapshot.calls
                if call.phase in ("CONNECTED", "HELD")
            },
            "centers": {c.id: {"name": c.name, "tier": c.tier} for c in snapshot.call_centers},
        }
        frame += [
            ("live-status", "children", to_json(status)),
            ("ctl-call", "options", to_json(waiting_options)),
            ("ctl-agent", "options", to_json(agent_options)),
            ("live-index", "data", to_json(index)),
        ]
        return frame

    def _render_center(
        self, snapshot: LiveSnapshot, feed: TenantFeed, center_id: str, now: float
    ) -> list[tuple[str, str, str]]:
        center = snapshot.call_center(center_id)
        assert center is not None
        stats = feed.stats
        threshold = self.settings.service_level_seconds

        def sid(part: str) -> str:
            return layout.section_id(center_id, part)

        waiting = layout.waiting_table(views.waiting_rows(center, now), threshold)
        forecast = views.staffing(snapshot, center, stats, now)
        values: list[tuple[str, str, Any]] = [
            (sid("switches"), "children", views.switches_text(center)),
            (sid("kpis"), "children", views.kpi_tiles(center, stats, now)),
            (sid("waiting"), "children", waiting),
            (
                sid("agents"),
                "children",
                layout.agents_table(views.agent_rows(snapshot, center, now)),
            ),
            (sid("staffing"), "children", views.staffing_panel(forecast)),
            (sid("incoming"), "figure", views.incoming_figure(snapshot, center, now, threshold)),
            (sid("intervals"), "figure", views.interval_figure(center, stats, self.zone)),
            (sid("sl"), "figure", views.service_level_figure(center, stats, self.zone)),
            (sid("mix"), "figure", views.state_mix_figure(snapshot, center)),
        ]
        return [(component, prop, to_json(value)) for component, prop, value in values]

    # Callbacks.

    def _register(self) -> None:
        app = self.dash

        app.callback(websocket=True, persistent=True)(self.live)
        reports_page.register(app, lambda: self.api, lambda: self.reports, self.zone)

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

        @app.callback(
            Output("selected-call", "data"),
            Input("ctl-call", "value"),
            prevent_initial_call=True,
        )
        async def remember(call_id: str | None) -> Any:
            return call_id if call_id else no_update

        buttons = {f"btn-{action}": action for action in ACTIONS}

        @app.callback(
            Output("action-message", "children"),
            Output("action-message", "className"),
            [Input(button, "n_clicks") for button in buttons],
            State("session", "data"),
            State("ctl-call", "value"),
            State("ctl-target", "value"),
            State("ctl-priority", "value"),
            State("ctl-position", "value"),
            State("ctl-phone", "value"),
            State("ctl-agent", "value"),
            State("ctl-state", "value"),
            State("ctl-reason", "value"),
            State("ctl-cc", "value"),
            State("ctl-night", "value"),
            State("ctl-forward-to", "value"),
            State("live-index", "data"),
            State("selected-call", "data"),
            prevent_initial_call=True,
        )
        async def act(*values: Any) -> tuple[str, str]:
            triggered = ctx.triggered_id
            if triggered not in buttons:
                raise PreventUpdate
            clicks = values[: len(buttons)]
            if not any(clicks):
                raise PreventUpdate
            (
                session,
                call_id,
                target,
                priority,
                position,
                phone,
                agent,
                state,
                reason,
                call_center,
                night,
                forward_to,
                index,
                last_selected,
            ) = values[len(buttons) :]
            if not isinstance(session, dict) or not session.get("token"):
                return "Sign in first.", "message error"
            given = ActionInput(
                call_id=call_id,
                target_call_center=target,
                priority=priority,
                position=position,
                phone=phone,
                agent=agent,
                agent_state=state,
                reason=reason,
                call_center=call_center,
                night=night,
                forward_to=forward_to,
                last_selected_call=last_selected,
            )
            outcome = await perform(
                self.api, str(session["token"]), buttons[triggered], given, LiveIndex.of(index)
            )
            return outcome.message, "message ok" if outcome.ok else "message error"


def mount(app: FastAPI, settings: SupervisorSettings | None = None) -> SupervisorDashboard:
    """Serve the dashboard at `settings.path` (`/supervisor/`) of `app`. Call before it starts."""
    settings = settings or SupervisorSettings()
    dashboard = SupervisorDashboard(app, settings)
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
