"""Activation links over HTTP (docs/provisioning.md, "Activation links"): a CSV import without
web passwords answers a link per user; the user sets its own password with it, once. Attacks: a
reused, forged or another tenant's token, a weak password, an old link after a new one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.provisioning.api_world import OTHER, ApiWorld
from tests.provisioning.test_provisioning_sign_in import sign_in

DEMO = "demo"
HEADER = "username,name,extension,sip_password,profile\n"


def activate(world: ApiWorld, tenant: str, token: str, password: str) -> httpx.Response:
    return world.anonymous.post(
        "/api/v1/activation", json={"tenant": tenant, "token": token, "password": password}
    )


def _import(world: ApiWorld, *people: tuple[str, str, int]) -> dict[str, str]:
    """Import (username, name, extension) rows without web passwords; each one's token."""
    rows = "".join(f"{u},{n},{e},sip-secret-{e},kantoor\n" for u, n, e in people)
    answer = world["admin"].post(
        f"/api/v1/tenants/{DEMO}/users/import",
        params={"dry_run": "false"},
        content=HEADER + rows,
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    links = answer.json()["activations"]
    assert [link["username"] for link in links] == [u for u, _, _ in people]
    for link in links:
        fragment = parse_qs(urlsplit(link["link"]).fragment)
        assert urlsplit(link["link"]).path == "/admin/activate.html"
        assert fragment == {"tenant": [DEMO], "token": [link["token"]]}
        assert len(link["token"]) >= 43  # 32 random bytes, URL-safe base64
    return {link["username"]: link["token"] for link in links}


def test_an_imported_user_sets_its_own_password_once(world: ApiWorld) -> None:
    tokens = _import(world, ("act-anna", "Anna Jansen", 1601), ("act-dirk", "Dirk Smit", 1604))
    assert len(set(tokens.values())) == 2
    anna = tokens["act-anna"]
    assert sign_in(world, "act-anna", "Zonnebloem-42").status_code == 401  # nothing set yet

    # Weak passwords are refused by field, and the link still works after them.
    for weak, reason in (
        ("short", "8 to"),
        ("my-act-anna-pw", "username"),
        ("anna jansen 2026", "name"),
        ("aaaaaaaaaaaa", "too simple"),
    ):
        refused = activate(world, DEMO, anna, weak)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"]["field"] == "password"
        assert reason in refused.json()["detail"]["reason"]

    done = activate(world, DEMO, anna, "Zonnebloem-42")
    assert done.status_code == 200, done.text
    assert done.json() == {"username": "act-anna"}
    assert sign_in(world, "act-anna", "Zonnebloem-42").status_code == 200
    user = world["admin"].get(f"/api/v1/tenants/{DEMO}/users/act-anna").json()
    assert user["web_sign_in"] is True
    audit = world["admin"].get(f"/api/v1/tenants/{DEMO}/audit-log").json()["items"][0]
    assert (audit["actor"], audit["key"], audit["after"]) == (
        "act-anna",
        "act-anna",
        {"web_sign_in": True},
    )
    assert "Zonnebloem" not in str(audit)

    reused = activate(world, DEMO, anna, "Another-Secret-7")  # the link is spent
    assert reused.status_code == 404
    assert reused.json()["detail"]["field"] == "token"
    assert sign_in(world, "act-anna", "Another-Secret-7").status_code == 401


def test_forged_and_other_tenants_tokens_are_refused_alike(world: ApiWorld) -> None:
    bram = _import(world, ("act-bram", "Bram Smit", 1602))["act-bram"]
    for tenant, token in ((DEMO, "A" * 43), (DEMO, bram[:-1] + "x"), (OTHER, bram)):
        refused = activate(world, tenant, token, "Kastanje-Boom-9")
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == {
            "field": "token",
            "reason": "no such activation link, or it was used or has expired",
        }
    assert sign_in(world, "act-bram", "Kastanje-Boom-9").status_code == 401
    # The real one, in its own tenant, was not spent by those attempts.
    assert activate(world, DEMO, bram, "Kastanje-Boom-9").status_code == 200


def test_a_new_link_replaces_the_old_one_and_only_an_admin_makes_it(world: ApiWorld) -> None:
    _import(world, ("act-cees", "Cees", 1603))  # its link is lost, say
    url = f"/api/v1/tenants/{DEMO}/users/act-cees/activation"
    first = world["admin"].post(url)
    assert first.status_code == 201, first.text
    second = world["admin"].post(url).json()["token"]
    assert activate(world, DEMO, first.json()["token"], "Linde-Blad-31").status_code == 404
    assert world["supervisor"].post(url).status_code == 403
    assert world["agent"].post(url).status_code == 403
    assert world.anonymous.post(url).status_code == 401
    assert world["acme_admin"].post(url).status_code == 403
    missing = world["admin"].post(f"/api/v1/tenants/{DEMO}/users/nobody-here/activation")
    assert missing.status_code == 404
    assert activate(world, DEMO, second, "Linde-Blad-31").status_code == 200


def test_malformed_activation_bodies_are_refused(world: ApiWorld) -> None:
    for body in ({}, {"tenant": "../x", "token": "t", "password": "p"}, {"tenant": DEMO}):
        assert world.anonymous.post("/api/v1/activation", json=body).status_code == 422


def test_guessing_tokens_is_throttled(world: ApiWorld) -> None:
    """Last in the module: it leaves this address throttled."""
    answers = [
        activate(world, DEMO, f"guess-{n}", "Valid-Secret-99").status_code for n in range(30)
    ]
    assert set(answers) == {404, 429}
    limited = activate(world, DEMO, "guess-last", "Valid-Secret-99")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
