"""Call capacity and the admins' alerts in the running product, SIPp as the carrier and the
phones: a call center's own capacity (set through the admin API) refuses the next call from
outside with 486 and a CALL_OVERFLOWED (trigger capacity) on the tenant's event stream; the
tenant's capacity refuses calls out with 486, each refusal listed by `GET .../alerts` and one
mail (aiosmtpd) to the admin for the lot; the tenant's own toll-fraud limits (calling plan) block
a user's second call abroad (403), listed and mailed too."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from common.redis_keys import event_stream
from tests.e2e.conftest import Inbox
from tests.e2e.test_product import token
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import free_port, free_sip_port, run_sipp
from tests.product_harness import REDIS_URL, ProductThread

TENANT = "demo"

MAIN_NUMBER = "+31201230000"
"""The demo's main number: call center 7001."""


@pytest.fixture
def product(inbox: Inbox, tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "trunk-capacity", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def _until(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    for _ in range(300):
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


def _overflows(product: ProductThread) -> list[dict[str, object]]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        entries: list[tuple[str, dict[str, str]]] = client.xrange(  # type: ignore[assignment]
            event_stream(product.prefix, TENANT)
        )
    finally:
        client.close()
    found = [json.loads(fields["event"]) for _, fields in entries]
    return [e for e in found if e["type"] == "CALL_OVERFLOWED"]


async def test_a_call_centers_capacity_refuses_the_next_call_from_outside(
    product: ProductThread, tmp_path: Path
) -> None:
    bearer = await token(product.base_url, "admin", "pwadmin")
    async with httpx.AsyncClient(
        base_url=f"{product.base_url}/api/v1/tenants/{TENANT}",
        headers={"Authorization": f"Bearer {bearer}"},
    ) as http:
        for bad in (-1, 10_001, "2", 1.5):
            reply = await http.patch("/call-centers/7001", json={"max_external_calls": bad})
            assert reply.status_code == 422, bad
            assert "max_external_calls" in reply.text
        reply = await http.patch("/call-centers/7001", json={"max_external_calls": 1})
        assert reply.status_code == 200, reply.text
        assert reply.json()["settings"]["max_external_calls"] == 1
    runtime = product.handle.runtime
    assert runtime is not None

    def applied() -> bool:
        centers = runtime.config(TENANT).call_centers
        return [c.max_external_calls for c in centers if c.id == "7001"] == [1]

    await _until(applied, "the engine runs the new capacity")
    remote = ("127.0.0.1", product.sip_port)
    first = asyncio.create_task(
        run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=remote,
            variables={"from": "0612345678", "to": MAIN_NUMBER, "media_port": free_port(),
                       "hold_ms": 8000},
        )
    )  # fmt: skip
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        stream = event_stream(product.prefix, TENANT)
        await _until(lambda: "CALL_ADDED" in str(client.xrange(stream)), "the first call waits")
    finally:
        client.close()
    second = await run_sipp(
        "trunk_call_rejected.xml",
        work_dir=tmp_path,
        remote=remote,
        variables={"from": "0612345679", "to": MAIN_NUMBER, "media_port": free_port()},
    )
    assert second.returncode == 0, second.errors
    await _until(lambda: bool(_overflows(product)), "the refusal's event")
    (event,) = _overflows(product)
    assert (event["call_center_id"], event["caller"]) == ("7001", "+31612345679")
    data = event["data"]
    assert isinstance(data, dict)
    assert (data["trigger"], data["action"], data["on_arrival"]) == ("capacity", "busy", True)
    assert (await first).returncode == 0


async def test_calls_over_the_tenants_capacity_alert_the_admin_once(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    base = product.base_url
    admin = {"Authorization": f"Bearer {await token(base, 'admin', 'pwadmin')}"}
    agent = {"Authorization": f"Bearer {await token(base, '1001', 'pw1001')}"}
    alerts = f"/api/v1/tenants/{TENANT}/alerts"
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.put(
            "/api/v1/voicemail/email", headers=admin, json={"address": "beheer@example.nl"}
        )
        assert reply.status_code == 204, reply.text
        reply = await http.put(
            f"/api/v1/tenants/{TENANT}/calling-plan",
            headers=admin,
            json={"denied": ["premium_rate"], "max_external_calls": 0},
        )
        assert reply.status_code == 200, reply.text
        pbx = product.handle.pbx
        assert pbx is not None
        await _until(lambda: pbx.trunks.capacity.get(TENANT) == 0, "the PBX has the limit")
        for dialled in ("0612345678", "0201234567"):
            refused = await run_sipp(
                "ext_call_fails_486.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", product.sip_port),
                variables={"from": "1002", "to": dialled, "media_port": free_port()},
                extra=["-au", "1002", "-ap", "pw1002"],
            )
            assert refused.returncode == 0, refused.errors

        async def listed() -> bool:
            return len((await http.get(alerts, headers=admin)).json()) == 2

        await _until(listed, "both refusals listed")
        found = (await http.get(alerts, headers=admin)).json()
        assert [a["kind"] for a in found] == ["call_capacity", "call_capacity"]
        assert "+31201234567" in found[0]["text"] and "+31612345678" in found[1]["text"]
        assert (await http.get(alerts, headers=agent)).status_code == 403
        assert (await http.get("/api/v1/tenants/other/alerts", headers=admin)).status_code == 403
        assert (await http.get(alerts, headers=admin, params={"limit": 0})).status_code == 422
    await _until(lambda: bool(inbox.mails), "the alert's mail")
    await asyncio.sleep(1.0)  # a second mail (the bug this guards against) would be on its way
    (mail,) = inbox.mails
    assert mail["To"] == "beheer@example.nl" and "capacity" in str(mail["Subject"])
    assert "+31612345678" in str(mail.get_payload())


async def test_the_tenants_toll_fraud_limits_block_and_alert_the_admin(
    product: ProductThread, inbox: Inbox, tmp_path: Path
) -> None:
    base = product.base_url
    admin = {"Authorization": f"Bearer {await token(base, 'admin', 'pwadmin')}"}
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.put(
            "/api/v1/voicemail/email", headers=admin, json={"address": "beheer@example.nl"}
        )
        assert reply.status_code == 204, reply.text
        limits = {"per_user": 1, "per_tenant": 5, "minutes": 60}
        reply = await http.put(
            f"/api/v1/tenants/{TENANT}/calling-plan",
            headers=admin,
            json={"denied": ["premium_rate"], "toll_fraud": limits},
        )
        assert reply.status_code == 200, reply.text
        pbx = product.handle.pbx
        assert pbx is not None
        await _until(
            lambda: pbx.trunks.velocity_of(TENANT).per_user.calls == 1, "the PBX has the limits"
        )
        remote = ("127.0.0.1", product.sip_port)
        async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
            first = await run_sipp(
                "ext_call.xml",
                work_dir=tmp_path,
                remote=remote,
                variables={"from": "1002", "to": "00442071234567", "media_port": free_port(),
                           "hold_ms": 300},
                extra=["-au", "1002", "-ap", "pw1002"],
            )  # fmt: skip
            assert first.returncode == 0, first.errors
            await carrier.finished()
        blocked = await run_sipp(
            "ext_call_fails_403.xml",
            work_dir=tmp_path,
            remote=remote,
            variables={"from": "1002", "to": "00442071234568", "media_port": free_port()},
            extra=["-au", "1002", "-ap", "pw1002"],
        )
        assert blocked.returncode == 0, blocked.errors

        async def listed() -> bool:
            return bool((await http.get(f"/api/v1/tenants/{TENANT}/alerts", headers=admin)).json())

        await _until(listed, "the block listed")
        (alert,) = (await http.get(f"/api/v1/tenants/{TENANT}/alerts", headers=admin)).json()
        assert alert["kind"] == "toll_fraud" and "+442071234568" in alert["text"]
    await _until(lambda: bool(inbox.mails), "the alert's mail")
    (mail,) = inbox.mails
    assert mail["To"] == "beheer@example.nl" and "toll-fraud" in str(mail["Subject"])
