"""Bel-me-nu to a hunt group and to a user without a call-center licence, in the running
product: a visitor's request rings the hunt group by its policy (regular: 1002 is busy, then
1003's SIPp phone rings showing the visitor's number and answers), and only then the SIPp
carrier gets the call to the visitor; the same for a plain user's phone."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.test_product import token
from tests.e2e.test_product_belmenu import (
    SITE,
    VISITOR,
    _make_button,
    _phone_1001,
    product,
    visitor_asks,
)
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

__all__ = ["product"]
PLAIN_EXTENSION = (
    "102000"  # the SIP password pw102000 is long enough, and what SIPp's register uses
)
PLAIN = {"username": "plain", "name": "Plain User", "extension": PLAIN_EXTENSION,
         "password": "web-plain-secret", "sip_password": f"pw{PLAIN_EXTENSION}",
         "profile": "kantoor"}  # fmt: skip


async def _call_back(product: ProductThread, button: str, tmp_path: Path) -> dict[str, str]:
    """The visitor's request from the site; what the carrier saw of the call to the visitor."""
    async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
        reply = await visitor_asks(product, button)
        assert reply.json() == {"status": "calling"}, reply.text
        return await carrier.finished()


async def test_a_hunt_group_and_an_unlicensed_user_call_a_visitor_back(
    product: ProductThread, tmp_path: Path
) -> None:
    admin = {"Authorization": f"Bearer {await token(product.base_url, 'admin', 'pwadmin')}"}
    async with httpx.AsyncClient(base_url=product.base_url, headers=admin) as http:
        settings = {"policy": "regular", "members": ["1002", "1003"], "ring_seconds": 10.0}
        group = await http.put(
            "/api/v1/tenants/demo/groups/7500",
            json={"kind": "hunt_group", "name": "Website team", "settings": settings},
        )
        assert group.status_code == 200, group.text
        made = await http.post("/api/v1/tenants/demo/users", json=PLAIN)
        assert made.status_code == 201, made.text
        assert made.json()["licences"]["call_center"] is None
        menu = await http.post("/api/v1/tenants/demo/belmenu-buttons", json={
            "label": "x", "destination": "7099", "origins": [SITE]})  # fmt: skip
        assert menu.status_code == 422  # an auto attendant calls nobody back
    to_group, _ = await _make_button(product, SITE, destination="7500")
    busy = await agent_phone(product.sip_port, "1002", "agent_busy.xml", tmp_path)
    phone, phone_log = await _phone_1001(product, tmp_path, "1003")
    try:
        seen = await _call_back(product, to_group, tmp_path)
        assert (await phone.wait()).returncode == 0
        assert (await busy.wait()).returncode == 0, "1002 was rung first, by the policy"
    finally:
        phone.kill()
        busy.kill()
    assert f"<sip:{VISITOR}@" in phone_log.read_text()  # 1003 saw who asked
    assert seen["r-uri"].startswith(f"sip:{VISITOR}@")

    to_plain, _ = await _make_button(product, SITE, destination=PLAIN_EXTENSION)
    phone, phone_log = await _phone_1001(product, tmp_path, PLAIN_EXTENSION)
    try:
        seen = await _call_back(product, to_plain, tmp_path)
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    assert f"<sip:{VISITOR}@" in phone_log.read_text()
    assert seen["r-uri"].startswith(f"sip:{VISITOR}@")
