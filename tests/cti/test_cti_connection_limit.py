"""Open websockets per principal are capped (cti/connection_slots.py, cti/ws_limits.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import pytest
import websockets
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from common.redis_keys import open_connections
from tests.cti.cti_clients import login
from tests.cti.cti_world import World

LIMIT = 2
MY_CALLS = {"query": "subscription { myCalls { sequence } }"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_connections_per_principal": LIMIT}


async def open_socket(
    stack: contextlib.AsyncExitStack, world: World, token: str, protocol: str
) -> ClientConnection:
    ws = await stack.enter_async_context(
        websockets.connect(world.server.ws_url, subprotocols=[Subprotocol(protocol)])
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    return ws


async def acknowledged(ws: ClientConnection) -> bool:
    async with asyncio.timeout(30):
        return bool(json.loads(await ws.recv())["type"] == "connection_ack")


async def refused_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_one_user_cannot_hold_more_than_the_limit_of_sockets(world: World) -> None:
    agent = await login(world.server.base_url, "1001", "pw1001")
    other = await login(world.server.base_url, "1002", "pw1002")
    async with contextlib.AsyncExitStack() as stack:
        # Both subprotocols count against the same limit.
        held = [
            await open_socket(stack, world, agent, "graphql-transport-ws"),
            await open_socket(stack, world, agent, "graphql-ws"),
        ]
        for ws in held:
            assert await acknowledged(ws)
        for protocol in ("graphql-transport-ws", "graphql-ws"):
            extra = await open_socket(stack, world, agent, protocol)
            assert await refused_with(extra) == 1008
        # The token in the upgrade request's header names the user just the same.
        by_header = await stack.enter_async_context(
            websockets.connect(
                world.server.ws_url,
                subprotocols=[Subprotocol("graphql-ws")],
                additional_headers={"Authorization": f"Bearer {agent}"},
            )
        )
        await by_header.send(json.dumps({"type": "connection_init"}))
        assert await refused_with(by_header) == 1008
        assert await acknowledged(await open_socket(stack, world, other, "graphql-ws"))
        # A closed socket gives its slot back.
        await held[0].close()
        await held[0].wait_closed()
        async with asyncio.timeout(30):
            while True:
                again = await open_socket(stack, world, agent, "graphql-transport-ws")
                with contextlib.suppress(ConnectionClosed):
                    if await acknowledged(again):
                        break


def sse_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}


async def test_sse_streams_share_the_limit_with_sockets(world: World, redis: Redis) -> None:
    agent = await login(world.server.base_url, "1001", "pw1001")
    async with (
        httpx.AsyncClient(base_url=world.server.base_url, timeout=30) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        for _ in range(LIMIT):
            await stack.enter_async_context(
                http.stream("POST", "/graphql/stream", json=MY_CALLS, headers=sse_headers(agent))
            )
        key = open_connections(world.prefix, "demo", "1001")
        async with asyncio.timeout(30):  # each stream takes its slot once it starts
            while await redis.zcard(key) < LIMIT:
                await asyncio.sleep(0.02)
        extra = await open_socket(stack, world, agent, "graphql-ws")
        assert await refused_with(extra) == 1008
        refused = await http.post("/graphql/stream", json=MY_CALLS, headers=sse_headers(agent))
    assert '"code":"TOO_MANY_CONNECTIONS"' in refused.text.replace(" ", "")
    assert "too many open connections for this user (limit 2)" in refused.text
