"""A live subscriber through the chaos harness's faults (bench/chaos.py): what a supervisor's
board sees of call center 7003, over GraphQL, across every fault.

It subscribes to `queueEvents(callCenterId: "7003")` as the clients do: after any drop (the
product killed, a restart, a refused token) it signs in again if need be and re-subscribes with
`afterSequence` = the last sequence it got, so a fault should cost it neither an event nor a
repeat. `lost_and_repeated` compares what it got with the event stream itself.

`move_to` sends it to another API node (the harness's stand-alone API process for the `api`
fault, bench/chaos_api.py): the subscription on the old node ends and the next one, on the new
node, resumes after the last sequence, as a client sent elsewhere by a balancer does.
`arrivals` says through which node and when each event came, so the harness can tell that the
subscriber resumed through a restarted node.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

QUEUE_EVENTS = gql(
    """subscription($cc: ID, $after: Int) {
         queueEvents(callCenterId: $cc, afterSequence: $after) { sequence } }"""
)
RETRY_SECONDS = 0.5


class LiveSubscriber:
    def __init__(
        self, base: str, call_center: str, username: str, password: str, after: int
    ) -> None:
        self._base = base
        self._call_center = call_center
        self._credentials = {"username": username, "password": password}
        self.received: Counter[int] = Counter()
        self.arrivals: list[tuple[float, str]] = []
        """(`time.monotonic()`, the API node's base URL) of each event received."""
        self._last = after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._following: asyncio.Task[None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    async def _token(self, base: str) -> str:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            reply = await http.post("/api/v1/auth/token", json=self._credentials)
            reply.raise_for_status()
            return str(reply.json()["access_token"])

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            self._following = asyncio.ensure_future(self._sign_in_and_follow(self._base))
            # Any drop: the product or the API node is down or restarting; cancelled: moved.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._following
            await asyncio.sleep(RETRY_SECONDS)

    async def _sign_in_and_follow(self, base: str) -> None:
        await self._follow(base, await self._token(base))

    async def _follow(self, base: str, token: str) -> None:
        transport = WebsocketsTransport(
            url=base.replace("http://", "ws://", 1) + "/graphql",
            init_payload={"Authorization": f"Bearer {token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        async with Client(transport=transport) as session:
            variables = {"cc": self._call_center, "after": self._last}
            async for result in session.subscribe(QUEUE_EVENTS, variable_values=variables):
                sequence = int(result["queueEvents"]["sequence"])
                self.received[sequence] += 1
                self.arrivals.append((time.monotonic(), base))
                self._last = sequence
                if self._stop.is_set():
                    return

    def move_to(self, base: str) -> None:
        """Subscribe through the API node at `base` from now on (no-op if already there)."""
        if base == self._base:
            return
        self._base = base
        loop, following = self._loop, self._following
        if loop is not None and following is not None:
            loop.call_soon_threadsafe(following.cancel)

    def received_through(self, base: str, since: float) -> int:
        """Events received through the node at `base` at or after `since` (monotonic)."""
        return sum(1 for at, via in list(self.arrivals) if via == base and at >= since)

    def lost_and_repeated(self, expected: set[int], wait: float = 30.0) -> tuple[int, int]:
        """Of the stream's `expected` sequences: how many this subscriber never got, and how
        many it got more than once (once it has caught up with the last, or after `wait` s)."""
        deadline = time.monotonic() + wait
        while expected and self.received[max(expected)] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        lost = sum(1 for sequence in expected if self.received[sequence] == 0)
        repeated = sum(1 for sequence in expected if self.received[sequence] > 1)
        return lost, repeated

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
