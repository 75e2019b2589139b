"""The hold-back before an offer: a new call waits for its screen pop at most the bounded
time, its later events keep their order behind it, other calls never wait for it, a broken CRM
costs the call nothing. The product-level order test: tests/e2e/test_product_screen_pop_first.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cti.screen_pop import ScreenPopRecord
from cti.screen_pop_first import PrefetchedScreenPop, ScreenPopFirst
from pbx_core import call_control as pbx

RECORD = ScreenPopRecord(crm="crm", record_id="r1", name="Klant", url="")


class Crm:
    """A CRM whose answers the test releases by hand."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked: list[str] = []
        self.broken = False

    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        self.asked.append(number)
        await self.release.wait()
        if self.broken:
            raise RuntimeError("CRM down")
        return [RECORD]


def offered(call_id: str, caller: str = "+31201234567") -> pbx.CallOffered:
    return pbx.CallOffered(call_id, caller, "7001", pbx.CallSource.TRUNK)


async def test_the_call_waits_for_its_records_and_keeps_its_order() -> None:
    crm, seen = Crm(), []
    screen_pop = PrefetchedScreenPop(crm)

    async def handler(event: pbx.CallEvent) -> None:
        seen.append(event)

    first = ScreenPopFirst(handler, screen_pop, wait_s=30)
    await first(offered("a"))
    hang_up = pbx.CallHungUp("a", pbx.HangupSide.CALLER)
    await first(hang_up)
    await first(offered("b", caller=""))  # no number to look up: straight on
    await asyncio.sleep(0.05)
    assert [e.call_id for e in seen] == ["b"]
    crm.release.set()
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    assert [(type(e).__name__, e.call_id) for e in seen] == [
        ("CallOffered", "b"), ("CallOffered", "a"), ("CallHungUp", "a"),
    ]  # fmt: skip
    # the offer's pop is the prefetched answer: the CRM is not asked again
    assert await screen_pop.lookup("demo", "+31201234567") == [RECORD]
    assert crm.asked == ["+31201234567"]


async def test_a_slow_or_broken_crm_holds_the_call_only_for_the_bounded_wait() -> None:
    crm, seen = Crm(), []
    crm.broken = True
    screen_pop = PrefetchedScreenPop(crm)

    async def handler(event: pbx.CallEvent) -> None:
        seen.append(event.call_id)

    first = ScreenPopFirst(handler, screen_pop, wait_s=0.05)
    await first(offered("slow"))
    for _ in range(200):
        if seen:
            break
        await asyncio.sleep(0.01)
    assert seen == ["slow"]  # offered without its records
    crm.release.set()  # the CRM fails late: the pop is empty, nothing raises
    assert await screen_pop.lookup("demo", "+31201234567") == ()
