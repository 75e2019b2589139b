"""The group-calls report over REST: group calls ingested from a real group-events stream into
the test web server's database, read back per day by supervisors and admins, refused to agents,
never another tenant's, and exported as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis import Redis

from reports.db import make_engine, migrate
from reports.ingest import Ingester
from tests.cti.cti_clients import get_report, login
from tests.cti.cti_redis_testkit import REDIS_URL
from tests.cti.cti_world import DEMO, World
from tests.reports.group_calls import T0, abandoned, answered, forwarded, of_tenant, publish

DAY = {"from": "2025-11-25T00:00:00+01:00", "to": "2025-11-26T00:00:00+01:00"}
"""A day in the demo tenant's time zone (Europe/Amsterdam): one day row, midnight to midnight."""


def seed_group_calls(database_url: str) -> None:
    prefix = f"groupcalls:{uuid.uuid4().hex[:12]}"
    redis = Redis.from_url(REDIS_URL)
    engine = make_engine(database_url)
    try:
        calls = answered("c-1", T0) + abandoned("c-2", T0 + 60)
        calls += forwarded("c-3", T0 + 120, "busy", "0201234567")
        publish(redis, prefix, of_tenant(calls, DEMO))
        other = of_tenant(answered("c-other", T0), "acme")
        publish(redis, prefix, [replace(e, member="9999") if e.member else e for e in other])
        migrate(engine)
        Ingester(engine, redis, prefix=prefix).ingest_available([DEMO, "acme"])
    finally:
        engine.dispose()
        keys = list(redis.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            redis.delete(*keys)
        redis.close()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    seed_group_calls(world.database_url)
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=30) as client:
        yield client


async def _get(http: httpx.AsyncClient, token: str, path: str, **params: Any) -> httpx.Response:
    return await get_report(http, token, path, DAY, **params)


async def test_supervisors_and_admins_see_the_tenants_groups(
    world: World, http: httpx.AsyncClient
) -> None:
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    reply = await _get(http, lead, "groups", interval="day")
    assert reply.status_code == 200, reply.text
    [row] = reply.json()
    assert (row["group"], row["kind"], row["interval_start"]) == (
        "7100",
        "hunt_group",
        "2025-11-24T23:00:00+00:00",
    )
    assert (row["offered"], row["answered"], row["abandoned"]) == (3, 1, 1)
    assert row["forwarded"] == {"busy": 1}
    assert row["answered_by_member"] == {"1002": 1}
    assert row["average_wait_to_answer_seconds"] == 20.0  # not acme's call
    admin = await login(world.server.base_url, "admin", "pwadmin")
    assert (await _get(http, admin, "groups", interval="range")).json() == [row]
    assert (await _get(http, admin, "groups", group="7200")).json() == []


async def test_agents_and_bad_input_are_refused_with_a_reason(
    world: World, http: httpx.AsyncClient
) -> None:
    agent = await login(world.server.base_url, "1001", "pw1001")
    assert (await _get(http, agent, "groups")).status_code == 403
    assert (await _get(http, agent, "groups/export")).status_code == 403
    admin = await login(world.server.base_url, "admin", "pwadmin")
    assert (await _get(http, admin, "groups", interval="15min")).status_code == 422
    assert (await _get(http, admin, "groups", group="7100' OR 1=1")).status_code == 422
    backwards = await _get(http, admin, "groups", **{"from": DAY["to"], "to": DAY["from"]})
    assert backwards.status_code == 400 and "after" in backwards.json()["detail"]
    unsigned = await http.get("/api/v1/reports/groups", params=DAY)
    assert unsigned.status_code == 401


async def test_the_export_holds_a_column_per_trigger_and_member(
    world: World, http: httpx.AsyncClient
) -> None:
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    reply = await _get(http, lead, "groups/export", interval="week")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    [row] = list(csv.DictReader(io.StringIO(reply.text)))
    assert (row["group"], row["offered"], row["forwarded"]) == ("7100", "3", "1")
    assert (row["forwarded_busy"], row["answered_by_1002"]) == ("1", "1")
