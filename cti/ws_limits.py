"""Limits every GraphQL websocket of the app gets, whatever its subprotocol.

An ASGI wrapper rather than code in the GraphQL handlers, so `graphql-transport-ws` and the
legacy `graphql-ws` get the same rules without each protocol's handler repeating them:

- a message larger than `max_message_bytes` closes the socket with 1009 ("message too big")
  before it is decoded or parsed (uvicorn itself accepts up to 16 MiB);
- a client that has not sent its first message (`connection_init`) within `init_timeout`
  seconds is closed with 4408, the code `graphql-transport-ws` uses for the same case; the
  legacy protocol has no such timeout of its own, so an idle socket was held forever;
- a principal with `CtiSettings.max_connections_per_principal` sockets and SSE streams open
  already is closed with 1008 (policy violation) once its `connection_init` names it
  (cti/connection_slots.py); a socket whose token is not valid is left to the GraphQL handler,
  which closes it with 4403;
- a socket whose token expires or is revoked while it is open is closed with 4401
  (cti/stream_expiry.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cti.connection_slots import TooManyConnections
from cti.graphql_api.context import CtiContext, get_context
from cti.graphql_api.errors import Unauthenticated
from cti.stream_expiry import TOKEN_ENDED, watch_token

MESSAGE_TOO_BIG = 1009
POLICY_VIOLATION = 1008
INIT_TIMEOUT = 4408


class WebSocketLimits:
    def __init__(
        self, app: ASGIApp, path: str, max_message_bytes: int, init_timeout: float
    ) -> None:
        self._app = app
        self._path = path
        self._max_message_bytes = max_message_bytes
        self._init_timeout = init_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # GraphQL's sockets only: others mounted on the app (the supervisor board's Dash
        # websocket) speak their own protocols, with their own message sizes.
        if scope["type"] != "websocket" or scope["path"] != self._path:
            await self._app(scope, receive, send)
            return
        slot = contextlib.AsyncExitStack()
        closed_by_us = False
        first_message_seen = False
        accepted = False
        token_watch: asyncio.Task[str] | None = None

        async def close(code: int, reason: str) -> Message:
            nonlocal closed_by_us
            closed_by_us = True
            await send({"type": "websocket.close", "code": code, "reason": reason})
            # The app sees the client go away and cleans up as after any disconnect.
            return {"type": "websocket.disconnect", "code": code}

        async def next_message() -> Message:
            """The client's next message, or the close of a socket whose token ended."""
            if token_watch is None:
                return await receive()
            following = asyncio.ensure_future(receive())
            done, _ = await asyncio.wait(
                {following, token_watch}, return_when=asyncio.FIRST_COMPLETED
            )
            if following in done:
                return following.result()
            following.cancel()
            return await close(TOKEN_ENDED, token_watch.result())

        async def limited_receive() -> Message:
            nonlocal first_message_seen, token_watch
            if accepted and not first_message_seen:
                try:
                    message = await asyncio.wait_for(receive(), self._init_timeout)
                except TimeoutError:
                    return await close(INIT_TIMEOUT, "Connection initialisation timeout")
            else:
                message = await next_message()
            if message["type"] != "websocket.receive":
                return message
            text: str | None = message.get("text")
            size = len(text.encode()) if text is not None else len(message.get("bytes") or b"")
            if size > self._max_message_bytes:
                return await close(
                    MESSAGE_TOO_BIG, f"message larger than {self._max_message_bytes} bytes"
                )
            if not first_message_seen:
                first_message_seen = True
                try:
                    context = await _init_context(scope, text)
                    await slot.enter_async_context(context.connection_slot())
                except TooManyConnections as error:
                    return await close(POLICY_VIOLATION, str(error))
                token_watch = await _watch(context)
                if token_watch is not None:
                    slot.callback(token_watch.cancel)
            return message

        async def limited_send(message: Message) -> None:
            nonlocal accepted
            if closed_by_us:
                return  # the socket is gone: what the app still says goes nowhere
            accepted = accepted or message["type"] == "websocket.accept"
            await send(message)

        async with slot:
            await self._app(scope, limited_receive, limited_send)


async def _watch(context: CtiContext) -> asyncio.Task[str] | None:
    """A task that ends when the socket's token does; none for a socket without a valid token
    (the GraphQL handler refuses it)."""
    try:
        await context.principal()
    except Unauthenticated:
        return None
    settings = context.services.settings
    watch = watch_token(context.services, context.authorization(), settings.stream_recheck_seconds)
    return asyncio.ensure_future(watch)


async def _init_context(scope: Scope, text: str | None) -> CtiContext:
    """The GraphQL context of a socket after its first message, so the token is read exactly as
    the GraphQL handler will read it: `connection_init`'s payload, else the upgrade request's
    `Authorization` header."""
    try:
        message: Any = json.loads(text or "")
    except ValueError:
        message = None
    context = await get_context(HTTPConnection(scope))
    if isinstance(message, dict) and message.get("type") == "connection_init":
        context.connection_params = message.get("payload")
    return context
