"""The dashboard in Dutch and English: every text of the page's layout has its Dutch
(`assets/i18n_nl.js`), and in Chromium every page (live board, both reports, what-if, scheduled
reports, a refusal) shows nothing in English after the switch to NL but data (names, figures).
A provisioned Dutch user sees Dutch without switching:
tests/supervisor_ui/test_schedules_product.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Page, expect

from supervisor_ui import layout
from supervisor_ui.app import ASSETS
from supervisor_ui.report_builders import kind_of
from supervisor_ui.report_periods import ReportInputError, period_of, step_of
from tests.supervisor_ui.sv_world import REPORT_DAY, World, seed_report_day
from tests.supervisor_ui.test_dashboard_browser import choose, sign_in
from tests.supervisor_ui.test_kpis_and_actions import API_REFUSALS, INVALID_INPUTS, FakeApi, run
from tests.supervisor_ui.test_reports_browser import WAIT_MS, pick_report
from tests.supervisor_ui.test_reports_page import BAD_RANGES, NOW

_STRING = r'"((?:[^"\\]|\\.)*)"'
DATA = re.compile(
    r"^(Agent \d{4}|(Helpdesk|Sales|Service)( · | \()\d{4}\)?|Basic|Standard|Premium"
    r"|NL|EN|CSV|XLSX|lunch|meeting|[-\d.,:]+ ?(s|h|%|MB)?)$"
)
"""What stays as it is in Dutch: the demo's names, tiers, codes and figures."""


def dutch() -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    source = (ASSETS / "i18n_nl.js").read_text()
    words_part, patterns_part = source.split("  patterns: [", 1)
    unquote = lambda text: json.loads(f'"{text}"')  # noqa: E731  (JS and JSON strings agree here)
    words = {unquote(k): unquote(v) for k, v in re.findall(rf"{_STRING}:\s*{_STRING}", words_part)}
    patterns = [
        (re.compile(unquote(k)), unquote(v))
        for k, v in re.findall(rf"\[{_STRING},\s*{_STRING}\]", patterns_part)
    ]
    return words, patterns


def has_dutch(text: str) -> bool:
    words, patterns = dutch()
    return text in words or any(p.fullmatch(text) for p, _ in patterns)


def layout_texts(page: Any) -> Iterator[str]:
    """Every text the page's layout shows: children, placeholders, aria labels, option labels."""
    for component in [page, *page._traverse()]:  # texts among them: the children strings
        if isinstance(component, str):
            yield component
            continue
        props = component.to_plotly_json().get("props", {})
        for name in ("placeholder", "aria-label"):
            if isinstance(props.get(name), str):
                yield props[name]
        for option in props.get("options") or ():
            if isinstance(option, dict) and isinstance(option.get("label"), str):
                yield option["label"]


def test_every_text_of_the_layout_has_its_dutch() -> None:
    shown = [layout.page(), layout.section("7001", "Helpdesk", "7001", "Premium")]
    texts = {t.strip() for c in shown for t in layout_texts(c) if re.search("[A-Za-z]", t)}
    assert len(texts) > 55  # the walk found the page
    missing = sorted(t for t in texts if not has_dutch(t) and not DATA.match(t))
    assert missing == []


def test_the_dutch_texts_are_whole() -> None:
    words, patterns = dutch()
    assert len(words) > 200
    assert all(value.strip() for value in words.values())
    for pattern, template in patterns:
        used = {int(n) for n in re.findall(r"\$(\d)|\{(\d)\}", template) for n in n if n}
        assert used <= set(range(1, pattern.groups + 1)), (pattern.pattern, template)


DONE: list[tuple[str, dict[str, Any]]] = [
    ("move", {"call_id": "w1", "target_call_center": "7003"}),
    ("promote", {"call_id": "w1", "priority": 9}),
    ("reorder", {"call_id": "w1", "position": 2}),
    ("retrieve", {"call_id": "w1", "phone": "1099"}),
    *(("night", {"call_center": "7003", "night": n}) for n in ("on", "off", "schedule")),
    ("forward-on", {"call_center": "7003", "forward_to": "0201234567"}),
    ("forward-off", {"call_center": "7003"}),
    ("set-state", {"agent": "1004", "agent_state": "UNAVAILABLE", "reason": "lunch"}),
    ("set-state", {"agent": "1004", "agent_state": "AVAILABLE"}),
    ("sign-out", {"agent": "1004"}),
    *((mode, {"agent": "1004", "phone": "1099"}) for mode in ("monitor", "whisper", "barge")),
]
"""Actions the API accepts, with what the panel holds."""


def action_messages(world: World) -> list[str]:
    """Every kind of sentence the control panel says: done, refused by the page, by the API."""

    async def all_of() -> list[str]:
        said = [(await run(FakeApi(), a, **given)).message for a, given in DONE]
        said += [(await run(FakeApi(), a, **given)).message for a, given, _ in INVALID_INPUTS]
        for error, _ in API_REFUSALS:
            moved = await run(FakeApi(error), "move", call_id="w1", target_call_center="7003")
            said.append(moved.message)
        return said

    return world.run(all_of())  # Playwright's loop owns this thread


def test_every_sentence_of_the_control_panel_has_its_dutch(page: Page, world: World) -> None:
    sign_in(page, world)
    expect(page.locator("#cc-7003-section")).to_be_visible()
    messages = [m for m in action_messages(world) if not m.startswith("unknown action")]
    assert len(messages) > 30
    translated = page.evaluate("(texts) => texts.map(window.SUPERVISOR_I18N.dutch)", messages)
    missing = [m for m, nl in zip(messages, translated, strict=True) if nl is None or nl == m]
    assert missing == []
    # The English sentence words never survive in the Dutch (the figures and names do).
    for nl in translated:
        assert not re.search(r"\b(the|call center|waiting|your|Nothing|agent's)\b", nl), nl


def report_messages() -> list[str]:
    """What the reports page says about a form it cannot use."""
    said = []
    for (preset, start, end), _ in BAD_RANGES:
        try:
            period_of(preset, start, end, NOW)
        except ReportInputError as error:
            said.append(error.message)
    for check in (step_of, kind_of):
        try:
            check(None)
        except ReportInputError as error:
            said.append(error.message)
    return said


def test_every_sentence_of_the_reports_form_has_its_dutch(page: Page, world: World) -> None:
    sign_in(page, world)
    expect(page.locator("#cc-7003-section")).to_be_visible()
    messages = report_messages()
    assert len(messages) == len(BAD_RANGES) + 2
    translated = page.evaluate("(texts) => texts.map(window.SUPERVISOR_I18N.dutch)", messages)
    assert [m for m, nl in zip(messages, translated, strict=True) if nl is None or nl == m] == []
    for nl in translated:
        assert not re.search(r"\b(the|must|Choose|Enter|is not)\b", nl), nl


def untranslated(page: Page) -> set[str]:
    shown: list[str] = page.evaluate("window.SUPERVISOR_I18N.untranslated()")
    return {text for text in shown if not DATA.match(text)}


def test_every_page_is_dutch_after_the_switch_and_english_again(page: Page, world: World) -> None:
    seed_report_day(world.database_url)
    sign_in(page, world)  # not provisioned: the browser's language (English) until switched
    expect(page.locator("#cc-7003-section")).to_be_visible()
    expect(page.locator("#nav-reports")).to_have_text("Reports")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.click("[data-lang=nl]")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#nav-reports")).to_have_text("Rapporten")
    expect(page.locator("#cc-7001-section h3").first).to_have_text("Wachtende gesprekken")
    page.click("#btn-move")  # a message made by the server after the switch
    expect(page.locator("#action-message")).to_contain_text("Kies eerst een wachtend gesprek.")
    expect(page.locator("#login-username")).to_have_attribute("placeholder", "gebruikersnaam")
    assert untranslated(page) == set()

    page.click("#nav-reports")
    choose(page, "rep-center", "Sales")
    page.locator("#rep-range label", has_text="zelf kiezen").click()
    page.fill("#rep-from", REPORT_DAY)
    page.fill("#rep-to", REPORT_DAY)
    page.locator("#rep-interval label", has_text="uur").click()
    page.click("#rep-show")
    expect(page.locator("#rep-table tbody tr").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#rep-title")).to_contain_text("per uur")
    assert untranslated(page) == set()
    pick_report(page, "Agents")
    page.click("#rep-show")
    expect(page.locator("#rep-title")).to_contain_text("Agents ·", timeout=WAIT_MS)
    assert untranslated(page) == set()

    page.click("#nav-what-if")
    expect(page.locator("#wi-run")).to_have_text("Wat-als doorrekenen")
    assert untranslated(page) == set()
    page.click("#nav-schedules")
    expect(page.locator("#sch-create")).to_have_text("Planning toevoegen")
    page.click("#sch-create")  # no recipients: refused by the page, in Dutch
    expect(page.locator("#sch-message")).to_contain_text("Vul minstens één e-mailadres")
    assert untranslated(page) == set()

    page.click("[data-lang=en]")
    expect(page.locator("#sch-create")).to_have_text("Add schedule")
    expect(page.locator("#sch-message")).to_contain_text("Enter at least one recipient")
    page.reload()  # the choice is remembered
    expect(page.locator("#nav-reports")).to_have_text("Reports")
    expect(page.locator("[data-lang=en]")).to_have_attribute("aria-pressed", "true")
