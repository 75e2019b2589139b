"""`agent_ui.mount(app)`: what the web process serves at /agent, without a browser; and static
checks of the client's source (no HTML injection sinks, nothing loaded from elsewhere)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette

import agent_ui
from agent_ui import STATIC_DIR, AgentUiConfig, CodeOption
from common.event_types import TERMINAL_CALL_EVENTS


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run in a thread of its own: the session's Playwright keeps a loop in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent.test")


def test_mount_serves_the_client_at_agent() -> None:
    app = FastAPI()
    agent_ui.mount(app)

    async def check() -> None:
        async with _client(app) as client:
            await _check_served(app, client)

    _run(check())


async def _check_served(app: FastAPI, client: httpx.AsyncClient) -> None:
    redirect = await client.get("/agent")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/agent/"

    index = await client.get("/agent/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="./app.js">' in index.text
    csp = index.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert index.headers["x-content-type-options"] == "nosniff"

    for name, kind in (("app.js", "javascript"), ("gql.js", "javascript"), ("agent.css", "css")):
        response = await client.get(f"/agent/{name}")
        assert response.status_code == 200, name
        assert kind in response.headers["content-type"], name

    assert (await client.get("/agent/nothing-here.js")).status_code == 404
    assert (await client.get("/agent/%2e%2e/pyproject.toml")).status_code == 404
    # The client is not part of the API's OpenAPI document.
    assert all(not path.startswith("/agent") for path in app.openapi()["paths"])


def test_config_json_carries_codes_and_wrap_up() -> None:
    app = Starlette()
    config = AgentUiConfig(
        unavailable_codes=(CodeOption("lunch", {"en": "Lunch", "nl": "Lunch"}),),
        disposition_codes=(CodeOption("sale"),),
        wrap_up_seconds=25,
    )
    agent_ui.mount(app, path="/desk/", config=config)
    body: dict[str, Any] = {}

    async def fetch() -> None:
        async with _client(app) as client:
            body.update((await client.get("/desk/config.json")).json())

    _run(fetch())
    assert body["wrapUpSeconds"] == 25
    assert body["unavailableCodes"] == [{"code": "lunch", "labels": {"en": "Lunch", "nl": "Lunch"}}]
    assert body["dispositionCodes"] == [{"code": "sale", "labels": {}}]
    assert body["graphqlPath"] == "/graphql"
    assert body["tokenPath"] == "/api/v1/auth/token"
    assert body["terminalEventTypes"] == sorted(TERMINAL_CALL_EVENTS)


def test_default_config_has_dutch_and_english_labels() -> None:
    body = AgentUiConfig().to_dict()
    for option in body["unavailableCodes"] + body["dispositionCodes"]:
        assert set(option["labels"]) == {"en", "nl"}, option


def _sources() -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in sorted(STATIC_DIR.iterdir())
        if path.suffix in {".js", ".html", ".css"}
    }


def test_client_never_injects_markup() -> None:
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
    )
    offenders = {
        name: sinks.findall(text) for name, text in _sources().items() if name != "index.html"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_client_loads_nothing_from_elsewhere() -> None:
    external = re.compile(
        r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?https?:"""
    )
    assert {
        name: external.findall(text) for name, text in _sources().items() if external.search(text)
    } == {}


def test_client_keeps_no_copy_of_the_terminal_event_types() -> None:
    """The client reads them from config.json; a file naming them all holds a copy that drifts."""
    copies = [
        name
        for name, text in _sources().items()
        if all(event_type in text for event_type in TERMINAL_CALL_EVENTS)
    ]
    assert copies == []


def test_dictionaries_have_the_same_keys() -> None:
    source = (STATIC_DIR / "i18n.js").read_text()
    blocks = re.findall(r"const (en|nl) = \{(.*?)\n\};", source, flags=re.S)
    keys = {name: set(re.findall(r'^\s*"([\w.]+)":', body, flags=re.M)) for name, body in blocks}
    assert keys["en"] and keys["en"] == keys["nl"]
