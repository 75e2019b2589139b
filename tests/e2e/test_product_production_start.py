"""A production start (`python -m cti.run`, issue 14 "no demo in production"): the product comes
up with no tenant and no user, tells how to make the first operator, and that operator (made with
the `cti.operators` CLI) builds a company whose phone registers; a restart keeps it all and seeds
nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from cti.run import banner
from tests.e2e.test_product_provisioning import sign_in
from tests.e2e.test_product_tenants import acme_user, eventually, registers
from tests.product_harness import ProductThread

ROOT_PASSWORD = "a-long-operator-secret"


def operators_cli(
    database_url: str, *args: str, password: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cti.operators", "--database-url", database_url, *args],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_production_start_is_empty_until_the_first_operator_builds_a_company(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    product = ProductThread.start(var, "production", demo=False, media=False)
    try:
        base, database_url = product.base_url, product.handle.database_url
        assert product.handle.operators == []
        assert "python -m cti.operators create" in banner(product.settings, product.handle)
        for username, password in (("admin", "pwadmin"), ("operator", "pwoperator"),
                                   ("1001", "pw1001"), ("supervisor", "pwsupervisor")):  # fmt: skip
            assert sign_in(base, username, password).status_code == 401, username

        weak = operators_cli(database_url, "create", "root", "--password-stdin", password="short")
        assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
        made = operators_cli(
            database_url, "create", "root", "--password-stdin", password=ROOT_PASSWORD
        )
        assert made.returncode == 0, made.stderr
        again = operators_cli(
            database_url, "create", "root", "--password-stdin", password=ROOT_PASSWORD
        )
        assert again.returncode == 2 and "exists already" in again.stderr

        answer = sign_in(base, "root", ROOT_PASSWORD)
        assert answer.status_code == 200, answer.text
        bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        with httpx.Client(base_url=base, headers=bearer, timeout=30) as operator:
            listed = operator.get("/api/v1/tenants")
            assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
            tenant = {"id": "acme", "name": "Acme", "sip_domain": "acme.test"}
            assert operator.post("/api/v1/tenants", json=tenant).status_code == 201
            user = operator.post("/api/v1/tenants/acme/users", json=acme_user("1001", ["agent"]))
            assert user.status_code == 201, user.text
        assert await eventually(
            lambda: registers(product.sip_port, "acme.test", "1001", "acme-sip-1001", tmp_path)
        )
    finally:
        product.stop()

    restarted = ProductThread.start(var, "production2", demo=False, media=False)
    try:
        assert restarted.handle.operators == ["root@demo"]
        assert "cti.operators" not in banner(restarted.settings, restarted.handle)
        assert sign_in(restarted.base_url, "acme-1001", "acme-web-1001-long").status_code == 200
        assert sign_in(restarted.base_url, "admin", "pwadmin").status_code == 401  # not seeded
        assert await eventually(
            lambda: registers(restarted.sip_port, "acme.test", "1001", "acme-sip-1001", tmp_path)
        )
    finally:
        restarted.stop()
    operators = operators_cli(database_url, "list")
    assert operators.stdout.split() == ["root@demo"]
