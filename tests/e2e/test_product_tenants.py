"""Two tenants in the running product (contract.md, "Provisioning"): the operator creates acme
(SIP domain acme.test) through the API with the demo's extensions 1001/1002 and call center
7001; acme's phones register at once in their own realm, the demo's keep working at 127.0.0.1,
and each 7001 takes only its own tenant's calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_product import CALLER, METRICS_TOKEN, graphql, token
from tests.e2e.test_product_provisioning import sign_in
from tests.pbx_core.support import free_port, run_sipp
from tests.product_harness import ProductThread

ACME_DOMAIN = "acme.test"
ATTACKER = "127.0.0.2"
DEMO_DOMAIN = "127.0.0.1"
WAITING = "query { callCenters { id waitingCalls { caller } } }"


def operator_client(base: str) -> httpx.Client:
    answer = sign_in(base, "operator", "pwoperator")
    assert answer.status_code == 200, answer.text
    bearer = answer.json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)


def acme_user(extension: str, roles: list[str]) -> dict[str, Any]:
    return {
        "username": f"acme-{extension}",
        "name": f"Acme {extension}",
        "extension": extension,
        "password": f"acme-web-{extension}-long",
        "sip_password": f"acme-sip-{extension}",
        "profile": "kantoor",
        "roles": roles,
        "licences": {"supervisor": "supervisor" in roles, "call_center": "basic"},
    }


async def registers(sip_port: int, domain: str, extension: str, secret: str, work: Path) -> bool:
    """One SIPp REGISTER of extension@domain with digest auth; True when the PBX answered 200."""
    result = await run_sipp(
        "tenant_register.xml",
        work_dir=work,
        remote=("127.0.0.1", sip_port),
        variables={"contact_port": free_port(), "domain": domain},
        extra=["-s", extension, "-au", extension, "-ap", secret],
    )
    return result.returncode == 0


async def eventually(check: Callable[[], Awaitable[bool]], attempts: int = 40) -> bool:
    for _ in range(attempts):
        if await check():
            return True
        await asyncio.sleep(0.25)
    return False


def trunk_call(product: ProductThread, work: Path, domain: str) -> asyncio.Task[Any]:
    """A carrier's call to 7001 of the tenant whose domain the Request-URI names."""
    return asyncio.create_task(
        run_sipp(
            "tenant_trunk_call.xml",
            work_dir=work,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": "7001", "media_port": free_port(), "hold_ms": 6000}
            | {"from_domain": "carrier.test", "to_domain": domain},
        )
    )


async def waiting_callers(base: str, bearer: str) -> list[str]:
    answer = await graphql(base, bearer, WAITING)
    centers = {c["id"]: c["waitingCalls"] for c in answer["data"]["callCenters"]}
    return [w["caller"] for w in centers.get("7001", [])]


async def test_a_second_tenant_with_the_same_numbers_works_beside_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCC_METRICS_TOKEN", METRICS_TOKEN)
    product = ProductThread.start(tmp_path / "var", "tenants")
    try:
        base, sip, work = product.base_url, product.sip_port, tmp_path
        with operator_client(base) as operator:
            made = operator.post(
                "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": ACME_DOMAIN}
            )
            assert made.status_code == 201, made.text
            for extension, roles in (("1001", ["agent"]), ("1002", ["agent", "supervisor"])):
                user = operator.post("/api/v1/tenants/acme/users", json=acme_user(extension, roles))
                assert user.status_code == 201, user.text
            center = operator.post(
                "/api/v1/tenants/acme/call-centers",
                json={"number": "7001", "name": "Acme sales", "tier": "basic", "agents": ["1002"]},
            )
            assert center.status_code == 201, center.text

        # acme's phones register at once, in acme.test; the demo's keep working at 127.0.0.1.
        assert await eventually(lambda: registers(sip, ACME_DOMAIN, "1001", "acme-sip-1001", work))
        assert await registers(sip, DEMO_DOMAIN, "1001", "pw1001", work)
        # One tenant's password is no good in the other's realm, in either direction.
        assert not await registers(sip, ACME_DOMAIN, "1001", "pw1001", work)
        assert not await registers(sip, DEMO_DOMAIN, "1001", "acme-sip-1001", work)

        demo_supervisor = await token(base, "supervisor", "pwsupervisor")
        acme_supervisor = await token(base, "acme-1002", "acme-web-1002-long")
        call = trunk_call(product, work, ACME_DOMAIN)
        try:

            async def waits_at_acme() -> bool:
                return await waiting_callers(base, acme_supervisor) == [CALLER]

            assert await eventually(waits_at_acme)
            assert await waiting_callers(base, demo_supervisor) == []
        finally:
            result = await call
        assert result.returncode == 0, result.errors

        # Guessing acme's passwords from another address: banned after 10 failures (503 with
        # Retry-After even for the right password), seen on /metrics; acme's phone is not.
        guesses = await run_sipp(
            "tenant_register_refused.xml",
            work_dir=work,
            remote=("127.0.0.1", sip),
            variables={"contact_port": free_port(), "domain": ACME_DOMAIN},
            extra=["-i", ATTACKER, "-s", "1001", "-au", "1001", "-ap", "guess"],
            calls=10,
        )
        assert guesses.returncode == 0, guesses.errors
        banned = await run_sipp(
            "register_banned.xml",
            work_dir=work,
            remote=("127.0.0.1", sip),
            variables={"contact_port": free_port()},
            extra=["-i", ATTACKER, "-s", "1001", "-au", "1001", "-ap", "acme-sip-1001"],
        )
        assert banned.returncode == 0, banned.errors
        assert await registers(sip, ACME_DOMAIN, "1001", "acme-sip-1001", work)
        async with httpx.AsyncClient(base_url=base) as http:
            scraped = await http.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
        assert "opencc_sip_auth_bans_total 1.0" in scraped.text
        assert "opencc_sip_banned_addresses 1.0" in scraped.text
    finally:
        product.stop()


async def test_a_tenant_made_through_the_api_serves_its_phones_after_a_restart(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    first = ProductThread.start(var, "tenants-restart")
    try:
        with operator_client(first.base_url) as operator:
            made = operator.post(
                "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": ACME_DOMAIN}
            )
            assert made.status_code == 201, made.text
            user = operator.post("/api/v1/tenants/acme/users", json=acme_user("1001", ["agent"]))
            assert user.status_code == 201, user.text
    finally:
        first.stop()
    second = ProductThread.start(var, "tenants-restart")
    try:  # read at start-up: no change needed to let acme's phone in
        assert await registers(second.sip_port, ACME_DOMAIN, "1001", "acme-sip-1001", tmp_path)
        assert await registers(second.sip_port, DEMO_DOMAIN, "1001", "pw1001", tmp_path)
    finally:
        second.stop()
