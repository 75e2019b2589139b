"""CRM connections in the running product: an admin adds an Exact Online connection over the
provisioning API; the product registers it, its own rq worker syncs it (again and again: the
rotated refresh token is stored), the screen pop finds the synced customer, the admin sees the
health and the last error, never a secret; and hostile bodies or callers are refused."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from crm_connectors.sealing import KEY_ENV
from tests.crm_connectors.crm_testkit import serve
from tests.crm_connectors.fake_vendors import FakeExact
from tests.e2e.test_product_provisioning import sign_in
from tests.product_harness import ProductThread

# rq's keys carry no prefix: this module's worker gets a Redis database no other test uses.
REDIS_URL = "redis://127.0.0.1:6379/14"
CONNECTIONS = "/api/v1/tenants/demo/crm-connections"


@pytest.fixture(scope="module")
def exact() -> Iterator[FakeExact]:
    fake = FakeExact(page_size=2)
    fake.accounts = [
        {"ID": "acc-7", "Code": "7", "Name": "Zeilmakerij Ten Hove", "Phone": "030-7654321",
         "Modified": "2026-11-01T00:00:00"},
        {"ID": "acc-8", "Code": "8", "Name": "Garage Vos", "Phone": "+31 10 2223344",
         "Modified": "2026-11-01T00:00:00"},
        {"ID": "acc-9", "Code": "9", "Name": "Zonder Nummer", "Phone": None,
         "Modified": "2026-11-01T00:00:00"},
    ]  # fmt: skip
    with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(KEY_ENV, Fernet.generate_key().decode())
        env.setenv("OPENCC_CRM_HTTP_HOSTS", "127.0.0.1")  # the fake vendors' plain-http host
        running = ProductThread.start(
            tmp_path_factory.mktemp("crm") / "var", "crm", rq_worker=True, redis_url=REDIS_URL
        )
        try:
            yield running
        finally:
            running.stop()
            client = redis.Redis.from_url(REDIS_URL)
            for pattern in ("rq:*", "crm:*"):
                for key in client.scan_iter(match=pattern):
                    client.delete(key)
            client.close()


def client_of(base: str, username: str, password: str | None = None) -> httpx.Client:
    answer = sign_in(base, username, password or f"pw{username}")
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=bearer, timeout=30)


def eventually(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not seen in time: {what}")


def exact_body(fake: FakeExact, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "exact_online",
        "division": fake.division,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
        "base_url": fake.base_url,
        **changes,
    }


def test_an_added_connection_syncs_pops_and_keeps_its_rotated_token(
    product: ProductThread, exact: FakeExact
) -> None:
    base = product.base_url
    with client_of(base, "admin") as admin, client_of(base, "1001") as agent:
        assert (
            agent.get("/api/v1/screen-pop", params={"number": "0307654321"}).json()["records"] == []
        )
        made = admin.put(f"{CONNECTIONS}/exact", json=exact_body(exact))
        assert made.status_code == 201, made.text
        shown = made.json()
        assert shown["secrets_set"] == ["client_secret", "refresh_token"]
        assert exact.client_secret not in made.text and "refresh-0" not in made.text

        def health() -> dict[str, Any]:
            answer: dict[str, Any] = admin.get(f"{CONNECTIONS}/exact").json()
            return answer

        synced = eventually(lambda: (h := health())["health"] == "ok" and h, "first sync")
        assert synced["records"] == 2 and synced["last_error"] is None  # both with a phone
        # Exact spent refresh-0 and handed out refresh-1: the product stored it.
        assert exact.refreshes == 1 and exact.refresh_token == "refresh-1"

        popped = agent.get("/api/v1/screen-pop", params={"number": "030 765 4321"}).json()
        assert [(r["crm"], r["record_id"], r["name"]) for r in popped["records"]] == [
            ("exact", "acc-7", "Zeilmakerij Ten Hove")
        ]

        # A second sync in a fresh worker process works only with the stored, rotated token.
        first_check = synced["last_checked_at"]
        assert admin.post(f"{CONNECTIONS}/exact/sync").status_code == 202
        again = eventually(
            lambda: (h := health())["last_checked_at"] != first_check and h, "second sync"
        )
        assert again["health"] == "ok", again["last_error"]
        assert exact.refreshes == 2

        # The vendor fails: the admin sees it, with the reason.
        exact.behaviour.fail_next = 1000
        try:
            assert admin.post(f"{CONNECTIONS}/exact/sync").status_code == 202
            failed = eventually(lambda: (h := health())["health"] == "error" and h, "error")
        finally:
            exact.behaviour.fail_next = 0
        assert "unavailable" in failed["last_error"]
        assert exact.client_secret not in str(failed)

        # Changing a setting keeps the secrets (never shown, so not typed again).
        changed = admin.put(f"{CONNECTIONS}/exact", json={"kind": "exact_online",
                            "division": exact.division, "client_id": exact.client_id,
                            "base_url": exact.base_url})  # fmt: skip
        assert changed.status_code == 200, changed.text
        assert changed.json()["secrets_set"] == ["client_secret", "refresh_token"]
        eventually(lambda: health()["health"] == "ok", "sync after the change")

        listed = admin.get(CONNECTIONS).json()
        assert [c["name"] for c in listed] == ["exact"]
        assert admin.delete(f"{CONNECTIONS}/exact").status_code == 204
        assert admin.get(f"{CONNECTIONS}/exact").status_code == 404
        gone = agent.get("/api/v1/screen-pop", params={"number": "0307654321"}).json()
        assert gone["records"] == []


def test_hostile_bodies_and_callers_are_refused(product: ProductThread, exact: FakeExact) -> None:
    base = product.base_url
    with client_of(base, "admin") as admin:
        for name, body in (
            ("x", {"kind": "mainframe"}),
            ("x", exact_body(exact, division="123456; DROP TABLE x")),
            ("x", exact_body(exact, surprise=True)),
            ("x", exact_body(exact, base_url="http://10.0.0.8")),
            ("x", exact_body(exact, base_url="https://169.254.169.254/latest")),
            ("x", exact_body(exact, base_url="https://localhost:6379")),
            ("x", exact_body(exact, base_url="https://127.1:6379")),
            # A name, not an address, that the resolver maps to this machine (/etc/hosts).
            ("x", exact_body(exact, base_url=f"https://{socket.gethostname()}:6379")),
            ("x", exact_body(exact, base_url="file:///etc/passwd")),
            ("x", {"kind": "sql", "url": "sqlite:////etc/passwd", "list_query": "SELECT 1",
                   "mapping": {"id": "id", "name": "name"}}),
            ("x", {"kind": "rest", "lookup_url": "https://crm.example/{number}",
                   "mapping": {"id": ["id"], "name": "name"}}),
        ):  # fmt: skip
            answer = admin.put(f"{CONNECTIONS}/{name}", json=body)
            assert answer.status_code == 422, (body, answer.text)
        assert admin.put(f"{CONNECTIONS}/Bad%20Name", json=exact_body(exact)).status_code == 422
        assert admin.put(f"{CONNECTIONS}/x", content=b"[1,2]").status_code == 422
        other = admin.put("/api/v1/tenants/other/crm-connections/x", json=exact_body(exact))
        assert other.status_code == 403
        assert admin.get(CONNECTIONS).json() == []
    for username in ("1001", "supervisor"):
        with client_of(base, username) as someone:
            assert someone.get(CONNECTIONS).status_code == 403
            assert someone.put(f"{CONNECTIONS}/x", json=exact_body(exact)).status_code == 403
