"""The admin portal's hoteling page in headless Chromium against the product: 1010 made a
host (shown free, through the REST API), a Vergaderzaal user refused with the reason, the host
removed. Who sits where after a phone's sign-in: tests/e2e/test_product_hoteling.py."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin_ui.test_admin_ui_product import api, go, page, refusal, shot, sign_in
from tests.product_harness import ProductThread

__all__ = ["page"]


def hosts(product: ProductThread) -> list[str]:
    with api(product) as client:
        return [h["extension"] for h in client.get("/api/v1/tenants/demo/hoteling").json()["hosts"]]


def test_a_host_made_refused_and_removed(page: Page, product: ProductThread) -> None:
    sign_in(page)
    go(page, "hoteling")
    page.fill("#host-form input[name=extension]", "1010")
    page.fill("#host-form input[name=max_minutes]", "480")
    page.click("#host-add")
    row = page.locator('#hoteling-table tr[data-extension="1010"]')
    expect(row).to_be_visible()
    expect(row.locator("button.sign-out")).to_be_disabled()  # nobody signed in
    assert hosts(product) == ["1010"]
    shot(page, "hoteling")

    page.fill("#host-form input[name=extension]", "1020")  # the Vergaderzaal phone
    page.click("#host-add")
    assert "HotelingHost" in refusal(page)

    row.locator("button.remove").click()
    expect(row).to_have_count(0)
    assert hosts(product) == []
