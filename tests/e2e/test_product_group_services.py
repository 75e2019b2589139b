"""Hunt groups and auto attendants in the running product, over the trunk with SIPp: a caller
keys RFC 4733 digits through a two-level menu into a hunt group whose SIPp members answer by its
policy; a menu outside its business hours sends every caller on; wrong keys end at the fallback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.keying_phone import EVENT_CODES
from tests.e2e.test_product import token
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import SippResult, agent_phone, free_sip_port, run_sipp
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets
from tests.product_harness import ProductThread

TENANT = "demo"


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "groups", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def admin(product: ProductThread) -> httpx.AsyncClient:
    bearer = await token(product.base_url, "admin", "pwadmin")
    return httpx.AsyncClient(
        base_url=f"{product.base_url}/api/v1/tenants/{TENANT}",
        headers={"Authorization": f"Bearer {bearer}"},
    )


async def put(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = await http.put(path, json=body)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


async def refused_field(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    """The field a 422 names for `body` PUT at `path`."""
    reply = await http.put(path, json=body)
    assert reply.status_code == 422, reply.text
    return str(reply.json()["detail"]["field"])


async def route(http: httpx.AsyncClient, number: str, destination: str) -> None:
    reply = await http.post("/numbers", json={"number": number, "destination": destination})
    assert reply.status_code == 201, reply.text


class Caller:
    """A caller from the carrier to `number`: an RTP phone that keys digits, hanging up after
    `hold_ms` from the answer (SIPp `trunk_call.xml`)."""

    def __init__(
        self,
        product: ProductThread,
        tmp_path: Path,
        number: str,
        hold_ms: int,
        talking_hz: float | None = None,
        calling: str = "0612345678",
    ) -> None:
        """`calling`: the caller's number as the carrier sends it (national: the PBX makes it
        E.164)."""
        self.phone = RtpPhone(talking_hz).start()
        self.sequence, self.timestamp = 7000, 800000
        self.call: asyncio.Task[SippResult] = asyncio.create_task(
            run_sipp(
                "trunk_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={
                    "from": calling,
                    "to": number,
                    "media_port": self.phone.port,
                    "hold_ms": hold_ms,
                },
            )
        )

    async def press(self, digits: str) -> None:
        for _ in range(200):  # the menu's prompt tells where rtpengine listens
            if self.phone.peer is not None:
                break
            await asyncio.sleep(0.05)
        assert self.phone.peer is not None, "the menu did not answer with audio"
        for digit in digits:
            for packet in telephone_event_packets(
                EVENT_CODES[digit], self.sequence, self.timestamp, 0x99
            ):
                self.phone.sock.sendto(packet, self.phone.peer)
                await asyncio.sleep(0.02)
            self.sequence += 10
            self.timestamp += 1600
            await asyncio.sleep(0.3)

    async def done(self) -> None:
        try:
            result = await asyncio.wait_for(self.call, 60)
            assert result.returncode == 0, result.errors
        finally:
            await self.phone.close()


TWO_LEVELS = {
    "menus": {
        "main": {
            "text": "Press 1 for sales.",
            "options": [{"digit": "1", "action": "submenu", "target": "sales"}],
        },
        "sales": {
            "text": "Press 2 for the sales team, 9 to go back.",
            "options": [
                {"digit": "2", "action": "transfer", "target": "7200"},
                {"digit": "9", "action": "back"},
            ],
        },
    },
    "language": "en",
    "timeout_seconds": 10.0,
}


async def test_two_level_menu_into_a_hunt_group_by_its_policy(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        # Regular: 1002 first (busy), then 1003, who answers; 1004 is never offered.
        await put(
            http,
            "/groups/7200",
            {
                "kind": "hunt_group",
                "name": "Sales team",
                "settings": {
                    "policy": "regular",
                    "members": ["1002", "1003", "1004"],
                    "ring_seconds": 10.0,
                },
            },
        )
        await put(http, "/groups/7300", {"kind": "auto_attendant", "name": "Menu",
                                         "settings": TWO_LEVELS})  # fmt: skip
        await route(http, "+31201230098", "7300")
    busy = await agent_phone(product.sip_port, "1002", "agent_busy.xml", tmp_path)
    answering = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "+31201230098", hold_ms=8000)
        await caller.press("1")
        await caller.press("2")
        await caller.done()
        assert (await answering.wait()).returncode == 0, "1003 rang, answered, got the BYE"
        assert (await busy.wait()).returncode == 0, "1002 was offered the call first: busy"
    finally:
        busy.kill()
        answering.kill()


async def test_out_of_hours_and_bad_input(product: ProductThread, tmp_path: Path) -> None:
    # Open only on a weekday that is not today: the after-hours menu sends every caller to 1005.
    other_day = (datetime.now(UTC).weekday() + 3) % 7
    closed = {"timezone": "UTC", "hours": [{"weekday": other_day, "start": "00:00",
                                            "end": "23:59:59"}]}  # fmt: skip
    night = {
        "menus": {
            "main": {
                "text": "Press 1.",
                "options": [{"digit": "1", "action": "transfer", "target": "1004"}],
            },
            "closed": {"text": "We are closed.", "destination": "1005"},
        },
        "after_hours_menu": "closed",
        "schedule": "never-today",
        "language": "en",
    }
    bad = {
        "menus": {
            "main": {
                "text": "Press 1.",
                "options": [{"digit": "1", "action": "transfer", "target": "7777"}],
            }
        },
        "max_misses": 2,
        "fallback": "1004",
        "timeout_seconds": 10.0,
        "language": "en",
    }
    async with await admin(product) as http:
        await put(http, "/schedules/never-today", closed)
        await put(http, "/groups/7301", {"kind": "auto_attendant", "name": "Night",
                                         "settings": night})  # fmt: skip
        await put(http, "/groups/7302", {"kind": "auto_attendant", "name": "Bad", "settings": bad})
        # A key leading to a submenu that does not exist is refused when the menu is saved.
        loop = {**bad, "menus": {"main": {"text": "x", "options": [
            {"digit": "1", "action": "submenu", "target": "nowhere"}]}}}  # fmt: skip
        refused = await http.put("/groups/7303", json={"kind": "auto_attendant", "name": "L",
                                                       "settings": loop})  # fmt: skip
        assert refused.status_code == 422, refused.text
        await route(http, "+31201230097", "7301")
        await route(http, "+31201230096", "7302")
    night_phone = await agent_phone(product.sip_port, "1005", "agent_answer.xml", tmp_path)
    fallback = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        started = time.monotonic()
        closed_call = Caller(product, tmp_path, "+31201230097", hold_ms=5000)
        await closed_call.done()
        assert (await night_phone.wait()).returncode == 0, "outside hours: 1005 answered"
        # Two keys with no destination (3, then #): the fallback 1004 answers.
        wrong = Caller(product, tmp_path, "+31201230096", hold_ms=6000)
        await wrong.press("3")
        await wrong.press("#")
        await wrong.done()
        assert (await fallback.wait()).returncode == 0, "after two misses: the fallback 1004"
        assert time.monotonic() - started < 120
    finally:
        night_phone.kill()
        fallback.kill()


async def test_the_demo_menu_on_its_direct_number_reaches_hunt_group_7100(
    product: ProductThread, tmp_path: Path
) -> None:
    # contract.md: +31201230099 is the demo auto attendant; 3 -> hunt group 7100 (1001-1003,
    # circular: 1001 first).
    member = await agent_phone(product.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "+31201230099", hold_ms=6000)
        await caller.press("3")
        await caller.done()
        assert (await member.wait()).returncode == 0, "1001 rang, answered, got the BYE"
    finally:
        member.kill()


async def test_simultaneous_ringing_and_night_forwarding_switched_by_a_member(
    product: ProductThread, tmp_path: Path
) -> None:
    settings = {"policy": "simultaneous", "members": ["1002", "1003"], "ring_seconds": 20.0,
                "forwarding": {"night": "1004"}}  # fmt: skip
    async with await admin(product) as http:
        await put(http, "/groups/7200", {"kind": "hunt_group", "name": "All at once",
                                         "settings": settings})  # fmt: skip
    # Both ring; 1003 answers, so 1002's ringing is cancelled.
    ringing = await agent_phone(product.sip_port, "1002", "agent_no_answer.xml", tmp_path)
    answering = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "7200", hold_ms=1500)
        await caller.done()
        assert (await answering.wait()).returncode == 0, "1003 answered the group call"
        assert (await ringing.wait()).returncode == 0, "1002 rang, then was cancelled"
    finally:
        ringing.kill()
        answering.kill()

    # Night forwarding is switched by a member of the group (1002), not by anyone else (1005).
    base = f"{product.base_url}/api/v1/tenants/{TENANT}/groups/7200/night-forwarding"
    async with httpx.AsyncClient() as http:
        outsider = await token(product.base_url, "1005", "pw1005")
        refused = await http.put(base, json={"on": True},
                                 headers={"Authorization": f"Bearer {outsider}"})  # fmt: skip
        assert refused.status_code == 403, refused.text
        member = await token(product.base_url, "1002", "pw1002")
        switched = await http.put(base, json={"on": True},
                                  headers={"Authorization": f"Bearer {member}"})  # fmt: skip
        assert switched.status_code == 200, switched.text
    night = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "7200", hold_ms=1500)
        await caller.done()
        assert (await night.wait()).returncode == 0, "night forwarding: 1004 answered"
    finally:
        night.kill()
