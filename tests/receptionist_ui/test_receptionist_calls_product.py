"""The receptionist console's call actions in headless Chromium against the whole product (with
rtpengine and the conference mixer), with SIPp phones: 1001 calls the receptionist (1003), whose
phone the console answers (key "a", the auto-answer hint); then an attended transfer to 1005
(consult, then complete), a conference and back to the caller, camp-on on a busy 1005 (rung once
free; a recall to the receptionist when it stays busy), a park for 1005 who takes the call with
`*88`, and the pickup of 1005's ringing call. The API refuses what does not fit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

from cti.users import SUPERVISOR_EXTENSION
from tests.pbx_core.support import Sipp, free_port, register
from tests.product_harness import ProductThread
from tests.receptionist_ui.test_receptionist_ui_product import (
    RECEPTIONIST,
    _media_programs,
    api,
    console_of,
    licensed,
    page,
    tile,
)

__all__ = ["_media_programs", "licensed", "page"]

COLLEAGUE = "1005"
SIPP_SECONDS = 90
"""SIPp's own limit: a call here lasts a browser's steps on a loaded machine."""
CALLER = "1001"


@dataclass
class Phones:
    """The SIPp processes of one test; each must end cleanly."""

    product: ProductThread
    running: dict[str, Any]

    def finished(self, name: str) -> None:
        result = self.product.loop.run(self.running[name].wait())
        assert result.returncode == 0, (name, result.errors)


@contextlib.contextmanager
def phones(product: ProductThread, tmp_path: Path, **scenarios: Sipp) -> Iterator[Phones]:
    started = Phones(product, {})
    try:
        for name, scenario in scenarios.items():
            started.running[name] = product.loop.run(scenario.start())
        yield started
    finally:
        for running in started.running.values():
            running.kill()


def registered(product: ProductThread, tmp_path: Path, extension: str) -> int:
    port = free_port()
    result = product.loop.run(register(product.sip_port, extension, port, tmp_path))
    assert result.returncode == 0, result.errors
    return port


def receptionist_phone(product: ProductThread, tmp_path: Path, calls: int = 2) -> Sipp:
    """Rings without answering; answers the INVITE with the auto-answer hint (the console's
    Answer), then any re-INVITE until the BYE."""
    return Sipp(
        "receptionist_phone.xml",
        work_dir=tmp_path,
        local_port=registered(product, tmp_path, RECEPTIONIST),
        variables={"media_port": free_port()},
        calls=calls,
        timeout_s=SIPP_SECONDS,
    )


def colleague_phone(
    product: ProductThread, tmp_path: Path, scenario: str = "agent_answer_reinvites.xml",
    calls: int = 1,
) -> Sipp:  # fmt: skip
    return Sipp(
        scenario,
        work_dir=tmp_path,
        local_port=registered(product, tmp_path, COLLEAGUE),
        variables={"media_port": free_port(), "ring_ms": 500},
        calls=calls,
        timeout_s=SIPP_SECONDS,
    )


def call(
    product: ProductThread, tmp_path: Path, caller: str, called: str, hold_ms: int,
    scenario: str = "ext_call.xml",
) -> Sipp:  # fmt: skip
    """`caller` calls `called` (an extension with digest auth; from the carrier with a
    `trunk_call` scenario: the trusted address, no auth)."""
    on_trunk = scenario.startswith("trunk_")
    return Sipp(
        scenario,
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": caller, "to": called, "media_port": free_port(), "hold_ms": hold_ms},
        extra=[] if on_trunk else ["-au", caller, "-ap", f"pw{caller}"],
        timeout_s=SIPP_SECONDS,
    )


def monitor_colleague(page: Page, product: ProductThread) -> None:
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
        put = client.put("/api/v1/receptionist/monitored", json={"extensions": [COLLEAGUE]})
        assert put.is_success, put.text
    page.reload()
    expect(tile(page, COLLEAGUE)).to_have_count(1)


def answer_in_the_console(page: Page) -> None:
    own = page.locator("#own")
    expect(own).to_have_attribute("data-state", "ringing", timeout=15000)
    page.keyboard.press("a")
    expect(own).to_have_attribute("data-state", "on_call", timeout=15000)
    page.keyboard.press("1")  # the colleague's tile


def consult_phones(product: ProductThread, tmp_path: Path, hold_ms: int) -> Any:
    """1001 calls the receptionist for `hold_ms` once answered; 1005 answers a consultation."""
    return phones(
        product,
        tmp_path,
        own=receptionist_phone(product, tmp_path),
        colleague=colleague_phone(product, tmp_path),
        caller=call(product, tmp_path, CALLER, RECEPTIONIST, hold_ms),
    )


def consulting(page: Page) -> Locator:
    """The console answers the ringing call and consults the colleague (key "c"), who answers."""
    answer_in_the_console(page)
    page.keyboard.press("c")
    consult = page.locator(f'#calls .consult[data-target="{COLLEAGUE}"]')
    expect(consult).to_have_attribute("data-joined", "true", timeout=15000)
    return consult


def test_the_call_actions_refuse_what_does_not_fit(product: ProductThread, licensed: None) -> None:
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
        for path in ("consult", "camp-on", "park", "conference"):
            no_call = client.post(f"/api/v1/receptionist/calls/{path}", json={"target": COLLEAGUE})
            assert no_call.status_code == 409, (path, no_call.text)
            assert no_call.json()["detail"]["code"] == "no_call"
            unknown = client.post(f"/api/v1/receptionist/calls/{path}", json={"target": "1999"})
            assert unknown.status_code == 422, (path, unknown.text)
            for bad in ("1005@acme", "*88", "", "1" * 30):
                refused = client.post(f"/api/v1/receptionist/calls/{path}", json={"target": bad})
                assert refused.status_code == 422, (path, bad, refused.text)
        own = client.post("/api/v1/receptionist/calls/consult", json={"target": RECEPTIONIST})
        assert own.status_code == 422
        for path in ("consult/complete", "consult/back"):
            nothing = client.post(f"/api/v1/receptionist/calls/{path}")
            assert nothing.status_code == 409
            assert nothing.json()["detail"]["code"] == "no_consult"
        not_ringing = client.post("/api/v1/receptionist/calls/pickup", json={"target": COLLEAGUE})
        assert not_ringing.status_code == 409
        assert not_ringing.json()["detail"]["code"] == "not_ringing"
    with api(product, "1004", "pw1004") as unlicensed:
        answer = unlicensed.post("/api/v1/receptionist/calls/consult", json={"target": COLLEAGUE})
        assert answer.status_code == 403


def test_attended_transfer_consult_then_complete(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """The receptionist answers 1001, consults 1005 (the caller hears music meanwhile), and
    completes: 1005 talks to 1001, the receptionist's phone is let go."""
    monitor_colleague(page, product)
    with consult_phones(product, tmp_path, 15000) as running:
        consulting(page)
        expect(tile(page, COLLEAGUE)).to_have_attribute("data-state", "on_call")
        page.keyboard.press("f")
        expect(page.locator("#message")).to_contain_text(COLLEAGUE, timeout=15000)
        expect(page.locator("#calls .consult")).to_have_count(0)
        expect(page.locator("#own")).to_have_attribute("data-state", "idle", timeout=15000)
        running.finished("own")  # auto-answered, moved to the mixer, let go (BYE)
        colleague = tile(page, COLLEAGUE)
        expect(colleague).to_have_attribute("data-state", "on_call")
        expect(colleague).to_contain_text(CALLER)
        running.finished("caller")  # 1001 talked to 1005 and hung up
        running.finished("colleague")  # re-offered rtpengine, then the caller's BYE
        expect(colleague).to_have_attribute("data-state", "idle", timeout=15000)


def test_conference_then_back_to_the_caller(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """Consult 1005, join the caller in (conference, key "k"), then back to the caller alone
    (key "r"): 1005's phone gets its BYE, the receptionist and 1001 talk on."""
    monitor_colleague(page, product)
    with consult_phones(product, tmp_path, 20000) as running:
        consult = consulting(page)
        page.keyboard.press("k")
        expect(consult).to_have_attribute("data-mode", "barge", timeout=15000)
        page.keyboard.press("r")
        expect(page.locator("#calls .consult")).to_have_count(0, timeout=15000)
        running.finished("colleague")  # let go by the PBX
        expect(tile(page, COLLEAGUE)).to_have_attribute("data-state", "idle", timeout=15000)
        expect(page.locator("#own")).to_have_attribute("data-state", "on_call")
        running.finished("caller")
        running.finished("own")


def test_camp_on_rings_the_busy_colleague_once_free(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """The Done-when: 1005 is on a call with 1004 (its tile shows it live); a caller from the
    carrier dials the receptionist's direct number, the receptionist answers in the console and
    camps the call on 1005 (key "w"): the receptionist's phone is free, the caller waits with
    music; when 1004 hangs up, 1005 rings, answers and talks to the caller."""
    monitor_colleague(page, product)
    with phones(
        product,
        tmp_path,
        colleague=colleague_phone(product, tmp_path, "agent_answer.xml", calls=2),
        busy=call(product, tmp_path, "1004", COLLEAGUE, 12000),
    ) as running:
        expect(tile(page, COLLEAGUE)).to_have_attribute("data-state", "on_call", timeout=15000)
        running.running["own"] = product.loop.run(receptionist_phone(product, tmp_path).start())
        outside = call(product, tmp_path, "0612345670", "+31201230003", 30000, "trunk_call.xml")
        running.running["caller"] = product.loop.run(outside.start())
        answer_in_the_console(page)
        page.keyboard.press("w")
        waiting = page.locator(f'#calls .camp-on[data-target="{COLLEAGUE}"]')
        expect(waiting).to_contain_text("612345670", timeout=15000)
        expect(page.locator("#own")).to_have_attribute("data-state", "idle", timeout=15000)
        running.finished("own")
        expect(tile(page, COLLEAGUE)).to_contain_text("1004")
        running.finished("busy")  # 1004 hangs up: 1005 is free and rings for the caller
        expect(waiting).to_have_count(0, timeout=15000)
        colleague = tile(page, COLLEAGUE)
        expect(colleague).to_contain_text("612345670", timeout=15000)
        expect(colleague).to_have_attribute("data-state", "on_call", timeout=15000)
        running.finished("caller")
        running.finished("colleague")


def test_camp_on_recalls_the_receptionist_when_the_colleague_stays_busy(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    assert product.handle.app is not None
    calls = product.handle.app.state.receptionist_calls
    monitor_colleague(page, product)
    calls.camp_on_seconds = 3.0
    try:
        with phones(
            product,
            tmp_path,
            colleague=colleague_phone(product, tmp_path, "agent_answer.xml"),
            busy=call(product, tmp_path, "1004", COLLEAGUE, 25000),
        ) as running:
            expect(tile(page, COLLEAGUE)).to_have_attribute("data-state", "on_call",
                                                            timeout=15000)  # fmt: skip
            # Rings, answered by the console, let go for the camp-on, rung again (the recall).
            running.running["own"] = product.loop.run(
                receptionist_phone(product, tmp_path, calls=3).start()
            )
            running.running["caller"] = product.loop.run(
                call(product, tmp_path, CALLER, RECEPTIONIST, 12000).start()
            )
            answer_in_the_console(page)
            page.keyboard.press("w")
            expect(page.locator("#calls .camp-on")).to_have_count(1, timeout=15000)
            expect(page.locator("#calls .camp-on")).to_have_count(0, timeout=15000)
            expect(page.locator("#message")).to_contain_text(COLLEAGUE)
            own = page.locator("#own")
            expect(own).to_have_attribute("data-state", "ringing", timeout=15000)
            expect(own).to_contain_text(CALLER)
            running.finished("caller")  # hangs up while the receptionist's phone rings again
            running.finished("own")
            running.finished("busy")
            running.finished("colleague")
    finally:
        calls.camp_on_seconds = 120.0


def test_park_for_a_colleague_announce_and_take_it_with_star_88(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """The receptionist parks 1001's call for 1005 (key "p"): the console shows the slot and
    the code; Announce has the receptionist's phone (answering by itself) call 1005, who
    answers and hangs up; 1005 dials *88 and talks to 1001; the parked call leaves the
    console."""
    monitor_colleague(page, product)
    with phones(
        product,
        tmp_path,
        # Rings, answered from the console, let go by the park; the announce, answered.
        own=receptionist_phone(product, tmp_path, calls=3),
        colleague=colleague_phone(product, tmp_path, "agent_answer_hangup.xml"),
        caller=call(product, tmp_path, CALLER, RECEPTIONIST, 0, "ext_call_remote_bye.xml"),
    ) as running:
        answer_in_the_console(page)
        page.keyboard.press("p")
        parked = page.locator(f'#calls .parked[data-target="{COLLEAGUE}"]')
        expect(parked).to_contain_text("*88", timeout=15000)
        expect(parked).to_contain_text(CALLER)
        expect(page.locator("#own")).to_have_attribute("data-state", "idle", timeout=15000)
        parked.locator("button.announce").click()
        running.finished("colleague")  # rang by the receptionist's phone, answered, hung up
        running.finished("own")
        retrieve = call(product, tmp_path, COLLEAGUE, "*88", 3000)
        running.running["retrieve"] = product.loop.run(retrieve.start())
        expect(parked).to_have_count(0, timeout=15000)
        expect(tile(page, COLLEAGUE)).to_have_attribute("data-state", "on_call", timeout=15000)
        running.finished("retrieve")  # talked 3 s with 1001, hung up
        running.finished("caller")  # got the BYE


def test_pickup_of_a_ringing_colleagues_call(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """1001 calls 1005, whose phone rings on; the console picks it up (key "g"): 1005 stops
    ringing and the receptionist's phone answers by itself."""
    monitor_colleague(page, product)
    with phones(
        product,
        tmp_path,
        own=receptionist_phone(product, tmp_path, calls=1),
        colleague=colleague_phone(product, tmp_path, "agent_no_answer.xml"),
        caller=call(product, tmp_path, CALLER, COLLEAGUE, 6000),
    ) as running:
        colleague = tile(page, COLLEAGUE)
        expect(colleague).to_have_attribute("data-state", "ringing", timeout=15000)
        page.keyboard.press("1")
        page.keyboard.press("g")
        expect(page.locator("#own")).to_have_attribute("data-state", "on_call", timeout=15000)
        expect(colleague).to_have_attribute("data-state", "idle", timeout=15000)
        running.finished("colleague")  # cancelled
        running.finished("caller")
        running.finished("own")


def test_a_note_on_a_call_of_the_history(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """1001's call rings the receptionist: it appears in the console's history (once, though
    answered from the console, which rings the phone again); the receptionist writes a note
    (Enter saves), which is still there after a reload. Notes on calls that are not the
    receptionist's are refused."""
    with phones(
        product,
        tmp_path,
        own=receptionist_phone(product, tmp_path),
        caller=call(product, tmp_path, CALLER, RECEPTIONIST, 1000),
    ) as running:
        own = page.locator("#own")
        expect(own).to_have_attribute("data-state", "ringing", timeout=15000)
        page.keyboard.press("a")
        running.finished("caller")
        running.finished("own")
    entry = page.locator("#history .call").first
    expect(entry).to_contain_text(CALLER, timeout=15000)
    call_id = entry.get_attribute("data-call-id")
    assert call_id
    entry.locator("input.note").fill("Belt terug over offerte 42")
    entry.locator("input.note").press("Enter")
    expect(page.locator("#message")).to_have_class("message", timeout=15000)
    page.reload()
    saved = page.locator(f'#history .call[data-call-id="{call_id}"] input.note')
    expect(saved).to_have_value("Belt terug over offerte 42", timeout=15000)
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
        notes = client.get("/api/v1/receptionist/history").json()["calls"]
        assert [n["callId"] for n in notes].count(call_id) == 1
        assert notes[0]["note"] == "Belt terug over offerte 42"
        assert notes[0]["noteBy"] == RECEPTIONIST
        base = "/api/v1/receptionist/history"
        unknown = client.put(f"{base}/not-a-call/note", json={"text": "x"})
        assert unknown.status_code == 404
        too_long = client.put(f"{base}/{call_id}/note", json={"text": "x" * 2001})
        assert too_long.status_code == 422
        odd = client.put(f"{base}/a%20b/note", json={"text": "x"})
        assert odd.status_code == 422
    with api(product, "1004", "pw1004") as unlicensed:
        refused = unlicensed.put(f"{base}/{call_id}/note", json={"text": "x"})
        assert refused.status_code == 403


def test_screen_pop_of_an_outside_caller(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """A caller from the carrier (0612345678) dials the receptionist's direct number; the
    receptionist has them among their contacts: the card pops up as the phone rings, and the
    console answers the call."""
    with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as client:
        made = client.post(
            "/api/v1/contacts",
            json={"name": "Jansen Bouw", "numbers": ["+31612345678"], "company": "Jansen BV"},
        )
        assert made.status_code == 201, made.text
    outside = call(product, tmp_path, "0612345678", "+31201230003", 1000, "trunk_call.xml")
    with phones(
        product, tmp_path, own=receptionist_phone(product, tmp_path), caller=outside
    ) as running:
        expect(page.locator("#own")).to_have_attribute("data-state", "ringing", timeout=15000)
        pop = page.locator("#pop")
        expect(pop).to_contain_text("Jansen Bouw", timeout=15000)
        page.keyboard.press("a")
        running.finished("caller")
        running.finished("own")
    expect(page.locator("#own")).to_have_attribute("data-state", "idle", timeout=15000)
    expect(pop).to_contain_text("Jansen Bouw")  # the card stays until the next call


def test_premium_queues_with_the_supervisors_rights(
    browser: Browser, page: Page, product: ProductThread, tmp_path: Path
) -> None:
    """The demo supervisor (phone 1100) gets a Premium receptionist licence: its console lists
    the call centers it supervises with their waiting calls; a carrier caller waits in the
    Helpdesk (7001, no agent available) and "To my phone" hands the call to 1100's phone (a
    queue's call, which the console does not transfer on its own). The Instap console (1003)
    shows no queues, and 1003, an agent, is refused the supervisor's command by the API."""
    with api(product, "admin", "pwadmin") as admin:
        licences = {"supervisor": True, "receptionist": "premium", "recording": "on_demand"}
        patched = admin.patch("/api/v1/tenants/demo/users/supervisor", json={"licences": licences})
        assert patched.status_code == 200, patched.text
    expect(page.locator("#queues-section")).to_be_hidden()
    supervisor_phone = Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=registered(product, tmp_path, SUPERVISOR_EXTENSION),
        variables={"media_port": free_port(), "ring_ms": 300},
        timeout_s=SIPP_SECONDS,
    )
    waiting = call(product, tmp_path, "0612345679", "7001", 15000, "trunk_call.xml")
    with (
        console_of(browser, product, "supervisor") as premium,
        phones(product, tmp_path, phone=supervisor_phone, caller=waiting) as running,
    ):
        helpdesk = premium.locator('#queues .queue[data-cc="7001"]')
        row = helpdesk.locator(".waiting").first
        expect(row).to_contain_text("0612345679", timeout=20000)
        call_id = row.get_attribute("data-call-id")
        with api(product, RECEPTIONIST, f"pw{RECEPTIONIST}") as agent:
            refused = agent.post(
                "/graphql",
                json={
                    "query": 'mutation($c: ID!) { retrieveCall(callId: $c, extension: "1003") '
                    "{ accepted } }",
                    "variables": {"c": call_id},
                },
            ).json()
            assert refused.get("errors"), refused
        row.locator("button.take").click()
        expect(helpdesk.locator(".waiting")).to_have_count(0, timeout=15000)
        expect(premium.locator("#own")).to_have_attribute("data-state", "on_call", timeout=15000)
        with api(product, "supervisor", "pwsupervisor") as console:
            # A call center's call stays with its queue engine: no console transfer of it.
            refused = console.post("/api/v1/receptionist/calls/camp-on", json={"target": "1005"})
            assert refused.status_code == 409, refused.text
            assert refused.json()["detail"]["code"] == "queue_call"
        running.finished("phone")  # rang, answered, the caller hung up
        running.finished("caller")
