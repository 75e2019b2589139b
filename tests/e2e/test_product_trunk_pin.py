"""Calls "only with a PIN" in the whole product: the admin puts international calls behind a PIN
in the tenant's calling plan; 1003 dials abroad from its phone (SIPp, RTP), the PBX answers and
asks, the digits go as RFC 4733 events; only the right PIN sends the call to the SIPp carrier,
the same by SIP INFO; wrong PINs lock it (audited with the number, never the PIN)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product import token
from tests.e2e.test_product_trunks import product
from tests.e2e.test_product_voice_portal import set_pin
from tests.pbx_core.support import Sipp, free_port, run_sipp
from tests.product_harness import ProductThread

__all__ = ["product"]

ABROAD = "00442079460000"
"""A London number: category international."""


class CarrierPort(asyncio.DatagramProtocol):
    """The carrier's address with nobody answering: what reached it."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.methods.append(data.split(b" ", 1)[0].decode(errors="replace"))


async def _put(base: str, bearer: str, path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.put(path, headers={"Authorization": f"Bearer {bearer}"}, json=body)


@asynccontextmanager
async def _carrier(product: ProductThread, tmp_path: Path) -> AsyncIterator[None]:
    """The carrier (SIPp) answers one call and hangs up; it must have had it by the end."""
    carrier = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        local_port=product.settings.carrier[1],
        variables={"media_port": free_port(), "ring_ms": 100, "talk_ms": 300},
    ).start()
    try:
        yield
        assert (await carrier.wait()).returncode == 0, "the carrier answered the call"
    finally:
        carrier.kill()


async def test_an_international_call_goes_out_only_with_the_right_pin(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    admin = await token(base, "admin", "pwadmin")
    plan = "/api/v1/tenants/demo/calling-plan"
    # Bad input first: 112 never waits for a PIN, a category is refused or needs a PIN, not both.
    for bad in (
        {"denied": [], "pin": ["emergency"]},
        {"denied": ["international"], "pin": ["international"]},
        {"denied": [], "pin": ["nonsense"]},
        {"denied": [], "pin": "international"},
    ):
        reply = await _put(base, admin, plan, bad)
        assert reply.status_code == 422, bad
        assert "pin" in reply.text
    following = {"denied": None, "pin": ["mobile"]}
    reply = await _put(base, admin, "/api/v1/tenants/demo/users/1003/calling-plan", following)
    assert reply.status_code == 422
    reply = await _put(base, admin, plan, {"denied": ["premium_rate"], "pin": ["international"]})
    assert reply.status_code == 200
    assert reply.json()["pin"] == ["international"]
    owner = await token(base, "1003", "pw1003")
    assert await set_pin(base, owner, "2468") == 204

    # One wrong PIN, then the right one (RFC 4733): the carrier gets the call (and hangs up).
    async with _carrier(product, tmp_path):
        call = KeyingCall(product.sip_port, tmp_path, "1003", ABROAD)
        await call.press("1111#")
        await call.press("2468#")
        await call.hung_up_by_pbx()
    # The right PIN as SIP INFO (application/dtmf-relay), the other way phones send digits.
    async with _carrier(product, tmp_path):
        keyed = await run_sipp(
            "ext_call_info_pin.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1003", "to": ABROAD, "media_port": free_port(),
                       "d1": 2, "d2": 4, "d3": 6, "d4": 8},
            extra=["-au", "1003", "-ap", "pw1003"],
        )  # fmt: skip
        assert keyed.returncode == 0, keyed.errors

    # Three wrong in one call end it; two more lock the PIN: the right one no longer helps.
    loop = asyncio.get_running_loop()
    seen = CarrierPort()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: seen, local_addr=("127.0.0.1", product.settings.carrier[1])
    )
    try:
        second = KeyingCall(product.sip_port, tmp_path, "1003", ABROAD)
        await second.press("1111#1111#1111#")
        await second.hung_up_by_pbx()
        third = KeyingCall(product.sip_port, tmp_path, "1003", ABROAD)
        await third.press("1111#1111#2468#")
        await third.hung_up_by_pbx()
    finally:
        transport.close()
    assert "INVITE" not in seen.methods, "a call without the right PIN reached the carrier"

    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.get(
            "/api/v1/tenants/demo/audit-log",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {admin}"},
        )
    entries = [e for e in reply.json()["items"] if e["entity"] == "call_pin"]
    assert [e["action"] for e in entries].count("wrong") == 5  # 1 + 3 + 1 before the lock
    assert "locked" in [e["action"] for e in entries]
    assert {e["after"]["number"] for e in entries} == {"+442079460000"}
    assert all(pin not in json.dumps(e) for e in entries for pin in ("1111", "2468"))
