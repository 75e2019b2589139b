"""Carrier trunks through the admin API: a tenant's (its admin) and the platform's (the
operator); the password goes in and never comes out; bad input, other tenants and wrong roles
are refused."""

from __future__ import annotations

import pytest

from tests.provisioning.api_world import OTHER, ApiWorld

DEMO = "demo"
TRUNKS = f"/api/v1/tenants/{DEMO}/trunks"
TRUNK = {"name": "KPN", "host": "192.0.2.10", "port": 5060, "priority": 5, "inbound": True,
         "username": "acct", "password": "s3cret-digest"}  # fmt: skip


def test_a_tenant_trunk_is_made_listed_and_deleted_without_its_password(world: ApiWorld) -> None:
    admin = world["admin"]
    made = admin.post(TRUNKS, json=TRUNK)
    assert made.status_code == 201, made.text
    view = made.json()
    assert "password" not in view and "s3cret" not in made.text
    assert (view["has_password"], view["username"], view["platform"]) == (True, "acct", False)
    listed = admin.get(TRUNKS)
    assert [t["id"] for t in listed.json()] == [view["id"]] and "s3cret" not in listed.text
    assert world["supervisor"].get(TRUNKS).status_code == 200
    assert world["agent"].get(TRUNKS).status_code == 403
    assert world["acme_admin"].get(TRUNKS).status_code == 403
    # Another tenant's id reads as no trunk at all.
    assert (
        world["acme_admin"].delete(f"/api/v1/tenants/{OTHER}/trunks/{view['id']}").status_code
        == 404
    )
    # An API process without a PBX knows no registration: an empty list, not an error.
    registrations = admin.get(f"{TRUNKS}/registrations")
    assert (registrations.status_code, registrations.json()) == (200, [])
    assert world["acme_admin"].get(f"{TRUNKS}/registrations").status_code == 403
    assert world["admin"].get("/api/v1/trunks/registrations").status_code == 403
    assert admin.delete(f"{TRUNKS}/{view['id']}").status_code == 204
    assert admin.get(TRUNKS).json() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"host": "carrier.example", "inbound": True}, "host"),
        ({"host": "bad host!"}, "host"),
        ({"port": 0}, "port"),
        ({"port": "5060"}, "port"),
        ({"transport": "sctp"}, "transport"),
        ({"transport": "TCP"}, "transport"),
        ({"priority": -1}, "priority"),
        ({"password": None}, "password"),
        ({"username": "a b"}, "username"),
        ({"name": ""}, "name"),
        ({"inbound": "yes"}, "inbound"),
        ({"tenant": OTHER}, "tenant"),
        ({"register_expires": 59}, "register_expires"),
        ({"register_expires": 86_401}, "register_expires"),
        ({"register_expires": "3600"}, "register_expires"),
        ({"register_expires": 3600, "username": None, "password": None}, "username"),
    ],
)
def test_bad_trunks_are_refused_with_the_field(
    world: ApiWorld, change: dict[str, object], field: str
) -> None:
    answer = world["admin"].post(TRUNKS, json={**TRUNK, **change})
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_platform_trunks_are_the_operators(world: ApiWorld) -> None:
    body = {"name": "shared", "host": "192.0.2.20"}
    assert world["admin"].post("/api/v1/trunks", json=body).status_code == 403
    assert world.anonymous.get("/api/v1/trunks").status_code == 401
    made = world["operator"].post("/api/v1/trunks", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["platform"] is True and made.json()["has_password"] is False
    assert world["admin"].get(TRUNKS).json() == []  # a tenant lists its own only
    assert world["operator"].delete(f"/api/v1/trunks/{made.json()['id']}").status_code == 204
    assert world["operator"].delete(f"/api/v1/trunks/{made.json()['id']}").status_code == 404
