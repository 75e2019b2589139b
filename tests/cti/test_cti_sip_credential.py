"""`POST /api/v1/me/sip-credential` over real HTTP: a short-lived SIP password for the signed-in
user's own extension only, never cached, never for an API token (docs/security.md)."""

from __future__ import annotations

import httpx

from cti.ice_servers import IceServer
from cti.rest.sip_credential import BrowserPhoneService
from pbx_core.sip.browser_credentials import BrowserCredentials
from tests.cti.cti_clients import login
from tests.cti.cti_world import World

PATH = "/api/v1/me/sip-credential"


def _install(
    world: World, credentials: BrowserCredentials, ice_servers: tuple[IceServer, ...] = ()
) -> None:
    world.server.app.state.browser_phone = BrowserPhoneService(
        credentials,
        "ws://127.0.0.1:5066",
        lambda tenant: f"{tenant}.sip.test",
        ice_servers=ice_servers,
    )


async def test_credential_is_the_users_own_and_works_for_that_extension_only(
    world: World,
) -> None:
    credentials = BrowserCredentials(b"s" * 32)
    _install(world, credentials)
    agent = await login(world.server.base_url, "1001", "pw1001")
    other_tenant = await login(world.server.base_url, "1001@acme", "pwacme1001")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        mine = await http.post(PATH, headers={"Authorization": f"Bearer {agent}"})
        theirs = await http.post(PATH, headers={"Authorization": f"Bearer {other_tenant}"})
    assert mine.status_code == 200
    assert mine.headers["cache-control"] == "no-store"
    body = mine.json()
    assert (body["username"], body["uri"]) == ("1001", "sip:1001@demo.sip.test")
    assert body["ws_url"] == "ws://127.0.0.1:5066"
    assert body["wss_url"] is None  # no certificate configured
    assert body["ice_servers"] == []  # rtpengine's own ICE candidates: no STUN/TURN needed
    assert body["password"] in credentials.passwords("demo", "1001")
    assert body["password"] not in credentials.passwords("demo", "1002")
    # The same extension number in another tenant gets another password.
    assert theirs.json()["uri"] == "sip:1001@acme.sip.test"
    assert theirs.json()["password"] not in credentials.passwords("demo", "1001")


async def test_no_credential_without_a_person_with_an_extension(world: World) -> None:
    _install(world, BrowserCredentials(b"s" * 32))
    trainee = await login(world.server.base_url, "trainee", "pwtrainee")  # no extension
    admin = await login(world.server.base_url, "admin", "pwadmin")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        created = await http.post(
            "/api/v1/api-tokens",
            json={"name": "crm plugin"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        api_token = created.json().get("token", "")
        nobody = await http.post(PATH)
        no_extension = await http.post(PATH, headers={"Authorization": f"Bearer {trainee}"})
        plugin = await http.post(PATH, headers={"Authorization": f"Bearer {api_token}"})
    assert created.status_code == 201, created.text
    assert nobody.status_code == 401
    assert no_extension.status_code == 403
    assert plugin.status_code == 403


async def test_without_a_websocket_listener_the_endpoint_says_so(world: World) -> None:
    agent = await login(world.server.base_url, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        response = await http.post(PATH, headers={"Authorization": f"Bearer {agent}"})
    assert response.status_code == 503


async def test_the_configured_ice_servers_come_with_the_credential(world: World) -> None:
    turn = IceServer(urls=["turns:turn.example.com:5349"], username="opencc", credential="pw")
    _install(world, BrowserCredentials(b"s" * 32), (IceServer(urls=["stun:stun.test"]), turn))
    agent = await login(world.server.base_url, "1001", "pw1001")
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        response = await http.post(PATH, headers={"Authorization": f"Bearer {agent}"})
    assert response.json()["ice_servers"] == [
        {"urls": ["stun:stun.test"], "username": None, "credential": None},
        {"urls": ["turns:turn.example.com:5349"], "username": "opencc", "credential": "pw"},
    ]
