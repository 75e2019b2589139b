"""The receptionist console in headless Chromium against the whole product (as `make demo`
runs it): the admin gives 1003 an Instap receptionist licence; 1003 signs in at /receptionist,
finds colleagues in the company directory and monitors them, is refused a ninth with the tier
named, and sees colleague 1002 turn to ringing, then on a call, live, while a SIPp phone 1001
calls 1002's SIPp phone, while a SIPp desk phone's BLF key (1004) gets the same call as
early, confirmed, terminated NOTIFYs. The API refuses another tenant's or an unknown
extension and a user without the licence."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from pbx_core.presence.blf import EVENT as BLF_EVENT
from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.components import require_executable
from tests.pbx_core.support import Sipp, free_port, register
from tests.product_harness import ProductThread

RECEPTIONIST = "1003"
INSTAP = {"call_center": "premium", "receptionist": "basic", "recording": "on_demand"}


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine"):
        require_executable(program)


@contextlib.contextmanager
def api(product: ProductThread, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=product.base_url, timeout=30) as client:
        answer = client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


@pytest.fixture(scope="module")
def licensed(product: ProductThread) -> None:
    with api(product, "admin", "pwadmin") as admin:
        answer = admin.patch(
            f"/api/v1/tenants/demo/users/{RECEPTIONIST}", json={"licences": INSTAP}
        )
        assert answer.status_code == 200, answer.text


@contextlib.contextmanager
def console_of(browser: Browser, product: ProductThread, username: str) -> Iterator[Page]:
    """`username` signed in at /receptionist (password `pw` + the username); no page errors."""
    context = new_context(browser)
    opened = context.new_page()
    errors = watch_errors(opened)
    opened.goto(f"{product.base_url}/receptionist/")
    opened.fill("#login-username", username)
    opened.fill("#login-password", f"pw{username}")
    opened.click("#login-submit")
    expect(opened.locator("#console-view")).to_be_visible()
    yield opened
    context.close()
    assert [e for e in errors if "401" not in e] == []


@pytest.fixture
def page(browser: Browser, product: ProductThread, licensed: None) -> Iterator[Page]:
    with console_of(browser, product, RECEPTIONIST) as opened:
        yield opened


def tile(page: Page, extension: str) -> Locator:
    return page.locator(f'#grid .tile[data-ext="{extension}"]')


def test_the_api_refuses_without_licence_and_beyond_the_tenant(
    product: ProductThread, licensed: None
) -> None:
    with api(product, "1004", "pw1004") as unlicensed:
        answer = unlicensed.get("/api/v1/receptionist")
        assert answer.status_code == 403
        assert answer.json()["detail"]["code"] == "no_licence"
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
        unknown = client.put("/api/v1/receptionist/monitored", json={"extensions": ["1999"]})
        assert unknown.status_code == 422
        bad = client.put("/api/v1/receptionist/monitored", json={"extensions": ["1002@acme"]})
        assert bad.status_code == 422
        nine = [str(n) for n in range(1001, 1011) if str(n) != RECEPTIONIST]
        refused = client.put("/api/v1/receptionist/monitored", json={"extensions": nine})
        assert refused.status_code == 403
        assert "Instap" in refused.json()["detail"]["message"]
        assert client.get("/api/v1/receptionist").json()["tierName"] == "Instap"
        no_call = client.post("/api/v1/receptionist/transfer", json={"target": "1002"})
        assert no_call.status_code == 409


def test_directory_monitoring_tier_refusal_and_a_colleague_ringing_live(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:  # seven colleagues already
        seven = ["1004", "1005", "1006", "1007", "1008", "1009", "1010"]
        assert client.put("/api/v1/receptionist/monitored", json={"extensions": seven}).is_success
    page.reload()
    expect(page.locator("#grid .tile")).to_have_count(7)
    expect(page.locator("#licence")).to_contain_text("7")

    page.keyboard.press("/")
    page.keyboard.type("Agent 1002")
    result = page.locator('#results .user[data-ext="1002"]')
    expect(result).to_be_visible()
    result.locator("button.monitor").click()
    expect(tile(page, "1002")).to_have_count(1)
    expect(page.locator("#grid .tile")).to_have_count(8)

    page.fill("#search", "Agent 1001")
    page.locator('#results .user[data-ext="1001"] button.monitor').click()
    refusal = page.locator("#message.error")
    expect(refusal).to_contain_text("Instap")
    expect(refusal).to_contain_text("8")
    expect(page.locator("#grid .tile")).to_have_count(8)

    # 1002's phone rings 3 s before answering; 1001 calls it.
    loop = product.loop
    phone_port = free_port()
    registered = loop.run(register(product.sip_port, "1002", phone_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    # Registering is no call event: the console sees it within seconds.
    expect(tile(page, "1002")).to_have_attribute("data-state", "idle", timeout=15000)
    # A desk phone's BLF key (1004) watches 1002 in the same product (RFC 4235 NOTIFYs).
    blf_key = loop.run(
        Sipp(
            "blf_subscribe.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1004", "to": "1002"},
            extra=["-au", "1004", "-ap", "pw1004"],
        ).start()
    )
    pbx = product.handle.pbx
    assert pbx is not None
    for _ in range(200):  # the key's subscription is in place before the call starts
        if pbx._subscriptions is not None and pbx._subscriptions.count(BLF_EVENT) == 1:
            break
        time.sleep(0.05)
    callee = loop.run(
        Sipp(
            "agent_answer.xml",
            work_dir=tmp_path,
            local_port=phone_port,
            variables={"media_port": free_port(), "ring_ms": 3000},
        ).start()
    )
    call = loop.run(
        Sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": "1002", "media_port": free_port(), "hold_ms": 3000},
            extra=["-au", "1001", "-ap", "pw1001"],
        ).start()
    )
    try:
        ringing = tile(page, "1002")
        expect(ringing).to_have_attribute("data-state", "ringing", timeout=15000)
        expect(ringing).to_contain_text("1001")
        expect(ringing).to_have_attribute("data-state", "on_call", timeout=15000)
        assert loop.run(call.wait()).returncode == 0
        expect(ringing).to_have_attribute("data-state", "idle", timeout=15000)
        key = loop.run(blf_key.wait())
        assert key.returncode == 0, key.errors
    finally:
        call.kill()
        callee.kill()
        blf_key.kill()


def test_the_receptionist_answers_from_the_browser_then_transfers(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """1001 calls the receptionist (1003), whose SIPp phone rings without answering; the
    console's Answer (key "a") has the PBX offer the call again with the auto-answer hint and
    the phone answers; then a blind transfer hands it to 1005, whose phone answers."""
    loop = product.loop
    own_port, colleague_port = free_port(), free_port()
    for extension, port in ((RECEPTIONIST, own_port), ("1005", colleague_port)):
        registered = loop.run(register(product.sip_port, extension, port, tmp_path))
        assert registered.returncode == 0, registered.errors
    own_phone = loop.run(
        Sipp(
            "receptionist_phone.xml",
            work_dir=tmp_path,
            local_port=own_port,
            variables={"media_port": free_port()},
            calls=2,
        ).start()
    )
    colleague = loop.run(
        Sipp(
            "agent_answer.xml",
            work_dir=tmp_path,
            local_port=colleague_port,
            variables={"media_port": free_port(), "ring_ms": 300},
        ).start()
    )
    call = loop.run(
        Sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": RECEPTIONIST, "media_port": free_port(),
                       "hold_ms": 6000},
            extra=["-au", "1001", "-ap", "pw1001"],
        ).start()
    )  # fmt: skip
    try:
        own = page.locator("#own")
        expect(own).to_have_attribute("data-state", "ringing", timeout=15000)
        page.keyboard.press("a")
        expect(own).to_have_attribute("data-state", "on_call", timeout=15000)
        with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
            moved = client.post("/api/v1/receptionist/transfer", json={"target": "1005"})
            assert moved.status_code == 202, moved.text
        expect(own).to_have_attribute("data-state", "idle", timeout=15000)
        own_result = loop.run(own_phone.wait())  # rang, was cancelled, auto-answered, let go
        assert own_result.returncode == 0, own_result.errors
        assert loop.run(call.wait()).returncode == 0
        assert loop.run(colleague.wait()).returncode == 0
    finally:
        call.kill()
        own_phone.kill()
        colleague.kill()


def ringing_at_the_receptionist(
    product: ProductThread, tmp_path: Path, hold_ms: int
) -> tuple[Sipp, Sipp]:
    """1001 calls the receptionist, whose SIPp phone rings on until the call is taken elsewhere
    (cancelled); 1001 hangs up `hold_ms` after being answered. (The phone, the caller.)"""
    loop = product.loop
    own_port = free_port()
    registered = loop.run(register(product.sip_port, RECEPTIONIST, own_port, tmp_path))
    assert registered.returncode == 0, registered.errors
    own_phone = loop.run(
        Sipp(
            "receptionist_phone.xml",
            work_dir=tmp_path,
            local_port=own_port,
            variables={"media_port": free_port()},
        ).start()
    )
    call = loop.run(
        Sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": RECEPTIONIST, "media_port": free_port(),
                       "hold_ms": hold_ms},
            extra=["-au", "1001", "-ap", "pw1001"],
        ).start()
    )  # fmt: skip
    return own_phone, call


def ended_well(product: ProductThread, *phones: Sipp) -> None:
    """Each SIPp phone ran its scenario to the end."""
    for phone in phones:
        result = product.loop.run(phone.wait())
        assert result.returncode == 0, result.errors


def test_a_ringing_call_goes_to_a_colleagues_voicemail(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """1001 calls the receptionist, whose phone rings on; the console sends the call into
    1005's voicemail (1005 has no phone): the ringing is cancelled and the PBX answers the
    caller with 1005's greeting."""
    own_phone, call = ringing_at_the_receptionist(product, tmp_path, hold_ms=2000)
    try:
        own = page.locator("#own")
        expect(own).to_have_attribute("data-state", "ringing", timeout=15000)
        with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
            unknown = client.post("/api/v1/receptionist/voicemail", json={"target": "1999"})
            assert unknown.status_code == 422
            sent = client.post("/api/v1/receptionist/voicemail", json={"target": "1005"})
            assert sent.status_code == 202, sent.text
        expect(own).not_to_have_attribute("data-state", "ringing", timeout=15000)
        # the phone rang, then was cancelled; the caller was answered by the voicemail, hung up
        ended_well(product, own_phone, call)
    finally:
        call.kill()
        own_phone.kill()
