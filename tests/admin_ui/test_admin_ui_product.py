"""The admin portal in headless Chromium against the whole product (`cti.product.run_product`,
as `make demo` runs it): the demo's tenant admin (admin / pwadmin) manages users, imports a CSV,
adds numbers, moves agents in and out of a call center (drag and drop, and the keyboard),
edits schedules, uploads and plays announcements and reads the audit log; every refusal shows
its field and reason. The operator creates a tenant with its first admin. Screenshots go to
$OPENCC_SCREENSHOTS_DIR (docs/screenshots when regenerating them)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.agent_ui.agent_pages import new_context, watch_errors
from tests.product_harness import ProductThread

SHOTS = os.environ.get("OPENCC_SCREENSHOTS_DIR")


@pytest.fixture
def page(browser: Browser, product: ProductThread) -> Iterator[Page]:
    context = new_context(browser)
    opened = context.new_page()
    errors = watch_errors(opened)
    opened.goto(f"{product.base_url}/admin/")
    yield opened
    context.close()
    assert errors == []


def sign_in(page: Page, username: str = "admin", password: str = "pwadmin") -> None:
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect(page.locator("#portal")).to_be_visible()


def go(page: Page, name: str) -> None:
    page.click(f'#nav a[data-page="{name}"]')
    expect(page.locator("#page")).to_have_attribute("data-page", name)


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"admin-{name}.png"))


@contextlib.contextmanager
def api(
    product: ProductThread, username: str = "admin", password: str = "pwadmin"
) -> Iterator[httpx.Client]:
    """The REST API, signed in as `username` (fails if the password does not sign in)."""
    with httpx.Client(base_url=product.base_url, timeout=30) as client:
        answer = client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


def refusal(page: Page) -> str:
    message = page.locator(".message.error").first
    expect(message).to_be_visible()
    return message.inner_text()


def test_users_add_edit_reset_delete_and_refusals(page: Page, product: ProductThread) -> None:
    sign_in(page)
    with api(product) as client:  # the demo's users, as many as the API lists
        demo_users = client.get("/api/v1/tenants/demo/users").json()["total"]
    expect(page.locator("#users-table tbody tr")).to_have_count(demo_users)
    shot(page, "users")

    page.click("#add-user")
    dialog = page.locator("dialog")
    dialog.locator("[name=username]").fill("eva")
    dialog.locator("[name=name]").fill("Eva Jansen")
    dialog.locator("[name=extension]").fill("1001")  # taken
    dialog.locator("[name=password]").fill("web-secret-1")
    dialog.locator("[name=sip_password]").fill("sip-secret-1")
    dialog.locator("[name=call_center]").select_option("premium")
    dialog.locator("#user-save").click()
    text = dialog.locator(".message.error").inner_text()
    assert "extension" in text and "409" in text, text
    expect(dialog.locator("[name=extension]")).to_have_attribute("aria-invalid", "true")
    shot(page, "user-refused")
    dialog.locator("[name=extension]").fill("1201")
    dialog.locator("#user-save").click()
    expect(page.locator("dialog")).to_have_count(0)
    row = page.locator('#users-table tr[data-username="eva"]')
    expect(row).to_contain_text("Eva Jansen")
    expect(row).to_contain_text("cc:premium")

    row.locator("button.edit").click()
    page.locator("dialog [name=name]").fill("Eva de Vries")
    page.locator("dialog [name=profile]").select_option("overal")
    page.locator("dialog #user-save").click()
    expect(row).to_contain_text("Eva de Vries")
    expect(row).to_contain_text("overal")

    row.locator("button.reset").click()
    page.locator("dialog [name=password]").fill("a-new-web-secret")
    page.locator("dialog #reset-save").click()
    expect(page.locator("dialog")).to_have_count(0)
    with api(product, "eva", "a-new-web-secret"):  # signs in with the new password
        pass

    # A user still routed to (a member of 7001) cannot go: the API's reason is shown.
    page.locator('#users-table tr[data-username="1001"] button.delete').click()
    page.click("#confirm-ok")
    assert "409" in refusal(page)
    expect(page.locator('#users-table tr[data-username="1001"]')).to_have_count(1)

    row.locator("button.delete").click()
    page.click("#confirm-ok")
    expect(row).to_have_count(0)


def test_csv_import_shows_every_bad_row_then_imports(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    sign_in(page)
    go(page, "import")
    header = "username,name,extension,sip_password,profile\n"
    good = [f"imp{n},Imported {n},{1300 + n},sip-secret-{n},kantoor\n" for n in range(25)]
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "".join(good) + "imp0,Twice,1399,sip-secret,kantoor\nx,,12a,s,gold\n")
    page.set_input_files("#csv-file", str(bad))
    page.click("#csv-check")
    errors = page.locator("#csv-errors tbody tr")
    expect(errors.first).to_be_visible()
    lines = {row.split("\t")[0] for row in errors.all_inner_texts()}
    assert lines == {"2", "27", "28"}, errors.all_inner_texts()  # both imp0 rows, and x
    expect(page.locator("#csv-import")).to_be_disabled()
    shot(page, "csv-import")

    fixed = tmp_path / "good.csv"
    fixed.write_text(header + "".join(good))
    page.set_input_files("#csv-file", str(fixed))
    page.click("#csv-check")
    expect(page.locator(".message.ok")).to_contain_text("25")
    page.click("#csv-import")
    expect(page.locator(".message.ok")).to_contain_text("25 users imported", timeout=60_000)

    go(page, "users")  # the demo's users + 25: two pages
    expect(page.locator("#page-position")).to_contain_text("1-20")
    page.click("#page-next")
    expect(page.locator("#page-position")).to_contain_text("21-")
    expect(page.locator("#page-next")).to_be_disabled()


def test_numbers_blocks_and_destinations(page: Page) -> None:
    sign_in(page)
    go(page, "numbers")
    page.fill("#block-form [name=first]", "+31205550100")
    page.select_option("#block-form [name=size]", "10")
    page.click("#block-add")
    expect(page.locator("#blocks-table")).to_contain_text("+31205550109")
    page.fill("#number-form [name=number]", "+31205550201")  # outside every block
    page.fill("#number-form [name=destination]", "1002")
    page.click("#number-add")
    assert "number" in refusal(page)
    page.fill("#number-form [name=number]", "+31205550101")
    page.click("#number-add")
    row = page.locator("#numbers-table tr", has_text="+31205550101")
    expect(row).to_contain_text("1002")
    shot(page, "numbers")


def test_call_center_members_by_drag_and_drop_and_keyboard(
    page: Page, product: ProductThread
) -> None:
    sign_in(page)
    go(page, "call-centers")
    page.locator('#call-centers-table tr[data-number="7002"] button.open').click()
    members = page.locator("#members-list")
    others = page.locator("#others-list")
    expect(members.locator(".agent")).not_to_have_count(0)
    moving = members.locator(".agent").first
    extension = moving.get_attribute("data-extension") or ""
    # Dropped on the list's first entry (the drop reaches the list): the list's middle may lie
    # below the window, and scrolling there mid-drag would move the mouse onto another agent.
    moving.drag_to(others.locator(".agent").first)
    expect(others.locator(f'.agent[data-extension="{extension}"]')).to_have_count(1)
    with api(product) as client:
        agents = client.get("/api/v1/tenants/demo/call-centers/7002").json()["settings"]["agents"]
    assert extension not in [a if isinstance(a, str) else a["extension"] for a in agents]
    shot(page, "call-center-members")

    # The keyboard way: focus the agent's button, Enter moves it back in.
    others.locator(f'.agent[data-extension="{extension}"] button').focus()
    page.keyboard.press("Enter")
    expect(members.locator(f'.agent[data-extension="{extension}"]')).to_have_count(1)
    with api(product) as client:
        agents = client.get("/api/v1/tenants/demo/call-centers/7002").json()["settings"]["agents"]
    assert extension in [a if isinstance(a, str) else a["extension"] for a in agents]

    # A new call center, and a refused one (its number is an extension).
    page.fill("#call-center-form [name=number]", "1001")
    page.fill("#call-center-form [name=name]", "Clash")
    page.click("#call-center-add")
    assert "409" in refusal(page) or "422" in refusal(page)
    page.fill("#call-center-form [name=number]", "7010")
    page.click("#call-center-add")
    expect(page.locator('#call-centers-table tr[data-number="7010"]')).to_have_count(1)


def test_schedules_and_holidays(page: Page) -> None:
    sign_in(page)
    go(page, "schedules")
    page.fill("#weekly-form [name=name]", "office")
    page.click("#interval-add")
    page.click("#interval-add")  # two intervals of Monday that overlap
    page.locator("#interval-rows [name=end]").nth(0).fill("12:30")
    page.locator("#interval-rows [name=start]").nth(1).fill("12:00")
    page.click("#weekly-save")
    assert "422" in refusal(page)
    page.locator("#interval-rows [name=weekday]").nth(1).select_option("1")  # Tuesday instead
    page.click("#weekly-save")
    expect(page.locator('#schedules-table tr[data-name="office"]')).to_have_count(1)

    page.fill("#holiday-form [name=name]", "nl")
    page.fill("#holiday-form [name=extra_dates]", "2026-12-24")
    page.fill("#holiday-form [name=year]", "2026")
    page.click("#holiday-save")
    days = page.locator("#holiday-days-table")
    expect(days).to_contain_text("2026-12-24")
    expect(days).to_contain_text("2026-12-25")  # Kerstmis, from `holidays`
    shot(page, "schedules")


def test_announcements_upload_listen_use_and_refuse(
    page: Page, product: ProductThread, tmp_path: Path
) -> None:
    tone = tmp_path / "welcome.wav"
    subprocess.run(["sox", "-n", "-r", "44100", str(tone), "synth", "1.5", "sine", "880"],
                   check=True, capture_output=True)  # fmt: skip
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    sign_in(page)
    go(page, "announcements")
    page.fill("#announcement-form [name=name]", "welcome-ui")
    page.set_input_files("#announcement-form [name=audio]", str(text))
    page.click("#announcement-upload")
    message = refusal(page)
    assert "audio" in message and "not audio" in message, message
    expect(page.locator("#announcement-form [name=audio]")).to_have_attribute(
        "aria-invalid", "true"
    )

    page.set_input_files("#announcement-form [name=audio]", str(tone))
    page.click("#announcement-upload")
    row = page.locator('#announcements-table tr[data-name="welcome-ui"]')
    expect(row).to_contain_text("1.5")
    # How to record it by phone instead, and its number there (the only one: 1).
    expect(page.locator("#announcement-record-by-phone")).to_contain_text("*62")
    expect(row.locator("td.phone-number")).to_have_text("1")
    expect(row).to_contain_text("announcement:welcome-ui")
    row.locator("button.listen").click()
    player = page.locator("#announcement-player")
    expect(player).to_be_visible()
    expect(player).to_have_attribute("src", re.compile(r"^blob:"))
    expect(player).to_have_attribute("data-name", "welcome-ui")
    shot(page, "announcements")

    # Chosen as 7001's welcome in the call center's prompts.
    go(page, "call-centers")
    page.locator('#call-centers-table tr[data-number="7001"] button.open').click()
    page.select_option("#prompts-form [name=entrance_message]", "announcement:welcome-ui")
    page.click("#prompts-save")
    expect(page.locator(".message.ok")).to_be_visible()
    with api(product) as client:
        cc = client.get("/api/v1/tenants/demo/call-centers/7001").json()
    assert cc["settings"]["media"]["entrance_message"] == "announcement:welcome-ui"

    go(page, "announcements")  # now in use: deleting it is refused with the reason
    page.locator('#announcements-table tr[data-name="welcome-ui"] button.delete').click()
    assert "7001" in refusal(page)


def test_audit_log_and_dutch(page: Page) -> None:
    sign_in(page)
    go(page, "audit")
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    expect(page.locator("#audit-table")).to_contain_text("admin")
    shot(page, "audit")
    page.select_option("#lang-select", "nl")
    expect(page.locator('#nav a[data-page="users"]')).to_have_text("Gebruikers")
    expect(page.locator("#page h2")).to_have_text("Logboek")
    shot(page, "nl")


def test_operator_creates_a_tenant_and_its_first_admin(page: Page, product: ProductThread) -> None:
    sign_in(page, "operator", "pwoperator")
    expect(page.locator("#page")).to_have_attribute("data-page", "tenants")
    form = page.locator("#tenant-form")
    values = {
        "id": "acme", "name": "Acme B.V.", "sip_domain": "acme.test", "username": "acme-admin",
        "admin_name": "Anna Acme", "extension": "1001", "password": "short",
        "sip_password": "acme-sip-secret",
    }  # fmt: skip
    for name, value in values.items():
        form.locator(f"[name={name}]").fill(value)
    page.click("#tenant-create")
    # The tenant is made, its admin refused (password too short): the next try adds the admin.
    assert "password" in refusal(page)
    form.locator("[name=password]").fill("acme-web-secret")
    page.click("#tenant-create")
    expect(page.locator(".message.ok")).to_contain_text("acme")
    shot(page, "operator")
    page.click("#tenant-manage")
    expect(page.locator("#users-table")).to_contain_text("Anna Acme")
    with api(product, "acme-admin", "acme-web-secret") as client:
        assert client.get("/api/v1/tenants/acme/users").status_code == 200
        assert client.get("/api/v1/tenants/demo/users").status_code == 403


def test_an_agent_is_not_let_in(page: Page) -> None:
    page.fill("#login-username", "1002")
    page.fill("#login-password", "pw1002")
    page.click("#login-submit")
    expect(page.locator("#login-error")).not_to_be_empty()
    expect(page.locator("#portal")).to_be_hidden()
