"""The console's Manager/Assistant panel in headless Chromium against the whole product: the
admin makes 1001 a manager with assistant 1003 (the receptionist); 1003's console shows 1001 with
filtering on; SIPp 1004 calls 1001 and 1003's SIPp phone rings (not 1001's); the panel lists the
call live and its "Manager's voicemail" button sends it into 1001's box (the caller is answered
by the PBX); the assistant switches 1001's filtering off from the panel. A colleague who is
neither manager nor assistant sees no panel (docs/manager-assistant.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pbx_core.support import Sipp, agent_phone, free_port
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import (
    INSTAP,
    RECEPTIONIST,
    _media_programs,
    api,
    console_of,
)

__all__ = ["_media_programs"]

MANAGER, CALLER, COLLEAGUE = "1001", "1004", "1005"


@pytest.fixture(scope="module")
def paired(product: ProductThread) -> None:
    with api(product, "admin", "pwadmin") as admin:
        for user in (RECEPTIONIST, COLLEAGUE):
            licensed = admin.patch(f"/api/v1/tenants/demo/users/{user}", json={"licences": INSTAP})
            assert licensed.status_code == 200, licensed.text
        made = admin.put(f"/api/v1/tenants/demo/managers/{MANAGER}",
                         json={"assistants": [RECEPTIONIST], "filtering": True})  # fmt: skip
        assert made.status_code == 200, made.text


@pytest.fixture
def page(browser: Browser, product: ProductThread, paired: None) -> Iterator[Page]:
    with console_of(browser, product, RECEPTIONIST) as opened:
        yield opened


def test_the_assistant_diverts_a_filtered_call_and_switches_filtering(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    manager = page.locator(f'#ma-managers .manager[data-manager="{MANAGER}"]')
    expect(manager).to_have_attribute("data-filtering", "true", timeout=15000)
    expect(manager.locator("button.opt")).to_be_visible()
    loop = product.loop
    assistant_phone = loop.run(
        agent_phone(product.sip_port, RECEPTIONIST, "agent_no_answer.xml", tmp_path)
    )
    caller = loop.run(
        Sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": MANAGER, "media_port": free_port(),
                       "hold_ms": 2000},
            extra=["-au", CALLER, "-ap", f"pw{CALLER}"],
        ).start()
    )  # fmt: skip
    try:
        ringing = page.locator('#ma-calls .filtered[data-outcome="ringing"][data-ended="false"]')
        expect(ringing).to_contain_text(CALLER, timeout=15000)
        ringing.locator("button.to-voicemail").click()
        diverted = page.locator('#ma-calls .filtered[data-outcome="diverted"]')
        expect(diverted).to_be_visible(timeout=15000)
        answered = loop.run(caller.wait())  # the manager's voicemail answered, 2 s, BYE
        assert answered.returncode == 0, answered.errors
        rang = loop.run(assistant_phone.wait())  # the assistant's phone rang, then was cancelled
        assert rang.returncode == 0, rang.errors
        expect(page.locator('#ma-calls .filtered[data-ended="true"]')).to_have_count(1)
    finally:
        caller.kill()
        assistant_phone.kill()
    manager.locator("button.filter").click()
    expect(manager).to_have_attribute("data-filtering", "false", timeout=15000)
    with api(product, MANAGER, f"pw{MANAGER}") as client:
        assert client.get("/api/v1/me/manager-assistant").json()["manager"]["filtering"] is False


def test_a_colleague_sees_no_panel(browser: Browser, product: ProductThread, paired: None) -> None:
    with console_of(browser, product, COLLEAGUE) as opened:
        expect(opened.locator("#grid-title")).to_be_visible()
        expect(opened.locator("#assistant")).to_be_hidden()
