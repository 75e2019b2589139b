"""The wallboard API over real HTTP (cti/rest/wallboards.py): boards, thresholds, and kiosk
tokens attacked — a kiosk token reads its one board and is refused by every other operation
of the API, in every tenant; supervisors of other call centers, agents and other tenants are
refused; revoking ends an open stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cti.wallboard import Thresholds, wallboard
from tests.cti.cti_clients import error_codes, graphql, login
from tests.cti.cti_world import World, demo_snapshot

BOARD = "/api/v1/wallboards/7001"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"stream_recheck_seconds": 0.2, "max_connections_per_principal": 1}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def kiosk_token(world: World, who: str = "admin", password: str = "pwadmin") -> str:
    user = await login(world.server.base_url, who, password)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        made = await http.post(
            f"{BOARD}/kiosk-tokens", json={"name": "TV hall"}, headers=bearer(user)
        )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["url"] == f"/wallboard/#cc=7001&token={body['token']}"
    token: str = body["token"]
    return token


def test_red_figures_follow_the_thresholds() -> None:
    snapshot = demo_snapshot(now=1000.0)
    helpdesk = snapshot.call_centers[0]  # two calls waiting, 30 s and 5 s; nobody available
    calm = Thresholds(waiting_calls=3, longest_wait_seconds=60, available_agents=0)
    board = wallboard(helpdesk, snapshot.agents, 0.9, calm, now=1000.0)
    assert (board["waiting"], board["longest_wait_seconds"], board["red"]) == (2, 30.0, [])
    strict = Thresholds(waiting_calls=2, longest_wait_seconds=30, service_level_percent=95)
    board = wallboard(helpdesk, snapshot.agents, 0.9, strict, now=1000.0)
    assert board["red"] == ["waiting", "longest_wait", "service_level", "agents"]
    assert board["agents"] == {"SIGN_IN": 0, "AVAILABLE": 0, "UNAVAILABLE": 0, "WRAP_UP": 0,
                               "BUSY": 0}  # fmt: skip


async def test_kiosk_token_reads_its_board_with_thresholds(world: World) -> None:
    token = await kiosk_token(world)
    supervisor = await login(world.server.base_url, "supervisor", "pwsupervisor")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        board = (await http.get(BOARD, headers=bearer(token))).json()
        assert board["waiting"] == 2
        assert board["call_center"] == {"id": "7001", "name": "Helpdesk"}
        assert board["thresholds"] == Thresholds().to_dict()
        assert "waiting" not in board["red"]  # 2 wait; red at 3 by default

        lower = {**Thresholds().to_dict(), "waiting_calls": 2}
        put = await http.put(f"{BOARD}/thresholds", json=lower, headers=bearer(supervisor))
        assert put.status_code == 200, put.text
        assert "waiting" in (await http.get(BOARD, headers=bearer(token))).json()["red"]

        wrong = {**lower, "service_level_percent": 101}
        refused = await http.put(f"{BOARD}/thresholds", json=wrong, headers=bearer(supervisor))
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "service_level_percent"]


async def test_kiosk_token_is_refused_by_every_other_operation(world: World) -> None:
    token = await kiosk_token(world)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        spec = (await http.get("/openapi.json")).json()
        tried = 0
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if path == "/api/v1/wallboards/{call_center_id}" or not operation.get("security"):
                    continue  # its own board, and the public operations (sign-in, health)
                url = path.replace("{call_center_id}", "7001").replace("{tenant}", "demo")
                url = url.replace("{", "").replace("}", "")  # any other id: its name as a value
                answer = await http.request(method, url, headers=bearer(token), json={})
                assert answer.status_code == 401, (method, path, answer.text)
                tried += 1
        assert tried > 50
        # Another call center's board, GraphQL over HTTP, and GraphQL over SSE.
        assert (await http.get("/api/v1/wallboards/7002", headers=bearer(token))).status_code == 403
        stream = await http.post(
            "/graphql/stream",
            json={"query": "subscription { myCalls { sequence } }"},
            headers={**bearer(token), "Accept": "text/event-stream"},
        )
        assert "UNAUTHENTICATED" in stream.text
    body = await graphql(world.server.base_url, token, "{ callCenters { id } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_other_people_and_tenants_are_refused(world: World) -> None:
    base = world.server.base_url
    lead = await login(base, "helpdesk-lead", "pwlead")  # supervises 7001 only
    agent = await login(base, "1001", "pw1001")
    boss = await login(base, "boss@acme", "pwboss")  # supervises acme's 8001
    acme_admin = await login(base, "admin@acme", "pwacmeadmin")
    demo_kiosk = await kiosk_token(world, "helpdesk-lead", "pwlead")
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get(BOARD, headers=bearer(lead))).status_code == 200
        made = await http.post(
            "/api/v1/wallboards/7002/kiosk-tokens", json={"name": "x"}, headers=bearer(lead)
        )
        assert made.status_code == 403
        for who in (agent, boss):
            assert (await http.get(BOARD, headers=bearer(who))).status_code == 403
            listed = await http.get(f"{BOARD}/kiosk-tokens", headers=bearer(who))
            assert listed.status_code == 403
        # Acme's admin finds no 7001 in acme, and demo's token ids are not acme's to revoke.
        assert (await http.get(BOARD, headers=bearer(acme_admin))).status_code == 404
        demo_ids = (await http.get(f"{BOARD}/kiosk-tokens", headers=bearer(lead))).json()
        gone = await http.delete(
            f"{BOARD}/kiosk-tokens/{demo_ids[0]['id']}", headers=bearer(acme_admin)
        )
        assert gone.status_code == 404
        assert (await http.get(BOARD, headers=bearer(demo_kiosk))).status_code == 200
        # Acme's own kiosk token reads acme's board only.
        acme = await http.post(
            "/api/v1/wallboards/8001/kiosk-tokens", json={"name": "TV"}, headers=bearer(boss)
        )
        acme_kiosk = acme.json()["token"]
        assert (await http.get(BOARD, headers=bearer(acme_kiosk))).status_code == 403
        acme_board = await http.get("/api/v1/wallboards/8001", headers=bearer(acme_kiosk))
        assert acme_board.json()["call_center"]["name"] == "Acme Support"


async def test_revoking_ends_reads_and_the_open_stream(world: World) -> None:
    token = await kiosk_token(world)
    admin = await login(world.server.base_url, "admin", "pwadmin")
    async with (
        httpx.AsyncClient(base_url=world.server.base_url, timeout=30) as http,
        http.stream("GET", f"{BOARD}/stream", headers=bearer(token)) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: board"
        assert json.loads((await anext(lines)).removeprefix("data: "))["waiting"] == 2
        # One open stream per kiosk token here (the setting): a second is refused in-band.
        async with http.stream("GET", f"{BOARD}/stream", headers=bearer(token)) as second:
            assert [line async for line in second.aiter_lines() if line] == [
                "event: end",
                'data: {"reason":"too many open connections for this user (limit 1)"}',
            ]

        listed = (await http.get(f"{BOARD}/kiosk-tokens", headers=bearer(admin))).json()
        assert [t["name"] for t in listed] == ["TV hall"]
        assert "token" not in listed[0]  # shown once, when made
        token_url = f"{BOARD}/kiosk-tokens/{listed[0]['id']}"
        revoked = await http.delete(token_url, headers=bearer(admin))
        assert revoked.status_code == 204
        assert (await http.get(BOARD, headers=bearer(token))).status_code == 401
        world.clock.advance(60)  # past the stream's re-check
        async for line in lines:
            if line == "event: end":
                break
        assert json.loads((await anext(lines)).removeprefix("data: ")) == {
            "reason": "token revoked"
        }
