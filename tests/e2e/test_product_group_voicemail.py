"""Voicemail as a group destination in the running product, over the trunk with SIPp: a menu's
`voicemail` option sends the caller straight to a user's greeting and recording; a hunt group
whose members cannot be reached forwards to `voicemail:<extension>`. The messages arrive in the
boxes; a box of nobody is refused when the group is saved."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from pbx_core.voicemail.greetings import BEEP_HERTZ
from tests.e2e.test_product import token
from tests.e2e.test_product_group_services import Caller, admin, product, put, route
from tests.e2e.test_product_voicemail import CALLER_HZ, messages
from tests.product_harness import ProductThread

__all__ = ["product"]
MENU = {
    "menus": {
        "main": {
            "text": "Press 7 to leave a message.",
            "options": [{"digit": "7", "action": "voicemail", "target": "1002"}],
        }
    },
    "language": "en",
    "timeout_seconds": 10.0,
}
HUNT = {
    "policy": "circular",
    "members": ["1006"],  # no phone registered: all busy at once
    "ring_seconds": 5.0,
    "no_answer_destination": "voicemail:1003",
    "busy_destination": "voicemail:1003",
}


async def _message_left(product: ProductThread, tmp_path: Path, number: str, keys: str) -> None:
    """A carrier caller to `number` keys `keys`, hears the box's beep, talks, hangs up."""
    caller = Caller(product, tmp_path, number, hold_ms=10000, talking_hz=CALLER_HZ)
    if keys:
        await caller.press(keys)
    await caller.phone.wait_to_hear(BEEP_HERTZ, timeout=20)
    await caller.done()


async def _one_message(product: ProductThread, owner: str) -> dict[str, object]:
    bearer = await token(product.base_url, owner, f"pw{owner}")
    async with httpx.AsyncClient(base_url=product.base_url) as http, asyncio.timeout(30):
        while not (listed := await messages(http, bearer)):
            await asyncio.sleep(0.3)
    (message,) = listed
    return message


async def test_a_menu_key_and_a_hunt_group_lead_straight_to_voicemail(
    product: ProductThread, tmp_path: Path
) -> None:
    async with await admin(product) as http:
        for settings, field in (
            ({**MENU, "menus": {"main": {"text": "x", "options": [
                {"digit": "7", "action": "voicemail", "target": "1999"}]}}}, "voicemail"),
            ({**MENU, "fallback": "voicemail:12ab"}, "fallback"),
        ):  # fmt: skip
            refused = await http.put(
                "/groups/7312", json={"kind": "auto_attendant", "name": "M", "settings": settings}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"]["field"] == field
        await put(http, "/groups/7310", {"kind": "auto_attendant", "name": "Messages",
                                         "settings": MENU})  # fmt: skip
        await put(http, "/groups/7311", {"kind": "hunt_group", "name": "Nobody in",
                                         "settings": HUNT})  # fmt: skip
        await route(http, "+31201230095", "7310")
        await route(http, "+31201230094", "7311")

    await _message_left(product, tmp_path, "+31201230095", "7")
    left = await _one_message(product, "1002")
    assert left["caller"] == "+31612345678"

    await _message_left(product, tmp_path, "+31201230094", "")
    left = await _one_message(product, "1003")
    assert left["caller"] == "+31612345678"
