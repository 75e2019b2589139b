"""A three-way call in the running product (`make demo`): the demo's users have the Kantoor
profile (NWayCall), so 1001 joins its calls with 1002 and 1003 by keying `*31`, over SIPp
phones and real RTP through rtpengine and the PBX's mixer."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_product import product
from tests.pbx_core.test_three_way_call import join_and_check, open_two_calls
from tests.product_harness import ProductThread

__all__ = ["product"]


async def test_three_way_call_in_the_product(product: ProductThread, tmp_path: Path) -> None:
    pbx = product.handle.pbx
    assert pbx is not None
    async with open_two_calls(pbx, tmp_path) as talk:
        await join_and_check(talk)
