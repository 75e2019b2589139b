"""Premium: the supervisor's queue actions in the receptionist console, in headless Chromium
against the whole product with a SIPp carrier caller. The console sends the supervisor's own
GraphQL commands, so the API decides what the account may do: the demo supervisor moves a
waiting call from the Helpdesk (7001) to Service (7003), raises its priority, switches 7003's
night service and forced forwarding; an agent with a Premium licence sees its own call center
and is refused, which the page says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_calls_product import call, phones
from tests.receptionist_ui.test_receptionist_ui_product import api, console_of

AGENT = "1006"
"""An agent of Sales (7002), no supervisor."""


def _premium(product: ProductThread, username: str) -> None:
    with api(product, "admin", "pwadmin") as admin:
        user = admin.get(f"/api/v1/tenants/demo/users/{username}")
        assert user.status_code == 200, user.text
        licences = user.json()["licences"] | {"receptionist": "premium"}
        patched = admin.patch(f"/api/v1/tenants/demo/users/{username}", json={"licences": licences})
        assert patched.status_code == 200, patched.text


@pytest.fixture
def supervisor_console(browser: Browser, product: ProductThread) -> Iterator[Page]:
    _premium(product, "supervisor")
    with console_of(browser, product, "supervisor") as page:
        yield page


def _call_center(product: ProductThread, call_center: str) -> dict[str, Any]:
    """7003 as the supervisor's GraphQL API reads it."""
    with api(product, "supervisor", "pwsupervisor") as client:
        query = "{ callCenters { id nightServiceOverride forcedForwarding } }"
        body = client.post("/graphql", json={"query": query}).json()
    return next(cc for cc in body["data"]["callCenters"] if cc["id"] == call_center)


def test_move_and_promote_a_waiting_call(
    supervisor_console: Page, product: ProductThread, tmp_path: Path
) -> None:
    """A carrier caller waits in the Helpdesk (no agent signed in); the console moves it to
    Service with the select, then raises its priority: the rows follow the queue engine."""
    page = supervisor_console
    waiting = call(product, tmp_path, "0612345671", "7001", 20000, "trunk_call.xml")
    with phones(product, tmp_path, caller=waiting) as running:
        helpdesk = page.locator('#queues .queue[data-cc="7001"]')
        row = helpdesk.locator(".waiting").first
        expect(row).to_contain_text("0612345671", timeout=20000)
        call_id = row.get_attribute("data-call-id")
        row.locator("select.move-to").select_option("7003")
        expect(helpdesk.locator(".waiting")).to_have_count(0, timeout=15000)
        moved = page.locator(f'#queues .queue[data-cc="7003"] .waiting[data-call-id="{call_id}"]')
        expect(moved).to_contain_text("0612345671", timeout=15000)
        expect(moved.locator("button.up")).to_be_disabled()  # first in line
        before = int(moved.get_attribute("data-priority") or "0")
        moved.locator("button.promote").click()
        expect(moved).to_have_attribute("data-priority", str(before + 1), timeout=15000)
        expect(page.locator("#message")).to_have_class("message")
        running.finished("caller")  # waited in 7003 and hung up


def test_night_service_and_forced_forwarding_switches(
    supervisor_console: Page, product: ProductThread
) -> None:
    page = supervisor_console
    service = page.locator('#queues .queue[data-cc="7003"]')
    expect(service).to_have_attribute("data-night", "false", timeout=20000)  # the demo's start
    service.locator("select.night").select_option("on")
    expect(service).to_have_attribute("data-night", "true", timeout=15000)
    assert _call_center(product, "7003")["nightServiceOverride"] is True
    service.locator("select.night").select_option("schedule")
    expect(service).to_have_attribute("data-night", "null", timeout=15000)
    service.locator("select.night").select_option("off")
    expect(service).to_have_attribute("data-night", "false", timeout=15000)

    service.locator("button.forward").click()  # no destination: the API's refusal, shown
    expect(page.locator("#message")).to_have_class("message error", timeout=15000)
    expect(page.locator("#message")).to_contain_text("destination")
    service.locator("input.forward-to").fill("7002")
    service.locator("button.forward").click()
    expect(service).to_have_attribute("data-forced", "true", timeout=15000)
    assert _call_center(product, "7003")["forcedForwarding"] is True
    service.locator("button.forward").click()  # Stop forwarding
    expect(service).to_have_attribute("data-forced", "false", timeout=15000)


def test_an_agent_is_refused_the_supervisors_actions(
    browser: Browser, product: ProductThread
) -> None:
    """1006, an agent of Sales with a Premium receptionist licence, sees Sales only; switching
    its night service is refused by the API, and the page says so; nothing changes."""
    _premium(product, AGENT)
    with console_of(browser, product, AGENT) as page:
        sales = page.locator('#queues .queue[data-cc="7002"]')
        expect(sales).to_have_count(1, timeout=20000)
        expect(page.locator('#queues .queue[data-cc="7003"]')).to_have_count(0)
        night = sales.get_attribute("data-night")
        sales.locator("select.night").select_option("on")
        message = page.locator("#message")
        expect(message).to_have_class("message error", timeout=15000)
        expect(message).to_contain_text("supervise")
        expect(sales).to_have_attribute("data-night", night or "null")
