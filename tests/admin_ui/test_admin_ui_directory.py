"""The admin portal's company-directory page in headless Chromium against the product: the admin
adds, finds, edits and deletes a contact and imports a vCard after a dry run, a CSV with a bad
row is refused row by row and imports nothing; the operator (no admin of the tenant) reads the
directory but every write shows the API's refusal. Checked against the REST API each time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.admin_ui.test_admin_ui_product import api, go, page, refusal, shot, sign_in
from tests.product_harness import ProductThread

__all__ = ["page"]

VCARDS = """BEGIN:VCARD\r
VERSION:3.0\r
FN:Gemeente Loket\r
ORG:Gemeente Amsterdam\r
TEL;TYPE=WORK:14 020\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Huisarts Jansen\r
TEL;VALUE=uri:tel:+31-30-123-4567\r
EMAIL:balie@jansen.example\r
END:VCARD\r
"""
BAD_CSV = "name,phone,company\nGoed Bedrijf,0201234567,Goed\nFout Bedrijf,not a number,Fout\n"


def directory(product: ProductThread, q: str = "") -> list[dict[str, Any]]:
    with api(product) as client:
        params: dict[str, str | int] = {"scope": "company", "q": q, "limit": 200}
        items: list[dict[str, Any]] = client.get("/api/v1/contacts", params=params).json()["items"]
        return items


def save_contact(page: Page, **fields: str) -> None:
    form = page.locator("#contact-form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    page.click("#contact-save")


def test_the_admin_adds_finds_edits_and_deletes_a_contact(
    page: Page, product: ProductThread
) -> None:
    sign_in(page)
    go(page, "directory")
    page.click("#add-contact")
    save_contact(page, name="Bakkerij Zoet", numbers="020 555 0123, 06 1234 5678",
                 company="Zoet B.V.", email="info@zoet.example")  # fmt: skip
    [made] = directory(product, "zoet")
    assert made["numbers"] == ["+31205550123", "+31612345678"]
    row = page.locator(f'#directory-table tr[data-contact-id="{made["id"]}"]')
    expect(row.locator(".numbers")).to_have_text("+31205550123, +31612345678")

    page.fill("#directory-search input[name=q]", "5550123")  # by a number, as typed locally
    page.locator("#directory-search button").click()
    expect(page.locator("#directory-table tbody tr")).to_have_count(1)
    page.fill("#directory-search input[name=q]", "nobody at all")
    page.locator("#directory-search button").click()
    expect(page.locator("#directory-list .empty")).to_be_visible()
    page.fill("#directory-search input[name=q]", "")
    page.locator("#directory-search button").click()

    row.locator("button.edit").click()
    save_contact(page, numbers="not a number")  # refused in the dialog, the field marked
    expect(page.locator("#contact-form .message.error")).to_contain_text("numbers")
    expect(page.locator("#contact-form [name=numbers]")).to_have_attribute("aria-invalid", "true")
    save_contact(page, name="Bakkerij Zoet en Zout", numbers="020 555 0124")
    expect(row.locator(".name")).to_have_text("Bakkerij Zoet en Zout")
    [changed] = directory(product, "zout")
    assert changed["id"] == made["id"] and changed["numbers"] == ["+31205550124"]
    shot(page, "directory")

    row.locator("button.delete").click()
    page.click("#confirm-ok")
    expect(row).to_have_count(0)
    assert directory(product, "zoet") == []


def test_an_import_is_checked_first_and_a_bad_row_stops_it(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    sign_in(page)
    go(page, "directory")
    bad = tmp_path / "leveranciers.csv"
    bad.write_text(BAD_CSV)
    page.set_input_files("#contacts-file", str(bad))
    page.click("#contacts-check")
    errors = page.locator("#contacts-errors tr.bad-row")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")  # the line of "Fout Bedrijf"
    expect(errors.first).to_contain_text("numbers")
    expect(page.locator("#contacts-import")).to_be_disabled()
    assert directory(product, "bedrijf") == []

    cards = tmp_path / "instanties.vcf"
    cards.write_text(VCARDS)
    page.set_input_files("#contacts-file", str(cards))
    page.click("#contacts-check")
    expect(page.locator("#contacts-import-section .message.ok")).to_contain_text("2")
    assert directory(product, "jansen") == []  # a dry run stores nothing
    page.click("#contacts-import")
    expect(page.locator("#directory-table")).to_contain_text("Huisarts Jansen")
    [jansen] = directory(product, "jansen")
    assert jansen["numbers"] == ["+31301234567"] and jansen["email"] == "balie@jansen.example"
    [loket] = directory(product, "loket")
    assert loket["company"] == "Gemeente Amsterdam"


def test_a_non_admin_reads_but_every_write_shows_the_refusal(
    page: Page, product: ProductThread
) -> None:
    with api(product) as admin:
        made = admin.post(
            "/api/v1/contacts",
            json={"name": "Alleen Lezen", "numbers": ["0101234567"], "scope": "company"},
        ).json()
    sign_in(page, "operator", "pwoperator")  # above the tenants, but no admin of this one
    go(page, "directory")
    row = page.locator(f'#directory-table tr[data-contact-id="{made["id"]}"]')
    expect(row).to_be_visible()

    page.click("#add-contact")
    save_contact(page, name="Ingebroken", numbers="0201234567")
    expect(page.locator("#contact-form .message.error")).to_contain_text("403")
    page.keyboard.press("Escape")
    row.locator("button.delete").click()
    page.click("#confirm-ok")
    assert "403" in refusal(page)
    expect(row).to_be_visible()
    assert [c["name"] for c in directory(product, "lezen")] == ["Alleen Lezen"]
    assert directory(product, "ingebroken") == []

    page.select_option("#lang-select", "nl")
    expect(page.locator("#page h2")).to_have_text("Bedrijfstelefoonboek")
    page.select_option("#lang-select", "en")
