"""The client's `graphql-transport-ws` implementation (`agent_ui/static/gql.js`) in Chromium
against a scripted websocket server, for the protocol details the real server does not exercise:
the server's ping (answered with pong), the client's own ping, the token in connection_init,
re-subscribing with the caller's fresh variables after the socket drops, `error` messages, and
giving up (no reconnect storm) when the server refuses the token with 4403.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import agent_ui
from tests.agent_ui.agent_pages import new_context
from tests.ports import free_port

PAGE = """<!doctype html><meta charset="utf-8"><title>gql</title>
<script type="module">
import { SubscriptionClient } from "/agent/gql.js";
window.log = [];
let last = null;
const token = new URLSearchParams(location.search).get("token");
const client = new SubscriptionClient(`ws://${location.host}/ws`, () => token, {
  onStatus: (s) => window.log.push("status:" + s),
  onAuthFailed: () => window.log.push("auth-failed"),
  pingIntervalMs: 300,
  pongTimeoutMs: 5000,
});
client.start();
client.subscribe(
  "subscription($after: Int) { ticks(afterSequence: $after) { sequence } }",
  () => ({ after: last }),
  (data) => { last = data.ticks.sequence; window.log.push("next:" + last); },
  (error) => window.log.push("error:" + error.code + ":" + error.message),
);
</script>"""


async def _send(ws: WebSocket, message: dict[str, Any]) -> None:
    await ws.send_text(json.dumps(message))


@dataclass
class ScriptedServer:
    """Records what the client sends; the first connection is dropped after one event."""

    inits: list[dict[str, Any]] = field(default_factory=list)
    subscribes: list[dict[str, Any]] = field(default_factory=list)
    client_pings: int = 0
    pongs: int = 0
    connections: int = 0

    def app(self) -> Starlette:
        async def page(request: Request) -> Response:
            return HTMLResponse(PAGE)

        app = Starlette(routes=[Route("/page", page), WebSocketRoute("/ws", self.ws)])
        agent_ui.mount(app)
        return app

    async def ws(self, ws: WebSocket) -> None:
        assert ws.headers.get("sec-websocket-protocol") == "graphql-transport-ws"
        await ws.accept(subprotocol="graphql-transport-ws")
        self.connections += 1
        number = self.connections
        init = json.loads(await ws.receive_text())
        self.inits.append(init)
        if init.get("payload", {}).get("Authorization") != "Bearer good-token":
            await ws.close(code=4403, reason="Forbidden")
            return
        await ws.send_text(json.dumps({"type": "connection_ack"}))
        await ws.send_text(json.dumps({"type": "ping"}))
        try:
            while True:
                message = json.loads(await ws.receive_text())
                kind = message["type"]
                if kind == "pong":
                    self.pongs += 1
                elif kind == "ping":
                    self.client_pings += 1
                    await ws.send_text(json.dumps({"type": "pong"}))
                elif kind == "subscribe":
                    self.subscribes.append(message)
                    sub_id = message["id"]
                    if number == 1:
                        payload = {"data": {"ticks": {"sequence": 41}}}
                        await ws.send_text(
                            json.dumps({"id": sub_id, "type": "next", "payload": payload})
                        )
                        # Wait for the client's own keep-alive ping, then drop the connection.
                        while self.client_pings == 0:
                            message = json.loads(await ws.receive_text())
                            if message["type"] == "ping":
                                self.client_pings += 1
                                await ws.send_text(json.dumps({"type": "pong"}))
                            elif message["type"] == "pong":
                                self.pongs += 1
                        await ws.close(code=1012)
                        return
                    payload = {"data": {"ticks": {"sequence": 42}}}
                    await ws.send_text(
                        json.dumps({"id": sub_id, "type": "next", "payload": payload})
                    )
                    errors = [{"message": "afterSequence too old", "extensions": {"code": "GONE"}}]
                    await ws.send_text(
                        json.dumps({"id": sub_id, "type": "error", "payload": errors})
                    )
        except WebSocketDisconnect:
            return


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedServer, str]]:
    server = ScriptedServer()
    port = free_port()
    config = uvicorn.Config(server.app(), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "scripted server did not start"
        time.sleep(0.02)
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def test_transport_ws_protocol_reconnect_and_resume(
    browser: Browser, scripted: tuple[ScriptedServer, str]
) -> None:
    server, base = scripted
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{base}/page?token=good-token")

    page.wait_for_function("window.log && window.log.includes('next:42')")
    page.wait_for_function("window.log.some((e) => e.startsWith('error:GONE'))")
    entries: list[str] = page.evaluate("window.log")

    assert entries[:2] == ["status:connecting", "status:connected"]
    assert "next:41" in entries and "status:reconnecting" in entries and "status:resumed" in entries
    assert entries.index("next:41") < entries.index("status:resumed") < entries.index("next:42")
    assert "error:GONE:afterSequence too old" in entries
    # The token went in connection_init, both times; the server's ping got a pong; the client
    # pinged on its own.
    assert [i["payload"] for i in server.inits] == [{"Authorization": "Bearer good-token"}] * 2
    assert server.pongs >= 1 and server.client_pings >= 1
    # First subscribe from "now"; after the drop, resumed after the last sequence delivered.
    assert [s["payload"]["variables"] for s in server.subscribes] == [
        {"after": None},
        {"after": 41},
    ]
    assert all(s["payload"]["query"].startswith("subscription") for s in server.subscribes)
    context.close()


def test_refused_token_stops_without_reconnect_storm(
    browser: Browser, scripted: tuple[ScriptedServer, str]
) -> None:
    server, base = scripted
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{base}/page?token=stale")
    page.wait_for_function("window.log && window.log.includes('auth-failed')")
    entries: list[str] = page.evaluate("window.log")
    assert "status:unauthorized" in entries
    page.wait_for_timeout(1500)  # give a wrong client time to retry; it must not
    assert server.connections == 1
    context.close()
