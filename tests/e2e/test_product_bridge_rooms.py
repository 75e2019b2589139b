"""Conference rooms in provisioning, in the running product: an admin makes a room through the
REST API, routes a direct number to it, and a caller from the carrier (SIPp) keys its PIN and is
in the room; refused: a number in use, a cap above the licence, another tenant's room, deleting a
routed room."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from cti.bridge_rooms_demo import DEMO_ROOM, DEMO_ROOM_NUMBER
from tests.e2e.test_product import token
from tests.e2e.test_product_group_services import Caller, admin, product, route
from tests.e2e.test_product_tenants import operator_client
from tests.product_harness import ProductThread

__all__ = ["product"]
ROOM = {"number": "8200", "name": "Team room", "pin": "2468", "moderator_pin": "1357",
        "max_participants": 3, "language": "en"}  # fmt: skip
SETTINGS = {k: v for k, v in ROOM.items() if k != "number"}
ROOM_NUMBER = "+31201230082"


async def _participants(http: httpx.AsyncClient, number: str, want: int) -> list[dict[str, str]]:
    """Who is in the room once `want` are (the PIN is keyed meanwhile)."""
    async with asyncio.timeout(30):
        while True:
            listed = await http.get(f"/api/v1/conference-rooms/{number}/participants")
            assert listed.status_code == 200, listed.text
            if len(listed.json()) == want:
                return list(listed.json())
            await asyncio.sleep(0.2)


async def test_a_room_made_by_the_admin_reached_by_its_direct_number(
    product: ProductThread, tmp_path: Path
) -> None:
    bearer = await token(product.base_url, "admin", "pwadmin")
    async with (
        await admin(product) as rooms_api,
        httpx.AsyncClient(
            base_url=product.base_url, headers={"Authorization": f"Bearer {bearer}"}
        ) as http,
    ):
        listed = (await rooms_api.get("/conference-rooms")).json()
        assert [r["number"] for r in listed] == [DEMO_ROOM.number]  # the demo's, seeded
        assert {"number": DEMO_ROOM_NUMBER, "destination": DEMO_ROOM.number} in (
            await rooms_api.get("/numbers")
        ).json()
        made = await rooms_api.post("/conference-rooms", json=ROOM)
        assert made.status_code == 201, made.text
        assert made.json() == ROOM
        # A number in use: the room itself, a user, the demo's room.
        for number in ("8200", "1001", DEMO_ROOM.number):
            again = await rooms_api.post("/conference-rooms", json={**ROOM, "number": number})
            assert again.status_code == 409, again.text
        over = await rooms_api.post(
            "/conference-rooms", json={**ROOM, "number": "8201", "max_participants": 11}
        )
        assert over.status_code == 422
        assert over.json()["detail"]["field"] == "max_participants"
        same_pins = await rooms_api.put("/conference-rooms/8200", json={**ROOM, "pin": "1357"})
        assert same_pins.status_code == 422
        await route(rooms_api, ROOM_NUMBER, "8200")

        caller = Caller(product, tmp_path, ROOM_NUMBER, hold_ms=8000)
        await caller.press("2468#")
        (seated,) = await _participants(http, "8200", 1)
        assert seated == {"caller": "+31612345678", "moderator": False, "muted": False}
        await caller.done()

        routed = await rooms_api.delete("/conference-rooms/8200")
        assert routed.status_code == 409  # the direct number routes to it
        lower = await rooms_api.put(
            "/conference-rooms/8200", json={**SETTINGS, "max_participants": 2}
        )
        assert lower.json()["max_participants"] == 2

    with operator_client(product.base_url) as operator:
        made = operator.post(
            "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": "acme.test"}
        )
        assert made.status_code == 201, made.text
        licence = operator.put("/api/v1/tenants/acme/conference-licence", json={"participants": 4})
        assert licence.json() == {"participants": 4}
        over = operator.post("/api/v1/tenants/acme/conference-rooms",
                             json={**ROOM, "max_participants": 5})  # fmt: skip
        assert over.status_code == 422
        theirs = operator.post(
            "/api/v1/tenants/acme/conference-rooms", json={**ROOM, "pin": "1111"}
        )
        assert theirs.status_code == 201, theirs.text  # the same number in another tenant
        below = operator.put("/api/v1/tenants/acme/conference-licence", json={"participants": 2})
        assert below.status_code == 409  # below the room's cap of 3
    async with await admin(product) as rooms_api:
        for method, path in (("GET", "/acme/conference-rooms"),
                             ("GET", "/acme/conference-rooms/8200"),
                             ("DELETE", "/acme/conference-rooms/8200"),
                             ("PUT", "/acme/conference-licence")):  # fmt: skip
            refused = await rooms_api.request(
                method, f"{product.base_url}/api/v1/tenants{path}", json={"participants": 50}
            )
            assert refused.status_code == 403, (method, path, refused.text)
        ours = (await rooms_api.get("/conference-rooms/8200")).json()
        assert ours["pin"] == ROOM["pin"]  # acme's room with its own PIN is not ours
