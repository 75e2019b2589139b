"""The dashboard in headless Chromium against the real web process (REST, GraphQL, Dash).

Events are published as the engine publishes them (snapshot, then event on the tenant's stream);
control commands reach the tests' `FakeControl` through the real GraphQL mutations.
"""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import Page, expect

from cti.control import ControlError
from tests.supervisor_ui.sv_world import World

WAIT_MS = 10_000
"""Generous upper bounds for the browser to catch up; latencies are printed, not asserted."""


def sign_in(page: Page, world: World, username: str = "supervisor", password: str = "pwsupervisor"):
    sign_in_at(page, f"{world.server.base_url}/supervisor/", username, password)


def sign_in_at(
    page: Page, url: str, username: str, password: str, language: str | None = None
) -> None:
    """Open the dashboard at `url` (any page of it) and sign in there; `language`: then pick
    it with the switch (the product's provisioned users are Dutch by default)."""
    page.goto(url)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-button")
    if language is not None:
        expect(page.locator("#workspace")).to_be_visible()
        page.click(f"[data-lang={language}]")
        expect(page.locator("html")).to_have_attribute("lang", language)


def waiting_row(page: Page, cc: str, call_id: str):
    return page.locator(f"#cc-{cc}-waiting tr[data-call-id='{call_id}']")


def choose(page: Page, dropdown: str, text: str) -> None:
    """Pick an option of a dcc.Dropdown by (part of) its label."""
    page.click(f"#{dropdown}")
    # The options open in a popover outside the dropdown's own element.
    page.locator(".dash-dropdown-content [role='option']", has_text=text).first.click()
    expect(page.locator(".dash-dropdown-content")).to_have_count(0)


def new_call_id() -> str:
    return f"sv-{uuid.uuid4().hex[:8]}"


def test_sign_in_shows_the_three_demo_call_centers(board: Page, world: World) -> None:
    page = board  # signed in by the fixture, as the demo supervisor
    for cc, name in (("7001", "Helpdesk"), ("7002", "Sales"), ("7003", "Service")):
        section = page.locator(f"#cc-{cc}-section")
        expect(section).to_be_visible(timeout=WAIT_MS)
        expect(section.locator("h2")).to_have_text(f"{name} · {cc}")
        expect(page.locator(f"#cc-{cc}-kpis [data-kpi='offered'] .kpi-value")).to_have_text(
            "0", timeout=WAIT_MS
        )
        expect(page.locator(f"#cc-{cc}-agents tr[data-agent]")).not_to_have_count(0)
    expect(page.locator("#who")).to_have_text("supervisor @ demo")
    expect(page.locator("#cc-7003-switches")).to_contain_text("night service: schedule")


def test_wrong_password_and_agents_are_turned_away(page: Page, world: World) -> None:
    sign_in(page, world, "supervisor", "wrong")
    expect(page.locator("#login-message")).to_contain_text("wrong username or password")
    sign_in(page, world, "1001", "pw1001")
    expect(page.locator("#login-message")).to_contain_text("for supervisors")
    expect(page.locator("#workspace")).to_be_hidden()


def test_a_supervisor_sees_only_their_call_centers(page: Page, world: World) -> None:
    sign_in(page, world, "helpdesk-lead", "pwlead")
    expect(page.locator("#cc-7001-section")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("section.cc")).to_have_count(1)
    page.click("#ctl-target")  # the only queue offered to move to is Helpdesk
    options = page.locator(".dash-dropdown-content [role='option']")
    expect(options).to_have_count(1)
    expect(options).to_have_text("Helpdesk (7001)")
    page.keyboard.press("Escape")


def test_new_waiting_call_appears_then_moves_through_the_ui(board: Page, world: World) -> None:
    page = board
    expect(page.locator("#cc-7001-section")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#live-status")).to_contain_text("live", timeout=WAIT_MS)

    call_id = new_call_id()
    published = time.monotonic()
    world.control.add_waiting("7001", call_id, "+31201234567", priority=1)
    row = waiting_row(page, "7001", call_id)
    expect(row).to_be_visible(timeout=WAIT_MS)
    print(f"\nnew waiting call visible after {1000 * (time.monotonic() - published):.0f} ms")
    expect(row).to_contain_text("+31201234567")
    expect(page.locator("#cc-7001-kpis [data-kpi='waiting'] .kpi-value")).to_have_text("1")
    expect(page.locator("#cc-7001-kpis [data-kpi='offered'] .kpi-value")).to_have_text("1")

    # The wait time ticks while the call waits.
    first = row.locator("td.wait").inner_text()
    expect(row.locator("td.wait")).not_to_have_text(first, timeout=WAIT_MS)

    choose(page, "ctl-call", "+31201234567")
    choose(page, "ctl-target", "Sales")
    page.click("#btn-move")
    expect(page.locator("#action-message")).to_contain_text("Moving +31201234567 from 7001 to 7002")
    expect(waiting_row(page, "7002", call_id)).to_be_visible(timeout=WAIT_MS)
    expect(waiting_row(page, "7001", call_id)).to_have_count(0)

    moves = [args for name, args in world.control.commands if name == "move_call"]
    assert moves[-1] == {
        "tenant": "demo",
        "call_id": call_id,
        "to_call_center_id": "7002",
        "by": "supervisor",
    }
    events = world.control.events()
    transferred, added = events[-2], events[-1]
    assert (transferred.type.value, transferred.call_center_id) == ("CALL_TRANSFERRED", "7001")
    assert (added.type.value, added.call_center_id, added.call_id) == (
        "CALL_ADDED",
        "7002",
        call_id,
    )
    expect(page.locator("#live-status")).to_contain_text(f"event {added.sequence}")


def test_moving_a_call_that_was_just_answered_changes_nothing(board: Page, world: World) -> None:
    page = board
    call_id = new_call_id()
    world.control.add_waiting("7002", call_id, "+31207777777")
    expect(waiting_row(page, "7002", call_id)).to_be_visible(timeout=WAIT_MS)
    choose(page, "ctl-call", "+31207777777")
    choose(page, "ctl-target", "Service")

    world.control.answer(call_id, "1004")
    expect(waiting_row(page, "7002", call_id)).to_have_count(0, timeout=WAIT_MS)
    before, events = list(world.control.commands), world.control.events()
    page.click("#btn-move")
    message = page.locator("#action-message")
    expect(message).to_have_class("message error")
    expect(message).to_contain_text("Nothing was changed")
    assert world.control.commands == before
    assert world.control.events() == events


def test_engine_refusal_is_shown_and_nothing_changes(board: Page, world: World) -> None:
    page = board
    call_id = new_call_id()
    world.control.add_waiting("7003", call_id, "+31208888888")
    expect(waiting_row(page, "7003", call_id)).to_be_visible(timeout=WAIT_MS)
    world.control.refuse["move_call"] = ControlError(
        "call_answered", "the call was answered a moment ago"
    )
    try:
        choose(page, "ctl-call", "+31208888888")
        choose(page, "ctl-target", "Helpdesk")
        page.click("#btn-move")
        message = page.locator("#action-message")
        expect(message).to_contain_text("the call was answered a moment ago")
        expect(message).to_contain_text("Nothing was changed")
    finally:
        world.control.refuse.clear()
    expect(waiting_row(page, "7003", call_id)).to_be_visible()


def test_agent_state_change_and_premium_switches(board: Page, world: World) -> None:
    page = board
    expect(page.locator("#cc-7002-section")).to_be_visible(timeout=WAIT_MS)
    choose(page, "ctl-agent", "1005")
    choose(page, "ctl-state", "UNAVAILABLE")
    page.fill("#ctl-reason", "lunch")
    page.click("#btn-set-state")
    expect(page.locator("#action-message")).to_contain_text("Agent 1005: UNAVAILABLE (lunch)")
    agent_row = page.locator("#cc-7002-agents tr[data-agent='1005']")
    expect(agent_row).to_contain_text("UNAVAILABLE", timeout=WAIT_MS)
    expect(agent_row).to_contain_text("lunch")

    page.click("#btn-sign-out")
    expect(agent_row).to_contain_text("SIGN_OUT", timeout=WAIT_MS)
    assert world.control.commands[-1] == (
        "set_agent_state",
        {
            "tenant": "demo",
            "extension": "1005",
            "state": "SIGN_OUT",
            "unavailable_code": None,
            "cause": "supervisor",
            "by": "supervisor",
        },
    )

    # Forced forwarding and night service are Premium: Helpdesk (Basic) is refused up front.
    before = list(world.control.commands)
    choose(page, "ctl-cc", "Helpdesk")
    page.fill("#ctl-forward-to", "0201234567")
    page.click("#btn-forward-on")
    expect(page.locator("#action-message")).to_contain_text("Premium feature")
    assert world.control.commands == before

    choose(page, "ctl-cc", "Service")
    page.click("#btn-forward-on")
    expect(page.locator("#action-message")).to_contain_text(
        "Forced forwarding of 7003 to 0201234567"
    )
    page.locator("#ctl-night label", has_text="night on").click()
    page.click("#btn-night")
    expect(page.locator("#action-message")).to_contain_text("Night service of 7003: forced on")
    assert world.control.commands[-2:] == [
        (
            "set_forced_forwarding",
            {
                "tenant": "demo",
                "call_center_id": "7003",
                "enabled": True,
                "destination": "0201234567",
                "by": "supervisor",
            },
        ),
        (
            "set_night_service_override",
            {"tenant": "demo", "call_center_id": "7003", "override": True, "by": "supervisor"},
        ),
    ]


def test_retrieve_promote_reorder_and_monitor(board: Page, world: World) -> None:
    page = board
    call_id = new_call_id()
    world.control.add_waiting("7001", call_id, "+31205550000")
    expect(waiting_row(page, "7001", call_id)).to_be_visible(timeout=WAIT_MS)
    choose(page, "ctl-call", "+31205550000")
    page.fill("#ctl-priority", "5")
    page.click("#btn-promote")
    expect(page.locator("#action-message")).to_contain_text("Priority of +31205550000 set to 5")
    page.fill("#ctl-position", "1")
    page.click("#btn-reorder")
    expect(page.locator("#action-message")).to_contain_text("to position 1")
    # The phone field starts with the supervisor's own extension (1100); emptied, it is asked
    # for; someone else's phone is refused by the API.
    expect(page.locator("#ctl-phone")).to_have_value("1100")
    page.fill("#ctl-phone", "")
    page.click("#btn-retrieve")
    expect(page.locator("#action-message")).to_contain_text("Enter your own phone")
    page.fill("#ctl-phone", "1099")
    page.click("#btn-retrieve")
    expect(page.locator("#action-message")).to_contain_text("not your own phone")
    page.fill("#ctl-phone", "1100")
    page.click("#btn-retrieve")
    expect(page.locator("#action-message")).to_contain_text("Retrieving +31205550000 to your phone")
    names = world.control.names()
    assert names[-3:] == ["promote_call", "reorder_call", "retrieve_call"]
    assert world.control.commands[-1][1] == {
        "tenant": "demo",
        "call_id": call_id,
        "extension": "1100",
        "by": "supervisor",
    }

    # Listen in on an agent's call from the supervisor's own phone, then barge in.
    answered = new_call_id()
    world.control.add_waiting("7002", answered, "+31206660000")
    world.control.answer(answered, "1006")
    expect(page.locator("#cc-7002-agents tr[data-agent='1006']")).to_contain_text(
        "connected", timeout=WAIT_MS
    )
    choose(page, "ctl-agent", "1006")
    page.click("#btn-monitor")
    message = page.locator("#action-message")
    expect(message).to_contain_text("Listening to agent 1006's call from your phone 1100")
    assert world.control.commands[-1] == (
        "monitor_call",
        {
            "tenant": "demo",
            "call_id": answered,
            "extension": "1100",
            "mode": "LISTEN",
            "by": "supervisor",
        },
    )
    page.click("#btn-barge")
    expect(message).to_contain_text("Barging in on agent 1006's call")
    assert world.control.commands[-1][1]["mode"] == "BARGE"
    world.control.refuse["monitor_call"] = ControlError(
        "monitor_failed", "phone 1100 cannot join: not_registered"
    )
    try:
        page.click("#btn-monitor")
        expect(message).to_contain_text("not_registered")
    finally:
        world.control.refuse.clear()
