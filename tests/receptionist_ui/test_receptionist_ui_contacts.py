"""The receptionist console's search finds contacts (issue 21.1 and 21.5, docs/receptionist.md
"Contacts in the search"), in headless Chromium against the whole product with a SIPp carrier:
the admin adds a company contact, the receptionist (1003) a personal one; typing a name shows
each under the colleagues with its number; another user's personal contact stays out of it; a
call ringing at the receptionist's SIPp phone is transferred from a contact's number and the
SIPp carrier receives it for that number; a contact's Call button (the dial box, click-to-dial
on the desk phone) rings the receptionist's phone, then the carrier for the contact's number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import agent_phone, free_sip_port
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import (
    RECEPTIONIST,
    _media_programs,
    api,
    console_of,
    ended_well,
    licensed,
    ringing_at_the_receptionist,
)

__all__ = ["_media_programs", "licensed"]

COURIER = "+31207770001"
AUNT = "+31612340002"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path_factory.mktemp("reception-contacts") / "var",
        "reception-contacts",
        carrier=("127.0.0.1", free_sip_port()),
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def contacts(product: ProductThread, licensed: None) -> None:
    def add(username: str, body: dict[str, object]) -> None:
        with api(product, username, f"pw{username}" if username != "admin" else "pwadmin") as c:
            made = c.post("/api/v1/contacts", json=body)
            assert made.status_code == 201, made.text

    add("admin", {"name": "Bezorgdienst Zwaluw", "numbers": ["020 777 0001"],
                  "scope": "company"})  # fmt: skip
    add(RECEPTIONIST, {"name": "Tante Bep", "numbers": ["06 1234 0002"], "company": "Familie",
                       "scope": "personal"})  # fmt: skip
    add("1001", {"name": "Tante Bep van 1001", "numbers": ["06 9999 0000"],
                 "scope": "personal"})  # fmt: skip


@pytest.fixture
def page(browser: Browser, product: ProductThread, contacts: None) -> Iterator[Page]:
    with console_of(browser, product, RECEPTIONIST) as opened:
        yield opened


def _search(page: Page, text: str) -> None:
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    page.fill("#search", text)


def test_company_and_personal_contacts_are_found_by_name(page: Page) -> None:
    _search(page, "zwaluw")
    company = page.locator("#contact-results .contact")
    expect(company).to_have_count(1)
    expect(company).to_have_attribute("data-scope", "company")
    expect(company).to_contain_text("Bezorgdienst Zwaluw")
    expect(company.locator(f'.number[data-number="{COURIER}"]')).to_be_visible()
    expect(page.locator("#contacts-title")).to_have_text("Contacts")

    _search(page, "tante bep")  # 1001's personal contact of the same name is 1001's alone
    personal = page.locator("#contact-results .contact")
    expect(personal).to_have_count(1)
    expect(personal).to_have_attribute("data-scope", "personal")
    expect(personal).to_contain_text("Familie")
    expect(personal.locator(f'.number[data-number="{AUNT}"]')).to_be_visible()

    _search(page, "1234 0002")  # by number too
    expect(page.locator("#contact-results .contact")).to_have_count(1)
    _search(page, "niemand-heet-zo")
    expect(page.locator("#contact-results")).to_be_hidden()


def test_a_ringing_call_is_transferred_to_a_contacts_number_on_the_carrier(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    carrier = Carrier(product.settings.carrier[1], tmp_path)
    loop.run(carrier.__aenter__())
    own_phone, call = ringing_at_the_receptionist(product, tmp_path, hold_ms=3000)
    try:
        expect(page.locator("#own")).to_have_attribute("data-state", "ringing", timeout=15000)
        _search(page, "bep")
        page.locator(f'#contact-results .number[data-number="{AUNT}"] .transfer').click()
        expect(page.locator("#message")).to_contain_text(AUNT)
        seen = loop.run(carrier.finished())
        assert seen["r-uri"].startswith(f"sip:{AUNT}@"), seen
        ended_well(product, own_phone, call)  # rang, cancelled; talked to the carrier, hung up
    finally:
        call.kill()
        own_phone.kill()
        loop.run(carrier.__aexit__())


def test_a_contacts_number_is_called_from_the_console(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    own = loop.run(
        agent_phone(product.sip_port, RECEPTIONIST, "agent_answer_hangup.xml", tmp_path,
                    talk_ms=3000)
    )  # fmt: skip
    carrier = Carrier(product.settings.carrier[1], tmp_path)
    loop.run(carrier.__aenter__())
    try:
        _search(page, "zwaluw")
        page.locator(f'#contact-results .number[data-number="{COURIER}"] .call').click()
        expect(page.locator("#dialbox-status")).to_contain_text(f"Calling {COURIER}")
        seen = loop.run(carrier.finished())
        assert seen["r-uri"].startswith(f"sip:{COURIER}@"), seen
        ended_well(product, own)  # answered, talked, hung up
    finally:
        own.kill()
        loop.run(carrier.__aexit__())
