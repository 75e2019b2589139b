"""The demo's forced forwarding, as a supervisor uses it in the running product: switched on for
the Service line (7003), a new caller to 7003 is sent to Sales (7002) and waits there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.test_product import CALLER, graphql, product, token, trunk_call
from tests.product_harness import ProductThread

__all__ = ["product"]

FORWARD = """mutation($on: Boolean!, $to: String) {
  setForcedForwarding(callCenterId: "7003", enabled: $on, destination: $to) { accepted } }"""
WAITING = "query { callCenters { id forcedForwarding waitingCalls { caller } } }"


async def waiting_callers(base: str, bearer: str) -> dict[str, tuple[bool, list[str]]]:
    answer = await graphql(base, bearer, WAITING)
    return {
        cc["id"]: (cc["forcedForwarding"], [w["caller"] for w in cc["waitingCalls"]])
        for cc in answer["data"]["callCenters"]
    }


async def test_forced_forwarding_of_the_service_line_sends_new_callers_to_sales(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    supervisor = await token(base, "supervisor", "pwsupervisor")
    # A Sales agent signs in (unavailable), so Sales keeps its callers waiting instead of busy.
    sales_agent = await token(base, "1004", "pw1004")
    signed_in = await graphql(
        base, sales_agent, "mutation { setAgentState(state: UNAVAILABLE) { accepted } }"
    )
    assert signed_in == {"data": {"setAgentState": {"accepted": True}}}
    refused = await graphql(base, supervisor, FORWARD, on=True, to="0201234567")
    assert refused["errors"][0]["extensions"]["reason"] == "destination_fixed"
    switched = await graphql(base, supervisor, FORWARD, on=True, to="7002")
    assert switched == {"data": {"setForcedForwarding": {"accepted": True}}}
    assert (await waiting_callers(base, supervisor))["7003"] == (True, [])

    call = trunk_call(product, tmp_path, "7003", hold_ms=8000)
    try:
        async with asyncio.timeout(15):
            while CALLER not in (await waiting_callers(base, supervisor))["7002"][1]:
                await asyncio.sleep(0.2)
        assert (await waiting_callers(base, supervisor))["7003"] == (True, [])
    finally:
        result = await call
    assert result.returncode == 0, result.errors
