"""The report endpoints beyond the contract's one: per interval, per agent, usage, and exports.

The known report day (`tests/report_day.py`) is ingested with the real ingester into the test web
server's database; figures are checked against the report service run on the same database
(whose own correctness is proven in tests/reports) and against each other, scopes per role.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from reports.db import make_engine
from reports.ranges import Interval, parse_range
from reports.service import agent_figures
from tests.cti.cti_clients import get_report, login
from tests.cti.cti_redis_testkit import REDIS_URL
from tests.cti.cti_world import DEMO, MEMBERS, World
from tests.report_day import OUTBOUND_CALLS, OUTBOUND_SECONDS, seed_report_day

DAY = {"from": "2025-11-25T00:00:00Z", "to": "2025-11-26T00:00:00Z"}


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    seed_report_day(world.database_url, REDIS_URL, DEMO)
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=30) as client:
        yield client


async def _get(http: httpx.AsyncClient, token: str, path: str, **params: Any) -> httpx.Response:
    return await get_report(http, token, path, DAY, **params)


async def test_interval_rows_add_up_to_the_contract_report(
    world: World, http: httpx.AsyncClient
) -> None:
    admin = await login(world.server.base_url, "admin", "pwadmin")
    whole = {r["number"]: r for r in (await _get(http, admin, "call-centers")).json()}
    reply = await _get(http, admin, "call-centers/intervals", interval="hour")
    assert reply.status_code == 200, reply.text
    rows = reply.json()
    assert {r["number"] for r in rows} == set(whole) == set(MEMBERS)
    for number, total in whole.items():
        hours = [r for r in rows if r["number"] == number]
        assert len(hours) == 24
        assert [r["interval_start"][11:16] for r in hours][:2] == ["00:00", "01:00"]
        for key in ("offered", "answered", "abandoned", "overflowed", "bounced", "stranded"):
            assert sum(r[key] for r in hours) == total[key], (number, key)
        assert total["offered"] > 0
        longest = max(r["longest_wait_seconds"] or 0 for r in hours)
        assert longest == pytest.approx(total["longest_wait_seconds"] or 0)


async def test_agent_report_is_scoped_to_the_supervisors_call_centers(
    world: World, http: httpx.AsyncClient
) -> None:
    admin = await login(world.server.base_url, "admin", "pwadmin")
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    agent = await login(world.server.base_url, "1001", "pw1001")
    everyone = (await _get(http, admin, "agents")).json()
    engine = make_engine(world.database_url)
    try:
        expected = agent_figures(engine, DEMO, parse_range(DAY["from"], DAY["to"]), Interval.RANGE)
    finally:
        engine.dispose()
    assert {r["agent"]: r["answered"] for r in everyone} == {f.agent: f.answered for f in expected}
    assert sum(r["answered"] for r in everyone) > 0
    assert all(sum(r["state_seconds"].values()) > 0 for r in everyone)
    helpdesk = (await _get(http, lead, "agents")).json()
    assert {r["agent"] for r in helpdesk} == set(MEMBERS["7001"])
    assert (await _get(http, agent, "agents")).status_code == 403
    one = (await _get(http, lead, "agents", agent="1002")).json()
    assert one == [r for r in helpdesk if r["agent"] == "1002"]
    outside = await _get(http, lead, "agents", agent="1004")  # a Sales agent
    assert outside.status_code == 403 and "1004" in outside.json()["detail"]


async def test_usage_is_for_admins_by_the_chosen_dimensions(
    world: World, http: httpx.AsyncClient
) -> None:
    admin = await login(world.server.base_url, "admin", "pwadmin")
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    reply = await _get(http, admin, "usage", by="category")
    assert reply.status_code == 200, reply.text
    by_category = {r["dimensions"]["category"]: r for r in reply.json()}
    international = sum(called.startswith("+") for _, called in OUTBOUND_CALLS)
    national = len(OUTBOUND_CALLS) - international
    assert by_category["international"]["records"] == international
    assert by_category["national"]["records"] == national
    assert by_category["national"]["quantity"] == pytest.approx(OUTBOUND_SECONDS * national)
    assert (await _get(http, lead, "usage")).status_code == 403
    bad = await _get(http, admin, "usage", by="category,salary")
    assert bad.status_code == 422


async def test_exports_as_csv_and_xlsx_hold_the_report_rows(
    world: World, http: httpx.AsyncClient
) -> None:
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    json_rows = (await _get(http, lead, "call-centers/intervals", interval="day")).json()
    reply = await _get(http, lead, "export", report="call-centers", interval="day")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [(r["number"], int(r["offered"])) for r in rows] == [
        (r["number"], r["offered"]) for r in json_rows
    ]
    assert {r["number"] for r in rows} == {"7001"}
    admin = await login(world.server.base_url, "admin", "pwadmin")
    sales = await _get(
        http, admin, "export", report="call-centers", interval="day", call_center="7002"
    )
    assert {r["number"] for r in csv.DictReader(io.StringIO(sales.text))} == {"7002"}
    refused = await _get(http, lead, "call-centers/intervals", call_center="7002")
    assert refused.status_code == 403

    agents = await _get(http, lead, "export", report="agents", format="xlsx")
    assert agents.status_code == 200, agents.text
    sheet = load_workbook(io.BytesIO(agents.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    header, body = table[0], table[1:]
    assert "agent" in header and "available_seconds" in header
    assert {row[header.index("agent")] for row in body} == set(MEMBERS["7001"])
    # A supervisor's export of usage is refused like the usage report itself.
    assert (await _get(http, lead, "export", report="usage")).status_code == 403


async def test_bad_ranges_and_intervals_are_refused_with_a_reason(
    world: World, http: httpx.AsyncClient
) -> None:
    admin = await login(world.server.base_url, "admin", "pwadmin")
    backwards = await http.get(
        "/api/v1/reports/call-centers/intervals",
        params={"from": DAY["to"], "to": DAY["from"]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert backwards.status_code == 400 and "must be after" in backwards.json()["detail"]
    week = await _get(http, admin, "agents", interval="week")
    assert week.status_code == 422
    year = await http.get(
        "/api/v1/reports/call-centers/intervals",
        params={"from": "2025-01-01", "to": "2025-12-31", "interval": "15min"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert year.status_code == 400 and "rows" in year.json()["detail"]
