"""Bel-me-nu over real HTTP (a running app, Redis, SQLite): the admin's buttons behind the tenant
wall, and the public callback endpoint attacked as an anonymous website visitor would: floods,
foreign origins, bad numbers, another tenant's buttons. The call control is the fake one, so the
click-to-dial each accepted request starts is seen as a command (the real call: tests/e2e)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from common.redis_keys import belmenu_requests
from cti.belmenu import BelmenuLimits, Limit
from cti.control import ControlError
from cti.snapshots import CallCenterSnapshot
from tests.cti.cti_fake_control import FakeControl
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix
from tests.provisioning.api_world import OTHER, ApiWorld, start_world
from tests.provisioning.test_provisioning_api import DEMO, user

SITE = "https://www.bakker.nl"
LIMITS = BelmenuLimits(address=Limit(5, 600), button=Limit(6, 3600), number=Limit(2, 3600))
_addresses = count(1)


@pytest.fixture(scope="module")
def control() -> Iterator[FakeControl]:
    fake = FakeControl(REDIS_URL, new_prefix())
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, control: FakeControl) -> Iterator[ApiWorld]:
    var: Path = tmp_path_factory.mktemp("belmenu-api")
    made = start_world(var, control=control, belmenu_limits=LIMITS)
    running = next(made)
    for who, tenant in (("admin", DEMO), ("acme_admin", OTHER)):
        desk = user(f"desk-{tenant}", "2001", licences={"call_center": "basic"})
        created = running[who].post(f"/api/v1/tenants/{tenant}/users", json=desk)
        assert created.status_code == 201, created.text
    plain = running["admin"].post(f"/api/v1/tenants/{DEMO}/users", json=user("plain", "2002"))
    assert plain.status_code == 201, plain.text
    yield running
    next(made, None)


def new_address() -> str:
    """A client address of its own (the server trusts X-Forwarded-For from 127.0.0.1)."""
    n = next(_addresses)
    return f"10.1.{n // 250}.{n % 250 + 1}"


def make_button(world: ApiWorld, **changes: Any) -> str:
    body = {"label": "Bel mij terug", "destination": "2001", "origins": [SITE], **changes}
    created = world["admin"].post(f"/api/v1/tenants/{DEMO}/belmenu-buttons", json=body)
    assert created.status_code == 201, created.text
    button: str = created.json()["id"]
    return button


def ask(
    world: ApiWorld,
    button: str,
    number: object = "0612345678",
    *,
    origin: str | None = SITE,
    address: str | None = None,
) -> httpx.Response:
    headers = {"X-Forwarded-For": address or new_address()}
    if origin is not None:
        headers["Origin"] = origin
    with world.anonymous as http:
        url = f"/api/v1/public/belmenu/{button}"
        return http.post(url, json={"number": number}, headers=headers)


def refusal(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["detail"]["field"]


def test_an_admin_configures_buttons_and_other_tenants_meet_a_wall(world: ApiWorld) -> None:
    url = f"/api/v1/tenants/{DEMO}/belmenu-buttons"
    body = {"label": "Bel mij", "destination": "2001",
            "origins": ["HTTPS://www.Bakker.nl:443/", "http://localhost:8080"]}  # fmt: skip
    created = world["admin"].post(url, json=body)
    assert created.status_code == 201, created.text
    button = created.json()
    assert len(button["id"]) == 16 and button["enabled"] and not button["international"]
    assert button["origins"] == [SITE, "http://localhost:8080"]
    assert button in world["admin"].get(url).json()
    assert world["supervisor"].get(f"{url}/{button['id']}").status_code == 200
    # Another tenant's admin: 403 for every route, whether the button exists or not.
    other = world["acme_admin"]
    assert other.get(url).status_code == 403
    assert other.get(f"{url}/{button['id']}").status_code == 403
    assert other.put(f"{url}/{button['id']}", json=body).status_code == 403
    assert other.delete(f"{url}/{button['id']}").status_code == 403
    assert world["agent"].post(url, json=body).status_code == 403
    assert world["supervisor"].post(url, json=body).status_code == 403
    # Its own tenant's URL does not reach the demo's button either.
    mine = f"/api/v1/tenants/{OTHER}/belmenu-buttons/{button['id']}"
    assert refusal(other.get(mine)) == (404, "button")
    assert refusal(other.put(mine, json=body)) == (404, "button")
    # Bad configuration names its field.
    for field, bad in (
        ("destination", {**body, "destination": "4711"}),
        ("destination", {**body, "destination": "2001x"}),
        ("origins", {**body, "origins": ["ftp://www.bakker.nl"]}),
        ("origins", {**body, "origins": ["https://www.bakker.nl/contact"]}),
        ("origins", {**body, "origins": []}),
    ):
        answer = world["admin"].post(url, json=bad)
        assert answer.status_code == 422, (field, answer.text)
        assert field in answer.text
    changed = world["admin"].put(f"{url}/{button['id']}", json={**body, "enabled": False})
    assert (changed.status_code, changed.json()["enabled"]) == (200, False)
    assert world["admin"].delete(f"{url}/{button['id']}").status_code == 204
    assert world["admin"].get(f"{url}/{button['id']}").status_code == 404


def test_a_visitor_is_called_back_from_the_allowed_site(
    world: ApiWorld, control: FakeControl
) -> None:
    button = make_button(world)
    with world.anonymous as http:
        preflight = http.options(
            f"/api/v1/public/belmenu/{button}",
            headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
        )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    answer = ask(world, button, "06-1234 5601")
    assert answer.status_code == 202, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == SITE
    # The company's extension first, then the visitor (as E.164).
    assert control.commands[-1] == (
        "click_to_dial",
        {"tenant": DEMO, "extension": "2001", "destination": "+31612345601"},
    )


def test_a_call_center_button_queues_the_callback_there(
    world: ApiWorld, control: FakeControl
) -> None:
    center = {"number": "7409", "name": "Terugbellen", "tier": "basic", "agents": ["2001"]}
    made = world["admin"].post(f"/api/v1/tenants/{DEMO}/call-centers", json=center)
    assert made.status_code == 201, made.text
    control.write_call_center(CallCenterSnapshot("7409", "7409", "Terugbellen", "Basic", 25))
    button = make_button(world, destination="7409")
    answer = ask(world, button, "06-1234 5609")
    assert (answer.status_code, answer.json()) == (202, {"status": "queued"})
    # In the queue like a caller who pressed 1 there (docs/callback.md), not a click-to-dial.
    assert control.commands[-1] == (
        "book_callback",
        {"tenant": DEMO, "call_center_id": "7409", "number": "+31612345609"},
    )


def test_foreign_origins_unknown_buttons_and_switched_off_buttons_are_refused(
    world: ApiWorld, control: FakeControl
) -> None:
    button = make_button(world)
    before = len(control.commands)
    for origin in ("https://evil.example", "http://www.bakker.nl", "https://www.bakker.nl:8443"):
        answer = ask(world, button, origin=origin)
        assert refusal(answer) == (403, "origin"), origin
        assert "Access-Control-Allow-Origin" not in answer.headers
        with world.anonymous as http:
            preflight = http.options(f"/api/v1/public/belmenu/{button}", headers={"Origin": origin})
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
    assert refusal(ask(world, button, origin=None)) == (403, "origin")
    assert refusal(ask(world, "no-such-button-x")) == (404, "button")
    assert refusal(ask(world, "short")) == (404, "button")
    world["admin"].put(
        f"/api/v1/tenants/{DEMO}/belmenu-buttons/{button}",
        json={"label": "Uit", "destination": "2001", "origins": [SITE], "enabled": False},
    )
    assert refusal(ask(world, button)) == (403, "button")
    assert len(control.commands) == before, "nothing was dialled"


def test_another_tenants_button_rings_only_its_own_extension(
    world: ApiWorld, control: FakeControl
) -> None:
    body = {"label": "Acme", "destination": "2001", "origins": ["https://acme.example"]}
    created = world["acme_admin"].post(f"/api/v1/tenants/{OTHER}/belmenu-buttons", json=body)
    assert created.status_code == 201, created.text
    acme = created.json()["id"]
    # The demo company's site cannot use Acme's button.
    assert refusal(ask(world, acme)) == (403, "origin")
    assert ask(world, acme, origin="https://acme.example").status_code == 202
    assert control.commands[-1][1]["tenant"] == OTHER


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("112", "emergency"),
        ("0900-1234567", "premium rate"),
        ("0800 1234567", "service"),
        ("+49 30 12345678", "Dutch"),
        ("12345", "valid"),
        ("<script>alert(1)</script>", "valid"),
        ("0" * 5000, "JSON"),
        (612345678, "JSON"),
        (None, "JSON"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field(
    world: ApiWorld, control: FakeControl, number: object, reason: str
) -> None:
    button = make_button(world)
    before = len(control.commands)
    answer = ask(world, button, number)
    assert refusal(answer) == (422, "number")
    assert reason in answer.json()["detail"]["reason"]
    assert answer.headers["Access-Control-Allow-Origin"] == SITE, "the site can show why"
    assert len(control.commands) == before


def test_a_button_may_allow_visitors_abroad(world: ApiWorld) -> None:
    button = make_button(world, international=True)
    assert ask(world, button, "+49 30 12345678").status_code == 202
    assert refusal(ask(world, button, "+44 9098790000")) == (422, "number")  # UK premium rate


def test_a_flood_from_one_address_gets_429_with_retry_after(
    world: ApiWorld, control: FakeControl
) -> None:
    button = make_button(world)
    flooder = new_address()
    for n in range(LIMITS.address.requests):
        # Garbage counts as much as real requests.
        number = "x" if n % 2 else f"06123457{n:02d}"
        assert ask(world, button, number, address=flooder).status_code in (202, 422)
    before = len(control.commands)
    flooded = ask(world, button, "0612345603", address=flooder)
    assert refusal(flooded) == (429, "address")
    assert 1 <= int(flooded.headers["Retry-After"]) <= LIMITS.address.window
    assert len(control.commands) == before
    # Other visitors are not held up by one address's flood.
    assert ask(world, button, "0612345604").status_code == 202


def test_one_visitor_number_and_one_button_have_budgets(world: ApiWorld) -> None:
    button = make_button(world)
    for _ in range(LIMITS.number.requests):
        assert ask(world, button, "0612345605").status_code == 202
    # From anywhere, however written: the same number.
    again = ask(world, button, "+31 6 12345605")
    assert refusal(again) == (429, "number")
    assert int(again.headers["Retry-After"]) >= 1
    # Redis keeps a digest of the number, never the number.
    keys = Redis.from_url(REDIS_URL).keys(belmenu_requests("*", "number", "*"))
    assert keys and not any(b"612345605" in k for k in keys)
    spent = LIMITS.number.requests + 1  # the button's budget counted the refused one too
    for n in range(LIMITS.button.requests - spent):
        assert ask(world, button, f"06123456{10 + n}").status_code == 202
    assert refusal(ask(world, button, "0612345699")) == (429, "button")


def test_a_company_that_cannot_call_now_gets_503(world: ApiWorld, control: FakeControl) -> None:
    button = make_button(world)
    control.refuse["click_to_dial"] = ControlError("control_unavailable", "no PBX")
    try:
        assert refusal(ask(world, button, "0612345606")) == (503, "button")
    finally:
        del control.refuse["click_to_dial"]


def test_the_snippet_is_served_for_other_sites(world: ApiWorld) -> None:
    with world.anonymous as http:
        answer = http.get("/belmenu/button.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "/api/v1/public/belmenu/" in answer.text
    with world.anonymous as http:
        page = http.get("/belmenu/try/abcdefgh_12-XY")
        injected = http.get('/belmenu/try/x"><script>alert(1)</script>')
    assert page.status_code == 200 and 'data-button="abcdefgh_12-XY"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert injected.status_code == 404
