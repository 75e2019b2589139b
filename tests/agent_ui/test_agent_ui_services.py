"""The forwarding tab of the agent client in the running product: the user sets forwarding and
do-not-disturb, the API (and so the PBX) has them; a Vergaderzaal user sees them locked."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.product_harness import ProductThread


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("agentui-services") / "var", "svc-ui")
    yield running
    running.stop()


def my_services(product: ProductThread, username: str) -> dict[str, object]:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
        ).json()["access_token"]
        answer = http.get("/api/v1/me/services", headers={"Authorization": f"Bearer {token}"})
    body: dict[str, object] = answer.json()
    return body


def open_tab(page: Page, product: ProductThread, username: str) -> None:
    page.goto(f"{product.base_url}/agent/")
    page.fill("#login-username", username)
    page.fill("#login-password", f"pw{username}")
    page.click("#login-submit")
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
    page.click("#tab-services")
    expect(page.locator("#services-form")).to_be_visible()


def test_the_user_sets_forwarding_and_do_not_disturb_in_the_client(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    errors = watch_errors(page)
    open_tab(page, product, "1001")
    page.fill("#svc-forward_busy", "1004")
    page.check("#svc-do_not_disturb")
    expect(page.locator("#svc-call_waiting")).to_be_checked()  # on unless turned off
    page.uncheck("#svc-call_waiting")
    page.click("#services-form button[type=submit]")
    expect(page.get_by_text("Settings saved")).to_be_visible()
    services = my_services(product, "1001")
    assert (services["forward_busy"], services["do_not_disturb"]) == ("1004", True)
    assert services["call_waiting"] is False
    page.fill("#svc-forward_always", "1001")  # to oneself: refused, said as the server says it
    page.click("#services-form button[type=submit]")
    expect(page.locator(".toast-text", has_text="own extension")).to_be_visible()
    assert my_services(product, "1001")["forward_always"] is None
    assert errors == []


def test_a_vergaderzaal_user_sees_the_settings_locked(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    open_tab(page, product, "meetingroom")
    expect(page.locator("#svc-forward_always")).to_be_disabled()
    expect(page.locator("#svc-do_not_disturb")).to_be_disabled()
    expect(page.get_by_text("vergaderzaal").first).to_be_visible()


def test_the_user_makes_a_salesforce_softphone_token_that_dials_from_its_extension(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    errors = watch_errors(page)
    open_tab(page, product, "1002")
    page.click("#crm-token-make")
    token = page.locator("#crm-token-value").input_value()
    assert token.startswith("occrm_")
    expect(page.locator("#crm-token-list li")).to_have_count(1)
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        me = http.get("/api/v1/opencti/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["extension"] == "1002"
        page.click("#crm-token-list button")
        expect(page.get_by_text("Token revoked")).to_be_visible()
        expect(page.locator("#crm-token-list li")).to_have_count(0)
        gone = http.get("/api/v1/opencti/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401
    assert errors == []
