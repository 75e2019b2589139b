"""End to end, issue 22: calls the browser phone places itself (JsSIP's own INVITE, like a desk
phone's), audio checked both ways.

With the browser phone registered, the agent client's dial box calls from the browser
(docs/webrtc.md, "Who dials"): the INVITE enters the PBX's dial plan as a desk phone's does, so
meeting rooms, voicemail and feature codes are reachable and the keypad's digits (SIP INFO) reach
whatever answered. The same world as test_agent_ui_webrtc_paths.py: the whole product, Chromium
whose fake microphone plays 1000 Hz raw, SIPp phones with RTP phones playing their own tones.
Last, a STUN server from `OPENCC_WEBRTC_ICE_SERVERS` is the one the browser asks.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from cti.bridge_rooms_demo import DEMO_ROOM
from cti.bridge_rooms_live import pbx_room
from tests.agent_ui.agent_pages import watch_errors
from tests.agent_ui.test_agent_ui_webrtc_paths import (
    DESK,
    DESK_HZ,
    LONG_CALL_S,
    _bearer,
    _hears,
    _ok,
    _phone,
    _share,
    _stop,
    _talking,
    _two_way,
    context,
    product,
    softphone_hold_and_resume,
)
from tests.agent_ui.webrtc_call import (
    BROWSER_TONE,
    INBOUND_AUDIO,
    _media_programs,
    browser,
    sign_in_with_browser_phone,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone, free_port
from tests.pbx_core.test_bridge_rooms import _prompted
from tests.pbx_core.test_three_way_call import _key
from tests.product_harness import LoopThread, ProductThread

__all__ = ["_media_programs", "browser", "context", "product"]  # fixtures the tests here use

ROOM = pbx_room(DEMO_ROOM)
"""The demo's meeting room 8100 (PIN 1234)."""

BROWSER_OFFERED = """
() => {
  const connection = window.__peerConnections[window.__peerConnections.length - 1];
  return connection ? connection.currentLocalDescription.type : null;
}
"""
""""offer" when the browser made the call's offer (its own INVITE), "answer" when the PBX did
(a call to it, or click-to-dial, which rings the browser first)."""


def _dial(page: Page, number: str) -> float:
    page.fill("#dial-input", number)
    page.click("#dial-submit")
    return time.monotonic()


def browser_calls_the_desk(
    page: Page,
    product: ProductThread,
    tmp_path: Path,
    desk: RtpPhone,
    dial: Callable[[Page, str], float],
    what: str,
) -> Sipp:
    """`dial` (a page's dial box: fills in DESK, clicks, returns when) calls DESK from the
    browser itself; DESK's SIPp phone (audio from `desk`) answers, each hears the other's tone
    and the browser made the offer (its own INVITE, not click-to-dial). Returns DESK's SIPp,
    waiting for its BYE."""
    loop = product.loop
    answering = loop.run(
        agent_phone(product.sip_port, DESK, "agent_answer.xml", tmp_path,
                    timeout_s=LONG_CALL_S, media_port=desk.port)
    )  # fmt: skip
    try:
        dialled = dial(page, DESK)
        _talking(page)
        _two_way(page, loop, desk, DESK_HZ, dialled, what)
        assert page.evaluate(BROWSER_OFFERED) == "offer"
    except BaseException:
        answering.kill()
        raise
    return answering


def hang_up_and_desk_gets_its_bye(page: Page, loop: LoopThread, answering: Sipp) -> None:
    page.locator(".softphone-hangup").click()
    expect(page.locator(".softphone-call")).to_have_count(0)
    _ok(loop, answering)


def _mute_and_unmute(page: Page, loop: LoopThread, other: RtpPhone) -> None:
    """Mute: `other` hears nothing of the browser; Unmute: the browser's tone again."""
    buttons = page.locator(".softphone-call")
    buttons.get_by_role("button", name="Mute").click()
    time.sleep(1)  # the muted track's frames already on their way
    assert _share(other, BROWSER_TONE) == 0, "the muted browser was still heard"
    buttons.get_by_role("button", name="Unmute").click()
    _hears(loop, other, BROWSER_TONE)


def test_the_browser_calls_a_desk_phone_itself_mute_hold_and_hang_up(
    context: BrowserContext, product: ProductThread, tmp_path: Path
) -> None:
    """The dial box calls 1005 from the browser (its own offer, no click-to-dial), 1005's desk
    phone answers; tones both ways; a second number dialled meanwhile is refused with a
    message and stays in the dial box; Mute and Hold silence the browser toward 1005, Unmute
    and Resume bring it back; Hang up sends 1005 its BYE."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    desk = loop.run(_phone(DESK_HZ))
    answering: Sipp | None = None
    try:
        sign_in_with_browser_phone(page, product)
        answering = browser_calls_the_desk(
            page, product, tmp_path, desk, _dial, "the browser's own call to a desk phone"
        )

        _dial(page, "1004")  # one call at a time: said, nothing dialled, the number kept
        expect(page.locator("#toasts")).to_contain_text("You are in a call")
        expect(page.locator("#dial-input")).to_have_value("1004")
        expect(page.locator(".softphone-call")).to_have_count(1)
        _mute_and_unmute(page, loop, desk)
        softphone_hold_and_resume(page, loop, desk, DESK_HZ)

        hang_up_and_desk_gets_its_bye(page, loop, answering)
        assert errors == []
    finally:
        _stop(loop, answering)
        loop.run(desk.close())


def _room_caller(product: ProductThread, work_dir: Path, phone: RtpPhone) -> Sipp:
    """DESK calls the room and stays (longer than the test; it is killed at the end)."""
    return Sipp(
        "ext_call.xml",
        work_dir=work_dir,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": DESK, "to": ROOM.number, "media_port": phone.port,
                   "hold_ms": LONG_CALL_S * 1000},
        extra=["-au", DESK, "-ap", f"pw{DESK}"],
        timeout_s=LONG_CALL_S + 30,
    )  # fmt: skip


def _participants(product: ProductThread) -> list[str]:
    with httpx.Client(base_url=product.base_url, timeout=30) as http:
        listed = http.get(
            f"/api/v1/conference-rooms/{ROOM.number}/participants", headers=_bearer(http, "1001")
        )
    listed.raise_for_status()
    return sorted(p["caller"] for p in listed.json())


def _until_participants(product: ProductThread, expected: list[str]) -> None:
    deadline = time.monotonic() + 30
    while (listed := _participants(product)) != expected:
        assert time.monotonic() < deadline, f"room {ROOM.number}: {listed}, not {expected}"
        time.sleep(0.2)


def test_the_browser_joins_the_meeting_room_with_its_pin_from_the_keypad(
    context: BrowserContext, product: ProductThread, tmp_path: Path
) -> None:
    """1005's SIPp phone is in room 8100 (its PIN as RFC 4733). The browser dials 8100 from the
    dial box and keys the PIN on the softphone's keypad (SIP INFO): the room lists 1001, the
    browser hears 1005 (and getStats counts inbound audio energy), 1005 hears the browser;
    Mute silences the browser in the room; Hang up leaves the room with 1005 alone in it."""
    loop = product.loop
    page = context.new_page()
    errors = watch_errors(page)
    desk = loop.run(_phone(DESK_HZ))
    in_room: Sipp | None = None
    try:
        in_room = loop.run(_room_caller(product, tmp_path, desk).start())
        loop.run(_prompted(desk), timeout=30)
        loop.run(_key(desk, ROOM.pin + "#"), timeout=30)
        _until_participants(product, [DESK])

        sign_in_with_browser_phone(page, product)
        dialled = _dial(page, ROOM.number)
        _talking(page)  # the PBX answers and asks for the PIN
        assert page.evaluate(BROWSER_OFFERED) == "offer"
        keypad = page.locator(".softphone-keypad")
        for key in ROOM.pin + "#":
            keypad.get_by_role("button", name=key, exact=True).click()
        _until_participants(product, sorted(["1001", DESK]))
        _two_way(page, loop, desk, DESK_HZ, dialled, "the browser in a meeting room")
        inbound = page.evaluate(INBOUND_AUDIO)
        assert inbound["packets"] > 0 and inbound["energy"] > 0, inbound

        _mute_and_unmute(page, loop, desk)

        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        _until_participants(product, [DESK])
        assert errors == []
    finally:
        _stop(loop, in_room)
        loop.run(desk.close())


STUN_MAGIC_COOKIE = b"\x21\x12\xa4\x42"
"""RFC 5389 6: bytes 4-7 of every STUN message; a Binding request starts with 0x0001."""

ICE_CONFIGURATION = """
() => window.__peerConnections[window.__peerConnections.length - 1].getConfiguration().iceServers
"""


def test_the_browser_phone_asks_the_configured_stun_server(
    context: BrowserContext, tmp_path: Path
) -> None:
    """The product with `OPENCC_WEBRTC_ICE_SERVERS` naming a STUN server (a UDP socket of the
    test, which never answers): the browser's call is set up with it and the browser sends it a
    Binding request; the call (to the room, which answers) does not wait for the silent server
    (STUN gives up only after 39.5 s)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stun:
        stun.bind(("127.0.0.1", 0))
        stun.settimeout(30)
        url = f"stun:127.0.0.1:{stun.getsockname()[1]}"
        running = ProductThread.start(
            tmp_path / "var",
            "webrtc-ice",
            sip_ws_port=free_port(socket.SOCK_STREAM),
            webrtc_ice_servers=json.dumps([{"urls": url}]),
        )
        try:
            page = context.new_page()
            sign_in_with_browser_phone(page, running)
            _dial(page, ROOM.number)
            request, _ = stun.recvfrom(2048)
            assert request[:2] == b"\x00\x01" and request[4:8] == STUN_MAGIC_COOKIE, request
            assert [server["urls"] for server in page.evaluate(ICE_CONFIGURATION)] == [[url]]
            # Answered by the room within _talking's 30 s: without the softphone's limit the
            # INVITE left only when Chromium gave the silent server up, after 40 s (measured).
            _talking(page)
            page.locator(".softphone-hangup").click()
            expect(page.locator(".softphone-call")).to_have_count(0)
        finally:
            running.stop()
