"""The tenant engine lease across a Redis Sentinel failover (docs/deploy.md, "The lease across a
Redis failover"): real redis-server primary, replica and Sentinel (tests/redis_sentinel_set.py),
the primary ended by kill -9. Replication is asynchronous, so the promoted replica may lack the
last acquisition or renewals; a node must never act on a lease the replica has not got, or two
nodes would run one tenant (two offers of one caller) under one fencing token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from common import redis_keys
from common.redis_connect import async_client
from cti.demo_company import demo_tenant_config
from cti.engine_command_relay import CommandRelay
from cti.engine_lease import LeaseKeeper, LeaseStore
from cti.engine_lease_policy import Holding, LeaseTimes
from cti.engine_leased import LeasedEngineRuntime
from cti.event_log import EventLog
from cti.snapshots import AgentState, SnapshotStore, StateCause
from pbx_core import call_control as pbx
from tests.cti.test_engine_dispatch import OPEN, RecordingPbx
from tests.redis_sentinel_set import RedisSentinelSet, redis_sentinel_set

PREFIX = "lease-failover"
TENANT = "demo"
T = TypeVar("T")


@pytest.fixture
def servers(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RedisSentinelSet]:
    """One replica, or as many as the test's `indirect` parameter says (two: the production
    layout, docs/deploy.md)."""
    with redis_sentinel_set(tmp_path, replicas=getattr(request, "param", 1)) as started:
        yield started


@pytest.fixture
async def clients(servers: RedisSentinelSet) -> AsyncIterator[Callable[[], Redis]]:
    """`clients()`: one node's own client of the Sentinel URL."""
    made: list[Redis] = []

    def make() -> Redis:
        made.append(async_client(servers.url(), socket_timeout=2.0))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def retried(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()` once the client has found the promoted replica."""
    async with asyncio.timeout(60):
        while True:
            try:
                return await attempt()
            except RedisError:
                await asyncio.sleep(0.2)


async def acquired(store: LeaseStore) -> int:
    """The token `store`'s node acquires the tenant with, as soon as it can."""
    async with asyncio.timeout(30):
        while (token := await retried(lambda: store.acquire(TENANT))) is None:
            await asyncio.sleep(0.05)
    return token


@pytest.mark.parametrize("servers", [1, 2], indirect=True)
async def test_a_takeover_the_promoted_replica_missed_never_hands_its_token_out_twice(
    servers: RedisSentinelSet, clients: Callable[[], Redis]
) -> None:
    times = LeaseTimes(ttl=1.0, renew=0.2, margin=0.3)
    b = LeaseStore(clients(), PREFIX, "node-b", times)
    a = LeaseStore(clients(), PREFIX, "node-a", times)
    c = LeaseStore(clients(), PREFIX, "node-c", times)
    first = await b.acquire(TENANT)
    assert first == 1
    await asyncio.sleep(times.ttl + 0.2)  # node b died: its lease expires

    servers.cut_replication()
    taken = await a.acquire(TENANT)  # node a takes over, on the primary only
    servers.fail_over()
    after = await acquired(c)  # free on the promoted replica

    # Every token a node was given (and would write its journal with) is newer than the last:
    # node a, whose acquisition the replica never got, was given none.
    given = [token for token in (first, taken, after) if token is not None]
    assert given == sorted(set(given)), f"tokens given out: b {first}, a {taken}, c {after}"
    # (Node c's own first tries may go unconfirmed too, until the Sentinel marks the dead
    # primary down: their tokens are burnt, never given.)
    assert taken is None


async def test_renewals_the_promoted_replica_missed_never_let_two_nodes_trust_the_lease(
    servers: RedisSentinelSet, clients: Callable[[], Redis]
) -> None:
    # A lease longer than the failover, so the holder still trusts it when it completes.
    times = LeaseTimes(ttl=8.0, renew=1.0, margin=0.1)
    holder = LeaseKeeper(
        LeaseStore(clients(), PREFIX, "node-a", times),
        take_over=_nothing,
        step_down=lambda tenant, reason: None,
        resume=lambda tenant: None,
        times=times,
    )
    holder.track(TENANT)
    await holder.round()
    assert holder.trusted(TENANT)

    servers.cut_replication()
    await asyncio.sleep(0.6)
    await holder.round()  # a renewal on the primary only
    servers.fail_over()
    # Node a is cut off from here on (its rounds stop); node c waits for the lease to expire on
    # the promoted replica, and acquires it.
    await acquired(LeaseStore(clients(), PREFIX, "node-c", times))
    acquired_at = time.monotonic()

    state = holder._states[TENANT]
    assert isinstance(state, Holding)
    assert not holder.trusted(TENANT), (
        f"node a trusts its lease {state.renewed_at + times.ttl - times.margin - acquired_at:.2f}"
        " s more while node c holds it"
    )


async def _nothing(tenant: str, token: int) -> None:
    return None


# Two runtimes (two nodes) for one tenant.

LONG = LeaseTimes(ttl=8.0, renew=1.0, margin=1.5)
"""Longer than a failover: a holder still trusts its lease when the failover completes."""


@dataclass
class Node:
    runtime: LeasedEngineRuntime
    port: RecordingPbx

    def dials(self) -> list[str]:
        return [c.call_id for c in self.port.sent if isinstance(c, pbx.Dial)]


@pytest.fixture
async def nodes(clients: Callable[[], Redis]) -> AsyncIterator[Callable[..., Node]]:
    made: list[Node] = []

    def make(name: str, times: LeaseTimes = LONG) -> Node:
        redis, port = clients(), RecordingPbx()
        runtime = LeasedEngineRuntime(
            [demo_tenant_config()], port, redis, EventLog(redis, PREFIX),
            SnapshotStore(redis, PREFIX), prefix=PREFIX, node=name, times=times,
            relay=CommandRelay(redis, PREFIX, wait=10.0), clock=lambda: OPEN,
        )  # fmt: skip
        made.append(Node(runtime, port))
        return made[-1]

    yield make
    for node in made:
        with contextlib.suppress(RedisError):
            await node.runtime.stop()


async def test_a_split_brain_after_a_failover_runs_the_tenant_on_one_node_and_offers_once(
    servers: RedisSentinelSet, nodes: Callable[..., Node], clients: Callable[[], Redis]
) -> None:
    # The previous holder books a callback, stops and releases the tenant, all replicated.
    old = nodes("node-old")
    await old.runtime.start()
    callback = await old.runtime.book_callback("demo", "7001", "0201111111")
    await old.runtime.stop()
    await _replicated(clients())

    # Node a takes the tenant over while the replica is cut off; the primary dies.
    a, b = nodes("node-a"), nodes("node-b")
    servers.cut_replication()
    await a.runtime.start()
    a.runtime.lease.halt()  # its next round is not due before node b's take-over
    servers.fail_over()

    # Node b finds the tenant free on the promoted replica and takes it over.
    await retried(b.runtime.start)
    async with asyncio.timeout(30):
        while not b.runtime.runs("demo"):
            await asyncio.sleep(0.05)
    assert not a.runtime.runs("demo"), "node a and node b both run the tenant"

    # The agent says available through both nodes (two devices): the callback waiting in the
    # journal is offered once, by the one node running the tenant.
    for node in (a, b):
        await available(node, "1001")
    await b.runtime.flush()
    dials = a.dials() + b.dials()
    assert len(dials) == 1 and dials[0].startswith(callback), dials


SHORT = LeaseTimes(ttl=1.0, renew=0.2, margin=0.3)
"""Shorter than a failover: the holder's lease lapses meanwhile, and either node may get it."""


@pytest.mark.parametrize("times", [LONG, SHORT], ids=["holder-keeps", "lease-lapses"])
async def test_after_a_failover_one_node_runs_the_tenant_and_offers_once(
    servers: RedisSentinelSet, nodes: Callable[..., Node], clients: Callable[[], Redis],
    times: LeaseTimes,
) -> None:  # fmt: skip
    a, b = nodes("node-a", times), nodes("node-b", times)
    await a.runtime.start()
    await b.runtime.start()
    assert a.runtime.runs("demo") and not b.runtime.runs("demo")
    before = _token(a)
    callback = await a.runtime.book_callback("demo", "7001", "0201111111")
    await a.runtime.flush()
    await _replicated(clients())

    servers.fail_over()
    await retried(a.runtime.flush)
    async with asyncio.timeout(30):  # the same node runs it for three rounds on end
        settled = 0
        while settled < 3:
            runs = [n for n in (a, b) if n.runtime.runs("demo") and n.runtime.lease.trusted("demo")]
            settled = settled + 1 if len(runs) == 1 else 0
            await asyncio.sleep(times.renew)
    assert [n.runtime.runs("demo") for n in (a, b)].count(True) == 1
    [holder] = runs
    fence = await retried(lambda: clients().get(redis_keys.engine_fence(PREFIX, "demo")))
    assert fence is not None
    assert int(fence) == _token(holder) >= before

    for node in (a, b):
        await available(node, "1001")
    await holder.runtime.flush()
    dials = a.dials() + b.dials()
    assert len(dials) == 1 and dials[0].startswith(callback), dials
    # Each input is in the journal once: the booking, each of the two commands, and a node
    # b's take-over's sweep of the calls whose dialogs were on node a (none here).
    journal = await clients().lrange(redis_keys.journal_key(PREFIX, "demo"), 0, -1)
    kinds = Counter(json.loads(entry)["input"]["kind"] for entry in journal)
    assert kinds["CallbackBooked"] == 1 and kinds["SetAgentState"] == 2, kinds
    assert kinds["CallsLost"] <= 1 and kinds.total() == 3 + kinds["CallsLost"], kinds


def _token(node: Node) -> int:
    state = node.runtime.lease._states["demo"]
    assert isinstance(state, Holding)
    return state.token


async def available(node: Node, extension: str) -> None:
    await node.runtime.control.set_agent_state(
        "demo", extension, AgentState.AVAILABLE, unavailable_code=None,
        cause=StateCause.AGENT, by=extension,
    )  # fmt: skip


async def _replicated(client: Redis) -> None:
    """Every write so far is on the replicas."""
    assert await client.wait(len(await _replicas(client)), 5000) >= 1


async def _replicas(client: Redis) -> list[object]:
    info = await client.info("replication")
    return [info[f"slave{i}"] for i in range(int(info["connected_slaves"]))]
