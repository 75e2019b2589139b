"""The scheduled-reports page in the running product (its rq worker mailing to an aiosmtpd
server), in headless Chromium, as the demo supervisor: a schedule made in the page is the one the
API stored, a send while the mail server is down shows as retrying with its error, then arrives
once the server listens, and the schedule is deleted in the page. The supervisor, provisioned in
Dutch, first sees the page in Dutch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.e2e.test_product_report_schedules import client_of, eventually, mailing_product
from tests.ports import free_port
from tests.product_harness import ProductThread
from tests.reports.test_reports_exports_and_mail import Inbox, attachments
from tests.supervisor_ui.test_dashboard_browser import sign_in_at
from tests.supervisor_ui.test_reports_browser import screenshot

REDIS_URL = "redis://127.0.0.1:6379/11"
"""A Redis database of this module's own: rq's keys carry no prefix."""
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory, smtp_port: int) -> Iterator[ProductThread]:
    var_dir = tmp_path_factory.mktemp("schedules-page") / "var"
    with mailing_product(var_dir, smtp_port, REDIS_URL) as running:
        yield running


def open_schedules(page: Page, product: ProductThread) -> None:
    """The demo supervisor, provisioned in Dutch (the default), sees Dutch without switching;
    the test then reads the page in English."""
    sign_in_at(page, f"{product.base_url}/supervisor/#schedules", "supervisor", "pwsupervisor")
    expect(page.locator("#schedules-view")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#nav-schedules")).to_have_class("tab active")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#nav-schedules")).to_have_text("Geplande rapporten")
    expect(page.locator("#sch-create")).to_have_text("Planning toevoegen")
    expect(page.locator("#logout-button")).to_have_text("Afmelden")
    page.click("[data-lang=en]")
    expect(page.locator("#sch-create")).to_have_text("Add schedule")


def test_a_schedule_made_in_the_page_is_stored_sent_and_deleted(
    page: Page, product: ProductThread, smtp_port: int, tmp_path: Path
) -> None:
    open_schedules(page, product)
    # A bad address is the API's refusal, shown; nothing is stored.
    page.fill("#sch-recipients", "boss at example.com")
    page.click("#sch-create")
    expect(page.locator("#sch-message")).to_contain_text("Refused")
    expect(page.locator("#sch-message")).to_have_class("message error")

    page.click("#sch-centers")  # a multi-choice list stays open after a choice
    page.locator(".dash-dropdown-content [role='option']", has_text="Helpdesk (7001)").click()
    page.keyboard.press("Escape")
    page.locator("#sch-interval label", has_text="weekly").click()
    page.locator("#sch-format label", has_text="XLSX").click()
    page.fill("#sch-recipients", "boss@example.com, ops@example.com")
    page.click("#sch-create")
    expect(page.locator("#sch-message")).to_contain_text("added")
    row = page.locator("#sch-table tr[data-schedule-id]")
    expect(row).to_have_count(1)
    schedule_id = row.get_attribute("data-schedule-id")

    with client_of(product.base_url, "supervisor") as supervisor:
        stored = supervisor.get(f"/api/v1/report-schedules/{schedule_id}").json()
        assert [s["id"] for s in supervisor.get("/api/v1/report-schedules").json()] == [
            stored["id"]
        ]
        assert (stored["report"], stored["call_centers"], stored["interval"]) == (
            "call-centers",
            ["7001"],
            "weekly",
        )
        assert stored["recipients"] == ["boss@example.com", "ops@example.com"]
        assert stored["format"] == "xlsx" and stored["created_by"] == "supervisor"
        cell = lambda name: row.locator(f"td[data-figure='{name}']")  # noqa: E731
        expect(cell("call-centers")).to_have_text("7001")
        expect(cell("recipients")).to_have_text("boss@example.com, ops@example.com")
        expect(cell("format")).to_have_text("XLSX")
        expect(cell("status")).to_have_text("scheduled")

        # Nothing listens on the SMTP port yet: the page shows the retries and the error.
        row.locator("button", has_text="Send now").click()
        expect(cell("status").locator(".sch-state")).to_have_text("retrying", timeout=WAIT_MS)
        expect(cell("status").locator(".sch-error")).to_contain_text("refused")
        expect(cell("status").locator(".sch-attempts")).to_contain_text("attempts")

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            eventually(lambda: inbox.messages, "the report mail")
            expect(cell("status")).to_have_text("sent", timeout=WAIT_MS)
        finally:
            controller.stop()
        expect(cell("last-sent")).not_to_have_text("-")
        page.click("[data-lang=nl]")
        expect(cell("status")).to_have_text("verzonden")
        screenshot(page, tmp_path, "supervisor-schedules.png")
        page.click("[data-lang=en]")
        assert inbox.recipients == [["boss@example.com", "ops@example.com"]]
        [name] = attachments(inbox.messages[0])
        assert name.startswith("call-centers-") and name.endswith("-weekly.xlsx"), name

        row.locator("button", has_text="Delete").click()
        expect(page.locator("#sch-message")).to_contain_text(f"Schedule {schedule_id} deleted")
        expect(page.locator("#sch-table tr[data-schedule-id]")).to_have_count(0)
        assert supervisor.get(f"/api/v1/report-schedules/{schedule_id}").status_code == 404
