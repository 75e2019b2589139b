"""Call pickup groups and the pickup/park events in the running product: the admin makes a
group over REST (refused by field: an unknown or another tenant's extension, a user already in a
group, an agent writing, a malformed body); `*98` from a user outside the group picks up nothing
(spoken), a member picks the call up; a supervisor's `groupCalls` subscription shows who picked
up, who parked and who retrieved. docs/phone-features.md, "Pickup groups"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client

from pbx_core import call_control as cc
from pbx_core.features.call_handling_phrases import Outcome, said
from tests.e2e.test_product import token
from tests.e2e.test_product_call_handling import PbxEvents, events, finished, phone_call
from tests.e2e.test_product_group_events import GROUP_CALLS, _transport
from tests.e2e.test_product_phone_features import bearer, dial, was_spoken
from tests.e2e.test_product_tenants import ACME_DOMAIN, acme_user, operator_client
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

GROUPS = "/api/v1/tenants/demo/pickup-groups"
__all__ = ["events"]  # the fixture, shared with the call-handling tests


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("pickup") / "var", "pickupgroups")
    yield running
    running.stop()


async def test_the_admin_makes_groups_and_bad_input_is_refused_by_field(
    product: ProductThread,
) -> None:
    with operator_client(product.base_url) as operator:
        made = operator.post(
            "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": ACME_DOMAIN}
        )
        assert made.status_code == 201, made.text
        user = operator.post("/api/v1/tenants/acme/users", json=acme_user("1077", ["agent"]))
        assert user.status_code == 201, user.text
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        admin = await bearer(product, "admin")
        sales = await http.put(f"{GROUPS}/Sales", json={"members": ["1004", "1003"]},
                               headers=admin)  # fmt: skip
        assert sales.status_code == 200, sales.text
        assert sales.json() == {"name": "Sales", "members": ["1003", "1004"]}
        listed = await http.get(GROUPS, headers=await bearer(product, "supervisor"))
        assert listed.json() == {"groups": [sales.json()]}

        refusals: list[tuple[str, Any, int, str]] = [
            ("Support", {"members": ["1099"]}, 404, "members"),  # nobody's extension
            ("Support", {"members": ["1077"]}, 404, "members"),  # acme's, not demo's
            ("Support", {"members": ["1002", "1003"]}, 409, "members"),  # 1003 is in Sales
        ]
        for name, body, status, field in refusals:
            refused = await http.put(f"{GROUPS}/{name}", json=body, headers=admin)
            assert refused.status_code == status, refused.text
            assert refused.json()["detail"]["field"] == field
        for body in ({"members": "1003"}, {"members": ["1003"], "extra": 1}, {"members": ["1x"]}):
            malformed = await http.put(f"{GROUPS}/Support", json=body, headers=admin)
            assert malformed.status_code == 422, malformed.text
        agent = await http.put(f"{GROUPS}/Support", json={"members": ["1001"]},
                               headers=await bearer(product, "1001"))  # fmt: skip
        assert agent.status_code == 403, agent.text
        acme = await http.get("/api/v1/tenants/acme/pickup-groups", headers=admin)
        assert acme.status_code == 403, acme.text
        missing = await http.delete(f"{GROUPS}/Support", headers=admin)
        assert missing.status_code == 404, missing.text
        assert (await http.get(GROUPS, headers=admin)).json() == {"groups": [sales.json()]}


async def test_star_98_picks_up_in_the_group_only_and_subscribers_see_pickups_and_parks(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        sales = await http.put(f"{GROUPS}/Sales", json={"members": ["1003", "1004"]},
                               headers=await bearer(product, "admin"))  # fmt: skip
        assert sales.status_code == 200, sales.text
    supervisor = await token(product.base_url, "supervisor", "pwsupervisor")
    seen: list[dict[str, Any]] = []

    async def follow() -> None:
        async with Client(transport=_transport(product, supervisor)) as session:
            async for result in session.subscribe(GROUP_CALLS):
                seen.append(result["groupCalls"])

    follower = asyncio.create_task(follow())
    try:
        await asyncio.sleep(1.0)  # the subscription reads before the calls
        ringing = await agent_phone(product.sip_port, "1003", "agent_no_answer.xml", tmp_path)
        caller = phone_call(product, tmp_path, "1005", "1003", "ext_call_remote_bye.xml", 40)
        await caller.start()
        try:
            await events.wait_for(cc.CallRinging, extension="1003")
            await dial(product, tmp_path, "1006", "*98")  # 1006 is in no group: not Sales' call
            assert was_spoken(product, said(Outcome.NOTHING_TO_PICK_UP, "", "nl"))
            assert not events.of(cc.CallPickedUp)
            picking = await phone_call(product, tmp_path, "1004", "*98", "ext_call.xml").start()
            await finished(picking, caller, ringing)
        finally:
            ringing.kill()
            caller.kill()
        assert events.of(cc.CallPickedUp, extension="1004", ringing_extension="1003")

        # 1007 parks 1005's call (its own slot), 1008 retrieves it with *881007.
        parker = await agent_phone(product.sip_port, "1007", "callhandling_answer_park.xml",
                                   tmp_path)  # fmt: skip
        parked_call = phone_call(product, tmp_path, "1005", "1007", "ext_call_remote_bye.xml", 40)
        await parked_call.start()
        try:
            await events.wait_for(cc.CallParked, extension="1007", retrieved_by="")
            await finished(parker)
            retriever = phone_call(product, tmp_path, "1008", "*881007", "ext_call.xml")
            await retriever.start()
            await finished(retriever, parked_call)
        finally:
            parker.kill()
            parked_call.kill()
        async with asyncio.timeout(30):
            while not any(e["type"] == "CALL_PARK_RETRIEVED" for e in seen):
                await asyncio.sleep(0.1)
    finally:
        follower.cancel()
    handled = [
        (e["type"], e["group"], e["member"], e["caller"], e["data"])
        for e in seen
        if e["type"].startswith("CALL_")
    ]
    assert handled == [
        ("CALL_PICKED_UP", "1003", "1004", "1005", {"ringing_extension": "1003"}),
        ("CALL_PARKED", "1007", "1007", "1005", {"slot": "1007"}),
        ("CALL_PARK_RETRIEVED", "1007", "1008", "1005", {"slot": "1007", "parked_by": "1007"}),
    ]
