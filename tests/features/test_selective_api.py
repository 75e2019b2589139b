"""The selective services API as its users meet it and attack it: the user sets their own
rules, the admin reads and writes them; wrong bodies, other roles, other tenants, other users
are refused by field and change nothing. (The store's test runs on PostgreSQL as well.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.features.test_user_services_api import signed_in
from tests.provisioning.api_world import ApiWorld, start_world
from tests.provisioning.test_provisioning_api import user

SELECTIVE = "/api/v1/tenants/demo/users/sel-ann/services/selective"
MINE = "/api/v1/me/services/selective"
OFFICE = {"timezone": "Europe/Amsterdam", "hours": [{"weekday": 0, "start": "08:00",
                                                     "end": "17:00"}]}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    for made in start_world(tmp_path_factory.mktemp("selective-api")):
        admin = made["admin"]
        assert admin.post("/api/v1/tenants/demo/users", json=user("sel-ann", "3101")).is_success
        assert admin.put("/api/v1/tenants/demo/schedules/office", json=OFFICE).is_success
        yield made


DEFAULTS = {"active": True, "any_private": False, "any_unavailable": False, "holidays": None}


def test_the_user_sets_their_rules_and_the_admin_sees_them(world: ApiWorld) -> None:
    ann = signed_in(world, "sel-ann", "web-sel-ann-secret")
    try:
        rule = {"name": "sales", "numbers": ["1002", "+31201234567"], "schedule": "office"}
        made = ann.put(f"{MINE}/rejection", json={"rules": [rule]})
        assert made.status_code == 200, made.text
        assert made.json() == {
            "kind": "rejection",
            "feature": "SelectiveCallRejection",
            "included": True,
            "rules": [{**rule, **DEFAULTS}],
            "default_number": None,
            "address": None,
        }
        every = world["admin"].get(SELECTIVE).json()
        assert (every["username"], every["extension"]) == ("sel-ann", "3101")
        kinds = {s["kind"]: s for s in every["services"]}
        assert list(kinds) == ["forwarding", "rejection", "acceptance", "notify"]
        assert kinds["rejection"]["rules"][0]["name"] == "sales"
        assert ann.get(f"{MINE}/rejection").json() == made.json()
        # The user's own token reaches no admin route, not even for themselves.
        assert ann.put(f"{SELECTIVE}/rejection", json={"rules": []}).status_code == 403
    finally:
        ann.close()
    forward = {"default_number": "1003", "rules": [{"name": "boss", "numbers": ["1002"]}]}
    assert world["admin"].put(f"{SELECTIVE}/forwarding", json=forward).status_code == 200
    notify = {"address": "ann@example.nl", "rules": [{"name": "all"}]}
    assert world["admin"].put(f"{SELECTIVE}/notify", json=notify).json()["address"] == (
        "ann@example.nl"
    )
    # The other services' settings are untouched by the rules.
    services = world["admin"].get("/api/v1/tenants/demo/users/sel-ann/services").json()
    assert services["forward_always"] is None and "selective" not in services


RULE: dict[str, Any] = {"name": "x", "numbers": ["1002"]}


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("rejection", {"rules": [{**RULE, "numbers": ["1002"] * 13}]}, "numbers"),
        ("rejection", {"rules": [{**RULE, "numbers": ["12ab"]}]}, "rules[0].numbers[0]"),
        ("rejection", {"rules": [{**RULE, "numbers": [1002]}]}, "numbers"),
        ("rejection", {"rules": [{**RULE, "schedule": "nope"}]}, "rules[0].schedule"),
        ("rejection", {"rules": [{**RULE, "holidays": "office"}]}, "rules[0].holidays"),
        ("rejection", {"rules": [{**RULE, "colour": "red"}]}, "colour"),
        ("rejection", {"rules": [RULE], "sneaky": True}, "sneaky"),
        ("rejection", {"rules": [{**RULE, "forward_to": "1003"}]}, "rules[0].forward_to"),
        ("forwarding", {"rules": [{**RULE, "forward_to": "3101"}]}, "rules[0].forward_to"),
        ("forwarding", {"rules": [RULE]}, "rules[0].forward_to"),
        ("forwarding", {"rules": [], "default_number": "3101"}, "default_number"),
        ("notify", {"rules": [RULE], "address": "nobody"}, "address"),
        ("acceptance", [RULE], "body"),
        ("unknown", {"rules": []}, "kind"),
    ],
)
def test_bad_bodies_are_refused_by_field_and_change_nothing(
    world: ApiWorld, kind: str, body: object, field: str
) -> None:
    before = world["admin"].get(SELECTIVE).json()
    answer = world["admin"].put(f"{SELECTIVE}/{kind}", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text, answer.text
    assert world["admin"].get(SELECTIVE).json() == before


def test_who_may_not_gets_no_rules(world: ApiWorld) -> None:
    body = {"rules": [RULE]}
    assert world.anonymous.get(MINE).status_code == 401
    assert world["operator"].get(MINE).status_code == 403
    assert world["agent"].put(f"{SELECTIVE}/rejection", json=body).status_code == 403
    assert world["supervisor"].put(f"{SELECTIVE}/rejection", json=body).status_code == 403
    # Another tenant's admin: not through demo's path, and not through its own either.
    assert world["acme_admin"].get(SELECTIVE).status_code == 403
    assert world["acme_admin"].put(f"{SELECTIVE}/rejection", json=body).status_code == 403
    theirs = "/api/v1/tenants/acme/users/sel-ann/services/selective"
    assert world["acme_admin"].put(f"{theirs}/rejection", json=body).status_code == 404
    assert world["acme_admin"].get(theirs).status_code == 404
    assert (
        world["admin"].get("/api/v1/tenants/demo/users/nobody/services/selective").status_code
        == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"privacy": "yes"},
        {"privacy_permitted": ["12ab"]},
        {"privacy_permitted": ["1"]},
        {"privacy_permitted": ["1002"] * 51},
        {"privacy_permitted": "1002"},
    ],
)
def test_bad_privacy_settings_are_refused_and_change_nothing(world: ApiWorld, body: object) -> None:
    services = "/api/v1/tenants/demo/users/sel-ann/services"
    before = world["admin"].get(services).json()
    answer = world["admin"].patch(services, json=body)
    assert answer.status_code == 422, answer.text
    assert "privacy" in answer.text
    assert world["admin"].get(services).json() == before


def test_privacy_is_set_by_the_user_and_read_by_the_admin(world: ApiWorld) -> None:
    ann = signed_in(world, "sel-ann", "web-sel-ann-secret")
    try:
        body = {"privacy": True, "privacy_permitted": ["1002"]}
        assert ann.patch("/api/v1/me/services", json=body).status_code == 200
    finally:
        ann.close()
    seen = world["admin"].get("/api/v1/tenants/demo/users/sel-ann/services").json()
    assert (seen["privacy"], seen["privacy_permitted"]) == (True, ["1002"])
