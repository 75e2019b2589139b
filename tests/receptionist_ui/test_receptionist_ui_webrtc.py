"""End to end, issue 22.3: the receptionist takes calls in the browser, with the console's own
buttons still in charge; and over https the page's phone uses `wss:`.

The whole product with its SIP-over-WebSocket listeners (`ws:`, and `wss:` with a certificate
made here), Chromium with a fake microphone playing a tone (the agent client's WebRTC harness,
tests/agent_ui/test_agent_ui_webrtc.py). Receptionist 1003 signs in at /receptionist, chooses
Browser (it registers with a credential from `POST /api/v1/me/sip-credential`); a SIPp phone
1001 whose audio is a test RTP phone calls 1003 and the call rings in the page. Audio is checked
both ways (the browser's statistics count inbound packets with energy; the caller's RTP phone
hears the browser's tone).

- Over http: the console's Answer answers in the browser; the console's Transfer then hands the
  call to colleague 1005's desk phone: the browser's call ends, 1005 answers, talks and hangs
  up, and the caller gets its BYE.
- Over https (a TLS front in the test, `OPENCC_PUBLIC_URL` its address): the phone registers over
  `wss:` (the PBX's TLS listener holds its connection, the plain one none), the phone panel's
  own Answer answers, Hang up in the browser sends the caller its BYE.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pbx_core.sip.tls_context import TlsFiles
from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.agent_ui.webrtc_call import (
    BROWSER_TONE,
    CALLER_TONE,
    CAPTURE_PEER_CONNECTIONS,
    INBOUND_AUDIO,
    RAW_MICROPHONE,
    _media_programs,
    browser,
    started,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, free_port, register
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import RECEPTIONIST, licensed
from tests.tls_certs import self_signed, tls_front

__all__ = ["_media_programs", "browser", "licensed"]

COLLEAGUE = "1005"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_port() -> int:
    return free_port(socket.SOCK_STREAM)


@pytest.fixture(scope="module")
def product(
    tmp_path_factory: pytest.TempPathFactory, certificate: TlsFiles, https_port: int
) -> Iterator[ProductThread]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENCC_PUBLIC_URL", f"https://127.0.0.1:{https_port}")  # read at start
        running = ProductThread.start(
            tmp_path_factory.mktemp("reception-webrtc") / "var",
            "reception-webrtc",
            sip_ws_port=free_port(socket.SOCK_STREAM),
            sip_wss_port=free_port(socket.SOCK_STREAM),
            sip_wss_tls=certificate,
        )
    front = running.loop.run(
        tls_front(("127.0.0.1", https_port), ("127.0.0.1", running.settings.http_port), certificate)
    )
    yield running
    front.close()
    running.stop()


def _sign_in_with_browser_phone(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/receptionist/")
    page.fill("#login-username", RECEPTIONIST)
    page.fill("#login-password", f"pw{RECEPTIONIST}")
    page.click("#login-submit")
    expect(page.locator("#console-view")).to_be_visible()
    phone = page.locator("#softphone")
    expect(phone).to_have_attribute("data-status", "desk")
    page.check("#softphone-mode-browser")
    expect(phone).to_have_attribute("data-status", "registered", timeout=20_000)


def _call_ringing_in_the_page(
    page: Page, product: ProductThread, caller_audio: RtpPhone, work_dir: Path
) -> Sipp:
    """1001 (SIPp, audio from `caller_audio`) calls the receptionist; it rings in the page."""
    caller = product.loop.run(
        Sipp(
            "ext_call_remote_bye.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": RECEPTIONIST, "media_port": caller_audio.port},
            extra=["-au", "1001", "-ap", "pw1001"],
        ).start()
    )
    expect(page.locator('.softphone-call[data-call="ringing"]')).to_be_visible(timeout=20_000)
    expect(page.locator("#own")).to_have_attribute("data-state", "ringing", timeout=15_000)
    return caller


def _audio_both_ways(page: Page, product: ProductThread, caller_audio: RtpPhone) -> None:
    expect(page.locator('.softphone-call[data-call="talking"]')).to_be_visible()
    expect(page.locator("#own")).to_have_attribute("data-state", "on_call", timeout=15_000)
    page.wait_for_function(
        f"({INBOUND_AUDIO})().then(s => s && s.packets > 0 && s.energy > 0)", polling=20
    )
    product.loop.run(caller_audio.wait_to_hear(BROWSER_TONE, timeout=10.0), timeout=15)


def test_the_receptionist_answers_in_the_browser_and_the_console_transfers(
    browser: Browser, product: ProductThread, licensed: None, tmp_path: Path
) -> None:
    loop = product.loop
    context = new_context(browser)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(RAW_MICROPHONE)  # the tone unprocessed (tests/agent_ui/webrtc_call.py)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    colleague_port = free_port()
    registered = loop.run(register(product.sip_port, COLLEAGUE, colleague_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    colleague = loop.run(
        Sipp(
            "agent_answer_hangup.xml",
            work_dir=tmp_path,
            local_port=colleague_port,
            variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 1000},
        ).start()
    )
    caller: Sipp | None = None
    try:
        _sign_in_with_browser_phone(page, product.base_url)
        caller = _call_ringing_in_the_page(page, product, caller_audio, tmp_path)
        page.locator("#answer").click()  # the console's Answer: the browser phone answers
        _audio_both_ways(page, product, caller_audio)

        # The console's Transfer (from the directory) hands the call to 1005's desk phone.
        page.fill("#search", COLLEAGUE)
        found = page.locator(f'#results .user[data-ext="{COLLEAGUE}"]')
        found.locator("button.transfer").click()
        expect(page.locator(".softphone-call")).to_have_count(0, timeout=15_000)
        expect(page.locator("#own")).to_have_attribute("data-state", "idle", timeout=15_000)
        assert loop.run(colleague.wait(timeout=30), timeout=40).returncode == 0
        result = loop.run(caller.wait(timeout=30), timeout=40)  # 1005 hung up: the BYE
        assert result.returncode == 0, result.errors
        expect(page.locator("#softphone")).to_have_attribute("data-status", "registered")
        assert errors == []
    finally:
        if caller is not None:
            caller.kill()
        colleague.kill()
        loop.run(caller_audio.close())
        context.close()


def test_over_https_the_browser_phone_uses_wss(
    browser: Browser, product: ProductThread, licensed: None, https_port: int, tmp_path: Path
) -> None:
    loop = product.loop
    pbx = product.handle.pbx
    assert pbx is not None and pbx.ws_gateway is not None and pbx.wss_gateway is not None
    context = new_context(browser, ignore_https_errors=True)  # the test's own certificate
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(RAW_MICROPHONE)  # the tone unprocessed (tests/agent_ui/webrtc_call.py)
    page = context.new_page()
    errors = watch_errors(page)
    caller_audio = loop.run(started(RtpPhone(CALLER_TONE)))
    caller: Sipp | None = None
    try:
        _sign_in_with_browser_phone(page, f"https://127.0.0.1:{https_port}")
        assert (pbx.wss_gateway.connection_count, pbx.ws_gateway.connection_count) == (1, 0)

        caller = _call_ringing_in_the_page(page, product, caller_audio, tmp_path)
        page.locator(".softphone-answer").click()  # the phone panel's own Answer
        _audio_both_ways(page, product, caller_audio)

        page.locator(".softphone-hangup").click()
        expect(page.locator(".softphone-call")).to_have_count(0)
        result = loop.run(caller.wait(timeout=20), timeout=30)
        assert result.returncode == 0, result.errors
        assert errors == []
    finally:
        if caller is not None:
            caller.kill()
        loop.run(caller_audio.close())
        context.close()
