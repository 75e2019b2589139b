"""The Bel-me-nu snippet in Chromium: a company page on another origin, under a strict Content
Security Policy (no inline script or style allowed), embeds `/belmenu/button.js` with one script
tag; a visitor types a number and is called back; a bad number shows the endpoint's reason."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, expect

from tests.agent_ui.conftest import browser
from tests.cti.cti_fake_control import FakeControl
from tests.provisioning.api_world import ApiWorld
from tests.provisioning.test_belmenu_api import control, make_button, world
from tests.provisioning.test_provisioning_api import DEMO

__all__ = ["browser", "control", "world"]


class CompanySite:
    """The company's own web site: one page, served from an origin of its own."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.button = ""
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (
                    "<!doctype html><html><head><title>Bakker</title></head><body>"
                    "<h1>Bakker &amp; Zn</h1>"
                    f'<script src="{site.api}/belmenu/button.js" data-button="{site.button}" '
                    'data-label="Bel mij" defer></script></body></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header(
                    "Content-Security-Policy",
                    f"default-src 'none'; script-src {site.api}; connect-src {site.api}",
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def site(world: ApiWorld) -> Iterator[CompanySite]:
    running = CompanySite(world.server.base_url)
    running.button = make_button(world, origins=[running.origin])
    yield running
    running.close()


def test_a_visitor_asks_for_a_callback_from_the_companys_page(
    browser: Browser, site: CompanySite, control: FakeControl
) -> None:
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    try:
        page.goto(site.origin)
        number = page.locator("form.belmenu input.belmenu-number")
        status = page.locator("form.belmenu .belmenu-status")
        number.fill("112")
        page.locator("form.belmenu button.belmenu-call").click()
        expect(status).to_have_text("emergency numbers cannot be called back", timeout=15_000)
        number.fill("06 1234 5690")
        page.locator("form.belmenu button", has_text="Bel mij").click()
        expect(status).to_have_text("We bellen u zo terug.", timeout=15_000)
    finally:
        page.close()
    assert control.commands[-1] == (
        "click_to_dial",
        {"tenant": DEMO, "extension": "2001", "destination": "+31612345690"},
    )
    assert not [m for m in messages if "Content Security Policy" in m], messages


def test_a_page_on_an_origin_the_button_does_not_list_cannot_use_it(
    browser: Browser, site: CompanySite, world: ApiWorld, control: FakeControl
) -> None:
    site.button = make_button(world, origins=["https://www.bakker.nl"])
    before = len(control.commands)
    page = browser.new_page()
    try:
        page.goto(site.origin)
        page.locator("form.belmenu input.belmenu-number").fill("0612345691")
        page.locator("form.belmenu button.belmenu-call").click()
        expect(page.locator("form.belmenu")).to_have_attribute("data-state", "failed")
        expect(page.locator("form.belmenu .belmenu-status")).to_have_text(
            "Dat lukte niet, probeer het later nog eens."
        )
    finally:
        page.close()
    assert len(control.commands) == before
