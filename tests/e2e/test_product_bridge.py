"""The conference bridge in the running product (`make demo`): three SIPp phones dial the demo
room 8100, key its PINs and hear each other through rtpengine and the room's mixer; the REST
API lists them and a supervisor mutes all but the moderator."""

from __future__ import annotations

from pathlib import Path

import httpx

from cti.bridge_rooms_demo import DEMO_ROOM
from cti.bridge_rooms_live import pbx_room
from tests.e2e.test_product import product, token
from tests.pbx_core.test_bridge_rooms import C_HZ, MODERATOR_HZ, three_in_the_room
from tests.pbx_core.test_hold_and_monitor import _assert_hearing, _listen
from tests.product_harness import ProductThread

__all__ = ["product"]
ROOM = DEMO_ROOM.number


async def test_the_demo_room_in_the_product(product: ProductThread, tmp_path: Path) -> None:
    pbx = product.handle.pbx
    assert pbx is not None
    supervisor = {
        "Authorization": f"Bearer {await token(product.base_url, 'supervisor', 'pwsupervisor')}"
    }
    agent = {"Authorization": f"Bearer {await token(product.base_url, '1004', 'pw1004')}"}
    async with (
        httpx.AsyncClient(base_url=product.base_url) as http,
        three_in_the_room(pbx, tmp_path, pbx_room(DEMO_ROOM)) as meeting,
    ):
        listed = await http.get(f"/api/v1/conference-rooms/{ROOM}/participants", headers=agent)
        assert listed.status_code == 200
        assert sorted((p["caller"], p["moderator"], p["muted"]) for p in listed.json()) == [
            ("1001", True, False), ("1002", False, False), ("1003", False, False)
        ]  # fmt: skip
        refused = await http.put(f"/api/v1/conference-rooms/{ROOM}/mute", json={"muted": True},
                                 headers=agent)  # fmt: skip
        assert refused.status_code == 403
        muted = await http.put(f"/api/v1/conference-rooms/{ROOM}/mute", json={"muted": True},
                               headers=supervisor)  # fmt: skip
        assert muted.json() == {"muted": True}
        since = await _listen()
        _assert_hearing(since, {meeting.b: ((MODERATOR_HZ,), (C_HZ,))})
        listed = await http.get(f"/api/v1/conference-rooms/{ROOM}/participants", headers=agent)
        assert sorted(p["muted"] for p in listed.json()) == [False, True, True]
        unknown = await http.get("/api/v1/conference-rooms/8199/participants", headers=agent)
        assert unknown.status_code == 404
