"""Group calls' events in the running product, read as a supervisor's GraphQL client reads them
(a real `graphql-transport-ws` subscription): a caller from the carrier (SIPp) who hangs up in a
menu is abandoned there; one who keys 1 is forwarded by the menu into a hunt group, whose busy
1002 and answering 1003 are rung by its policy; an agent may not follow them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.test_product import token
from tests.e2e.test_product_group_services import Caller, admin, product, put, route
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

__all__ = ["product"]
GROUP_CALLS = gql("subscription { groupCalls { type group callId caller member reason data } }")
MENU = {
    "menus": {
        "main": {
            "text": "Press 1.",
            "options": [{"digit": "1", "action": "transfer", "target": "7400"}],
        }
    },
    "language": "en",
    "timeout_seconds": 10.0,
}


def _transport(product: ProductThread, bearer: str) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=f"ws://{product.settings.host}:{product.settings.http_port}/graphql",
        init_payload={"Authorization": f"Bearer {bearer}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def test_menu_and_hunt_group_events_on_a_graphql_subscription(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        await put(http, "/groups/7400", {"kind": "hunt_group", "name": "Team", "settings": {
            "policy": "regular", "members": ["1002", "1003"], "ring_seconds": 10.0}})  # fmt: skip
        await put(http, "/groups/7401", {"kind": "auto_attendant", "name": "Menu",
                                         "settings": MENU})  # fmt: skip
        await route(http, "+31201230093", "7401")
    supervisor = await token(product.base_url, "supervisor", "pwsupervisor")
    seen: list[dict[str, Any]] = []
    answered = asyncio.Event()

    async def subscribe() -> None:
        async with Client(transport=_transport(product, supervisor)) as session:
            async for result in session.subscribe(GROUP_CALLS):
                seen.append(result["groupCalls"])
                if result["groupCalls"]["type"] == "GROUP_CALL_ANSWERED":
                    answered.set()

    subscriber = asyncio.create_task(subscribe())
    busy = await agent_phone(product.sip_port, "1002", "agent_busy.xml", tmp_path)
    answering = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        await asyncio.sleep(1.0)  # the subscription is reading before the calls
        leaving = Caller(product, tmp_path, "+31201230093", hold_ms=1500)
        await leaving.done()
        caller = Caller(product, tmp_path, "+31201230093", hold_ms=8000)
        await caller.press("1")
        await asyncio.wait_for(answered.wait(), 45)
        await caller.done()
    finally:
        subscriber.cancel()
        busy.kill()
        answering.kill()
    left = [(e["type"], e["group"]) for e in seen if e["callId"] == seen[0]["callId"]]
    assert left == [("GROUP_CALL_OFFERED", "7401"), ("GROUP_CALL_ABANDONED", "7401")]
    keyed = [e for e in seen if e["callId"] != seen[0]["callId"]]
    assert [(e["type"], e["group"], e["member"]) for e in keyed] == [
        ("GROUP_CALL_OFFERED", "7401", None),
        ("GROUP_CALL_FORWARDED", "7401", None),
        ("GROUP_CALL_OFFERED", "7400", None),
        ("GROUP_MEMBER_RUNG", "7400", "1002"),
        ("GROUP_MEMBER_RUNG", "7400", "1003"),
        ("GROUP_CALL_ANSWERED", "7400", "1003"),
    ]
    assert {e["caller"] for e in seen} == {"+31612345678"}
    assert keyed[1]["data"]["destination"] == "7400"
    assert keyed[1]["data"]["trigger"] == "menu"
    assert keyed[2]["data"] == {"kind": "hunt_group"}
    assert keyed[3]["data"]["policy"] == "regular"
    assert keyed[5]["data"]["wait_seconds"] > 0

    agent = await token(product.base_url, "1004", "pw1004")
    with pytest.raises(TransportQueryError, match="supervisors and admins"):
        async with Client(transport=_transport(product, agent)) as session:
            async for _ in session.subscribe(GROUP_CALLS):
                pass
