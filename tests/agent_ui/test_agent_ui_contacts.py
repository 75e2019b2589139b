"""The contacts tab in Chromium against the whole product: agent 1001's old localStorage contacts
move to its personal contacts on the server; the company directory an admin filled shows beside
them; search asks the server; a contact added in the tab is stored; a contact's call button dials
its number (the request is noted and stopped in the browser, so the SIPp phone stays free); and
a SIPp caller on the trunk whose number is in the company directory pops the contact on the
ringing call's card. A vCard/CSV file is imported from the tab (a bad file stores nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Route, expect

from tests.agent_ui.agent_pages import call_card, go_available, new_context, watch_errors
from tests.components import require_executable
from tests.pbx_core.support import Sipp, SippResult, free_port, register
from tests.product_harness import ProductThread

CALLER = "+31307778899"  # not in the demo CRM: only the company directory knows it


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine", "espeak-ng"):
        require_executable(program)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "agentui-contacts")
    yield running
    running.stop()


def _client(product: ProductThread, username: str) -> httpx.Client:
    token = httpx.post(
        f"{product.base_url}/api/v1/auth/token",
        json={"username": username, "password": f"pw{username}"},
    ).json()["access_token"]
    return httpx.Client(
        base_url=product.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_contacts_from_the_server_search_dial_and_screen_pop(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    sip_port = product.settings.sip_port
    with _client(product, "admin") as admin:
        made = admin.post(
            "/api/v1/contacts",
            json={"name": "Gemeente Loket", "company": "Stadsloket Utrecht",
                  "numbers": ["030 777 88 99"], "scope": "company"},
        )  # fmt: skip
        assert made.status_code == 201, made.text

    phone_port = free_port()
    registered = loop.run(register(sip_port, "1001", phone_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    phone = loop.run(
        Sipp(
            "agent_answer.xml",
            work_dir=tmp_path,
            local_port=phone_port,
            variables={"media_port": free_port(), "ring_ms": 2500},
        ).start()
    )
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    dialled: list[dict[str, Any]] = []

    def hold_dial(route: Route) -> None:
        """Note a click-to-dial and stop it: the SIPp phone is kept for the queue call."""
        body = route.request.post_data or ""
        if "clickToDial" in body:
            dialled.append(json.loads(body)["variables"])
            route.abort()
        else:
            route.continue_()

    page.route("**/graphql", hold_dial)
    try:
        page.goto(f"{product.base_url}/agent/")
        # What an older client kept in this browser: moved to the server at the first sign-in.
        page.evaluate(
            "localStorage.setItem('opencc.agent.contacts',"
            " JSON.stringify([{name: 'Oude Klant', number: '0201112233'}]))"
        )
        page.fill("#login-username", "1001")
        page.fill("#login-password", "pw1001")
        page.click("#login-submit")
        expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
        page.click("#tab-contacts")
        rows = page.locator("#contacts-list li[data-contact]")
        titles = rows.locator(".row-title")
        # By name: the demo's directory (cti/contacts_demo.py), the admin's, the moved one.
        expect(titles).to_have_text(
            ["Facilitair meldpunt", "Gemeente Loket", "Koeriersdienst Snel", "Oude Klant"]
        )
        expect(rows.nth(1)).to_have_attribute("data-scope", "company")
        expect(rows.nth(3)).to_have_attribute("data-scope", "personal")
        assert page.evaluate("localStorage.getItem('opencc.agent.contacts')") is None
        with _client(product, "1001") as agent:
            mine = agent.get("/api/v1/contacts", params={"q": "oude"}).json()["items"]
        assert [(c["scope"], c["numbers"]) for c in mine] == [("personal", ["+31201112233"])]

        page.fill("#contacts-search", "loket")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".row-title")).to_have_text("Gemeente Loket")
        page.fill("#contacts-search", "")
        expect(rows).to_have_count(4)

        page.fill("#contact-name", "Nieuwe Leverancier")
        page.fill("#contact-number", "010 222 33 44")
        page.click("#contact-form button[type=submit]")
        expect(rows).to_have_count(5)
        added = page.locator("#contacts-list li[data-contact]", has_text="Nieuwe Leverancier")
        expect(added).to_contain_text("+31102223344")
        with page.expect_request(lambda r: "clickToDial" in (r.post_data or "")):
            added.get_by_role("button", name="Call Nieuwe Leverancier +31102223344").click()
        assert dialled == [{"destination": "+31102223344"}]

        # An import: a file with a bad row stores nothing and says which; a good one is stored.
        bad = FilePayload(name="bad.csv", mimeType="text/csv", buffer=b"name,phone\nKapot,12\n")
        page.set_input_files("#contacts-import", files=[bad])
        expect(page.locator(".toast").last).to_contain_text("Nothing imported: 1 bad rows")
        expect(page.locator(".toast").last).to_contain_text("row 2: numbers")
        vcard = (
            b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Tandarts Smile\r\nTEL:+31305551212\r\nEND:VCARD\r\n"
        )
        page.set_input_files(
            "#contacts-import",
            files=[FilePayload(name="a.vcf", mimeType="text/vcard", buffer=vcard)],
        )
        expect(page.locator(".toast").last).to_contain_text("1 contacts imported.")
        expect(rows).to_have_count(6)
        expect(
            page.locator("#contacts-list li[data-contact]", has_text="Tandarts Smile")
        ).to_have_attribute("data-scope", "personal")

        # A caller whose number is in the company directory: its card pops the contact.
        go_available(page)
        caller = loop.run(
            Sipp(
                "trunk_call_remote_bye.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", sip_port),
                variables={"from": CALLER, "to": "7001", "media_port": free_port()},
            ).start()
        )
        try:
            card = page.locator(".call-card").first
            expect(card).to_have_attribute("data-phase", "RINGING", timeout=20_000)
            expect(card.locator(".pop-name")).to_have_text("Gemeente Loket")
            expect(card.locator(".pop-company")).to_have_text("Stadsloket Utrecht")
            call_id = card.get_attribute("data-call-id") or ""
            expect(card).to_have_attribute("data-phase", "CONNECTED", timeout=15_000)
            call_card(page, call_id).get_by_role("button", name="Hang up").click()
            expect(call_card(page, call_id)).to_have_count(0)
            caller_result: SippResult = loop.run(caller.wait(timeout=30), timeout=40)
            assert caller_result.returncode == 0, caller_result.errors
        finally:
            caller.kill()
        phone_result: SippResult = loop.run(phone.wait(timeout=20), timeout=30)
        assert phone_result.returncode == 0, phone_result.errors
        assert errors == []
    finally:
        phone.kill()
        context.close()
