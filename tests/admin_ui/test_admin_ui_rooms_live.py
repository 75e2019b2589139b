"""The admin portal's conference rooms page shows who is in each room, live: a caller from the
carrier (SIPp, in a thread of its own) keys the demo room's moderator PIN and is listed in
headless Chromium while in the room, and gone after hanging up."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cti.bridge_rooms_demo import DEMO_ROOM, DEMO_ROOM_NUMBER
from tests.admin_ui.conftest import product_with_carrier
from tests.admin_ui.test_admin_ui_product import go, page, sign_in
from tests.e2e.test_product_group_services import Caller
from tests.product_harness import ProductThread

__all__ = ["page"]


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    yield from product_with_carrier(tmp_path_factory, "adminrooms")


def test_the_rooms_page_lists_who_is_in_a_room(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    failures: list[BaseException] = []

    async def call() -> None:
        caller = Caller(product, tmp_path, DEMO_ROOM_NUMBER, hold_ms=12000)
        await caller.press(DEMO_ROOM.moderator_pin + "#")
        await caller.done()

    def in_thread() -> None:
        try:
            asyncio.run(call())
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    sign_in(page)
    go(page, "rooms")
    cell = page.locator(f'#rooms-table tr[data-number="{DEMO_ROOM.number}"] td.participants')
    expect(cell).to_have_text("—")
    caller = threading.Thread(target=in_thread)
    caller.start()
    try:
        expect(cell).to_have_text("+31612345678 (moderator)", timeout=30_000)
    finally:
        caller.join(60)
    assert failures == []
    expect(cell).to_have_text("—", timeout=15_000)
