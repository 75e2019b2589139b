"""The product on Redis behind Sentinel (`REDIS_URL=redis+sentinel://...`, docs/deploy.md "Redis
with Sentinel"): real redis-server primary, replica and Sentinel (tests/redis_sentinel_set.py).
A caller into 7001 reaches the tenant's event stream through the Sentinels' primary; after
kill -9 of that primary the Sentinel promotes the replica and a new caller's CALL_ADDED reaches
the stream on it, from the same product process (its clients asked the Sentinels again)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError

from common.event_types import EventType
from common.redis_connect import sync_client
from common.redis_keys import event_stream
from cti.event_log import decode, stream_entries
from tests.pbx_core.support import free_port, run_sipp
from tests.product_harness import ProductThread
from tests.redis_sentinel_set import RedisSentinelSet, redis_sentinel_set

DEADLINE = 120.0
"""Generous: a loaded machine, a failover, the product's clients reconnecting, a SIPp call."""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[RedisSentinelSet]:
    directory = tmp_path / "redis"
    directory.mkdir()
    with redis_sentinel_set(directory) as started:
        yield started


def _callers_added(client: Redis, stream: str) -> set[str | None]:
    try:
        entries = stream_entries(client.xrange(stream))
    except (ConnectionError, TimeoutError, ReadOnlyError):
        return set()  # during the failover: asked again
    events = [decode(fields) for _, fields in entries]
    return {event.caller for event in events if event.type == EventType.CALL_ADDED}


async def _call_until_added(
    product: ProductThread, client: Redis, caller: str, work_dir: Path, servers: RedisSentinelSet
) -> None:
    """Callers from `caller` into 7001, one after another, until one's CALL_ADDED is in the
    stream (a call placed while the product's Redis was away may be refused)."""
    stream = event_stream(product.prefix, "demo")
    deadline = time.monotonic() + DEADLINE
    while caller not in _callers_added(client, stream):
        assert time.monotonic() < deadline, f"no CALL_ADDED of {caller}\n{servers.log()}"
        await run_sipp(
            "trunk_call.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": caller, "to": "7001", "media_port": free_port(), "hold_ms": 1500},
        )
        await asyncio.sleep(0.5)


async def test_the_product_runs_on_sentinel_and_follows_a_failover(
    servers: RedisSentinelSet, tmp_path: Path
) -> None:
    url = servers.url()
    product = ProductThread.start(tmp_path / "var", "sentinel", redis_url=url)
    client = sync_client(url)
    try:
        await _call_until_added(product, client, "+31201110001", tmp_path, servers)

        servers.kill(servers.primary_port)
        await _call_until_added(product, client, "+31201110002", tmp_path, servers)
        assert servers.primary() == servers.replica_port
    finally:
        product.stop()
        client.close()
