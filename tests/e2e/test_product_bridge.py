"""The conference bridge in the running product (`make demo`): three SIPp phones dial the demo
room 8100, key its PINs and hear each other through rtpengine and the room's mixer."""

from __future__ import annotations

from pathlib import Path

from cti.demo_company import DEMO_ROOMS
from tests.e2e.test_product import product
from tests.pbx_core.test_bridge_rooms import three_in_the_room
from tests.product_harness import ProductThread

__all__ = ["product"]


async def test_the_demo_room_in_the_product(product: ProductThread, tmp_path: Path) -> None:
    pbx = product.handle.pbx
    assert pbx is not None
    async with three_in_the_room(pbx, tmp_path, DEMO_ROOMS[0]):
        pass
