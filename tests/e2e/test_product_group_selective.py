"""Selective group forwarding by caller in the running product: a hunt group forwards the calls
of a listed prefix; a SIPp call from the carrier from such a number reaches the destination
(1004), one from another number rings the members (1002). A bad rule is refused naming its
field."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_product_group_services import (
    Caller,
    admin,
    product,
    put,
    refused_field,
    route,
)
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

__all__ = ["product"]
RULE = {"callers": ["+31201234567", "+3130*"], "destination": "1004"}
DIRECT = "+31201230093"
"""Routed to the group: the carrier's callers arrive as E.164 numbers."""


async def test_calls_from_listed_numbers_are_forwarded_others_ring_the_members(
    product: ProductThread, tmp_path: Path
) -> None:
    settings = {"policy": "regular", "members": ["1002"], "ring_seconds": 20.0,
                "forwarding": {"selective": [RULE]}}  # fmt: skip
    async with await admin(product) as http:
        wrong = {
            "forwarding.selective[0].callers[0]": {**RULE, "callers": ["x"]},
            "forwarding.selective[0].destination": {**RULE, "destination": ""},
        }
        for field, rule in wrong.items():
            body = {"forwarding": {"selective": [rule]}}
            group = {"kind": "hunt_group", "name": "Desk", "settings": body}
            assert await refused_field(http, "/groups/7300", group) == field
        await put(http, "/groups/7300", {"kind": "hunt_group", "name": "Desk",
                                         "settings": settings})  # fmt: skip
        await route(http, DIRECT, "7300")

    forwarded_to = await agent_phone(product.sip_port, "1004", "agent_answer.xml", tmp_path)
    try:
        listed = Caller(product, tmp_path, DIRECT, hold_ms=1500, calling="0301234567")
        await listed.done()
        assert (await forwarded_to.wait()).returncode == 0, "the listed prefix reached 1004"
    finally:
        forwarded_to.kill()

    member = await agent_phone(product.sip_port, "1002", "agent_answer.xml", tmp_path)
    try:
        other = Caller(product, tmp_path, DIRECT, hold_ms=1500)  # +31612345678: not listed
        await other.done()
        assert (await member.wait()).returncode == 0, "another caller rang the member 1002"
    finally:
        member.kill()
