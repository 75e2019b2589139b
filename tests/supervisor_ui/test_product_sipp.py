"""The whole product in one process (PBX, engine runtime, CTI web with the dashboard, as
`cti.product` runs it) with a real SIPp call from the trunk: the call shows up in the waiting
list in the browser, and moving it through the UI moves it in the engine and in the next events;
a supervisor listens in on an agent's call from their own (SIPp) phone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.components import require_executable
from tests.pbx_core.support import Sipp, agent_phone, free_port
from tests.product_harness import LoopThread, ProductThread
from tests.supervisor_ui.sv_world import REDIS_URL, TOKEN_SECRET
from tests.supervisor_ui.test_dashboard_browser import choose

CALLER = "+31201234567"
SUPERVISOR_PHONE = "1100"
"""The demo supervisor's own extension: it may listen in only from there (docs/security.md)."""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    require_executable("sipp")
    saved = os.environ.get("OPENCC_TOKEN_SECRET")
    os.environ["OPENCC_TOKEN_SECRET"] = TOKEN_SECRET
    try:
        running = ProductThread.start(tmp_path_factory.mktemp("product"), "supervisor-product")
        yield running
        running.stop()
    finally:
        if saved is None:
            os.environ.pop("OPENCC_TOKEN_SECRET", None)
        else:
            os.environ["OPENCC_TOKEN_SECRET"] = saved


async def _engine_view(prefix: str, call_id: str) -> tuple[str | None, list[tuple[str, str]]]:
    from redis.asyncio import Redis

    from cti.event_log import EventLog
    from cti.snapshots import SnapshotStore

    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        found = await SnapshotStore(redis, prefix).find_waiting_call("demo", call_id)
        events = [
            (e.type.value, e.call_center_id or "")
            async for e in EventLog(redis, prefix).read_after("demo", -1)
            if e.call_id == call_id
        ]
        return (found[0].id if found else None), events
    finally:
        await redis.aclose()


def _trunk_caller(
    loop: LoopThread, product: ProductThread, tmp_path: Path, scenario: str, **variables: object
) -> Sipp:
    """A SIPp caller on the trunk dialling 7001."""
    caller = Sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": CALLER, "to": "7001", "media_port": free_port(), **variables},
    )
    return loop.run(caller.start())


def _stop(loop: LoopThread, *sipps: Sipp | None) -> None:
    """Kill and reap on the loop that started them (before that loop closes)."""
    for sipp in sipps:
        if sipp is not None:
            sipp.kill()
            loop.run(sipp.wait(timeout=10), timeout=20)


def test_sipp_call_waits_in_the_browser_and_moves(
    product: ProductThread, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    loop = LoopThread()
    caller: Sipp | None = None
    try:
        page.goto(f"{product.base_url}/supervisor/")
        page.fill("#login-username", "supervisor")
        page.fill("#login-password", "pwsupervisor")
        page.click("#login-button")
        expect(page.locator("#cc-7001-section")).to_be_visible()
        expect(page.locator("#live-status")).to_contain_text("live")

        caller = _trunk_caller(loop, product, tmp_path, "trunk_call_remote_bye.xml")
        invited = time.monotonic()
        row = page.locator("#cc-7001-waiting tr[data-call-id]", has_text=CALLER)
        expect(row).to_be_visible(timeout=30_000)
        print(f"\nSIPp INVITE -> waiting row in the browser: {time.monotonic() - invited:.2f} s")
        call_id = row.get_attribute("data-call-id")
        assert call_id

        choose(page, "ctl-call", CALLER)
        choose(page, "ctl-target", "Service")
        page.click("#btn-move")
        expect(page.locator("#action-message")).to_contain_text("from 7001 to 7003")
        expect(page.locator(f"#cc-7003-waiting tr[data-call-id='{call_id}']")).to_be_visible()
        expect(page.locator(f"#cc-7001-waiting tr[data-call-id='{call_id}']")).to_have_count(0)

        where, events = loop.run(_engine_view(product.prefix, call_id))
        assert where == "7003"
        assert events[-2:] == [("CALL_TRANSFERRED", "7001"), ("CALL_ADDED", "7003")]
    finally:
        _stop(loop, caller)
        loop.stop()
        context.close()


def test_supervisor_listens_in_from_own_phone(
    product: ProductThread, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    loop = LoopThread()
    phones: list[Sipp] = []
    caller: Sipp | None = None
    try:
        page.goto(f"{product.base_url}/supervisor/")
        page.fill("#login-username", "supervisor")
        page.fill("#login-password", "pwsupervisor")
        page.click("#login-button")
        expect(page.locator("#live-status")).to_contain_text("live")
        choose(page, "ctl-agent", "1002")
        choose(page, "ctl-state", "AVAILABLE")
        page.click("#btn-set-state")
        agent_row = page.locator("#cc-7001-agents tr[data-agent='1002']")
        expect(agent_row).to_contain_text("AVAILABLE", timeout=10_000)

        # Agent 1002 (Helpdesk only: the call the test above moved to Service stays there) and,
        # later, the supervisor's own phone: each started just before its call comes, as a SIPp
        # phone gives up after SIPP_TIMEOUT_S (a loaded machine takes longer to get there).
        phones.append(loop.run(agent_phone(product.sip_port, "1002", "agent_answer.xml", tmp_path)))
        caller = _trunk_caller(loop, product, tmp_path, "trunk_call.xml", hold_ms=8000)
        expect(agent_row).to_contain_text("BUSY", timeout=30_000)
        phones.append(
            loop.run(agent_phone(product.sip_port, SUPERVISOR_PHONE, "agent_answer.xml", tmp_path))
        )
        page.fill("#ctl-phone", SUPERVISOR_PHONE)
        page.click("#btn-monitor")
        expect(page.locator("#action-message")).to_contain_text(
            f"Listening to agent 1002's call from your phone {SUPERVISOR_PHONE}"
        )
        # The supervisor's phone rang, answered, and gets its BYE when the caller hangs up.
        agent, supervisor = phones
        heard = loop.run(supervisor.wait(timeout=30), timeout=40)
        assert heard.returncode == 0, heard.errors
        assert loop.run(agent.wait(timeout=30), timeout=40).returncode == 0
        assert loop.run(caller.wait(timeout=30), timeout=40).returncode == 0
    finally:
        _stop(loop, caller, *phones)
        loop.stop()
        context.close()
