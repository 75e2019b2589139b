"""The ch. 7 group options in the running product, over the trunk with SIPp: an instant group
call (every member rings, the first to answer talks), the incoming calling plan (a tenant's and a
user's: 403 by origin and by the calling number's category) and intercept (the message, then the
alternate number; calls out refused; switched off live)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pbx_core.trunks.routing import TrunkRouting
from tests.e2e.test_product_group_services import Caller, admin, put, route
from tests.pbx_core.support import agent_phone, free_port, free_sip_port, run_sipp
from tests.product_harness import ProductThread


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "options", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def routing_has(product: ProductThread, ready: Callable[[TrunkRouting], bool]) -> None:
    """The PBX's routing is rebuilt off the request, a moment later."""
    pbx = product.handle.pbx
    assert pbx is not None
    for _ in range(600):
        if ready(pbx.trunks):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the PBX's routing did not follow the change")


async def sipp(product: ProductThread, work: Path, scenario: str, caller: str, to: str) -> None:
    """A call from the carrier (`caller` an outside number) or from a phone (an extension)."""
    phone = caller.isdigit() and len(caller) == 4
    result = await run_sipp(
        scenario,
        work_dir=work,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": caller, "to": to, "media_port": free_port(), "hold_ms": 300},
        extra=["-au", caller, "-ap", f"pw{caller}"] if phone else [],
    )
    assert result.returncode == 0, result.errors


async def test_an_instant_group_rings_every_member_and_the_first_answer_talks(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        refused = await http.put("/groups/7401", json={"kind": "instant_group", "name": "x",
                                 "settings": {"members": ["1002", "2999"]}})  # fmt: skip
        assert refused.status_code == 422 and "members" in refused.text  # nobody of this tenant
        await put(http, "/groups/7400", {"kind": "instant_group", "name": "Everyone",
                  "settings": {"members": ["1002", "1003"], "ring_seconds": 20.0}})  # fmt: skip
        await route(http, "+31201230094", "7400")
    ringing = await agent_phone(product.sip_port, "1002", "agent_no_answer.xml", tmp_path)
    answering = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "+31201230094", hold_ms=1500)
        await caller.done()
        assert (await answering.wait()).returncode == 0, "1003 answered the instant group call"
        assert (await ringing.wait()).returncode == 0, "1002 rang at once, then was cancelled"
    finally:
        ringing.kill()
        answering.kill()


async def test_incoming_calling_plans_of_the_tenant_and_a_user(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        await put(http, "/incoming-calling-plan", {"denied": ["international"]})
        own = await put(http, "/users/1003/incoming-calling-plan", {"internal": False})
        assert own == {"internal": False, "external": True, "denied": [], "own": True}
        for path, body, field in [
            ("/incoming-calling-plan", {"denied": ["emergency"]}, "denied"),
            ("/incoming-calling-plan", {"internal": "no"}, "internal"),
            ("/users/1003/incoming-calling-plan", {"denied": ["moon"]}, "denied"),
        ]:
            bad = await http.put(path, json=body)
            assert bad.status_code == 422 and field in bad.text, bad.text
        nobody = await http.put("/users/nobody/incoming-calling-plan", json={})
        assert nobody.status_code == 404, nobody.text
        follows = await http.get("/users/1002/incoming-calling-plan")
        assert follows.json()["own"] is False and follows.json()["denied"] == ["international"]
    await routing_has(product, lambda t: ("demo", "1003") in t.user_incoming_plans)
    # The tenant refuses callers from abroad (1002 follows it); 1003 refuses its colleagues.
    await sipp(product, tmp_path, "trunk_call_fails_403.xml", "+4930123456", "+31201230002")
    await sipp(product, tmp_path, "ext_call_fails_403.xml", "1001", "1003")
    # 1003's own plan replaces the tenant's: a caller from abroad reaches it.
    phone = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        await sipp(product, tmp_path, "trunk_call.xml", "+4930123456", "+31201230003")
        assert (await phone.wait()).returncode == 0, "1003 took the call from abroad"
    finally:
        phone.kill()


async def test_intercept_says_its_message_sends_callers_on_and_blocks_calls_out(
    product: ProductThread, tmp_path: Path
) -> None:
    intercept = {"enabled": True, "text": "We have moved. You are put through.",
                 "language": "en", "alternate": "1004"}  # fmt: skip
    async with await admin(product) as http:
        for body, field in [
            ({**intercept, "alternate": "sales"}, "alternate"),
            ({**intercept, "announcement": "announcement:nothing"}, "announcement"),
            ({**intercept, "language": "xx"}, "language"),
        ]:
            bad = await http.put("/intercept", json=body)
            assert bad.status_code == 422 and field in bad.text, bad.text
        await put(http, "/intercept", intercept)
    await routing_has(product, lambda t: "demo" in t.intercepted)
    alternate = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        # A call to 1001's number hears the message, then 1004 answers.
        caller = Caller(product, tmp_path, "+31201230001", hold_ms=12000)
        await caller.done()
        assert (await alternate.wait()).returncode == 0, "the alternate number 1004 answered"
        spoken = [s for _, s in caller.phone.received if max(map(abs, s), default=0) > 2000]
        assert len(spoken) > 25, "the caller heard the message (half a second of speech)"
    finally:
        alternate.kill()
    # The trusted trunk calling the Helpdesk 7001 by its number is intercepted too.
    alternate = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, "7001", hold_ms=12000)
        await caller.done()
        assert (await alternate.wait()).returncode == 0, "7001's caller went to 1004"
    finally:
        alternate.kill()
    await sipp(product, tmp_path, "ext_call_fails_403.xml", "1002", "0612345678")

    # Switched off: the next call rings 1001 itself, no restart.
    async with await admin(product) as http:
        await put(http, "/intercept", {**intercept, "enabled": False})
    await routing_has(product, lambda t: not t.intercepted)
    phone = await agent_phone(product.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        await sipp(product, tmp_path, "trunk_call.xml", "0612345678", "+31201230001")
        assert (await phone.wait()).returncode == 0, "1001 rang again"
    finally:
        phone.kill()
