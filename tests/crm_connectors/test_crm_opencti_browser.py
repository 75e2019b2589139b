"""The Open CTI adapter page in headless Chromium, with a stand-in `sforce.opencti` object and a
small fake of our API (REST + graphql-transport-ws) served on loopback.

Skipped when Playwright or Debian's /usr/bin/chromium are missing (no browser is downloaded).
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from crm_connectors.opencti import CALL_CENTER_DEFINITION, CONTENT_SECURITY_POLICY, adapter_app
from tests.components import CHROMIUM_ARGS, require_chromium
from tests.crm_connectors.crm_testkit import serve

TOKEN = "api-token-demo"


@dataclass
class FakeApi:
    dials: list[dict[str, Any]] = field(default_factory=list)
    dial_auth: list[str] = field(default_factory=list)
    ws_protocols: list[str] = field(default_factory=list)
    ws_init: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/calls", self.calls, methods=["POST"]),
                Route("/api/v1/screen-pop", self.screen_pop),
                WebSocketRoute("/graphql", self.graphql),
                Mount("/crm/opencti", adapter_app()),
            ]
        )

    async def calls(self, request: Request) -> Response:
        self.dial_auth.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"detail": "unauthorized"}, 401)
        self.dials.append(await request.json())
        return JSONResponse({"call_id": "call-1"}, 202)

    async def screen_pop(self, request: Request) -> Response:
        if request.query_params.get("number") == "+31201234567":
            record = {"source": "salesforce", "id": "001A", "name": "Jansen", "url": "https://x"}
            return JSONResponse({"records": [record]})
        return JSONResponse({"records": []})

    async def graphql(self, ws: WebSocket) -> None:
        self.ws_protocols.append(ws.headers.get("sec-websocket-protocol", ""))
        await ws.accept(subprotocol="graphql-transport-ws")
        init = json.loads(await ws.receive_text())
        self.ws_init.append(init)
        if init.get("payload", {}).get("Authorization") != f"Bearer {TOKEN}":
            await ws.close(code=4403)
            return
        await ws.send_text(json.dumps({"type": "connection_ack"}))
        sub = json.loads(await ws.receive_text())
        self.subscriptions.append(sub["payload"]["query"])
        await ws.send_text(json.dumps({"type": "ping"}))
        for agent, caller in (
            ("1002", "+31301111111"),
            ("1001", "+31201234567"),
            ("1001", "+31612345678"),
        ):
            event = {
                "type": "CALL_OFFERED",
                "callId": f"c-{caller}",
                "callCenterId": "7001",
                "caller": caller,
                "agent": agent,
            }
            payload = {"data": {"queueEvents": event}}
            await ws.send_text(json.dumps({"id": sub["id"], "type": "next", "payload": payload}))
        # Keep the socket open until the page goes away.
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return


STUB = """
window.__sf = [];
window.sforce = { opencti: {
  SCREENPOP_TYPE: { SOBJECT: "sobject", URL: "url" },
  CALL_TYPE: { INBOUND: "inbound", OUTBOUND: "outbound" },
  getCallCenterSettings: function (a) { a.callback({ success: true, returnValue: {
    "/reqGeneralInfo/reqAdapterUrl": "ignored",
    "/ccSettings/apiBaseUrl": "%(base)s/",
    "/ccSettings/apiToken": "%(token)s" } }); },
  enableClickToDial: function (a) {
    window.__sf.push(["enableClickToDial"]); a.callback({ success: true }); },
  onClickToDial: function (a) { window.__sf.push(["onClickToDial"]); window.__dial = a.listener; },
  screenPop: function (a) { window.__sf.push(["screenPop", a]); },
  searchAndScreenPop: function (a) { window.__sf.push(["searchAndScreenPop", a]); }
} };
"""


def wait_until(page: Any, expression: str, timeout_s: float = 30) -> None:
    """Poll `expression` from the test: Playwright's `wait_for_function` evaluates it with
    `eval` inside the page, which the adapter's CSP (rightly) forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {expression}")
        page.wait_for_timeout(50)


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_click_to_dial_and_screen_pop_both_directions(browser: Any) -> None:
    api = FakeApi()
    with serve(api.app()) as base:
        page = browser.new_page()
        page.add_init_script(STUB % {"base": base, "token": TOKEN})
        page.goto(f"{base}/crm/opencti/softphone.html?extension=1001")

        # Incoming: CALL_OFFERED for 1001 pops the indexed Salesforce record, an unknown caller
        # falls back to Salesforce's own search, and 1002's call is not ours.
        wait_until(page, "window.__sf.filter(c => c[0].indexOf('creenPop') > 0).length >= 2")
        pops = [c for c in page.evaluate("window.__sf") if "creenPop" in c[0]]
        # The two calls' screen-pop lookups run concurrently: either may pop first.
        assert sorted(pops, key=json.dumps) == [
            ["screenPop", {"type": "sobject", "params": {"recordId": "001A"}}],
            [
                "searchAndScreenPop",
                {"searchParams": "+31612345678", "callType": "inbound", "deferred": False},
            ],
        ]
        assert api.ws_protocols == ["graphql-transport-ws"]
        assert api.ws_init[0] == {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {TOKEN}"},
        }
        assert "queueEvents" in api.subscriptions[0]
        assert page.inner_text("#status") == "connected"

        # Outgoing: Salesforce's click-to-dial reaches POST /api/v1/calls with the API token.
        assert ["enableClickToDial"] in page.evaluate("window.__sf")
        page.evaluate(
            "window.__dial({number: '+31201234567', recordId: '001A',"
            " recordName: 'Jansen', objectType: 'Account'})"
        )
        wait_until(page, "document.getElementById('status').textContent.startsWith('dial')")
        assert page.inner_text("#status") == "dialling +31201234567"
        assert api.dials == [{"extension": "1001", "destination": "+31201234567"}]
        assert api.dial_auth == [f"Bearer {TOKEN}"]
        page.close()


def test_call_center_definition_has_the_required_items() -> None:
    root = ET.parse(CALL_CENTER_DEFINITION).getroot()
    items = {item.get("name"): (item.text or "") for item in root.iter("item")}
    for required in ("reqInternalName", "reqDisplayName", "reqAdapterUrl", "reqUseApi"):
        assert items[required]
    assert items["reqSalesforceCompatibilityMode"] == "Lightning"
    assert items["reqAdapterUrl"].startswith("https://")
    assert "apiBaseUrl" in items and "apiToken" in items


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://acme.my.salesforce.com.evil.example",
        "http://acme.my.salesforce.com",
        "https://acme.my.salesforce.com/x",
        "javascript:alert(1)//",
    ],
)
def test_only_a_salesforce_origin_may_serve_the_open_cti_library(browser: Any, origin: str) -> None:
    api = FakeApi()
    with serve(api.app()) as base:
        page = browser.new_page()
        loaded: list[str] = []
        page.on("request", lambda request: loaded.append(request.url))
        answer = page.goto(f"{base}/crm/opencti/softphone.html?sfdcIframeOrigin={origin}")
        assert answer is not None
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors https://*.salesforce.com" in CONTENT_SECURITY_POLICY
        wait_until(page, "document.getElementById('status').textContent !== 'starting'")
        assert page.inner_text("#status") == "refused: not a Salesforce origin"
        assert [url for url in loaded if "opencti_min" in url] == []
        assert page.evaluate("document.querySelectorAll('script[src*=opencti_min]').length") == 0
        page.close()
