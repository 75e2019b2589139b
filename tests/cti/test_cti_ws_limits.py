"""Websocket limits (cti/ws_limits.py), attacked over real sockets in both GraphQL subprotocols."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from cti.settings import CtiSettings
from tests.cti.cti_clients import graphql, login
from tests.cti.cti_world import World

PROTOCOLS = [Subprotocol("graphql-transport-ws"), Subprotocol("graphql-ws")]
LIMIT = CtiSettings(token_secret="unused").ws_max_message_bytes


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Short, so the idle-socket test does not wait the production 10 s; nothing here is timed.
    return {"ws_init_timeout": 0.5}


async def close_code(ws: ClientConnection) -> int:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def start_subscription(ws: ClientConnection, protocol: str, query: str) -> None:
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await ws.send(json.dumps({"id": "1", "type": kind, "payload": {"query": query}}))


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_oversized_message_closes_with_1009(world: World, protocol: Subprotocol) -> None:
    token = await login(world.server.base_url, "admin", "pwadmin")
    padding = " " * LIMIT  # a document one padding over the limit
    async with websockets.connect(world.server.ws_url, subprotocols=[protocol]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await start_subscription(
            ws, protocol, "subscription { queueEvents { sequence } }" + padding
        )
        assert await close_code(ws) == 1009
    async with websockets.connect(world.server.ws_url, subprotocols=[protocol]) as ws:
        await ws.send(json.dumps({**init, "junk": padding}))  # too big before init, too
        assert await close_code(ws) == 1009
    # The server keeps serving.
    assert "errors" not in await graphql(world.server.base_url, token, "{ agents { extension } }")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_socket_that_never_sends_connection_init_is_closed(
    world: World, protocol: Subprotocol
) -> None:
    async with websockets.connect(world.server.ws_url, subprotocols=[protocol]) as ws:
        assert await close_code(ws) == 4408
