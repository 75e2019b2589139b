"""Today's totals per agent: the pure fold (reports/agent_totals.py) and the REST endpoint over
real HTTP with the reports ingested from the event log (cti/rest/agent_totals.py): an agent
sees its own, a supervisor its call centers' members, another tenant nothing of this one."""

from __future__ import annotations

import time
from typing import Any

import httpx
import redis as sync_redis
from redis.asyncio import Redis

from cti.event_log import EventLog
from cti.rest.reports import report_engine
from cti.wallboard import day_start
from queueing.events import EventType
from reports.agent_totals import fold_totals
from reports.ingest import Ingester
from tests.cti.cti_clients import login
from tests.cti.cti_events_factory import event
from tests.cti.cti_redis_testkit import REDIS_URL
from tests.cti.cti_world import World


def _interval(state: str, began: float, ended: float | None, code: str | None = None) -> Any:
    return {"agent": "1001", "state": state, "unavailable_code": code, "started_at": began,
            "ended_at": ended}  # fmt: skip


def test_fold_clips_to_the_day_and_counts_open_states_until_now() -> None:
    intervals = [
        _interval("AVAILABLE", 900.0, 1100.0),  # 100 s of it today (the day starts at 1000)
        _interval("UNAVAILABLE", 1100.0, 1150.0, "lunch"),
        _interval("UNAVAILABLE", 1150.0, 1160.0),
        _interval("WRAP_UP", 1160.0, 1180.0),
        _interval("BUSY", 1180.0, 1200.0),
        _interval("WRAP_UP", 1200.0, None),  # still in wrap-up: 40 s until now
    ]
    [totals] = fold_totals(intervals, {"1001": 3}, start=1000.0, now=1240.0)
    assert totals.as_dict() == {
        "agent": "1001",
        "available_seconds": 100.0,
        "unavailable_seconds": {"": 10.0, "lunch": 50.0},
        "wrap_up_average_seconds": 30.0,
        "wrap_ups": 2,
        "calls_handled": 3,
    }
    quiet = fold_totals([], {}, start=1000.0, now=1240.0, agents=["1002"])
    assert [t.as_dict()["available_seconds"] for t in quiet] == [0.0]


async def _log_day(world: World, redis: Redis) -> None:
    """1001: available 60 s, a call answered, wrap-up 30 s, lunch since."""
    noon = day_start(time.time()) + 12 * 3600  # well inside "today" whenever the test runs
    world.clock.now = noon + 200
    steps: list[tuple[float, EventType, dict[str, Any]]] = [
        (0, EventType.AGENT_STATE_CHANGED, {"state": "AVAILABLE", "previous": "SIGN_IN"}),
        (60, EventType.AGENT_STATE_CHANGED, {"state": "BUSY", "previous": "AVAILABLE"}),
        (60, EventType.CALL_ANSWERED, {"wait_seconds": 3.0}),
        (100, EventType.CALL_RELEASED, {"talk_seconds": 40.0, "released_by": "agent"}),
        (100, EventType.AGENT_STATE_CHANGED, {"state": "WRAP_UP", "previous": "BUSY"}),
        (130, EventType.AGENT_STATE_CHANGED,
         {"state": "UNAVAILABLE", "previous": "WRAP_UP", "unavailable_code": "lunch"}),
    ]  # fmt: skip
    log = EventLog(redis, world.prefix)
    added = event(1, call_id="c-1")
    added.timestamp = noon + 57
    await log.append(added)
    for sequence, (offset, kind, data) in enumerate(steps, start=2):
        step = event(sequence, type_=kind, agent="1001", call_id="c-1", data=data)
        step.timestamp = noon + offset
        if kind is EventType.AGENT_STATE_CHANGED:
            step.call_id = step.call_center_id = None
        await log.append(step)
    client = sync_redis.Redis.from_url(REDIS_URL)
    try:
        engine = report_engine(world.database_url)
        Ingester(engine, client, prefix=world.prefix).ingest_available("demo")
    finally:
        client.close()


async def _totals(world: World, who: str, password: str, query: str = "") -> httpx.Response:
    token = await login(world.server.base_url, who, password)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        return await http.get(
            f"/api/v1/agent-totals{query}", headers={"Authorization": f"Bearer {token}"}
        )


async def test_totals_per_agent_for_whom_may_see_them(world: World, redis: Redis) -> None:
    await _log_day(world, redis)
    mine = (await _totals(world, "1001", "pw1001")).json()
    assert mine == [
        {
            "agent": "1001",
            "available_seconds": 60.0,
            "unavailable_seconds": {"lunch": 70.0},  # until the clock's now
            "wrap_up_average_seconds": 30.0,
            "wrap_ups": 1,
            "calls_handled": 1,
        }
    ]
    assert (await _totals(world, "1001", "pw1001", "?agent=1002")).status_code == 403
    lead = (await _totals(world, "helpdesk-lead", "pwlead")).json()
    assert [t["agent"] for t in lead] == ["1001", "1002", "1003"]  # Helpdesk's members
    assert (await _totals(world, "helpdesk-lead", "pwlead", "?agent=1004")).status_code == 403
    acme = (await _totals(world, "admin@acme", "pwacmeadmin")).json()
    assert acme == []  # demo's agent 1001 is not acme's 1001
    assert (await _totals(world, "admin", "pwadmin", "?agent=1001")).json() == mine
