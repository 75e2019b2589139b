"""The services API attacked: other roles, other tenants, other users, malformed bodies. A
refusal changes nothing and names the field."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.provisioning.api_world import ApiWorld, start_world
from tests.provisioning.test_provisioning_api import user

SERVICES = "/api/v1/tenants/demo/users/svc-ann/services"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    for made in start_world(tmp_path_factory.mktemp("services-api")):
        created = made["admin"].post("/api/v1/tenants/demo/users", json=user("svc-ann", "3001"))
        assert created.status_code == 201, created.text
        yield made


def signed_in(world: ApiWorld, username: str, password: str) -> httpx.Client:
    client = world.anonymous
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def test_the_user_changes_their_own_services_and_the_admin_sees_them(world: ApiWorld) -> None:
    ann = signed_in(world, "svc-ann", "web-svc-ann-secret")
    try:
        changed = ann.patch("/api/v1/me/services", json={"forward_busy": "1002"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["included"] == [
            "forward_always",
            "forward_busy",
            "forward_no_answer",
            "forward_not_reachable",
            "do_not_disturb",
            "call_waiting",
            "privacy",
        ]
        assert world["admin"].get(SERVICES).json()["forward_busy"] == "1002"
        off = ann.patch("/api/v1/me/services", json={"call_waiting": False})
        assert off.json()["call_waiting"] is False, off.text
        assert ann.patch("/api/v1/me/services", json={"call_waiting": "no"}).status_code == 422
        assert ann.patch("/api/v1/me/services", json={"forward_busy": None}).is_success
        # The user's own token reaches no admin route, not even for themselves.
        assert ann.patch(SERVICES, json={"do_not_disturb": True}).status_code == 403
    finally:
        ann.close()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"forward_always": "3001"}, 422),  # to oneself
        ({"forward_always": "12ab"}, 422),
        ({"forward_always": 1002}, 422),
        ({"forward_always": "1" * 17}, 422),
        ({"do_not_disturb": "true"}, 422),
        ({"no_answer_seconds": 1}, 422),
        ({"no_answer_seconds": 10**30}, 422),
        ({"call_waiting": "yes"}, 422),
        ({"anonymous_rejection": True}, 422),  # no such setting
        ([1, 2], 422),
        ("x" * 100_000, 422),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(
    world: ApiWorld, body: object, status: int
) -> None:
    before = world["admin"].get(SERVICES).json()
    answer = world["admin"].patch(SERVICES, json=body)
    assert answer.status_code == status, answer.text
    assert world["admin"].get(SERVICES).json() == before


def test_who_may_not_gets_no_services(world: ApiWorld) -> None:
    assert world.anonymous.get("/api/v1/me/services").status_code == 401
    assert world["operator"].get("/api/v1/me/services").status_code == 403
    assert world["agent"].patch(SERVICES, json={"do_not_disturb": True}).status_code == 403
    assert world["supervisor"].patch(SERVICES, json={"do_not_disturb": True}).status_code == 403
    assert world["acme_admin"].get(SERVICES).status_code == 403
    assert world["admin"].get("/api/v1/tenants/demo/users/nobody/services").status_code == 404
    assert world["admin"].get(SERVICES).json()["do_not_disturb"] is False
