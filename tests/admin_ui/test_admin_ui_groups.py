"""The admin portal's hunt groups and menus page in headless Chromium against the product: the
demo's hunt group 7100 loses a member and gains one (live, through the REST API), a menu's
settings are edited as JSON, and a refused menu shows its field."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.admin_ui.test_admin_ui_product import api, go, page, refusal, shot, sign_in
from tests.product_harness import ProductThread

__all__ = ["page"]


def members(product: ProductThread) -> list[str]:
    with api(product) as client:
        found: list[str] = client.get("/api/v1/tenants/demo/groups/7100").json()["settings"][
            "members"
        ]
        return found


def test_members_in_and_out_and_a_menu_edited(page: Page, product: ProductThread) -> None:
    sign_in(page)
    go(page, "groups")
    expect(page.locator('#groups-table tr[data-number="7100"]')).to_be_visible()
    expect(page.locator('#groups-table tr[data-number="7099"]')).to_be_visible()
    page.click('#groups-table tr[data-number="7100"] button.open')
    expect(page.locator("#group-members li.member")).to_have_count(3)
    page.click('#group-members li[data-extension="1003"] button')
    expect(page.locator("#group-members li.member")).to_have_count(2)
    assert members(product) == ["1001", "1002"]
    page.select_option("#member-form select[name=extension]", "1004")
    page.click("#member-add")
    expect(page.locator('#group-members li[data-extension="1004"]')).to_be_visible()
    assert members(product) == ["1001", "1002", "1004"]
    shot(page, "groups")

    page.click('#groups-table tr[data-number="7099"] button.open')
    expect(page.locator("#group-detail")).to_have_attribute("data-number", "7099")
    settings = page.locator("#group-settings")
    expect(settings).to_have_value(re.compile('"max_misses": 5'))  # 7099's, drawn
    edited = settings.input_value().replace('"max_misses": 5', '"max_misses": 3')
    settings.fill(edited)
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/7099")):
        page.click("#group-save")
    with api(product) as client:
        menu = client.get("/api/v1/tenants/demo/groups/7099").json()["settings"]
    assert menu["max_misses"] == 3
    settings.fill(edited.replace('"business_menu": "main"', '"business_menu": "nowhere"'))
    page.click("#group-save")
    assert "menus" in refusal(page)


def test_an_instant_group_made_and_a_member_added(page: Page, product: ProductThread) -> None:
    sign_in(page)
    go(page, "groups")
    page.fill("#group-form input[name=number]", "7400")
    page.fill("#group-form input[name=name]", "Everyone")
    page.select_option("#group-form select[name=kind]", "instant_group")
    page.click("#group-add")
    row = page.locator('#groups-table tr[data-number="7400"]')
    expect(row).to_contain_text("Instant group call")
    expect(page.locator("#group-detail")).to_have_attribute("data-number", "7400")
    page.select_option("#member-form select[name=extension]", "1002")
    page.click("#member-add")
    expect(page.locator('#group-members li[data-extension="1002"]')).to_be_visible()
    with api(product) as client:
        group = client.get("/api/v1/tenants/demo/groups/7400").json()
    assert (group["kind"], group["settings"]["members"]) == ("instant_group", ["1002"])


def test_the_admin_switches_intercept_on_and_a_bad_alternate_is_refused(
    page: Page, product: ProductThread
) -> None:
    sign_in(page)
    go(page, "groups")
    form = page.locator("#intercept-form")
    expect(form.locator("input[name=enabled]")).not_to_be_checked()
    form.locator("input[name=enabled]").check()
    form.locator("input[name=text]").fill("Wij zijn verhuisd.")
    form.locator("input[name=alternate]").fill("sales")
    page.click("#intercept-save")
    assert "alternate" in refusal(page)
    expect(form.locator("input[name=alternate]")).to_have_attribute("aria-invalid", "true")
    form.locator("input[name=alternate]").fill("1004")
    with page.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/intercept")):
        page.click("#intercept-save")
    with api(product) as client:
        saved = client.get("/api/v1/tenants/demo/intercept").json()
    assert saved == {"enabled": True, "announcement": None, "text": "Wij zijn verhuisd.",
                     "language": "nl", "alternate": "1004"}  # fmt: skip
    shot(page, "groups-intercept")
    with api(product) as client:  # the module's product is shared: its calls ring again
        client.put("/api/v1/tenants/demo/intercept", json={"enabled": False})


def test_a_fax_number_made_with_its_recipients(page: Page, product: ProductThread) -> None:
    sign_in(page)
    go(page, "groups")
    expect(page.locator('#groups-table tr[data-number="7098"]')).to_contain_text("Fax")  # demo's
    page.fill("#group-form input[name=number]", "7097")
    page.fill("#group-form input[name=name]", "Sales fax")
    page.select_option("#group-form select[name=kind]", "fax")
    page.fill("#group-form input[name=recipients]", "sales@example.nl, not an address")
    page.click("#group-add")
    assert "recipients[1]" in refusal(page)
    with api(product) as client:
        assert client.get("/api/v1/tenants/demo/groups/7097").status_code == 404
    page.fill("#group-form input[name=recipients]", "sales@example.nl, boss@example.nl")
    page.click("#group-add")
    expect(page.locator('#groups-table tr[data-number="7097"]')).to_be_visible()
    with api(product) as client:
        fax = client.get("/api/v1/tenants/demo/groups/7097").json()
    assert fax["kind"] == "fax"
    assert fax["settings"]["recipients"] == ["sales@example.nl", "boss@example.nl"]
