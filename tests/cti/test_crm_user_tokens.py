"""Per-user CRM adapter tokens (cti/crm_user_tokens.py, cti/rest/crm_tokens.py,
cti/rest/opencti.py), attacked over real HTTP and websockets against the real app: the token a
Salesforce user's softphone panel holds dials only from its own extension, pops screens, follows
its own calls, and is refused everywhere else; the adapter refuses every other token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from cti.crm_user_tokens import MAX_PER_USER
from tests.cti.cti_clients import graphql, login
from tests.cti.cti_world import World, wait_for_subscribers

DAY = 86_400.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A short re-check, so a revoked stream ends within a test; nothing here is timed.
    return {"stream_recheck_seconds": 0.2}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def crm_token(
    base: str, username: str, password: str, **body: Any
) -> tuple[str, dict[str, Any]]:
    """A signed-in user makes its own adapter token; returns it and the user's JWT."""
    jwt = await login(base, username, password)
    async with httpx.AsyncClient(base_url=base) as http:
        made = await http.post(
            "/api/v1/me/crm-tokens", headers=bearer(jwt), json={"name": "Salesforce", **body}
        )
    assert made.status_code == 201, made.text
    created: dict[str, Any] = made.json()
    return jwt, created


async def dial(base: str, token: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.post("/api/v1/opencti/dial", headers=bearer(token), json=body)


def dials(world: World) -> list[dict[str, Any]]:
    return [args for name, args in world.control.commands if name == "click_to_dial"]


async def test_the_token_dials_from_its_own_extension_only(world: World) -> None:
    base = world.server.base_url
    _, created = await crm_token(base, "1001", "pw1001")
    token = created["token"]
    assert token.startswith("occrm_")
    assert (created["username"], created["extension"]) == ("1001", "1001")

    answer = await dial(base, token, {"destination": "+31201234567"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["extension"] == "1001"
    assert dials(world) == [{"tenant": "demo", "extension": "1001", "destination": "+31201234567"}]

    # Attack: name another agent's extension, here or on the general click-to-dial endpoint.
    sneaky = await dial(base, token, {"destination": "+31201234567", "extension": "1002"})
    assert sneaky.status_code == 422
    async with httpx.AsyncClient(base_url=base) as http:
        general = await http.post(
            "/api/v1/calls",
            headers=bearer(token),
            json={"extension": "1002", "destination": "+31201234567"},
        )
    assert general.status_code == 401
    assert len(dials(world)) == 1


async def test_the_token_is_refused_everywhere_but_the_adapter(world: World) -> None:
    base = world.server.base_url
    _, created = await crm_token(base, "1001", "pw1001")
    token = created["token"]
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/api/v1/opencti/me", headers=bearer(token))).json() == {
            "username": "1001",
            "extension": "1001",
            "expires_at": created["expires_at"],
        }
        pop = await http.get(
            "/api/v1/opencti/screen-pop", params={"number": "+31201234567"}, headers=bearer(token)
        )
        assert pop.status_code == 200
        assert pop.json()["records"][0]["record_id"] == "42"
        for method, path in (
            ("GET", "/api/v1/reports/agents"),
            ("GET", "/api/v1/reports/call-centers"),
            ("GET", "/api/v1/screen-pop?number=%2B31201234567"),
            ("GET", "/api/v1/tenants/demo/users"),
            ("GET", "/api/v1/me/crm-tokens"),
            ("POST", "/api/v1/me/crm-tokens"),  # a token cannot mint more tokens
            ("GET", "/api/v1/crm-tokens"),
            ("GET", "/api/v1/api-tokens"),
            ("GET", "/api/v1/wallboards/7001"),
            ("POST", "/api/v1/me/sip-credential"),  # the phone's SIP password
        ):
            refused = await http.request(method, path, headers=bearer(token), json={"name": "more"})
            assert refused.status_code == 401, (path, refused.status_code, refused.text)

    # GraphQL over HTTP: no queue, no agents of others, no call control.
    body = await graphql(base, token, "{ callCenters { id waitingCalls { caller } } }")
    assert "UNAUTHENTICATED" in json.dumps(body["errors"])
    assert body.get("data") is None

    # GraphQL over a websocket: every queue event of the tenant, if it were let in.
    async with websockets.connect(
        world.server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": bearer(token)}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(30):
                while True:
                    assert json.loads(await ws.recv())["type"] != "connection_ack"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_the_adapter_refuses_tenant_api_tokens_and_sessions(world: World) -> None:
    base = world.server.base_url
    admin = await login(base, "admin", "pwadmin")
    agent = await login(base, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=base) as http:
        api = await http.post("/api/v1/api-tokens", headers=bearer(admin), json={"name": "crm"})
        api_token = api.json()["token"]
        for token in (api_token, admin, agent, "occrm_forged", "okiosk_x"):
            for method, path in (
                ("POST", "/api/v1/opencti/dial"),
                ("GET", "/api/v1/opencti/me"),
                ("GET", "/api/v1/opencti/screen-pop?number=%2B31201234567"),
                ("GET", "/api/v1/opencti/events"),
            ):
                refused = await http.request(
                    method, path, headers=bearer(token), json={"destination": "0201234567"}
                )
                assert refused.status_code == 401, (token[:8], path, refused.text)
        # Neither may an API token mint a per-user one, nor an account without an extension.
        made = await http.post(
            "/api/v1/me/crm-tokens", headers=bearer(api_token), json={"name": "x"}
        )
        assert made.status_code == 403
        trainee = await login(base, "trainee", "pwtrainee")
        made = await http.post("/api/v1/me/crm-tokens", headers=bearer(trainee), json={"name": "x"})
        assert made.status_code == 403
        too_long = await http.post(
            "/api/v1/me/crm-tokens", headers=bearer(agent), json={"name": "x", "ttl_days": 91}
        )
        assert too_long.status_code == 422
    assert dials(world) == []


async def test_revoked_expired_or_signed_out_tokens_stop_working(world: World) -> None:
    base = world.server.base_url
    jwt, mine = await crm_token(base, "1001", "pw1001", ttl_days=1)
    _, colleague = await crm_token(base, "1002", "pw1002")
    _, acme = await crm_token(base, "1001@acme", "pwacme1001")
    async with httpx.AsyncClient(base_url=base) as http:
        # A colleague's token is not mine to revoke, nor another tenant's admin's to see.
        other = await http.delete(f"/api/v1/me/crm-tokens/{colleague['id']}", headers=bearer(jwt))
        assert other.status_code == 404
        acme_admin = await login(base, "admin@acme", "pwacmeadmin")
        listed = await http.get("/api/v1/crm-tokens", headers=bearer(acme_admin))
        assert [t["id"] for t in listed.json()] == [acme["id"]]
        gone = await http.delete(f"/api/v1/crm-tokens/{mine['id']}", headers=bearer(acme_admin))
        assert gone.status_code == 404
        assert (await dial(base, mine["token"], {"destination": "0201234567"})).status_code == 202
        # The acme agent's token dials in acme, from acme's 1001.
        assert (await dial(base, acme["token"], {"destination": "0201234567"})).status_code == 202
        assert [d["tenant"] for d in dials(world)] == ["demo", "acme"]

        # Expiry: a day later the one-day token is dead, the 30-day one lives.
        world.clock.advance(DAY)
        assert (await dial(base, mine["token"], {"destination": "0201"})).status_code == 401
        assert (await dial(base, colleague["token"], {"destination": "0201"})).status_code == 202

        # Signing out everywhere ends the user's adapter tokens with its sessions.
        jwt2 = await login(base, "1002", "pw1002")
        revoked = await http.post("/api/v1/auth/revoke", headers=bearer(jwt2))
        assert revoked.status_code == 200
        assert (await dial(base, colleague["token"], {"destination": "0201"})).status_code == 401

        # The user revokes its own; the admin revokes any of its tenant's.
        _, fresh = await crm_token(base, "1001", "pw1001")
        jwt = await login(base, "1001", "pw1001")
        mine_listed = await http.get("/api/v1/me/crm-tokens", headers=bearer(jwt))
        assert fresh["id"] in [t["id"] for t in mine_listed.json()]
        assert "token" not in mine_listed.json()[0]
        own = await http.delete(f"/api/v1/me/crm-tokens/{fresh['id']}", headers=bearer(jwt))
        assert own.status_code == 204
        assert (await dial(base, fresh["token"], {"destination": "0201"})).status_code == 401
        _, again = await crm_token(base, "1001", "pw1001")
        demo_admin = await login(base, "admin", "pwadmin")
        by_admin = await http.delete(
            f"/api/v1/crm-tokens/{again['id']}", headers=bearer(demo_admin)
        )
        assert by_admin.status_code == 204
        assert (await dial(base, again["token"], {"destination": "0201"})).status_code == 401


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            yield event, json.loads(line[len("data: ") :])


async def test_the_event_stream_carries_its_own_calls_and_ends_when_revoked(
    world: World,
) -> None:
    base = world.server.base_url
    jwt, created = await crm_token(base, "1001", "pw1001")
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        http.stream("GET", "/api/v1/opencti/events", headers=bearer(created["token"])) as stream,
    ):
        assert stream.status_code == 200
        events = sse_events(stream)
        async with asyncio.timeout(30):
            assert await anext(events) == ("ready", {"extension": "1001"})
            await wait_for_subscribers(world, 1)
            world.control.offer_call("c-other", "+31301111111", "1002")
            world.control.offer_call("c-mine", "+31201234567", "1001")
            kind, event = await anext(events)
            assert kind == "call"
            assert event["type"] == "CALL_OFFERED"
            assert (event["callId"], event["caller"], event["agent"]) == (
                "c-mine",
                "+31201234567",
                "1001",
            )
            deleted = await http.delete(
                f"/api/v1/me/crm-tokens/{created['id']}", headers=bearer(jwt)
            )
            assert deleted.status_code == 204
            async for kind, event in events:
                if kind == "end":
                    assert event == {"reason": "CRM token expired or revoked"}
                    break
                assert event["agent"] == "1001"
            else:
                raise AssertionError("the stream ended without saying why")


async def test_an_admin_makes_a_token_for_a_user_of_its_own_tenant_only(world: World) -> None:
    base = world.server.base_url
    admin = await login(base, "admin", "pwadmin")
    agent = await login(base, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=base) as http:
        # The user as provisioning knows it (the store the admin's token binds to).
        user = {"username": "kim", "name": "Kim", "extension": "1003", "password": "pw-kim-12345"}
        user |= {"sip_password": "sip-kim-12345", "profile": "kantoor"}
        provisioned = await http.post(
            "/api/v1/tenants/demo/users", headers=bearer(admin), json=user
        )
        assert provisioned.status_code == 201, provisioned.text
        made = await http.post(
            "/api/v1/crm-tokens",
            headers=bearer(admin),
            json={"username": "kim", "name": "Salesforce", "ttl_days": 7},
        )
        assert made.status_code == 201, made.text
        assert (made.json()["username"], made.json()["extension"]) == ("kim", "1003")
        assert made.json()["created_by"] == "admin"
        assert (await dial(base, made.json()["token"], {"destination": "0201"})).status_code == 202
        assert dials(world)[-1]["extension"] == "1003"
        # Another tenant's user is not found; an agent makes none for a colleague.
        acme_admin = await login(base, "admin@acme", "pwacmeadmin")
        elsewhere = await http.post(
            "/api/v1/crm-tokens",
            headers=bearer(acme_admin),
            json={"username": "kim", "name": "Salesforce"},
        )
        assert elsewhere.status_code == 404  # acme's admin looks in acme only
        by_agent = await http.post(
            "/api/v1/crm-tokens", headers=bearer(agent), json={"username": "kim", "name": "x"}
        )
        assert by_agent.status_code == 403
    assert len(dials(world)) == 1


async def test_a_user_cannot_pile_up_tokens(world: World) -> None:
    base = world.server.base_url
    jwt = await login(base, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=base) as http:

        async def make() -> int:
            made = await http.post(
                "/api/v1/me/crm-tokens", headers=bearer(jwt), json={"name": "x", "ttl_days": 1}
            )
            return made.status_code

        assert [await make() for _ in range(MAX_PER_USER)] == [201] * MAX_PER_USER
        assert await make() == 409
        # Expired ones do not count, and go when the user makes the next.
        world.clock.advance(DAY)
        assert await make() == 201
        listed = await http.get("/api/v1/me/crm-tokens", headers=bearer(jwt))
        assert len(listed.json()) == 1
