"""The product (`make demo`) makes the demo company through provisioning once: what an admin
changes through the API outlives a restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.product_harness import ProductThread


def sign_in(base: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30
    )


def admin_client(base: str) -> httpx.Client:
    answer = sign_in(base, "admin", "pwadmin")
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_changes_made_through_the_api_outlive_a_restart(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = ProductThread.start(var, "prov-restart")
    try:
        base = first.base_url
        assert sign_in(base, "1001", "pw1001").status_code == 200  # the contract's demo login
        with admin_client(base) as admin:
            users = admin.get("/api/v1/tenants/demo/users", params={"limit": 100}).json()
            assert users["total"] == 12
            changed = admin.patch(
                "/api/v1/tenants/demo/users/1001", json={"password": "new-pw-1001"}
            )
            assert changed.status_code == 200, changed.text
            patched = admin.patch("/api/v1/tenants/demo/call-centers/7002", json={"max_waiters": 9})
            assert patched.status_code == 200, patched.text
    finally:
        first.stop()
    second = ProductThread.start(var, "prov-restart")
    try:
        base = second.base_url
        assert sign_in(base, "1001", "pw1001").status_code == 401
        assert sign_in(base, "1001", "new-pw-1001").status_code == 200
        with admin_client(base) as admin:
            center = admin.get("/api/v1/tenants/demo/call-centers/7002").json()
            assert center["settings"]["max_waiters"] == 9
    finally:
        second.stop()
