"""The screen pop resolved before the offer: a new call waits (at most `wait_s`, 150 ms) for
its caller's CRM records before the engine sees it, so they are known when the agent's phone
rings and the `CALL_OFFERED` event reaches the agent's browser with them.

`ScreenPopFirst` wraps the PBX's call handler (cti/product.py): a `CallOffered` starts the
look-up and is held back, with every later event of the same call (their order kept), until
the records are in or the wait is over; other calls pass straight through, so a slow CRM delays
no one but its own caller, and by no more than `wait_s`. `PrefetchedScreenPop` is the
`ScreenPopLookup` the API asks: it answers from what the prefetch found (a late answer is
awaited by the asker's own timeout, never by the phone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from cti.screen_pop import ScreenPopLookup, ScreenPopRecord
from pbx_core import call_control as pbx

log = logging.getLogger(__name__)

PREFETCH_WAIT_S = 0.15
PREFETCH_TTL_S = 120.0
"""Long enough for any ring and re-offer of one call; the cache only bridges offer and pop."""

Records = Sequence[ScreenPopRecord]


class PrefetchedScreenPop:
    def __init__(
        self,
        lookup: ScreenPopLookup,
        ttl_s: float = PREFETCH_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_s
        self._clock = clock
        self._found: dict[tuple[str, str], tuple[float, asyncio.Task[Records]]] = {}

    def prefetch(self, tenant: str, number: str) -> asyncio.Task[Records]:
        """Start (or join) the look-up of `number`; its answer is kept for the offer's pop."""
        now = self._clock()
        for key in [k for k, (at, _) in self._found.items() if now - at > self._ttl]:
            del self._found[key]
        entry = self._found.get((tenant, number))
        if entry is None:
            task = asyncio.create_task(self._safe_lookup(tenant, number), name="screen-pop")
            entry = self._found[(tenant, number)] = (now, task)
        return entry[1]

    async def _safe_lookup(self, tenant: str, number: str) -> Records:
        try:
            return await self._lookup.lookup(tenant, number)
        except Exception:  # a broken CRM pops nothing; the call goes on
            log.warning("screen-pop prefetch for %s failed", number, exc_info=True)
            return ()

    async def lookup(self, tenant: str, number: str) -> Records:
        entry = self._found.get((tenant, number))
        if entry is not None and self._clock() - entry[0] <= self._ttl:
            return await asyncio.shield(entry[1])
        return await self._lookup.lookup(tenant, number)


class ScreenPopFirst:
    """A PBX call handler that lets each new call's screen pop be found before passing it on."""

    def __init__(
        self,
        handler: Callable[[pbx.CallEvent], Awaitable[None]],
        screen_pop: PrefetchedScreenPop,
        wait_s: float = PREFETCH_WAIT_S,
    ) -> None:
        self._handler = handler
        self._screen_pop = screen_pop
        self._wait_s = wait_s
        self._held: dict[str, list[pbx.CallEvent]] = {}
        self._releasing: set[asyncio.Task[None]] = set()

    async def __call__(self, event: pbx.CallEvent) -> None:
        held = self._held.get(event.call_id)
        if held is not None:
            held.append(event)  # the call still waits for its records: keep its order
            return
        if not isinstance(event, pbx.CallOffered) or not event.caller:
            await self._handler(event)
            return
        tenant = event.tenant  # whose call center was called: its CRM connections answer
        self._held[event.call_id] = []
        task = asyncio.create_task(self._release(tenant, event), name="screen-pop-first")
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _release(self, tenant: str, offered: pbx.CallOffered) -> None:
        lookup = self._screen_pop.prefetch(tenant, offered.caller)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(lookup), self._wait_s)
        held = self._held[offered.call_id]
        held.insert(0, offered)
        while held:
            event = held.pop(0)
            try:
                await self._handler(event)
            except Exception:  # as the PBX's own dispatch does: log, go on with the next
                log.exception("call handler failed on %r", event)
        del self._held[offered.call_id]
