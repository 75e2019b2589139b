"""The agent client in headless Chromium against the real CTI app (uvicorn, real Redis, real
GraphQL subscriptions) with a fake engine runtime playing the engine and the PBX.

Covers issue 5: sign in, go available, an offered call pops the card with the CRM record as
the phone rings, the phone answers, hold/resume/Rec, hang up, wrap-up counts down, disposition,
back to available; queues and colleagues live; keyboard; Dutch; a lost websocket (server
restart) is resumed; a refused action shows a clear message; server text never becomes HTML.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Route, expect

from cti.control import ControlError
from cti.screen_pop import ScreenPopRecord
from cti.snapshots import AgentState, StateCause
from tests.agent_ui.agent_pages import (
    call_card,
    go_available,
    new_context,
    sign_in,
    watch_errors,
)
from tests.agent_ui.agent_world import Desk

CALLER = "+31201234567"


def test_sign_in_available_offer_answer_hang_up_wrap_up(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, desk)

    # Signing in to the web client signs the agent in to the ACD; then Available.
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
    expect(page.locator("#agent-identity")).to_have_text("Agent 1001")
    go_available(page)
    assert desk.control.commands[-1] == (
        "set_agent_state",
        {
            "tenant": "demo",
            "extension": "1001",
            "state": AgentState.AVAILABLE,
            "unavailable_code": None,
            "cause": StateCause.AGENT,
            "by": "1001",
        },
    )

    # Queue overview from the snapshot: Helpdesk has two waiting calls, Service none.
    helpdesk = page.locator('.queue-card[data-call-center="7001"]')
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("2")
    expect(helpdesk.locator('[data-stat="position"] dd')).to_have_text("1 of 3")
    expect(page.locator('#panel-colleagues .row[data-extension="1002"]')).to_have_attribute(
        "data-state", "AVAILABLE"
    )

    # A caller enters Helpdesk and is offered to 1001: the card pops with the CRM record.
    desk.control.offer_call("c-1", CALLER, "1001")
    card = call_card(page, "c-1")
    expect(card).to_have_attribute("data-phase", "RINGING")
    expect(card.locator(".caller-number")).to_have_text(CALLER)
    expect(card.locator(".pop-name")).to_have_text("Anna de Vries")
    expect(card.locator(".pop-company")).to_have_text("Jansen Installatietechniek B.V.")
    expect(card.locator(".pop-link")).to_have_attribute("href", "https://crm.example/c/42")
    expect(card.locator(".call-via")).to_have_text("via Helpdesk (7001)")
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("3")
    expect(page.locator("#announcer")).to_have_text(f"Incoming call from {CALLER}")
    expect(page).to_have_title(f"☎ {CALLER} · OpenCC Agent")

    # The SIP phone answers: connected, the agent reads BUSY, the queue shrinks.
    desk.control.answer("c-1")
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "BUSY")
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("2")
    expect(card.locator(".pop-name")).to_have_text("Anna de Vries")
    expect(page).to_have_title("OpenCC Agent")

    # Hold, resume, Rec.
    card.get_by_role("button", name="Hold").click()
    expect(card).to_have_attribute("data-phase", "HELD")
    card.get_by_role("button", name="Resume").click()
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    rec = card.get_by_role("button", name="Rec")
    rec.click()
    expect(rec).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".rec-badge")).to_be_visible()
    record = {"tenant": "demo", "call_id": "c-1", "enabled": True, "by": "1001"}
    assert ("record_call", record) in desk.control.commands

    # Hang up: wrap-up counts down, the disposition picker shows, then Available again.
    card.get_by_role("button", name="Hang up").click()
    expect(card).to_have_count(0)
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "WRAP_UP")
    timer = page.locator("#state-timer")
    expect(timer).to_have_attribute("data-countdown", re.compile(r"^[1-3]$"))
    first = int(timer.get_attribute("data-countdown") or "0")
    expect(timer).to_have_attribute("data-countdown", re.compile(rf"^[0-{first - 1}]$"))
    expect(timer).to_contain_text("left")

    wrap = page.locator('.wrap-card[data-call-id="c-1"]')
    expect(wrap).to_contain_text(CALLER)
    wrap.get_by_label("Disposition code").select_option("resolved")
    wrap.get_by_role("button", name="Save").click()
    expect(wrap.locator(".saved")).to_have_text("Saved: Resolved")
    disposition = {
        "tenant": "demo",
        "extension": "1001",
        "call_id": "c-1",
        "code": "resolved",
        "by": "1001",
    }
    assert ("enter_disposition", disposition) in desk.control.commands

    expect(page.locator("#state-pill")).to_have_attribute("data-state", "AVAILABLE")

    # The call is in the history (from the event stream), with its disposition.
    page.get_by_role("tab", name="History").click()
    row = page.locator('#panel-history .row[data-call-id="c-1"]')
    expect(row).to_contain_text(CALLER)
    expect(row).to_contain_text("Resolved")
    # Its decision timeline from the event log, and today's totals above the calls.
    row.get_by_role("button", name="Timeline").click()
    expect(row.locator("ol.timeline li[data-type='CALL_OFFERED']")).to_contain_text("1001")
    expect(row.locator("ol.timeline li[data-type='CALL_ANSWERED']")).to_be_visible()
    expect(page.locator("#today-totals [data-total='handled']")).to_be_visible()
    assert errors == []
    context.close()


def test_unavailable_with_reason_and_sign_out(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    page.select_option("#reason-select", "meeting")
    page.click("#btn-unavailable")
    expect(page.locator("#state-pill")).to_have_text("Unavailable · Meeting")
    assert desk.control.commands[-1] == (
        "set_agent_state",
        {
            "tenant": "demo",
            "extension": "1001",
            "state": AgentState.UNAVAILABLE,
            "unavailable_code": "meeting",
            "cause": StateCause.AGENT,
            "by": "1001",
        },
    )
    page.click("#btn-sign-out")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_OUT")
    expect(page.locator("#btn-sign-in")).to_be_visible()
    expect(page.locator("#btn-available")).to_be_disabled()
    context.close()


def test_keyboard_shortcuts(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    page.keyboard.press("Alt+1")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "AVAILABLE")

    desk.control.offer_call("c-k", CALLER, "1001")
    expect(call_card(page, "c-k")).to_have_attribute("data-phase", "RINGING")
    desk.control.answer("c-k")
    card = call_card(page, "c-k")
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    page.keyboard.press("Alt+H")
    expect(card).to_have_attribute("data-phase", "HELD")
    page.keyboard.press("Alt+H")
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    page.keyboard.press("Alt+X")
    expect(card).to_have_count(0)
    assert [n for n in desk.control.names() if n != "set_agent_state"] == [
        "hold_call",
        "resume_call",
        "hang_up",
    ]

    # "?" opens the documented shortcuts; Escape closes; Alt+D jumps to the dial box.
    page.locator("body").press("?")
    help_dialog = page.locator("#help-dialog")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Hang up the current call")
    expect(help_dialog).to_contain_text("Alt+X")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("Alt+D")
    expect(page.locator("#dial-input")).to_be_focused()

    # Side panels are a tab list: arrow keys move between them.
    page.locator("#tab-colleagues").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-history")).to_be_focused()
    expect(page.locator("#panel-history")).to_be_visible()
    context.close()


def test_transfer_and_click_to_dial(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    go_available(page)
    desk.control.offer_call("c-t", CALLER, "1001")
    desk.control.answer("c-t")
    card = call_card(page, "c-t")
    expect(card).to_have_attribute("data-phase", "CONNECTED")

    # Transfer to a queue, picked in the dialog.
    card.get_by_role("button", name="Transfer").click()
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".chip", has_text="1002")).to_be_visible()
    dialog.get_by_role("button", name="Service (7003)").click()
    expect(card).to_have_count(0)
    transfer = {"tenant": "demo", "call_id": "c-t", "destination": "7003", "by": "1001"}
    assert ("transfer_call", transfer) in desk.control.commands
    expect(page.locator(".toast")).to_contain_text("Call transferred to 7003.")

    # Click-to-dial: from the dial box, a colleague and the history.
    page.fill("#dial-input", "020 123 4567")
    page.click("#dial-submit")
    expect(page.locator(".toast").last).to_contain_text("Calling 0201234567")
    page.get_by_role("button", name="Call 1002").click()
    expect(page.locator(".toast").last).to_contain_text("Calling 1002")
    page.get_by_role("tab", name="Contacts").click()
    page.fill("#contact-name", "Supplier")
    page.fill("#contact-number", "+31 30 111 2233")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("button", name="Call Supplier").click()
    expect(page.locator(".toast").last).to_contain_text("Calling +31301112233")
    dials = [args["destination"] for name, args in desk.control.commands if name == "click_to_dial"]
    assert dials == ["0201234567", "1002", "+31301112233"]
    context.close()


def test_queue_overview_is_live(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    helpdesk = page.locator('.queue-card[data-call-center="7001"]')
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("2")
    # Another agent's call: queued, offered to 1002, answered. 1001 sees the queue change.
    desk.control.offer_call("c-other", "+31101234567", "1002")
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("3")
    expect(helpdesk.locator(".waiting-list")).to_contain_text("+31101234567")
    desk.control.answer("c-other")
    expect(helpdesk.locator('[data-stat="waiting"] dd')).to_have_text("2")
    # The colleague's BUSY state arrives with the queue event that caused it.
    expect(page.locator('#panel-colleagues .row[data-extension="1002"]')).to_have_attribute(
        "data-state", "BUSY"
    )
    # A colleague's own state change, with no queue event at all, shows live too.
    desk.control.change_state("1003", AgentState.UNAVAILABLE, code="lunch")
    expect(page.locator('#panel-colleagues .row[data-extension="1003"]')).to_have_attribute(
        "data-state", "UNAVAILABLE"
    )
    # Longest wait ticks in the browser (w-1 waited 42 s when seeded).
    longest = helpdesk.locator('[data-stat="longest"] dd')
    expect(longest).to_have_text(re.compile(r"^0:(4[2-9]|5\d)$|^1:\d\d$"))
    context.close()


def test_lost_websocket_reconnects_and_resumes(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, desk)
    go_available(page)

    # The web process goes away; while it is down, a call is offered to the agent.
    desk.stop()
    expect(page.locator("#banner")).to_contain_text("Reconnecting")
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "reconnecting")
    desk.control.offer_call("c-r", CALLER, "1001")

    # It comes back: the client reconnects by itself and resumes after the last sequence it
    # saw, so the missed CALL_OFFERED arrives through the subscription (with its screen pop,
    # which the snapshot alone would not carry).
    desk.start()
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "resumed", timeout=20_000)
    expect(page.locator("#banner")).to_contain_text("Connection restored")
    card = call_card(page, "c-r")
    expect(card).to_have_attribute("data-phase", "RINGING")
    expect(card.locator(".pop-name")).to_have_text("Anna de Vries")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "AVAILABLE")
    # And it is live again.
    desk.control.answer("c-r")
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    assert errors == []
    context.close()


def test_refused_action_shows_a_clear_message(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    go_available(page)
    desk.control.offer_call("c-f", CALLER, "1001")
    desk.control.answer("c-f")
    card = call_card(page, "c-f")
    expect(card).to_have_attribute("data-phase", "CONNECTED")

    desk.control.refuse["hold_call"] = ControlError("refused", "the PBX lost the call leg")
    card.get_by_role("button", name="Hold").click()
    toast = page.locator(".toast-error .toast-text")
    expect(toast).to_have_text(
        "Could not put the call on hold: the call center refused (the PBX lost the call leg)."
    )
    expect(card).to_have_attribute("data-phase", "CONNECTED")
    expect(card.get_by_role("button", name="Hold")).to_be_enabled()

    # Bad input the server rejects (a transfer destination that is no number).
    card.get_by_role("button", name="Transfer").click()
    page.fill("#transfer-input", "sales desk")
    page.locator("#transfer-submit").click()
    expect(page.locator("#transfer-error")).to_have_text(
        "Enter a phone number, an extension or a queue number."
    )
    page.click("#transfer-cancel")

    # An ended session (token no longer valid) returns to the sign-in screen with a reason.
    page.evaluate(
        """() => sessionStorage.setItem("opencc.agent.token",
             JSON.stringify({token: "not-a-valid-token", username: "1001"}))"""
    )
    page.reload()
    expect(page.locator("#login-error")).to_have_text(
        "Your session has ended. Please sign in again."
    )
    expect(page.locator("#main-view")).to_be_hidden()

    # Wrong password on the sign-in screen.
    page.fill("#login-username", "1001")
    page.fill("#login-password", "wrong")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    context.close()


def test_server_text_is_shown_as_text(browser: Browser, desk: Desk) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    desk.screen_pop.records[CALLER] = [
        ScreenPopRecord("<b>crm</b>", "x1", hostile, "javascript:window.__pwned=3", kind=hostile)
    ]
    desk.control.refuse["hang_up"] = ControlError("refused", "<script>window.__pwned=4</script>")
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    go_available(page)
    desk.control.offer_call("c-x", CALLER, "1001")
    card = call_card(page, "c-x")
    expect(card.locator(".pop-name")).to_have_text(hostile)
    expect(card.locator(".pop-crm")).to_have_text("<b>crm</b>")
    # A javascript: URL is shown as text, never made a link.
    expect(card.locator(".pop-link")).to_have_count(0)
    expect(card.locator(".pop-url")).to_have_text("javascript:window.__pwned=3")
    desk.control.answer("c-x")
    card.get_by_role("button", name="Hang up").click()
    expect(page.locator(".toast-error")).to_contain_text("<script>window.__pwned=4</script>")
    assert page.locator("#calls-list img, #calls-list script, #calls-list b").count() == 0
    assert page.locator("#toasts script").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    context.close()


def test_dutch_from_browser_language_with_switch(browser: Browser, desk: Desk) -> None:
    context = new_context(browser, locale="nl-NL")
    page = context.new_page()
    page.goto(desk.agent_url)
    expect(page.locator("#login-view h1")).to_have_text("Aanmelden")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.fill("#login-username", "1001")
    page.fill("#login-password", "pw1001")
    page.click("#login-submit")
    expect(page.locator("#state-pill")).to_have_text("Aangemeld")
    expect(page.locator("#btn-available")).to_have_text("Beschikbaar")
    page.click("#btn-available")
    expect(page.locator("#state-pill")).to_have_text("Beschikbaar")
    desk.control.offer_call("c-nl", CALLER, "1001")
    expect(call_card(page, "c-nl").locator(".phase-badge")).to_have_text("Inkomend gesprek")

    page.locator(".topbar .lang", has_text="EN").click()
    expect(page.locator("#state-pill")).to_have_text("Available")
    expect(call_card(page, "c-nl").locator(".phase-badge")).to_have_text("Incoming call")
    # The choice sticks across a reload (the session too).
    page.reload()
    expect(page.locator("#btn-available")).to_have_text("Available")
    expect(page.locator("#conn-status")).to_have_attribute("data-status", "connected")
    context.close()


def test_call_center_membership(browser: Browser, desk: Desk) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, desk)
    page.get_by_role("tab", name="Call centers").click()
    service = page.locator('#panel-memberships .row[data-call-center="7003"]')
    expect(service).to_have_attribute("data-joined", "true")
    service.get_by_role("button", name="Leave").click()
    expect(service).to_have_attribute("data-joined", "false")
    expect(page.locator('.queue-card[data-call-center="7003"]')).to_have_count(0)
    service.get_by_role("button", name="Join").click()
    expect(service).to_have_attribute("data-joined", "true")
    expect(page.locator('.queue-card[data-call-center="7003"]')).to_have_count(1)
    names = [n for n in desk.control.names() if n != "set_agent_state"]
    assert names == ["leave_call_center", "join_call_center"]
    context.close()


def test_waits_for_its_settings_then_signs_in(browser: Browser, desk: Desk) -> None:
    """The client keeps no copy of /agent/config.json: while the server does not give it, the
    sign-in screen says the server cannot be reached and cannot be used; then the client carries
    on by itself."""
    context = new_context(browser)
    page = context.new_page()
    errors = watch_errors(page)
    refused: list[str] = []

    def refuse_first(route: Route) -> None:
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/config.json", refuse_first)
    page.goto(desk.agent_url)
    expect(page.locator("#login-error")).to_have_text(
        "The server cannot be reached. Check your connection and try again."
    )
    expect(page.locator("#login-submit")).to_be_disabled()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#login-error")).to_be_hidden()
    page.fill("#login-username", "1001")
    page.fill("#login-password", "pw1001")
    page.click("#login-submit")
    expect(page.locator("#state-pill")).to_have_attribute("data-state", "SIGN_IN")
    assert len(refused) == 1
    assert errors == []
    context.close()
