"""A trunk call offered to an agent in the running product, as the agent's browser sees it: the
agent's SIPp phone answers, the agent goes available, a SIPp caller on the trunk calls the demo
queue (7001), and the `CALL_OFFERED` event of the agent's `myCalls` subscription is returned
(with its screen pop)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.test_product import graphql
from tests.pbx_core.support import agent_phone, free_port, run_sipp
from tests.product_harness import ProductThread

MY_CALLS = gql("subscription { myCalls { type callId caller screenPop { crm recordId name } } }")


async def offered_call(
    product: ProductThread, agent_token: str, caller: str, tmp_path: Path, agent: str = "1001"
) -> dict[str, Any]:
    phone = await agent_phone(
        product.sip_port, agent, "agent_answer.xml", tmp_path,
        media_port=free_port(), ring_ms=300, talk_ms=500,
    )  # fmt: skip
    offered: list[dict[str, Any]] = []
    transport = WebsocketsTransport(
        url=f"ws://127.0.0.1:{product.settings.http_port}/graphql",
        init_payload={"Authorization": f"Bearer {agent_token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )

    async def watch() -> None:
        async with Client(transport=transport) as session:
            async for result in session.subscribe(MY_CALLS):
                if result["myCalls"]["type"] == "CALL_OFFERED":
                    offered.append(result["myCalls"])
                    return

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.sleep(1.0)  # the subscription is up before the call
        ready = await graphql(
            product.base_url,
            agent_token,
            "mutation { setAgentState(state: AVAILABLE) { accepted } }",
        )
        assert ready == {"data": {"setAgentState": {"accepted": True}}}
        call = await run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": caller, "to": "7001", "media_port": free_port(), "hold_ms": 2000},
        )
        assert call.returncode == 0, call.errors
        await asyncio.wait_for(watcher, 15)
    finally:
        watcher.cancel()
        phone.kill()
    [event] = offered
    return event
