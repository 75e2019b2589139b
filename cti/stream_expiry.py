"""Long-lived streams end with their token.

A websocket or SSE stream is authorised once, when it opens; without this a stream would go on
after its token expired or was revoked (cti/token_revocation.py), for as long as the client
keeps the connection. `watch_token` re-verifies the token exactly at its expiry and at least
every `recheck_seconds` (revocation), and returns why it no longer holds; the websocket
wrapper (cti/ws_limits.py) then closes the socket with 4401 and the SSE endpoint
(cti/graphql_api/sse.py) sends an `UNAUTHENTICATED` error and completes.

Visibility rides on the same check: what a token may see (role, extension, call centers) is
written in it, and every provisioning change to those revokes it, so the client signs in again
and its new token carries the new rights.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TypeVar

from cti.services import CtiServices
from cti.tokens import InvalidToken

T = TypeVar("T")

TOKEN_ENDED = 4401
"""Websocket close code: `graphql-transport-ws`'s "Unauthorized"; clients sign in again."""

MIN_WAIT_SECONDS = 0.2
"""A token's `exp` has whole seconds: after sleeping until it, the check may still be a moment
early. The floor keeps the loop from spinning in that moment."""


async def watch_token(
    services: CtiServices,
    authorization: str | None,
    recheck_seconds: float,
) -> str:
    """Returns (never raises) once the token is expired, revoked or otherwise invalid: why."""
    while True:
        try:
            verified = await services.verify_authorization(authorization)
        except InvalidToken as error:
            return str(error)
        # The wall clock, as the token check itself uses (PyJWT against `exp`).
        wait = min(recheck_seconds, verified.expires_at - time.time())
        await asyncio.sleep(max(wait, MIN_WAIT_SECONDS))


class TokenEnded(Exception):
    """The stream's token no longer holds; the message says why."""


async def until_token_ends(items: AsyncIterator[T], watcher: asyncio.Task[str]) -> AsyncIterator[T]:
    """`items` as they come, until they end or `watcher` (a `watch_token` task) returns; then
    raises TokenEnded. The caller closes `items` and cancels `watcher`."""
    while True:
        following = asyncio.ensure_future(anext(items))
        try:
            done, _ = await asyncio.wait({following, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # the token ended, or the client went away (this task is cancelled)
            if not following.done():
                following.cancel()
                # Wait for it to stop: `aclose()` on a generator still running fails.
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await following
        if following not in done:
            raise TokenEnded(watcher.result())
        try:
            item = following.result()
        except StopAsyncIteration:
            return
        yield item
