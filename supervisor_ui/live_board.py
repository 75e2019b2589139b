"""The live board's push: one persistent websocket callback per browser (architecture decision
6) that follows the browser's session, waits on its tenant's feed or the next clock tick, and
sends with `set_props` only what changed since that browser's last frame.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dash import ctx, set_props
from dash.exceptions import PreventUpdate, WebsocketDisconnected

from supervisor_ui import layout
from supervisor_ui.api_client import ApiError, CallCenterInfo, Session, SupervisorApi
from supervisor_ui.frames import frame as frame_of
from supervisor_ui.frames import to_json
from supervisor_ui.hub import LiveHub, TenantFeed


@dataclass(frozen=True)
class Timing:
    """How often the live loop ticks and checks the browser's session and token."""

    tick_seconds: float
    session_check_seconds: float
    token_recheck_seconds: float


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


class LivePush:
    """The websocket callback (`live`) and what it shares: the hub and the API client."""

    def __init__(
        self, hub: LiveHub, api: Callable[[], SupervisorApi], zone: ZoneInfo, timing: Timing
    ) -> None:
        self._hub = hub
        self._api = api
        self._zone = zone
        self._timing = timing

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
                next_tick = self._timing.tick_seconds - (now % self._timing.tick_seconds)
                await feed.wait_newer(version, min(next_tick, self._timing.session_check_seconds))
        except WebsocketDisconnected:
            pass
        finally:
            if board.feed is not None:
                self._hub.release(board.feed)
        raise PreventUpdate

    async def _follow_session(self, board: Board, ws: Any) -> None:
        """Notices sign-in and sign-out (the browser's `session` store) and expired tokens."""
        now = time.monotonic()
        if (
            board.session is not None
            and now - board.checked_at < self._timing.session_check_seconds
        ):
            return
        data = await ws.get_prop("session", "data", timeout=10.0)
        board.checked_at = now
        token = data.get("token") if isinstance(data, dict) else None
        if token == board.token:
            if (
                board.session is not None
                and now - board.verified_at > self._timing.token_recheck_seconds
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
            session, centers = await self._api().session_for(token)
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
            board.feed = await self._hub.acquire(session.tenant)

    def _leave(self, board: Board) -> None:
        if board.feed is not None:
            self._hub.release(board.feed)
        board.feed = None
        board.session = None
        board.centers = []
        board.sent.clear()

    def _render(self, board: Board, feed: TenantFeed, now: float) -> None:
        """Sends what changed since this browser's last frame.

        A frame (every part as JSON text) is built once per audience, version and second and
        shared by every browser that sees the same call centers: per browser only a string
        comparison and a queue put remain (serialize once per audience, decision 4)."""
        # The thresholds are part of the audience: browsers that read the settings before and
        # after a change must not share a frame.
        audience = tuple((c.id, c.service_level_seconds) for c in board.centers)
        key = ("frame", audience, int(now))
        frame = feed.cache.get(key)
        if frame is None:
            frame = feed.cache[key] = frame_of(feed, audience, now, self._zone)
        for component, prop, text in frame:
            board.send(component, prop, text)
