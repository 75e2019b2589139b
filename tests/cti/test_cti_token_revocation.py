"""Revocable tokens and streams that end with their token (cti/token_revocation.py,
cti/stream_expiry.py), attacked over real HTTP, websockets and SSE."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from cti.principal import Principal, Role
from cti.settings import CtiSettings
from cti.tokens import TokenSigner
from tests.cti.cti_clients import login
from tests.cti.cti_server import TOKEN_SECRET
from tests.cti.cti_world import World

PROTOCOLS = [Subprotocol("graphql-transport-ws"), Subprotocol("graphql-ws")]
MY_CALLS = "subscription { myCalls { sequence } }"
SCREEN_POP = "/api/v1/screen-pop?number=%2B31201234567"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A short re-check, so a revoked stream ends within a test; nothing here is timed.
    return {"stream_recheck_seconds": 0.2}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def works(base_url: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return (await http.get(SCREEN_POP, headers=bearer(token))).status_code


async def revoke(base_url: str, token: str, body: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return await http.post("/api/v1/auth/revoke", headers=bearer(token), json=body)


async def subscribed_socket(world: World, token: str, protocol: str) -> ClientConnection:
    ws = await websockets.connect(world.server.ws_url, subprotocols=[Subprotocol(protocol)])
    await ws.send(json.dumps({"type": "connection_init", "payload": bearer(token)}))
    async with asyncio.timeout(30):
        assert json.loads(await ws.recv())["type"] == "connection_ack"
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await ws.send(json.dumps({"id": "1", "type": kind, "payload": {"query": MY_CALLS}}))
    return ws


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_signing_out_everywhere_kills_every_token_of_the_user_only(world: World) -> None:
    base = world.server.base_url
    first = await login(base, "admin", "pwadmin")
    second = await login(base, "admin", "pwadmin")
    colleague = await login(base, "1001", "pw1001")
    assert await works(base, first) == 200
    answer = await revoke(base, first)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"tenant": "demo", "username": "admin"}
    for token in (first, second):
        async with httpx.AsyncClient(base_url=base) as http:
            refused = await http.get(SCREEN_POP, headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["detail"] == "token revoked"
    assert await works(base, colleague) == 200
    assert await works(base, await login(base, "admin", "pwadmin")) == 200  # a new sign-in works


async def test_only_an_admin_ends_another_users_sessions_and_only_in_its_tenant(
    world: World,
) -> None:
    base = world.server.base_url
    agent = await login(base, "1001", "pw1001")
    victim = await login(base, "1002", "pw1002")
    foreign = await login(base, "1001@acme", "pwacme1001")
    admin = await login(base, "admin", "pwadmin")
    refused = await revoke(base, agent, {"username": "1002"})
    assert refused.status_code == 403
    assert await works(base, victim) == 200
    # The admin of demo names acme's 1001: it reaches demo's 1001, never acme's.
    crossing = await revoke(base, admin, {"username": "1001@acme"})
    assert crossing.json() == {"tenant": "demo", "username": "1001"}
    assert await works(base, foreign) == 200
    assert await works(base, agent) == 401
    assert (await revoke(base, admin, {"username": "1002"})).status_code == 200
    assert await works(base, victim) == 401


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_open_socket_closes_with_4401_when_its_token_is_revoked(
    world: World, protocol: Subprotocol
) -> None:
    base = world.server.base_url
    doomed = await login(base, "1001", "pw1001")
    survivor = await login(base, "1002", "pw1002")
    ws = await subscribed_socket(world, doomed, protocol)
    other = await subscribed_socket(world, survivor, protocol)
    try:
        assert (await revoke(base, doomed)).status_code == 200
        assert await closed_with(ws) == (4401, "token revoked")
        # The other user's socket stays open: it still answers a ping.
        async with asyncio.timeout(30):
            await (await other.ping())
    finally:
        await ws.close()
        await other.close()


async def test_an_open_socket_closes_when_its_token_expires(world: World) -> None:
    principal = Principal("demo", "1001", Role.AGENT, extension="1001")
    short = TokenSigner(TOKEN_SECRET, ttl_seconds=2).issue(principal)
    ws = await subscribed_socket(world, short, "graphql-transport-ws")
    try:
        assert await closed_with(ws) == (4401, "token expired")
    finally:
        await ws.close()


async def test_an_sse_stream_ends_with_an_unauthenticated_error_when_revoked(world: World) -> None:
    base = world.server.base_url
    token = await login(base, "1001", "pw1001")
    headers = {**bearer(token), "Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("POST", "/graphql/stream", json={"query": MY_CALLS}, headers=headers) as sse,
    ):
        assert sse.status_code == 200  # the stream is open (no event yet): revoke its token
        assert (await revoke(base, token)).status_code == 200
        seen: list[str] = []
        async with asyncio.timeout(30):
            async for line in sse.aiter_lines():
                seen.append(line)
                if line == "event: complete":
                    break
    text = "\n".join(seen).replace(" ", "")
    assert '"code":"UNAUTHENTICATED"' in text
    assert "tokenrevoked" in text


def test_the_token_secret_file_is_private_from_its_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCC_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("OPENCC_TOKEN_SECRET", raising=False)
    old_umask = os.umask(0)  # the most permissive umask: only the create mode protects it
    try:
        first = CtiSettings.from_env().token_secret
    finally:
        os.umask(old_umask)
    path = tmp_path / "token_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert CtiSettings.from_env().token_secret == first
    assert len(first) >= 48
