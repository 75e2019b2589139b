"""The admin portal's conference rooms page in headless Chromium against the product: the demo
room listed with the licence, a room added (then in the REST API: the PBX's next call finds it,
tests/e2e/test_product_bridge_rooms.py), a number in use refused with the reason, the room
deleted."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin_ui.test_admin_ui_product import api, go, page, refusal, shot, sign_in
from tests.product_harness import ProductThread

__all__ = ["page"]


def rooms(product: ProductThread) -> dict[str, str]:
    with api(product) as client:
        listed = client.get("/api/v1/tenants/demo/conference-rooms").json()
    return {r["number"]: r["language"] for r in listed}


def test_a_room_added_refused_and_deleted(page: Page, product: ProductThread) -> None:
    sign_in(page)
    go(page, "rooms")
    expect(page.locator('#rooms-table tr[data-number="8100"]')).to_be_visible()  # the demo's
    expect(page.locator("#room-licence")).to_contain_text("10")
    form = page.locator("#room-form")
    for name, value in (("number", "8200"), ("name", "Team room"), ("pin", "2468"),
                        ("moderator_pin", "1357"), ("max_participants", "4")):  # fmt: skip
        form.locator(f"input[name={name}]").fill(value)
    form.locator("select[name=language]").select_option("en")
    page.click("#room-add")
    row = page.locator('#rooms-table tr[data-number="8200"]')
    expect(row).to_be_visible()
    assert rooms(product) == {"8100": "nl", "8200": "en"}
    shot(page, "rooms")

    for name, value in (("number", "1001"), ("name", "Clash"), ("pin", "2468"),
                        ("moderator_pin", "1357"), ("max_participants", "4")):  # fmt: skip
        form.locator(f"input[name={name}]").fill(value)
    page.click("#room-add")
    assert "1001 is in use" in refusal(page)

    row.locator("button.remove").click()
    expect(row).to_have_count(0)
    assert rooms(product) == {"8100": "nl"}
