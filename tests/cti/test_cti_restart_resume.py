"""Kill the API process (SIGKILL) while events keep coming; a subscriber that resumes with the
last sequence it saw, on the restarted process, gets every event exactly once, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from cti.event_log import EventLog
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_server import ProcessServer
from tests.cti.cti_world import seed_users, write_snapshots

QUEUE_EVENTS = """subscription($after: Int) {
  queueEvents(afterSequence: $after) { sequence callId } }"""


async def test_resume_after_api_restart_loses_no_event(
    redis: Redis, prefix: str, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'cti.db'}"
    seed_users(database_url)
    await write_snapshots(redis, prefix)
    log = EventLog(redis, prefix)
    server = await asyncio.to_thread(ProcessServer(prefix, database_url).start)
    seen: list[int] = []
    try:
        token = await login(server.base_url, "supervisor", "pwsupervisor")
        await log.append_many(event(s) for s in range(1, 11))

        async def follow(after: int | None, until: int) -> None:
            async with ws_session(server.ws_url, token) as session:
                stream = session.subscribe(request(QUEUE_EVENTS, after=after))
                try:
                    async with asyncio.timeout(60):
                        async for item in stream:
                            result: dict[str, Any] = item["queueEvents"]
                            seen.append(result["sequence"])
                            if result["sequence"] >= until:
                                return
                finally:
                    await stream.aclose()

        await follow(after=0, until=10)
        assert seen == list(range(1, 11))

        # The engine keeps publishing while the API is dead.
        await asyncio.to_thread(server.kill)
        await log.append_many(event(s) for s in range(11, 31))
        await asyncio.to_thread(server.start)
        writer = asyncio.ensure_future(
            log.append_many(event(s) for s in range(31, 41))  # and right after the restart
        )
        await follow(after=seen[-1], until=40)
        await writer
    finally:
        await asyncio.to_thread(server.kill)
    assert seen == list(range(1, 41))
