"""Health, Prometheus metrics and screen-pop over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
from redis.asyncio import Redis

from cti.app import create_app
from cti.event_log import EventLog
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_server import METRICS_TOKEN, ThreadServer
from tests.cti.cti_world import World, wait_for_subscribers


async def test_healthz(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        response = await http.get("/healthz")
    assert response.json() == {"status": "ok", "redis": True}


METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def test_metrics_need_the_metrics_token(world: World) -> None:
    """Issue 19: /metrics was public and named every tenant, number and CRM connector."""
    admin = await login(world.server.base_url, "admin", "pwadmin")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        for headers in (
            {},
            {"Authorization": f"Bearer {admin}"},  # a user's token is not the scraper's
            {"Authorization": f"Bearer {METRICS_TOKEN}x"},
            {"Authorization": f"Basic {METRICS_TOKEN}"},
        ):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "tenant" not in refused.text and "opencc_" not in refused.text
        allowed = await http.get("/metrics", headers=METRICS_AUTH)
        assert allowed.status_code == 200 and 'tenant="acme"' in allowed.text
        assert (await http.get("/healthz")).status_code == 200


async def test_metrics_are_off_without_a_metrics_token(world: World) -> None:
    settings = dataclasses.replace(world.server.app.state.services.settings, metrics_token=None)
    server = ThreadServer(create_app(settings))
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            off = await http.get("/metrics", headers=METRICS_AUTH)
            assert off.status_code == 404
            assert off.json()["detail"] == "metrics are off: set OPENCC_METRICS_TOKEN"
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await asyncio.to_thread(server.stop)


async def test_metrics_show_live_state_and_events(world: World, redis: Redis, prefix: str) -> None:
    token = await login(world.server.base_url, "admin", "pwadmin")
    log = EventLog(redis, prefix)
    # Events are counted by this process's reader, which follows tenants with subscribers.
    async with ws_session(world.server.ws_url, token) as session:
        stream = session.subscribe(request("subscription { queueEvents { sequence } }"))
        first = asyncio.ensure_future(anext(stream))
        await wait_for_subscribers(world, 1)
        await log.append_many([event(1), event(2)])
        async with asyncio.timeout(10):
            await first
        await stream.aclose()
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        text = (await http.get("/metrics", headers=METRICS_AUTH)).text
    assert 'opencc_calls_waiting{call_center="7001",tenant="demo"} 2.0' in text
    assert 'opencc_calls_waiting{call_center="8001",tenant="acme"} 1.0' in text
    assert 'opencc_agents{state="SIGN_OUT",tenant="demo"} 10.0' in text
    assert 'opencc_agents{state="AVAILABLE",tenant="acme"} 1.0' in text
    assert "opencc_sip_transactions 3.0" in text
    assert 'opencc_sip_messages_total{direction="received"} 41.0' in text
    assert 'opencc_sip_messages_total{direction="sent"} 40.0' in text
    assert "# TYPE opencc_sip_messages_total counter" in text
    assert 'opencc_events_total{tenant="demo"}' in text
    assert "opencc_events_per_second" in text


async def test_screen_pop_rest(world: World) -> None:
    base = world.server.base_url
    agent = await login(base, "1001", "pw1001")
    acme = await login(base, "1001@acme", "pwacme1001")
    async with httpx.AsyncClient(base_url=base) as http:

        async def pop(token: str, number: str) -> httpx.Response:
            return await http.get(
                "/api/v1/screen-pop",
                params={"number": number},
                headers={"Authorization": f"Bearer {token}"},
            )

        found = await pop(agent, "+31 201234567")
        assert found.status_code == 200
        assert found.json()["records"] == [
            {
                "crm": "demo-crm",
                "record_id": "42",
                "name": "Jansen Installatietechniek B.V.",
                "url": "https://crm.example/42",
                "kind": "contact",
            }
        ]
        # Another tenant asks its own CRM: nothing of demo's leaks.
        assert (await pop(acme, "+31201234567")).json()["records"] == []
        assert (await pop(agent, "<script>")).status_code == 422
