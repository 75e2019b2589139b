"""The voice portal in the running product: 1003 dials `*62` from its own phone (SIPp, RTP),
keys its PIN as RFC 4733 events, 1 for its messages, hears its message, deletes it with 3; wrong
PINs lock the box until the user sets a new PIN."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product import product, token
from tests.e2e.test_product_voicemail import CALLER_HZ, leave_message
from tests.pbx_core.rtp_phone import FRAME, RtpPhone, level
from tests.product_harness import ProductThread

__all__ = ["product"]


class PortalCall(KeyingCall):
    """1003's own phone on `*62`: a silent RTP phone that keys digits; the PBX hangs up."""

    def __init__(self, product: ProductThread, tmp_path: Path) -> None:
        super().__init__(product.sip_port, tmp_path, "1003", "*62")


def longest_tone(phone: RtpPhone, hertz: float = CALLER_HZ) -> int:
    """The most frames in a row carrying `hertz` (speech has it only in passing)."""
    longest = run = 0
    for _, samples in phone.received:
        run = run + 1 if len(samples) == FRAME and level(samples, hertz) > 1500 else 0
        longest = max(longest, run)
    return longest


async def box(base: str, bearer: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.get("/api/v1/voicemail", headers={"Authorization": f"Bearer {bearer}"})
        listed: list[dict[str, object]] = reply.json()
        return listed


async def set_pin(base: str, bearer: str, pin: object) -> int:
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.put(
            "/api/v1/voicemail/pin",
            headers={"Authorization": f"Bearer {bearer}"},
            json={"pin": pin},
        )
        return reply.status_code


async def test_the_portal_plays_and_deletes_and_wrong_pins_lock_it(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    owner = await token(base, "1003", "pw1003")
    await leave_message(product, tmp_path, "1003")
    for bad in ("12", "123456789", "12a4", 1234):
        assert await set_pin(base, owner, bad) == 422
    assert await set_pin(base, owner, "2468") == 204

    # Five wrong PINs in a row (three in one call, which ends; two more): the box locks, and
    # the right PIN no longer opens it; the message is never played (still new).
    first = PortalCall(product, tmp_path)
    await first.press("1111#1111#1111#")
    await first.hung_up_by_pbx()
    second = PortalCall(product, tmp_path)
    await second.press("1111#1111#2468#")
    await second.hung_up_by_pbx()
    assert longest_tone(second.phone) < 25, "the message (0.5 s of its tone) played in a locked box"
    assert [m["read"] for m in await box(base, owner)] == [False]

    # A new PIN lifts the lock: 1 plays the message, 3 deletes it, `*` says goodbye.
    assert await set_pin(base, owner, "13579") == 204
    third = PortalCall(product, tmp_path)
    await third.press("13579#1")
    await third.phone.wait_to_hear(CALLER_HZ, timeout=15)
    await third.press("3*")
    await third.hung_up_by_pbx()
    assert await box(base, owner) == []
