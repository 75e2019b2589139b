"""The usage page (seed 3.5.3 "Verbruik") in headless Chromium against the whole product: an
extension's real call to a mobile number through a SIPp carrier shows as one mobile call under
the caller's profile, and the month exports as CSV."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.admin_ui.conftest import product_with_carrier
from tests.admin_ui.test_admin_ui_product import go, sign_in
from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.e2e.test_product_trunks import _outbound_records
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import free_port, run_sipp
from tests.product_harness import ProductThread


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    yield from product_with_carrier(tmp_path_factory, "adminusage")


async def _mobile_call(product: ProductThread, work: Path) -> None:
    async with Carrier(product.settings.carrier[1], work) as carrier:
        call = await run_sipp(
            "ext_call.xml",
            work_dir=work,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1003", "to": "0612345678", "media_port": free_port(),
                       "hold_ms": 1500},
            extra=["-au", "1003", "-ap", "pw1003"],
        )  # fmt: skip
        assert call.returncode == 0, call.errors
        await carrier.finished()
    assert await _outbound_records(product), "the call's record was not ingested"


def test_a_mobile_call_shows_in_the_months_usage_and_exports(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    product.loop.run(_mobile_call(product, tmp_path), timeout=120)
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        page.goto(f"{product.base_url}/admin/")
        sign_in(page)
        go(page, "usage")
        row = page.locator('#usage-table tr[data-category="mobile"][data-profile="kantoor"]')
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(2)).to_have_text("1")  # one call
        expect(cells.nth(3)).to_have_text(re.compile(r"^0:0[1-9]$"))  # its 1.5 s, as min:s
        expect(cells.nth(4)).to_have_text("")  # no SMS source yet
        with page.expect_download() as download:
            page.click("#usage-csv")
        saved = tmp_path / "usage.csv"
        download.value.save_as(saved)
        text = saved.read_text()
        assert "mobile" in text and "kantoor" in text
        # Another month is empty, not an error.
        page.fill("#usage-month", "2020-01")
        page.dispatch_event("#usage-month", "change")
        expect(page.locator("#usage-empty")).to_be_visible()
    finally:
        context.close()
    assert errors == []
