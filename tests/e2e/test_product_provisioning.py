"""The product (`make demo`) makes the demo company through provisioning once: what an admin
changes through the API outlives a restart, and a user added through it registers its phone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tests.e2e.test_product import CALLER, graphql, product, token, trunk_call
from tests.pbx_core.support import free_port, register, run_sipp
from tests.product_harness import ProductThread

__all__ = ["product"]  # the module-scoped running product (tests/e2e/test_product.py)


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
            assert users["total"] == 13
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


async def _registers(sip_port: int, extension: str, password: str, work_dir: Path) -> bool:
    """One SIPp REGISTER with digest auth; True when the PBX answered 200."""
    result = await run_sipp(
        "register.xml",
        work_dir=work_dir,
        remote=("127.0.0.1", sip_port),
        variables={"contact_port": free_port()},
        extra=["-s", extension, "-au", extension, "-ap", password],
    )
    return result.returncode == 0


async def _eventually(check: Callable[[], Awaitable[bool]], attempts: int = 40) -> bool:
    """A provisioning change reaches the PBX after its commit, on the product's loop."""
    for _ in range(attempts):
        if await check():
            return True
        await asyncio.sleep(0.25)
    return False


async def test_a_user_added_through_the_api_registers_its_phone_at_once(tmp_path: Path) -> None:
    product = ProductThread.start(tmp_path / "var", "prov-sip")
    try:
        sip, work = product.sip_port, tmp_path
        assert await _registers(sip, "1001", "pw1001", work)  # the demo's phones, from the HA1
        assert not await _registers(sip, "1011", "sip-1011-secret", work)  # nobody yet
        with admin_client(product.base_url) as admin:
            made = admin.post(
                "/api/v1/tenants/demo/users",
                json={
                    "username": "1011",
                    "name": "Nieuwe Collega",
                    "extension": "1011",
                    "password": "web-pw-1011-long",
                    "sip_password": "sip-1011-secret",
                    "profile": "kantoor",
                    "roles": ["agent"],
                },
            )
            assert made.status_code == 201, made.text
            assert await _eventually(lambda: _registers(sip, "1011", "sip-1011-secret", work))
            refused = await register(sip, "1011", free_port(), work, password="wrong-secret")
            assert refused.returncode == 0, refused.errors  # 403 for a wrong password
            gone = admin.delete("/api/v1/tenants/demo/users/1011", params={"confirm_buyout": True})
            assert gone.status_code in (200, 204), gone.text

            async def refused_now() -> bool:
                return not await _registers(sip, "1011", "sip-1011-secret", work)

            assert await _eventually(refused_now)
    finally:
        product.stop()


WAITING = "query { callCenters { id waitingCalls { caller } } }"


async def test_a_call_center_created_while_running_takes_calls_at_once(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    with admin_client(base) as admin:
        made = admin.post(
            "/api/v1/tenants/demo/call-centers",
            json={"number": "7004", "name": "Support", "tier": "basic", "agents": ["1002"]},
        )
        assert made.status_code == 201, made.text
    supervisor = await token(base, "supervisor", "pwsupervisor")
    call = trunk_call(product, tmp_path, "7004", hold_ms=6000)
    try:

        async def waiting_in_7004() -> bool:
            answer = await graphql(
                base, supervisor, "query { callCenters { id waitingCalls { caller } } }"
            )
            centers = {c["id"]: c["waitingCalls"] for c in answer["data"]["callCenters"]}
            return any(w["caller"] == CALLER for w in centers.get("7004", []))

        assert await _eventually(waiting_in_7004)
    finally:
        result = await call
    assert result.returncode == 0, result.errors
