"""End to end, issue 22: the browser phone on the PBX's other call paths, audio checked both ways.

The whole product as in test_agent_ui_webrtc.py (Chromium's fake microphone plays 1000 Hz);
every other party is a SIPp phone whose audio is a test RTP phone with a tone of its own. The
browser's side is read with a WebAudio analyser on the remote track (tests/agent_ui/
browser_hearing.py: which tone, not just "some audio"), the other side by Goertzel on the
decoded G.711 the RTP phones receive. Paths: an extension call to the browser agent,
supervisor listen then barge on a queue call taken in the browser, hold and resume, and the
recording of a browser call (the pcap holds both parties' tones). Calls the browser places
itself (the dial box, a meeting room): test_agent_ui_webrtc_own_calls.py.

Answer-to-audio times are printed, not asserted.
"""

from __future__ import annotations

import socket
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from pbx_core.recording.pcap_to_wav import convert
from tests.agent_ui.agent_pages import go_available, new_context, watch_errors
from tests.agent_ui.browser_hearing import TONE_LEVELS_SCRIPT, wait_until_browser_hears
from tests.agent_ui.webrtc_call import (
    BROWSER_TONE,
    CAPTURE_PEER_CONNECTIONS,
    RAW_MICROPHONE,
    _media_programs,
    browser,
    sign_in_with_browser_phone,
)
from tests.pbx_core.rtp_phone import FRAME, RtpPhone, level
from tests.pbx_core.support import Sipp, agent_phone, free_port, samples_of
from tests.product_harness import LoopThread, ProductThread

__all__ = ["_media_programs", "browser"]  # fixtures the tests here use

CALLER = "+31201234567"
CALLER_HZ, DESK_HZ, SUPERVISOR_HZ = 400.0, 600.0, 1500.0
"""The tone of each SIPp party's RTP phone; the browser's is BROWSER_TONE (1000 Hz)."""
DESK = "1005"
"""A colleague's desk phone (SIPp)."""
SUPERVISOR_PHONE = "1100"
"""The demo supervisor's own extension: it may listen in only from there (docs/security.md)."""
LONG_CALL_S = 120
"""SIPp's give-up time for phones of a call that stays up while the test steps through it."""


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "webrtc-paths", sip_ws_port=free_port(socket.SOCK_STREAM)
    )
    yield running
    running.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(TONE_LEVELS_SCRIPT)
    context.add_init_script(RAW_MICROPHONE)
    yield context
    context.close()


async def _phone(frequency: float) -> RtpPhone:
    """Started on the product's loop (its tasks live there)."""
    return RtpPhone(frequency).start()


def _hears(loop: LoopThread, phone: RtpPhone, frequency: float, timeout: float = 20) -> None:
    loop.run(phone.wait_to_hear(frequency, timeout=timeout), timeout=timeout + 10)


def _share(phone: RtpPhone, frequency: float, seconds: float = 1.0) -> float:
    """Share of the frames of the next `seconds` (after 0.2 s to settle) carrying `frequency`."""
    since = time.monotonic() + 0.2  # the phones' loop clock is time.monotonic()
    time.sleep(0.2 + seconds)
    return phone.share(frequency, since)


def _talking(page: Page) -> None:
    expect(page.locator('.softphone-call[data-call="talking"]')).to_be_visible(timeout=30_000)


def _two_way(
    page: Page, loop: LoopThread, other: RtpPhone, other_hz: float, started: float, what: str
) -> None:
    """The browser hears `other`'s tone and `other` hears the browser's; the time it took
    since `started` (the click that answered or dialled)."""
    wait_until_browser_hears(page, other_hz)
    browser_hears = time.monotonic()
    _hears(loop, other, BROWSER_TONE)
    print(
        f"\nWebRTC {what}: two-way audio {max(browser_hears, time.monotonic()) - started:.3f} s "
        f"after the click (browser hears after {browser_hears - started:.3f} s)"
    )


def _stop(loop: LoopThread, *sipps: Sipp | None) -> None:
    for sipp in sipps:
        if sipp is not None:
            sipp.kill()


def _ok(loop: LoopThread, sipp: Sipp, timeout: float = 30) -> None:
    result = loop.run(sipp.wait(timeout=timeout), timeout=timeout + 10)
    assert result.returncode == 0, result.errors


def _desk_caller(product: ProductThread, tmp_path: Path, to: str, phone: RtpPhone) -> Sipp:
    """DESK calls `to` and stays until the other side hangs up."""
    return Sipp(
        "ext_call_remote_bye.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": DESK, "to": to, "media_port": phone.port},
        extra=["-au", DESK, "-ap", f"pw{DESK}"],
        timeout_s=LONG_CALL_S,
    )


def test_extension_call_answered_in_the_browser_is_heard_both_ways_and_recorded(
    context: BrowserContext, product: ProductThread, tmp_path: Path
) -> None:
    """1005's desk phone dials 1001 (no queue); the browser rings and answers; both tones cross.
    1001 records every call (cti/provisioning_demo.py): the call's pcap holds both tones."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    desk = loop.run(_phone(DESK_HZ))
    caller: Sipp | None = None
    try:
        sign_in_with_browser_phone(page, product)
        caller = loop.run(_desk_caller(product, tmp_path, "1001", desk).start())
        offer = page.locator('.softphone-call[data-call="ringing"]')
        expect(offer).to_be_visible(timeout=30_000)
        answered = time.monotonic()
        offer.get_by_role("button", name="Answer").click()
        _talking(page)
        _two_way(page, loop, desk, DESK_HZ, answered, "extension call")
        time.sleep(2)  # two seconds of both tones in the recording
        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        _ok(loop, caller)
        assert errors == []
    finally:
        _stop(loop, caller)
        loop.run(desk.close())
    _assert_recorded_both_ways(product, tmp_path, {DESK_HZ, BROWSER_TONE})


def _assert_recorded_both_ways(product: ProductThread, tmp_path: Path, tones: set[float]) -> None:
    """The finished call's metadata is written and its pcap, as the product's converter makes
    it a stereo WAV, has one party's tone on each channel."""
    pbx = product.handle.pbx
    assert pbx is not None
    recordings = pbx.config.recordings_dir
    assert recordings is not None
    deadline = time.monotonic() + 60
    while not list((recordings / "calls").glob("*.json")):
        assert time.monotonic() < deadline, f"no finished recording in {recordings}"
        time.sleep(0.2)
    pcaps = list((recordings / "pcaps").glob("*.pcap"))
    assert len(pcaps) == 1, pcaps
    wav = tmp_path / "recording.wav"
    assert convert(pcaps[0], wav) > 8000
    with wave.open(str(wav)) as file:
        frames = file.readframes(file.getnframes())
    samples = samples_of(frames)
    heard = [_channel_tones(samples[channel::2], tones) for channel in (0, 1)]
    print(f"\nrecording: tones per channel {heard}")
    assert sorted(max(h, key=h.__getitem__) for h in heard) == sorted(tones), heard
    for channel in heard:
        assert max(channel.values()) > 0.5, heard


def _channel_tones(samples: list[int], tones: set[float]) -> dict[float, float]:
    """Share of the 20 ms frames of one channel in which each tone is clearly there."""
    frames = [samples[i : i + FRAME] for i in range(0, len(samples) - FRAME + 1, FRAME)]
    return {
        hz: sum(level(frame, hz) > 1500 for frame in frames) / max(len(frames), 1) for hz in tones
    }


def _queue_call_answered(
    page: Page, product: ProductThread, tmp_path: Path, caller_audio: RtpPhone
) -> Sipp:
    """1001 signed in with the browser phone and available; a trunk caller to 7001 (its audio
    `caller_audio`) answered in the browser, heard both ways. The caller waits for a BYE."""
    sign_in_with_browser_phone(page, product)
    go_available(page)
    caller = product.loop.run(
        Sipp(
            "trunk_call_remote_bye.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": "7001", "media_port": caller_audio.port},
            timeout_s=LONG_CALL_S,
        ).start()
    )
    offer = page.locator('.softphone-call[data-call="ringing"]')
    expect(offer).to_contain_text(CALLER, timeout=30_000)
    answered = time.monotonic()
    offer.get_by_role("button", name="Answer").click()
    _talking(page)
    _two_way(page, product.loop, caller_audio, CALLER_HZ, answered, "queue call")
    return caller


def _call_id(page: Page) -> str:
    """The engine's id of the call on the agent's call card."""
    card = page.locator("[data-call-id]").first
    expect(card).to_be_visible(timeout=30_000)
    call_id = card.get_attribute("data-call-id")
    assert call_id
    return call_id


HOLD = "mutation($c: ID!) {{ {verb}(callId: $c) {{ accepted }} }}"


def test_hold_and_resume_of_a_browser_call_keep_audio_both_ways(
    context: BrowserContext, product: ProductThread, tmp_path: Path
) -> None:
    """The softphone's Hold (a re-INVITE from the browser) silences the browser toward the
    caller and Resume brings both ways back; so does the PBX's hold (`holdCall`, music to the
    caller) then `resumeCall`."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(_phone(CALLER_HZ))
    caller: Sipp | None = None
    try:
        caller = _queue_call_answered(page, product, tmp_path, caller_audio)
        softphone_hold_and_resume(page, loop, caller_audio, CALLER_HZ)

        call_id = _call_id(page)
        _graphql(
            product, "1001", "mutation($c: ID!) { holdCall(callId: $c) { accepted } }", c=call_id
        )
        time.sleep(1)
        assert _share(caller_audio, BROWSER_TONE) == 0, "the caller heard the held browser"
        _graphql(
            product, "1001", "mutation($c: ID!) { resumeCall(callId: $c) { accepted } }", c=call_id
        )
        _hears(loop, caller_audio, BROWSER_TONE)
        wait_until_browser_hears(page, CALLER_HZ)

        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        _ok(loop, caller)
        assert errors == []
    finally:
        _stop(loop, caller)
        loop.run(caller_audio.close())


def _bearer(http: httpx.Client, username: str) -> dict[str, str]:
    """The Authorization header of demo user `username` (password `pw<username>`)."""
    login = http.post(
        "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def softphone_hold_and_resume(
    page: Page, loop: LoopThread, other: RtpPhone, other_hz: float
) -> None:
    """The softphone's Hold (the browser's re-INVITE): `other` hears nothing of the browser;
    Resume: each hears the other again."""
    buttons = page.locator(".softphone-call")
    buttons.get_by_role("button", name="Hold").click()
    expect(buttons.get_by_role("button", name="Resume")).to_be_visible()
    time.sleep(1)  # the re-INVITE's round trip
    assert _share(other, BROWSER_TONE) == 0, "the held browser was still heard"
    buttons.get_by_role("button", name="Resume").click()
    _hears(loop, other, BROWSER_TONE)
    wait_until_browser_hears(page, other_hz)


def _graphql(product: ProductThread, username: str, query: str, **variables: Any) -> Any:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        reply = http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=_bearer(http, username),
        )
    reply.raise_for_status()
    body = reply.json()
    assert not body.get("errors"), body
    return body["data"]


MONITOR = (
    "mutation($c: ID!, $e: String!, $m: MonitorMode!) "
    "{ monitorCall(callId: $c, extension: $e, mode: $m) { accepted } }"
)


def test_supervisor_listens_then_barges_in_on_a_browser_call(
    context: BrowserContext, product: ProductThread, tmp_path: Path
) -> None:
    """A queue call answered in the browser; the supervisor's SIPp phone (1100) listens: it
    hears the caller and the browser, the caller does not hear it; then barges in: the browser
    hears the supervisor."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio, supervisor_audio = loop.run(_phone(CALLER_HZ)), loop.run(_phone(SUPERVISOR_HZ))
    caller: Sipp | None = None
    supervisor: Sipp | None = None
    try:
        caller = _queue_call_answered(page, product, tmp_path, caller_audio)
        call_id = _call_id(page)

        supervisor = loop.run(
            agent_phone(product.sip_port, SUPERVISOR_PHONE, "agent_answer.xml", tmp_path,
                        timeout_s=LONG_CALL_S, media_port=supervisor_audio.port)
        )  # fmt: skip
        listened = time.monotonic()
        accepted = _graphql(product, "supervisor", MONITOR, c=call_id, e=SUPERVISOR_PHONE,
                            m="LISTEN")  # fmt: skip
        assert accepted["monitorCall"]["accepted"]
        _hears(loop, supervisor_audio, CALLER_HZ)
        _hears(loop, supervisor_audio, BROWSER_TONE)
        print(f"\nlisten: supervisor hears both after {time.monotonic() - listened:.3f} s")
        assert _share(caller_audio, SUPERVISOR_HZ) == 0, "the caller heard the listener"

        barged = time.monotonic()
        _graphql(product, "supervisor", MONITOR, c=call_id, e=SUPERVISOR_PHONE, m="BARGE")
        wait_until_browser_hears(page, SUPERVISOR_HZ)
        print(f"\nbarge: the browser hears the supervisor after {time.monotonic() - barged:.3f} s")
        _hears(loop, caller_audio, SUPERVISOR_HZ)
        _hears(loop, caller_audio, BROWSER_TONE)

        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        _ok(loop, caller)
        _ok(loop, supervisor)
        assert errors == []
    finally:
        _stop(loop, caller, supervisor)
        for phone in (caller_audio, supervisor_audio):
            loop.run(phone.close())
