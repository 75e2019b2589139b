"""Hoteling (Flexplek) in the running product, through the API and real SIPp phones: the admin
makes 1010 a host, 1001 sets its phone PIN and signs in on it with `*451001` and the PIN as
DTMF; the admin sees who sits where; a call to 1001 rings the host phone; 1002 is refused
("host in use", spoken); the admin signs 1001 out. Another tenant's admin sees and changes
nothing, and a Vergaderzaal user cannot be made a host. docs/hoteling.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core.features import hoteling_phrases
from tests.e2e.test_product import token
from tests.e2e.test_product_phone_features import bearer, call, was_spoken
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone
from tests.pbx_core.test_bridge_rooms import _prompted
from tests.pbx_core.test_three_way_call import _key
from tests.product_harness import ProductThread

HOTELING = "/api/v1/tenants/demo/hoteling"
HOST = "1010"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("hoteling") / "var", "hoteling")
    yield running
    running.stop()


async def _sign_in(
    product: ProductThread,
    tmp_path: Path,
    guest: str,
    pin: str,
    host: tuple[str, str, str] = (HOST, f"pw{HOST}", ""),
) -> None:
    """The host phone (extension, SIP password, its tenant's SIP domain or "" for the demo's)
    dials `*45<guest>`, keys the PIN and `#` after the prompt; the PBX hangs up."""
    extension, password, domain = host
    phone = RtpPhone(None).start()
    variables: dict[str, Any] = {"from": extension, "to": f"*45{guest}", "media_port": phone.port}
    if domain:
        variables |= {"from_domain": domain, "to_domain": domain}
    try:
        sipp = await Sipp(
            "tenant_call_remote_bye.xml" if domain else "ext_call_remote_bye.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables=variables,
            extra=["-au", extension, "-ap", password],
        ).start()
        await _prompted(phone)
        await _key(phone, pin + "#")
        result = await sipp.wait()
        assert result.returncode == 0, result.errors
    finally:
        await phone.close()


async def _hosts(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    reply = await http.get(HOTELING, headers=headers)
    assert reply.status_code == 200, reply.text
    hosts: list[dict[str, Any]] = reply.json()["hosts"]
    return hosts


async def test_a_guest_signs_in_on_a_host_and_the_admin_sees_it(
    product: ProductThread, tmp_path: Path
) -> None:
    admin = await bearer(product, "admin")
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        made = await http.put(f"{HOTELING}/{HOST}", json={"max_minutes": 60}, headers=admin)
        assert made.status_code == 200, made.text
        assert made.json()["guest"] is None
        for user, pin in (("1001", "4321"), ("1002", "5555")):
            reply = await http.put(
                "/api/v1/voicemail/pin", json={"pin": pin}, headers=await bearer(product, user)
            )
            assert reply.status_code == 204, reply.text

        await _sign_in(product, tmp_path, "1001", "4321")
        [host] = await _hosts(http, admin)
        assert (host["extension"], host["guest"]) == (HOST, "1001")
        assert host["expires_at"] is not None

        # A call to 1001 rings the host phone, which answers
        host_phone = await agent_phone(product.sip_port, HOST, "agent_answer.xml", tmp_path)
        await call(product, tmp_path, "1003", "1001")
        answered = await host_phone.wait()
        assert answered.returncode == 0, answered.errors

        # Another guest is refused, and told so
        await _sign_in(product, tmp_path, "1002", "5555")
        assert [h["guest"] for h in await _hosts(http, admin)] == ["1001"]
        assert was_spoken(product, hoteling_phrases.host_in_use("nl"))

        signed_out = await http.post(f"{HOTELING}/{HOST}/sign-out", headers=admin)
        assert signed_out.status_code == 200, signed_out.text
        assert signed_out.json()["guest"] is None


async def another_tenant(
    product: ProductThread, http: httpx.AsyncClient, tenant: str
) -> tuple[dict[str, str], dict[str, str]]:
    """A second tenant `tenant` (SIP domain `<tenant>.test`) with its admin `<tenant>-admin`,
    extension 2001: the operator's and that admin's headers."""
    operator = {
        "Authorization": f"Bearer {await token(product.base_url, 'operator', 'pwoperator')}"
    }
    made = await http.post("/api/v1/tenants", headers=operator, json={
        "id": tenant, "name": f"{tenant.title()} B.V.", "sip_domain": f"{tenant}.test",
        "contract_profiles": 5})  # fmt: skip
    assert made.status_code == 201, made.text
    user = await http.post(f"/api/v1/tenants/{tenant}/users", headers=operator, json={
        "username": f"{tenant}-admin", "name": f"{tenant.title()} Admin", "extension": "2001",
        "password": f"{tenant}-secret-1", "sip_password": "sip-secret-1", "profile": "kantoor",
        "roles": ["admin"]})  # fmt: skip
    assert user.status_code == 201, user.text
    admin_token = await token(product.base_url, f"{tenant}-admin", f"{tenant}-secret-1")
    return operator, {"Authorization": f"Bearer {admin_token}"}


async def test_nothing_across_tenants_and_the_profile_counts(
    product: ProductThread, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        operator, beta = await another_tenant(product, http, "beta")
        phone = await http.post("/api/v1/tenants/beta/users", headers=operator, json={
            "username": "beta-desk", "name": "Beta Desk", "extension": "2010",
            "password": "beta-secret-2", "sip_password": "sip-secret-2010",
            "profile": "kantoor"})  # fmt: skip
        assert phone.status_code == 201, phone.text
        assert (await http.get(HOTELING, headers=beta)).status_code == 403
        refused = await http.put(f"{HOTELING}/{HOST}", json={"max_minutes": 60}, headers=beta)
        assert refused.status_code == 403
        # beta's own list knows nothing of demo's host
        own = await http.get("/api/v1/tenants/beta/hoteling", headers=beta)
        assert own.status_code == 200 and own.json() == {"hosts": []}
        made_host = await http.put(
            "/api/v1/tenants/beta/hoteling/2010", json={"max_minutes": 60}, headers=beta
        )
        assert made_host.status_code == 200, made_host.text
        # demo's 1001, with its own PIN, is no guest on beta's host
        pin = await http.put(
            "/api/v1/voicemail/pin", json={"pin": "4321"}, headers=await bearer(product, "1001")
        )
        assert pin.status_code == 204, pin.text
        await _sign_in(product, tmp_path, "1001", "4321", ("2010", "sip-secret-2010", "beta.test"))
        assert was_spoken(product, hoteling_phrases.not_a_guest("1001", "nl"))
        beta_hosts = (await http.get("/api/v1/tenants/beta/hoteling", headers=beta)).json()
        assert [(h["extension"], h["guest"]) for h in beta_hosts["hosts"]] == [("2010", None)]
        # Vergaderzaal (1020) has no HotelingHost
        admin = await bearer(product, "admin")
        meeting = await http.put(f"{HOTELING}/1020", json={"max_minutes": 60}, headers=admin)
        assert meeting.status_code == 422, meeting.text
        assert meeting.json()["detail"]["field"] == "extension"
