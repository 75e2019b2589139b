"""The outside world in the whole product (`make demo`'s start-up, the demo's numbers seeded
through provisioning), with SIPp as the carrier at the product's carrier address: an extension
calls a mobile number, click-to-dial reaches a customer, a direct number reaches its user,
premium rate is refused, and the outbound call leaves a call-detail record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reports.db import make_engine
from reports.models import CallDetailRecord
from tests.e2e.test_product import METRICS_TOKEN, token
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import Sipp, agent_phone, free_port, free_sip_port, register, run_sipp
from tests.product_harness import ProductThread

CUSTOMER = "+31201234567"


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "trunks", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def _dial(product: ProductThread, work_dir: Path, extension: str, to: str, scenario: str
                ) -> None:  # fmt: skip
    result = await run_sipp(
        scenario,
        work_dir=work_dir,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": extension, "to": to, "media_port": free_port(), "hold_ms": 300},
        extra=["-au", extension, "-ap", f"pw{extension}"],
    )
    assert result.returncode == 0, result.errors


async def _outbound_records(product: ProductThread) -> list[Any]:
    engine = make_engine(product.handle.database_url)
    try:
        for _ in range(600):  # the ingester (a process of its own) follows the CDR stream
            with engine.connect() as connection:
                table = CallDetailRecord.__table__
                query = select(table).where(table.c.direction == "outbound")
                rows = list(connection.execute(query).mappings())
            if rows:
                return rows
            await asyncio.sleep(0.1)
        return []
    finally:
        engine.dispose()


async def test_an_extension_calls_a_mobile_number_from_its_direct_number(
    product: ProductThread, tmp_path: Path
) -> None:
    async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
        await _dial(product, tmp_path, "1002", "0612345678", "ext_call.xml")
        seen = await carrier.finished()
    assert seen["r-uri"] == f"sip:+31612345678@127.0.0.1:{carrier.port}"
    assert seen["from"].startswith("<sip:+31201230002@")
    assert seen["p-asserted-identity"] == "<sip:+31201230002@127.0.0.1>"
    (record,) = await _outbound_records(product)
    assert (record["caller"], record["called"]) == ("1002", "0612345678")
    assert record["answer_at"] is not None
    # The usage report (seed 3.5.3) counts the call as mobile, under 1002's profile.
    assert (record["category"], record["profile"]) == ("mobile", "kantoor")
    admin = await token(product.base_url, "admin", "pwadmin")
    day = datetime.now(UTC).date()
    period = {"from": f"{day}T00:00:00Z", "to": f"{day + timedelta(days=1)}T00:00:00Z",
              "by": "usage_type,category,profile"}  # fmt: skip
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        usage = await http.get(
            "/api/v1/reports/usage", params=period, headers={"Authorization": f"Bearer {admin}"}
        )
    assert usage.status_code == 200, usage.text
    (row,) = usage.json()
    assert row["dimensions"] == {"usage_type": "voice", "category": "mobile", "profile": "kantoor"}
    assert row["records"] == 1 and row["quantity"] > 0


async def test_premium_rate_is_refused(product: ProductThread, tmp_path: Path) -> None:
    await _dial(product, tmp_path, "1004", "09001234567", "ext_call_fails_403.xml")


async def test_click_to_dial_reaches_the_customer_with_the_agents_number(
    product: ProductThread, tmp_path: Path
) -> None:
    agent = await token(product.base_url, "1001", "pw1001")
    port = free_port()
    registered = await register(product.sip_port, "1001", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    phone = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 200, "talk_ms": 1500},
    ).start()
    try:
        async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
            async with httpx.AsyncClient(base_url=product.base_url) as http:
                reply = await http.post(
                    "/api/v1/calls",
                    json={"extension": "1001", "destination": CUSTOMER},
                    headers={"Authorization": f"Bearer {agent}"},
                )
            assert reply.status_code == 202, reply.text
            seen = await carrier.finished()
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    assert seen["r-uri"].startswith(f"sip:{CUSTOMER}@")
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"


async def test_a_direct_number_from_the_carrier_rings_its_user(
    product: ProductThread, tmp_path: Path
) -> None:
    phone = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "0612345678", "to": "+31201230003", "media_port": free_port(),
                       "hold_ms": 500},
        )  # fmt: skip
        assert caller.returncode == 0, caller.errors
        assert (await phone.wait()).returncode == 0, "1003's phone rang, answered, got the BYE"
        nobody = await run_sipp(
            "trunk_call_fails_404.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CUSTOMER, "to": "+31201230050", "media_port": free_port()},
        )
        assert nobody.returncode == 0, nobody.errors
    finally:
        phone.kill()


async def test_an_admins_calling_plan_applies_at_once(
    product: ProductThread, tmp_path: Path
) -> None:
    admin = await token(product.base_url, "admin", "pwadmin")
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        # 1005 is an agent: its username is its extension.
        answer = await http.put(
            "/api/v1/tenants/demo/users/1005/calling-plan",
            json={"denied": ["mobile", "premium_rate"], "hide_number": True},
            headers={"Authorization": f"Bearer {admin}"},
        )
    assert answer.status_code == 200, answer.text
    assert product.handle.pbx is not None
    pbx = product.handle.pbx
    for _ in range(600):  # the PBX's routing is rebuilt off the request, a moment later
        if ("demo", "1005") in pbx.trunks.hidden:
            break
        await asyncio.sleep(0.05)
    await _dial(product, tmp_path, "1005", "0612345678", "ext_call_fails_403.xml")
    async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
        await _dial(product, tmp_path, "1005", "0201234567", "ext_call.xml")
        seen = await carrier.finished()
    assert seen["from"].startswith("Anonymous <sip:anonymous@")
    assert (seen["privacy"], seen["p-asserted-identity"]) == (
        "id",
        "<sip:+31201230005@127.0.0.1>",
    )


async def test_a_trunk_that_registers_shows_its_state_to_the_operator_and_on_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator adds a platform trunk that registers (issue 15.1); the product registers
    it with digest at once and shows it registered in the API and on /metrics."""
    monkeypatch.setenv("OPENCC_METRICS_TOKEN", METRICS_TOKEN)
    product = ProductThread.start(tmp_path / "var", "trunkreg")
    log = tmp_path / "registrar.log"
    registrar = Sipp(
        "carrier_registrar.xml",
        work_dir=tmp_path,
        variables={"expires": 3600},
        extra=["-trace_logs", "-log_file", str(log)],
    )
    await registrar.start()
    try:
        operator = await token(product.base_url, "operator", "pwoperator")
        bearer = {"Authorization": f"Bearer {operator}"}
        trunk = {"name": "Registering carrier", "host": "127.0.0.1",
                 "port": registrar.local_port, "priority": 1, "username": "acct",
                 "password": "secret", "register_expires": 3600}  # fmt: skip
        async with httpx.AsyncClient(base_url=product.base_url, headers=bearer) as http:
            made = await http.post("/api/v1/trunks", json=trunk)
            assert made.status_code == 201, made.text
            assert made.json()["register_expires"] == 3600
            for _ in range(400):
                states = (await http.get("/api/v1/trunks/registrations")).json()
                if states and states[0]["state"] == "registered":
                    break
                await asyncio.sleep(0.05)
            assert states[0]["trunk_id"] == made.json()["id"], states
            assert states[0]["state"] == "registered" and states[0]["failures"] == 0
            assert 3500 < states[0]["registered_for_seconds"] <= 3600
            metrics = await http.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
        labels = f'host="127.0.0.1:{registrar.local_port}",trunk="{made.json()["id"]}"'
        assert f"opencc_carrier_registered{{{labels}}} 1.0" in metrics.text
    finally:
        registrar.kill()
        product.stop()
    assert "digest: true" in log.read_text()


async def test_an_admins_tcp_trunk_takes_the_tenants_calls_over_tcp(
    product: ProductThread, tmp_path: Path
) -> None:
    """Issue 15: a trunk's transport in provisioning; the carrier (SIPp over TCP) challenges."""
    admin = await token(product.base_url, "admin", "pwadmin")
    port = free_sip_port()
    trunk = {"name": "TCP carrier", "host": "127.0.0.1", "port": port, "transport": "tcp",
             "priority": 1, "username": "acct", "password": "secret"}  # fmt: skip
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        made = await http.post(
            "/api/v1/tenants/demo/trunks", json=trunk,
            headers={"Authorization": f"Bearer {admin}"},
        )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["transport"] == "tcp"
    assert product.handle.pbx is not None
    pbx = product.handle.pbx
    for _ in range(600):  # the PBX's routing is rebuilt off the request, a moment later
        if any(c.port == port for c in pbx.trunks.tenant_carriers.get("demo", ())):
            break
        await asyncio.sleep(0.05)
    async with Carrier(port, tmp_path, "carrier_digest.xml", transport=["-t", "t1"]) as carrier:
        await _dial(product, tmp_path, "1002", "0201234567", "ext_call.xml")
        seen = await carrier.finished()
    assert seen["digest"] == "true"
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{port};transport=tcp"
