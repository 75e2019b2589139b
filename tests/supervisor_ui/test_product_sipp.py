"""The whole product in one process (PBX, engine runtime, CTI web with the dashboard, as
`cti.product` runs it) with a real SIPp call from the trunk: the call shows up in the waiting
list in the browser, and moving it through the UI moves it in the engine and in the next events;
a supervisor listens in on an agent's call from their own (SIPp) phone, and whispers to the
agent then barges in, heard as RTP tones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.components import require_executable
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import SIPP_TIMEOUT_S, Sipp, agent_phone, free_port
from tests.product_harness import LoopThread, ProductThread
from tests.supervisor_ui.sv_world import REDIS_URL, TOKEN_SECRET
from tests.supervisor_ui.test_dashboard_browser import choose, sign_in_at

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
    loop: LoopThread,
    product: ProductThread,
    tmp_path: Path,
    scenario: str,
    timeout_s: int = SIPP_TIMEOUT_S,
    **variables: object,
) -> Sipp:
    """A SIPp caller on the trunk dialling 7001."""
    caller = Sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": CALLER, "to": "7001", "media_port": free_port(), **variables},
        timeout_s=timeout_s,
    )
    return loop.run(caller.start())


def _stop(loop: LoopThread, *sipps: Sipp | None) -> None:
    """Kill and reap on the loop that started them (before that loop closes)."""
    for sipp in sipps:
        if sipp is not None:
            sipp.kill()
            loop.run(sipp.wait(timeout=10), timeout=20)


def sign_in_english(page: Page, product: ProductThread) -> None:
    """The demo supervisor (provisioned in Dutch), switched to English: the asserts read it."""
    url = f"{product.base_url}/supervisor/"
    sign_in_at(page, url, "supervisor", "pwsupervisor", language="en")


def _agent_1002_made_available(page: Page, product: ProductThread) -> Locator:
    """The supervisor signs in to the board and makes agent 1002 available; its row."""
    sign_in_english(page, product)
    expect(page.locator("#live-status")).to_contain_text("live")
    choose(page, "ctl-agent", "1002")
    choose(page, "ctl-state", "AVAILABLE")
    page.click("#btn-set-state")
    agent_row = page.locator("#cc-7001-agents tr[data-agent='1002']")
    expect(agent_row).to_contain_text("AVAILABLE", timeout=10_000)
    return agent_row


def test_sipp_call_waits_in_the_browser_and_moves(
    product: ProductThread, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    loop = LoopThread()
    caller: Sipp | None = None
    try:
        sign_in_english(page, product)
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
        agent_row = _agent_1002_made_available(page, product)

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


CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 500, 1000, 1500
"""Each party's RTP phone plays its own tone (tests/pbx_core/rtp_phone.py)."""
LONG_CALL_S = 90
"""SIPp's give-up time for the phones of the one call that listen, whisper and barge: the caller
stays 25 s, time for every step on a loaded machine."""


async def _tone_phones() -> tuple[RtpPhone, RtpPhone, RtpPhone]:
    """Started on the loop that runs them (their tasks live there)."""
    return RtpPhone(CALLER_HZ).start(), RtpPhone(AGENT_HZ).start(), RtpPhone(SUPERVISOR_HZ).start()


def _hearing(phone: RtpPhone, seconds: float = 0.8) -> dict[int, float]:
    """Share of the frames of the next `seconds` that carry each party's tone."""
    since = time.monotonic() + 0.2  # let a switch of routes settle first
    time.sleep(0.2 + seconds)
    return {hz: phone.share(hz, since) for hz in (CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ)}


def test_supervisor_whispers_to_the_agent_then_barges_in_without_a_new_dial(
    product: ProductThread, browser: Browser, tmp_path: Path
) -> None:
    """Issue 23.3 in the product: from the board, Whisper rings the supervisor's SIPp phone;
    the agent hears the supervisor, the caller does not; Barge in then lets the caller hear the
    supervisor too, in the same call (the supervisor's phone takes one INVITE only)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    loop = LoopThread()
    phones: list[Sipp] = []
    caller: Sipp | None = None
    audio = loop.run(_tone_phones())
    heard_by_caller, heard_by_agent, heard_by_supervisor = audio
    try:
        agent_row = _agent_1002_made_available(page, product)

        phones.append(
            loop.run(
                agent_phone(
                    product.sip_port, "1002", "agent_answer_reinvites.xml", tmp_path,
                    timeout_s=LONG_CALL_S, media_port=heard_by_agent.port,
                )
            )
        )  # fmt: skip
        caller = _trunk_caller(
            loop, product, tmp_path, "trunk_call.xml", LONG_CALL_S, hold_ms=25_000,
            media_port=heard_by_caller.port,
        )  # fmt: skip
        expect(agent_row).to_contain_text("BUSY", timeout=30_000)
        loop.run(heard_by_agent.wait_to_hear(CALLER_HZ, timeout=15))
        phones.append(
            loop.run(
                agent_phone(
                    product.sip_port, SUPERVISOR_PHONE, "agent_answer.xml", tmp_path,
                    timeout_s=LONG_CALL_S, media_port=heard_by_supervisor.port,
                )
            )
        )  # fmt: skip
        page.fill("#ctl-phone", SUPERVISOR_PHONE)
        page.click("#btn-whisper")
        expect(page.locator("#action-message")).to_contain_text("Whispering to agent 1002")
        loop.run(heard_by_agent.wait_to_hear(SUPERVISOR_HZ, timeout=15))
        loop.run(heard_by_supervisor.wait_to_hear(CALLER_HZ, timeout=15))
        caller_hears, agent_hears = _hearing(heard_by_caller), _hearing(heard_by_agent)
        assert caller_hears[SUPERVISOR_HZ] == 0, f"the caller heard the coach: {caller_hears}"
        assert caller_hears[AGENT_HZ] > 0.5, caller_hears
        assert agent_hears[SUPERVISOR_HZ] > 0.5 and agent_hears[CALLER_HZ] > 0.5, agent_hears

        page.click("#btn-barge")
        expect(page.locator("#action-message")).to_contain_text("Barging in on agent 1002")
        loop.run(heard_by_caller.wait_to_hear(SUPERVISOR_HZ, timeout=15))
        # One monitor all along: the supervisor's phone answered one INVITE and gets its BYE
        # when the caller hangs up (a second INVITE would fail its scenario). The agent's
        # phone takes the re-INVITEs that put the mixer in its media path and out again.
        agent, supervisor = phones
        assert loop.run(caller.wait(timeout=90), timeout=100).returncode == 0
        heard = loop.run(supervisor.wait(timeout=30), timeout=40)
        assert heard.returncode == 0, heard.errors
        assert loop.run(agent.wait(timeout=30), timeout=40).returncode == 0
    finally:
        _stop(loop, caller, *phones)
        for phone in audio:
            loop.run(phone.close())
        loop.stop()
        context.close()
