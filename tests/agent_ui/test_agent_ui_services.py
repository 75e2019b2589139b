"""The forwarding tab of the agent client in the running product: the user sets forwarding and
do-not-disturb, the API (and so the PBX) has them; a Vergaderzaal user sees them locked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def test_the_user_sees_their_selective_rules_and_switches_privacy_on(
    browser: Browser, product: ProductThread
) -> None:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": "admin", "password": "pwadmin"}
        ).json()["access_token"]
        rules = {"default_number": "1004", "rules": [{"name": "boss", "numbers": ["1002"]}]}
        answer = http.put(
            "/api/v1/tenants/demo/users/1003/services/selective/forwarding",
            json=rules,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
    page = new_context(browser).new_page()
    errors = watch_errors(page)
    open_tab(page, product, "1003")
    expect(page.locator('#selective-forwarding li[data-rule="boss"] .rule')).to_have_text(
        "boss: 1002 to 1004"
    )
    expect(page.locator("#selective-rejection")).to_contain_text("no rules")
    page.check("#svc-privacy")
    page.click("#services-form button[type=submit]")
    expect(page.get_by_text("Settings saved")).to_be_visible()
    assert my_services(product, "1003")["privacy"] is True
    assert errors == []


def my_selective(product: ProductThread, username: str, kind: str) -> dict[str, object]:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
        ).json()["access_token"]
        answer = http.get(
            f"/api/v1/me/services/selective/{kind}", headers={"Authorization": f"Bearer {token}"}
        )
    body: dict[str, object] = answer.json()
    return body


def test_the_user_adds_and_removes_selective_rules_in_the_client(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    errors = watch_errors(page)
    open_tab(page, product, "1004")
    page.fill("#sel-rejection-name", "spam")
    page.fill("#sel-rejection-numbers", "0612345678, 0201112233")
    page.check("#sel-rejection-private")
    page.click("#sel-rejection-add button[type=submit]")
    expect(page.locator('#selective-rejection li[data-rule="spam"] .rule')).to_have_text(
        "spam: 0612345678, 0201112233, private callers"
    )
    rules = my_selective(product, "1004", "rejection")["rules"]
    assert isinstance(rules, list) and len(rules) == 1
    assert (rules[0]["numbers"], rules[0]["any_private"]) == (["0612345678", "0201112233"], True)

    page.fill("#sel-forwarding-name", "boss")
    page.fill("#sel-forwarding-numbers", "1002")
    page.fill("#sel-forwarding-to", "1003")
    page.click("#sel-forwarding-add button[type=submit]")
    expect(page.locator('#selective-forwarding li[data-rule="boss"] .rule')).to_have_text(
        "boss: 1002 to 1003"
    )
    # A bad number is refused as the server words it, naming the field; nothing is changed.
    page.fill("#sel-rejection-name", "bad")
    page.fill("#sel-rejection-numbers", "12ab")
    page.click("#sel-rejection-add button[type=submit]")
    expect(page.locator(".toast-text", has_text="rules[1].numbers[0]")).to_be_visible()
    assert len(my_selective(product, "1004", "rejection")["rules"]) == 1  # type: ignore[arg-type]

    page.fill("#sel-notify-address", "1004@example.com")
    page.click("#sel-notify-settings button[type=submit]")
    expect(page.locator("#selective-notify h4")).to_contain_text("mail to 1004@example.com")

    page.click('#selective-rejection button[data-remove="spam"]')
    expect(page.locator("#selective-rejection")).to_contain_text("no rules")
    assert my_selective(product, "1004", "rejection")["rules"] == []
    assert errors == []


def my_own(product: ProductThread, username: str, path: str) -> dict[str, Any]:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        token = http.post(
            "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
        ).json()["access_token"]
        answer = http.get(f"/api/v1/me/{path}", headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = answer.json()
    return body


def test_the_user_sets_speed_dial_intercom_and_ringback_in_the_client(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    errors = watch_errors(page)
    open_tab(page, product, "1005")
    page.fill("#speed-dial-slot", "2")
    page.fill("#speed-dial-number", "1003")
    page.click("#speed-dial-form button[type=submit]")
    expect(page.locator('#my-speed-dial li[data-slot="2"] .entry')).to_have_text("2: 1003")
    assert my_own(product, "1005", "speed-dial")["entries"] == {"2": "1003"}
    page.fill("#speed-dial-slot", "1")  # no key 1: refused as the server words it
    page.fill("#speed-dial-number", "1004")
    page.click("#speed-dial-form button[type=submit]")
    expect(page.locator(".toast-text", has_text="Not saved")).to_be_visible()
    assert my_own(product, "1005", "speed-dial")["entries"] == {"2": "1003"}
    page.click('#my-speed-dial button[data-clear="2"]')
    expect(page.locator("#my-speed-dial")).to_contain_text("no speed dial numbers")

    page.uncheck("#intercom-accept")
    page.check("#intercom-exempt")
    page.click("#intercom-form button[type=submit]")
    expect(page.locator("#intercom-exempt")).to_be_checked()
    intercom = my_own(product, "1005", "intercom")
    assert (intercom["accept"], intercom["barge_in_exempt"]) == (False, True)

    page.fill("#ringback-announcement", "no-such-announcement")
    page.click("#ringback-form button[type=submit]")
    expect(page.locator(".toast-text", has_text="announcement")).to_be_visible()
    assert my_own(product, "1005", "custom-ringback")["announcement"] is None
    assert errors == []


def test_a_vergaderzaal_user_has_no_speed_dial_to_set(
    browser: Browser, product: ProductThread
) -> None:
    page = new_context(browser).new_page()
    open_tab(page, product, "meetingroom")
    expect(page.locator("#my-speed-dial h4")).to_contain_text("not in your profile")
    expect(page.locator("#speed-dial-form")).to_have_count(0)
