"""The Salesforce Open CTI adapter page (crm_connectors/opencti) in headless Chromium against the
real CTI app, mounted as the product mounts it, with a per-user CRM token: the user pastes its
token once, Salesforce's click-to-dial rings that user's own extension, its offered calls pop
the caller's record, and a revoked token (or a tenant API token) puts the page back to asking.
`sforce.opencti` is a stand-in recording what the page asks Salesforce to do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from crm_connectors.opencti import adapter_app
from cti.screen_pop import ScreenPopRecord
from tests.components import CHROMIUM_ARGS, require_chromium
from tests.cti.cti_clients import login
from tests.cti.cti_world import World, wait_for_subscribers

SALESFORCE_RECORD = ScreenPopRecord("salesforce", "001A", "Jansen", "https://x.my.salesforce.com")

STUB = """
window.__sf = [];
window.sforce = { opencti: {
  SCREENPOP_TYPE: { SOBJECT: "sobject", URL: "url" },
  CALL_TYPE: { INBOUND: "inbound", OUTBOUND: "outbound" },
  enableClickToDial: function (a) {
    window.__sf.push(["enableClickToDial"]); a.callback({ success: true }); },
  onClickToDial: function (a) { window.__sf.push(["onClickToDial"]); window.__dial = a.listener; },
  screenPop: function (a) { window.__sf.push(["screenPop", a]); },
  searchAndScreenPop: function (a) { window.__sf.push(["searchAndScreenPop", a]); }
} };
"""


class SalesforcePop:
    """The product's screen pop as the Salesforce connector fills it (cti/product.py)."""

    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        return (SALESFORCE_RECORD,) if number == "+31201234567" else ()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = require_chromium()
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def until(page: Page, expression: str, timeout_s: float = 30) -> None:
    """Poll from the test: `wait_for_function` needs `eval` in the page, which its CSP forbids."""
    async with asyncio.timeout(timeout_s):
        while not await page.evaluate(expression):
            await asyncio.sleep(0.05)


async def status_becomes(page: Page, text: str) -> None:
    await until(page, f"document.getElementById('status').textContent === {text!r}")


async def paste(page: Page, token: str) -> None:
    await page.fill("#token", token)
    await page.click("button[type=submit]")


async def test_a_user_token_dials_its_own_extension_and_pops_its_own_calls(
    world: World, browser: Browser
) -> None:
    base = world.server.base_url
    world.server.app.mount("/crm/opencti", adapter_app(), name="opencti")  # as cti/product.py
    world.server.app.state.services.screen_pop = SalesforcePop()
    async with httpx.AsyncClient(base_url=base) as http:
        jwt = await login(base, "1001", "pw1001")
        made = await http.post(
            "/api/v1/me/crm-tokens",
            headers={"Authorization": f"Bearer {jwt}"},
            json={"name": "Salesforce"},
        )
        token = made.json()["token"]
        admin = await login(base, "admin", "pwadmin")
        api = await http.post(
            "/api/v1/api-tokens",
            headers={"Authorization": f"Bearer {admin}"},
            json={"name": "crm plugin"},
        )
        tenant_token = api.json()["token"]

    page = await browser.new_page()
    await page.add_init_script(STUB)
    await page.goto(f"{base}/crm/opencti/softphone.html")
    await status_becomes(page, "paste your softphone token")

    # A tenant-wide API token is not a softphone token.
    await paste(page, tenant_token)
    await status_becomes(page, "token refused: check it and connect again")
    assert await page.evaluate("sessionStorage.length") == 0

    await paste(page, token)
    await status_becomes(page, "connected")
    assert await page.inner_text("#extension") == "1001"
    assert await page.evaluate("sessionStorage.getItem('cc.crmToken')") == token
    assert await page.evaluate("localStorage.length") == 0

    # Incoming: 1002's call is not ours; ours pops the Salesforce record, an unknown caller
    # falls back to Salesforce's own search.
    await wait_for_subscribers(world, 1)
    world.control.offer_call("c-1", "+31301111111", "1002")
    world.control.offer_call("c-2", "+31201234567", "1001")
    world.control.offer_call("c-3", "+31612345678", "1001")
    await until(page, "window.__sf.filter(c => c[0].indexOf('creenPop') > 0).length >= 2")
    pops = [c for c in await page.evaluate("window.__sf") if "creenPop" in c[0]]
    assert sorted(pops, key=str) == sorted(
        [
            ["screenPop", {"type": "sobject", "params": {"recordId": "001A"}}],
            [
                "searchAndScreenPop",
                {"searchParams": "+31612345678", "callType": "inbound", "deferred": False},
            ],
        ],
        key=str,
    )

    # Outgoing: Salesforce's click-to-dial rings 1001, the token's own extension.
    await page.evaluate("window.__dial({number: '+31 20 123 4567', recordId: '001A'})")
    await status_becomes(page, "dialling +31201234567")
    dials = [args for name, args in world.control.commands if name == "click_to_dial"]
    assert dials == [{"tenant": "demo", "extension": "1001", "destination": "+31201234567"}]

    # Revoked by the user (say, the laptop was lost): the page forgets it and asks again.
    async with httpx.AsyncClient(base_url=base) as http:
        gone = await http.delete(
            f"/api/v1/me/crm-tokens/{made.json()['id']}",
            headers={"Authorization": f"Bearer {jwt}"},
        )
        assert gone.status_code == 204
    await status_becomes(page, "disconnected: CRM token expired or revoked")
    assert await page.evaluate("sessionStorage.length") == 0
    assert await page.is_visible("#token")
    await page.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A short re-check, so the revoked stream ends within the test; nothing here is timed.
    return {"stream_recheck_seconds": 0.2}
