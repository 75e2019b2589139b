"""A call's decision timeline over real HTTP (cti/rest/call_timeline.py): every engine event of
the call with its reason, read from the event log before and after the reports ingested it; an
agent sees only calls offered to it, a supervisor only its call centers' calls, another tenant
nothing."""

from __future__ import annotations

from typing import Any

import httpx
import redis as sync_redis
from redis.asyncio import Redis

from cti.event_log import EventLog
from cti.rest.reports import report_engine
from queueing.events import EventType
from reports.ingest import Ingester
from tests.cti.cti_clients import login
from tests.cti.cti_events_factory import event
from tests.cti.cti_redis_testkit import REDIS_URL
from tests.cti.cti_world import World

CALL = "c-timeline"


async def _log_call(redis: Redis, prefix: str) -> None:
    """A call to Helpdesk: offered to 1002 (no answer, bounced), then to 1003, who answers."""
    log = EventLog(redis, prefix)
    steps: list[tuple[EventType, str | None, dict[str, Any], str | None]] = [
        (EventType.CALL_ADDED, None, {"priority": 0, "position": 1, "called": "7001"}, "7001"),
        (EventType.CALL_ADDED, None, {"priority": 0, "position": 1, "called": "7002"}, "7002"),
        (EventType.CALL_OFFERED, "1002", {"policy": "circular", "ring_timeout": 15}, "7001"),
        (EventType.CALL_BOUNCED, "1002", {"trigger": "no_answer"}, "7001"),
        (EventType.CALL_OFFERED, "1003", {"policy": "circular", "ring_timeout": 15}, "7001"),
        (EventType.CALL_ANSWERED, "1003", {"wait_seconds": 21.5}, "7001"),
        (EventType.CALL_RELEASED, "1003", {"talk_seconds": 60.0, "released_by": "caller"}, "7001"),
    ]
    for sequence, (kind, agent, data, call_center) in enumerate(steps, start=1):
        call_id = "c-sales" if call_center == "7002" else CALL
        await log.append(
            event(sequence, type_=kind, agent=agent, call_id=call_id, data=data,
                  call_center_id=call_center)
        )  # fmt: skip


def _ingest(world: World) -> None:
    client = sync_redis.Redis.from_url(REDIS_URL)
    try:
        Ingester(report_engine(world.database_url), client, prefix=world.prefix).ingest_available(
            "demo"
        )
    finally:
        client.close()


async def _timeline(world: World, who: str, password: str, call: str = CALL) -> httpx.Response:
    token = await login(world.server.base_url, who, password)
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        return await http.get(
            f"/api/v1/calls/{call}/timeline", headers={"Authorization": f"Bearer {token}"}
        )


async def test_every_decision_with_its_reason_before_and_after_the_reports(
    world: World, redis: Redis
) -> None:
    await _log_call(redis, world.prefix)
    fresh = (await _timeline(world, "supervisor", "pwsupervisor")).json()
    kinds = [(d["type"], d["agent"]) for d in fresh["decisions"]]
    assert kinds == [
        ("CALL_ADDED", None),
        ("CALL_OFFERED", "1002"),
        ("CALL_BOUNCED", "1002"),
        ("CALL_OFFERED", "1003"),
        ("CALL_ANSWERED", "1003"),
        ("CALL_RELEASED", "1003"),
    ]
    assert fresh["decisions"][2]["data"] == {"trigger": "no_answer"}
    assert fresh["decisions"][2]["reason"] == "test event 4"
    assert (fresh["stays"], fresh["complete"]) == ([], True)

    _ingest(world)
    detail = (await _timeline(world, "admin", "pwadmin")).json()
    assert detail["decisions"] == fresh["decisions"]
    [stay] = detail["stays"]
    assert (stay["call_center_id"], stay["outcome"], stay["agent"]) == ("7001", "answered", "1003")
    assert (stay["first_sequence"], stay["bounce_count"], stay["wait_seconds"]) == (1, 1, 21.5)


async def test_agents_supervisors_and_tenants_see_only_their_calls(
    world: World, redis: Redis
) -> None:
    await _log_call(redis, world.prefix)
    _ingest(world)
    assert (await _timeline(world, "1003", "pw1003")).status_code == 200  # answered it
    assert (await _timeline(world, "1002", "pw1002")).status_code == 200  # offered it
    assert (await _timeline(world, "1001", "pw1001")).status_code == 403  # never had it
    assert (await _timeline(world, "helpdesk-lead", "pwlead")).status_code == 200
    sales = await _timeline(world, "helpdesk-lead", "pwlead", "c-sales")
    assert sales.status_code == 403  # Sales is not the Helpdesk lead's
    assert (await _timeline(world, "admin@acme", "pwacmeadmin")).status_code == 404
    assert (await _timeline(world, "boss@acme", "pwboss")).status_code == 404
    assert (await _timeline(world, "admin", "pwadmin", "no-such-call")).status_code == 404
    assert (await _timeline(world, "admin", "pwadmin", "bad%20id")).status_code == 422
