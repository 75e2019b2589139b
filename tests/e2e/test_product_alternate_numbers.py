"""Alternate numbers in the running product: an admin gives 1003 an extension-shaped alternate
and a direct number of the demo block; a colleague's call to the first and a carrier's call to
the second ring 1003's phone, each with its own distinctive ring (Alert-Info); bad lists are
refused with 422 naming the number's place and change nothing; each change is audited.
docs/phone-features.md, "Alternate numbers"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core.features.alternates import alternate_info_of
from tests.e2e.test_product_call_handling import finished, phone_call
from tests.e2e.test_product_phone_features import bearer
from tests.pbx_core.support import Sipp, free_port, register, run_sipp
from tests.product_harness import ProductThread

ALTERNATES = "/api/v1/tenants/{}/users/{}/alternate-numbers"
SPARE_DIRECT = "+31201230050"
"""In the demo's block, routed nowhere (docs/trunks.md)."""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("alternates") / "var", "alternates")
    yield running
    running.stop()


async def put(
    product: ProductThread, username: str, numbers: Any, tenant: str = "demo", by: str = "admin"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.put(
            ALTERNATES.format(tenant, username),
            json={"numbers": numbers},
            headers=await bearer(product, by),
        )


async def listed(product: ProductThread, username: str) -> list[str]:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        reply = await http.get(
            ALTERNATES.format("demo", username), headers=await bearer(product, "admin")
        )
    assert reply.status_code == 200, reply.text
    return [entry["number"] for entry in reply.json()["numbers"]]


async def rings_with(product: ProductThread, tmp_path: Path, place: Any) -> str:
    """1003's phone answers one call; the Alert-Info it was rung with. `place` places the call."""
    port = free_port()
    registered = await register(product.sip_port, "1003", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    phone = Sipp(
        "alternate_answer_logs_ring.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 200},
        extra=["-trace_logs"],
    )
    await phone.start()
    try:
        await place()
        await finished(phone)
    finally:
        phone.kill()
    logs = list(tmp_path.glob("alternate_answer_logs_ring_*_logs.log"))
    assert logs
    words = logs[0].read_text().split()
    return words[words.index("ring") + 1]


async def test_each_alternate_rings_the_user_with_its_own_ring(
    product: ProductThread, tmp_path: Path
) -> None:
    made = await put(product, "1003", ["1093", SPARE_DIRECT])
    assert made.status_code == 200, made.text
    assert [e["alert_info"] for e in made.json()["numbers"]] == [
        alternate_info_of(1), alternate_info_of(2)
    ]  # fmt: skip
    assert alternate_info_of(1) != alternate_info_of(2)

    async def colleague_calls() -> None:
        await finished(await phone_call(product, tmp_path, "1005", "1093", "ext_call.xml").start())

    internal = tmp_path / "internal"
    internal.mkdir()
    assert await rings_with(product, internal, colleague_calls) in alternate_info_of(1)

    async def carrier_calls() -> None:
        result = await run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "0612345678", "to": SPARE_DIRECT, "media_port": free_port(),
                       "hold_ms": 500},
        )  # fmt: skip
        assert result.returncode == 0, result.errors

    outside = tmp_path / "outside"
    outside.mkdir()
    assert await rings_with(product, outside, carrier_calls) in alternate_info_of(2)
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        audit = await http.get(
            "/api/v1/tenants/demo/audit-log", headers=await bearer(product, "admin")
        )
    entries = [e for e in audit.json()["items"] if e["entity"] == "alternate_numbers"]
    assert entries[0]["key"] == "1003"
    assert entries[0]["after"] == {"numbers": ["1093", SPARE_DIRECT]}
    assert (await put(product, "1003", [])).status_code == 200
    assert await listed(product, "1003") == []
    gone = await run_sipp(
        "ext_call_fails_484.xml",  # not a number here any more: to the carrier, too short
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": "1005", "to": "1093", "media_port": free_port()},
        extra=["-au", "1005", "-ap", "pw1005"],
    )
    assert gone.returncode == 0, gone.errors


@pytest.mark.parametrize(
    ("username", "numbers", "field"),
    [("1004", ["1004"], "numbers[0]"),  # the own extension
     ("1004", ["1094", "1003"], "numbers[1]"),  # another user's extension
     ("1004", ["7001"], "numbers[0]"),  # a call center
     ("1004", ["+31201230001"], "numbers[0]"),  # a routed direct number
     ("1004", ["+31205550100"], "numbers[0]"),  # outside the tenant's blocks
     ("1004", ["1094", "1094"], "numbers[1]"),  # twice
     ("1004", ["1094", "12ab"], "numbers[1]"),
     ("1004", ["+3120"], "numbers[0]"),
     ("1004", [1094], "numbers[0]"),
     ("1004", ["1095"], "numbers[0]"),  # 1006's alternate, below
     ("meetingroom", ["1096"], "numbers")],  # Vergaderzaal: no AlternateNumbers
)  # fmt: skip
async def test_bad_lists_are_refused_naming_the_place(
    product: ProductThread, username: str, numbers: list[Any], field: str
) -> None:
    assert (await put(product, "1006", ["1095"])).status_code == 200
    before = await listed(product, username)
    refused = await put(product, username, numbers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["field"] == field
    assert await listed(product, username) == before


async def test_too_many_other_tenants_and_users_are_refused(product: ProductThread) -> None:
    eleven = [str(1080 + n) for n in range(11)]
    assert (await put(product, "1004", eleven)).status_code == 422
    assert (await put(product, "1004", eleven[:10])).status_code == 200
    assert len(await listed(product, "1004")) == 10
    assert (await put(product, "1004", ["1097"], tenant="acme")).status_code in (403, 404)
    assert (await put(product, "1005", ["1098"], by="1004")).status_code == 403
    assert await listed(product, "1005") == []
