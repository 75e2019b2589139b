"""Group calls in the reports of the running product: two SIPp callers from the carrier into the
demo hunt group 7100 (1001-1003, circular), one giving up while a member's phone rings, one
answered by a member; the product's own ingester folds the group-events stream, and a supervisor
reads both calls in `GET /api/v1/reports/groups` and its CSV export; an agent may not."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cti.group_services_demo import DEMO_HUNT_GROUP
from tests.e2e.test_product import token
from tests.e2e.test_product_group_services import Caller, product
from tests.pbx_core.support import agent_phone, free_port, run_sipp
from tests.product_harness import ProductThread

__all__ = ["product"]
MEMBERS = ("1001", "1002", "1003")
INGESTED_WITHIN_S = 90.0
"""The ingester finds a new stream within seconds; generous for a loaded machine."""


async def _members(product: ProductThread, scenario: str, tmp_path: Path) -> list[Any]:
    return [await agent_phone(product.sip_port, m, scenario, tmp_path) for m in MEMBERS]


async def _report(product: ProductThread, bearer: str, path: str) -> httpx.Response:
    now = datetime.now(UTC)
    period = {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.get(
            f"/api/v1/reports/{path}",
            params={**period, "interval": "range", "group": DEMO_HUNT_GROUP},
            headers={"Authorization": f"Bearer {bearer}"},
        )


async def test_a_hunt_groups_answered_and_abandoned_calls_in_the_report(
    product: ProductThread, tmp_path: Path
) -> None:
    # Every member's phone rings without answering: the caller gives up (CANCEL) after 3 s, long
    # before the group's 15 s of ringing would forward the call.
    ringing = await _members(product, "agent_no_answer.xml", tmp_path)
    try:
        gave_up = await run_sipp(
            "trunk_call_cancel_ringing.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={
                "from": "0612345678",
                "to": DEMO_HUNT_GROUP,
                "media_port": free_port(),
                "hold_ms": 3000,
            },
        )
        assert gave_up.returncode == 0, gave_up.errors
    finally:
        for phone in ringing:
            phone.kill()
    answering = await _members(product, "agent_answer.xml", tmp_path)
    try:
        caller = Caller(product, tmp_path, DEMO_HUNT_GROUP, hold_ms=1500)
        await caller.done()
    finally:
        for phone in answering:
            phone.kill()

    supervisor = await token(product.base_url, "supervisor", "pwsupervisor")
    rows: list[dict[str, Any]] = []
    for _ in range(int(INGESTED_WITHIN_S)):
        reply = await _report(product, supervisor, "groups")
        assert reply.status_code == 200, reply.text
        rows = reply.json()
        if rows and rows[0]["answered"] + rows[0]["abandoned"] == 2:
            break
        await asyncio.sleep(1.0)
    [row] = rows
    assert (row["group"], row["kind"], row["offered"]) == (DEMO_HUNT_GROUP, "hunt_group", 2)
    assert (row["answered"], row["abandoned"], row["forwarded"]) == (1, 1, {})
    [(member, calls)] = row["answered_by_member"].items()
    assert member in MEMBERS and calls == 1
    assert row["members_rung"] >= 2 and row["average_wait_to_answer_seconds"] > 0

    export = await _report(product, supervisor, "groups/export")
    assert export.status_code == 200, export.text
    [line] = list(csv.DictReader(io.StringIO(export.text)))
    assert (line["group"], line["offered"], line[f"answered_by_{member}"]) == ("7100", "2", "1")
    agent = await token(product.base_url, "1004", "pw1004")
    assert (await _report(product, agent, "groups")).status_code == 403
