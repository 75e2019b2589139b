"""End to end, issue 22: hold, resume and blind transfer of a queue call taken in the browser.

The same world as test_agent_ui_webrtc.py (whole product with rtpengine, Chromium with a fake
microphone playing a tone, a SIPp trunk caller whose audio is an RTP phone playing another),
with the microphone's capture processing off (`RAW_MICROPHONE`, tests/agent_ui/webrtc_call.py):
these tests listen for longer than Chromium's noise suppression leaves a steady tone alone.

- Hold and Resume in the softphone (re-INVITEs from the browser, sendonly then sendrecv), then
  Hold and Resume on the call card (the PBX's own hold, rtpengine's block/play media): after
  each resume the caller's phone hears the browser's tone again, and while held it does not.
- Transfer to desk phone 1004 (a registered SIPp phone with an RTP phone of its own), in the
  softphone (REFER) and on the call card (`transferCall`): 1004 answers, the caller and 1004
  hear each other, the browser's call ends, and the caller stays connected until 1004 hangs
  up. (Both used to hang up on the caller: the engine released the agent's call with a
  HangUpCall, which cancelled the PBX's new leg to 1004.)
- The same REFER from a SIPp desk phone (agent 1001 on the desk phone): the caller reaches 1004
  too (it was dropped the same way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.agent_ui.agent_pages import go_available, new_context, watch_errors
from tests.agent_ui.webrtc_call import (
    BROWSER_TONE,
    CALLER_TONE,
    _media_programs,
    browser,
    phone_context,
    product,
    queue_call_offered,
    sign_in,
    started,
    trunk_call,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone
from tests.product_harness import LoopThread, ProductThread

TARGET = "1004"
TARGET_TONE = 600.0
HEARS = 10.0
"""Seconds to wait for a tone (generous: two shared cores, Chromium and rtpengine busy)."""
TARGET_TALK_MS = 8_000
"""1004 and the caller end within SIPp's 20 s scenario timeout (1004 registers just before
the transfer); both tones are heard well within it (0.2-0.5 s each on a quiet machine)."""

__all__ = ["_media_programs", "browser", "product"]  # fixtures the tests here use


def _answer(page: Page, loop: LoopThread, caller_audio: RtpPhone) -> None:
    page.locator('.softphone-call[data-call="ringing"]').get_by_role(
        "button", name="Answer"
    ).click()
    expect(page.locator('.softphone-call[data-call="talking"]')).to_be_visible()
    _hears(loop, caller_audio, BROWSER_TONE)


def _hears(loop: LoopThread, phone: RtpPhone, frequency: float) -> None:
    loop.run(phone.wait_to_hear(frequency, timeout=HEARS), timeout=HEARS + 5)


def _not_heard_while_held(loop: LoopThread, caller_audio: RtpPhone) -> None:
    """Once the hold took effect (a second for the re-INVITE or the blocks), the caller gets
    music and nothing of the browser."""
    now = loop.run(_now())
    loop.run(_sleep(1.5))
    assert caller_audio.received, "the caller gets nothing at all"
    assert caller_audio.share(BROWSER_TONE, since=now + 0.5) < 0.1


async def _now() -> float:
    return asyncio.get_running_loop().time()


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _card_button(page: Page, name: str) -> Locator:
    return page.locator(".call-card").get_by_role("button", name=name, exact=True)


def test_hold_and_resume_in_the_softphone_and_on_the_call_card_keep_the_browsers_audio(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    loop = product.loop
    context = phone_context(browser, raw_microphone=True)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    caller: Sipp | None = None
    try:
        caller = queue_call_offered(page, product, tmp_path, caller_audio)
        _answer(page, loop, caller_audio)

        # The softphone's own hold: re-INVITE sendonly, then sendrecv, from the browser.
        hold = page.locator(".softphone-hold")
        hold.click()
        expect(hold).to_have_text("Resume")
        expect(page.locator(".call-card")).to_have_attribute("data-phase", "HELD")
        _not_heard_while_held(loop, caller_audio)
        hold.click()
        expect(hold).to_have_text("Hold")
        expect(page.locator(".call-card")).to_have_attribute("data-phase", "CONNECTED")
        _hears(loop, caller_audio, BROWSER_TONE)

        # The PBX's hold from the call card: rtpengine blocks both sides and plays music.
        _card_button(page, "Hold").click()
        expect(page.locator(".call-card")).to_have_attribute("data-phase", "HELD")
        _not_heard_while_held(loop, caller_audio)
        _card_button(page, "Resume").click()
        expect(page.locator(".call-card")).to_have_attribute("data-phase", "CONNECTED")
        _hears(loop, caller_audio, BROWSER_TONE)

        page.locator(".softphone-hangup").click()
        result = loop.run(caller.wait(timeout=20), timeout=30)
        assert result.returncode == 0, result.errors
        assert errors == []
    finally:
        if caller is not None:
            caller.kill()
        loop.run(caller_audio.close())
        context.close()


def _transfer_in_the_softphone(page: Page) -> None:
    """A REFER from the browser (the PBX answers 202, BYEs the browser and rings the target)."""
    page.fill("#softphone-transfer-input", TARGET)
    page.locator(".softphone-transfer").get_by_role("button", name="Transfer").click()


def _transfer_on_the_call_card(page: Page) -> None:
    """The agent client's Transfer (`transferCall`): the PBX drops the browser's leg."""
    _card_button(page, "Transfer").click()
    page.fill("#transfer-input", TARGET)
    page.locator("#transfer-submit").click()


@pytest.mark.parametrize("transfer", [_transfer_in_the_softphone, _transfer_on_the_call_card])
def test_blind_transfer_connects_the_caller_to_a_desk_phone(
    browser: Browser,
    product: ProductThread,
    tmp_path: Path,
    transfer: Callable[[Page], None],
) -> None:
    loop = product.loop
    context = phone_context(browser, raw_microphone=True)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    target_audio = loop.run(started(RtpPhone(TARGET_TONE)))
    caller: Sipp | None = None
    target: Sipp | None = None
    try:
        caller = queue_call_offered(page, product, tmp_path, caller_audio)
        _answer(page, loop, caller_audio)
        # 1004 answers, talks long enough for both tones to be checked, then hangs up.
        target = loop.run(
            agent_phone(
                product.sip_port,
                TARGET,
                "agent_answer_hangup.xml",
                tmp_path,
                media_port=target_audio.port,
                talk_ms=TARGET_TALK_MS,
            )
        )

        transfer(page)
        expect(page.locator(".softphone-call")).to_have_count(0)
        _hears(loop, target_audio, CALLER_TONE)
        _hears(loop, caller_audio, TARGET_TONE)

        # 1004 hangs up: the caller gets the BYE (it was never dropped before).
        assert (loop.run(target.wait(), timeout=120)).returncode == 0
        result = loop.run(caller.wait(timeout=20), timeout=30)
        assert result.returncode == 0, result.errors
        assert errors == []
    finally:
        for sipp in (caller, target):
            if sipp is not None:
                sipp.kill()
        loop.run(caller_audio.close())
        loop.run(target_audio.close())
        context.close()


def test_a_desk_phones_refer_of_a_queue_call_keeps_the_caller_too(
    browser: Browser, product: ProductThread, tmp_path: Path
) -> None:
    """The engine fix is the same for desk phones: agent 1001 on a SIPp desk phone answers the
    queue call and REFERs it to 1004 (after a *44, agent_record_and_transfer.xml)."""
    loop = product.loop
    context = new_context(browser)
    page = context.new_page()
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    target_audio = loop.run(started(RtpPhone(TARGET_TONE)))
    phones: list[Sipp] = []
    try:
        sign_in(page, product)
        go_available(page)
        for extension, scenario, variables in (
            (
                TARGET,
                "agent_answer_hangup.xml",
                {"media_port": target_audio.port, "talk_ms": TARGET_TALK_MS},
            ),
            ("1001", "agent_record_and_transfer.xml", {"refer_to": TARGET}),
        ):
            phone = agent_phone(product.sip_port, extension, scenario, tmp_path, **variables)
            phones.append(loop.run(phone))
        target, agent = phones
        phones.append(trunk_call(product, tmp_path, caller_audio))
        assert loop.run(agent.wait(), timeout=60).returncode == 0
        _hears(loop, target_audio, CALLER_TONE)
        _hears(loop, caller_audio, TARGET_TONE)
        assert loop.run(target.wait(), timeout=60).returncode == 0
        result = loop.run(phones[-1].wait(timeout=20), timeout=30)
        assert result.returncode == 0, result.errors
    finally:
        for sipp in phones:
            sipp.kill()
        loop.run(caller_audio.close())
        loop.run(target_audio.close())
        context.close()
