"""Activation links in the browser (docs/provisioning.md, "Activation links"): the admin imports
users without passwords and gets their links (and a CSV of them); a user opens its link,
a weak password is refused with its field, a good one signs the user in."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.admin_ui.test_admin_ui_product import go, page, sign_in
from tests.product_harness import ProductThread

__all__ = ["page"]


def test_imported_users_get_links_and_set_their_own_passwords(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    sign_in(page)
    go(page, "import")
    csv = tmp_path / "team.csv"
    csv.write_text(
        "username,name,extension,sip_password,profile\n"
        + "".join(f"link{n},Linked {n},{1700 + n},sip-secret-{n},kantoor\n" for n in range(3))
    )
    page.set_input_files("#csv-file", str(csv))
    page.click("#csv-check")
    expect(page.locator(".message.ok")).to_contain_text("3")
    page.click("#csv-import")
    rows = page.locator("#activation-links tbody tr")
    expect(rows).to_have_count(3, timeout=60_000)
    expect(page.locator("#activation-download")).to_have_attribute(
        "download", "activation-links.csv"
    )
    link = rows.first.locator("code").inner_text()
    assert link.startswith(f"{product.base_url}/admin/activate.html#tenant=demo&token=")

    page.goto(link)
    page.fill("#activate-password", "short")
    page.fill("#activate-again", "short")
    page.click("#activate-submit")
    expect(page.locator("#activate-result.error")).to_contain_text("password")
    page.fill("#activate-password", "Eigen-Keuze-2026")
    page.fill("#activate-again", "Eigen-Keuze-2026")
    page.click("#activate-submit")
    expect(page.locator("#activate-result.ok")).to_contain_text("link0")

    signed_in = httpx.post(
        f"{product.base_url}/api/v1/auth/token",
        json={"username": "link0", "password": "Eigen-Keuze-2026"},
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.text
