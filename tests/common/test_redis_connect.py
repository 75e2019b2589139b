"""Redis clients from one URL (common/redis_connect.py): a `redis+sentinel://` URL gives clients
of the primary that follow a failover. Real servers: a primary, its replica and a Sentinel
(tests/redis_sentinel_set.py); the primary dies by kill -9 and the same client objects write
again once the Sentinel has promoted the replica."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from redis import Redis
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError
from redis.sentinel import SentinelConnectionPool
from rq.job import Job, JobStatus

from common.job_queues import SERIALIZER, job_queue, worker_command
from common.redis_connect import (
    DEFAULT_SENTINEL_PORT,
    ReplicaAcks,
    SentinelUrl,
    async_client,
    check_url,
    parse_sentinel_url,
    sync_client,
)
from cti.product import ProductSettings, run_product
from cti.product_checks import ProductError
from tests.pbx_core.support import free_sip_port
from tests.ports import free_port
from tests.redis_sentinel_set import RedisSentinelSet, redis_sentinel_set

ROOT = Path(__file__).resolve().parents[2]
FAILOVER_DEADLINE = 90.0
"""Generous: down-after 1 s, an election and a promotion take seconds on an idle machine."""
DURING_FAILOVER = (ConnectionError, TimeoutError, ReadOnlyError)
T = TypeVar("T")


@pytest.fixture
def servers(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RedisSentinelSet]:
    """One Sentinel, or as many as the test's `indirect` parameter says."""
    with redis_sentinel_set(tmp_path, sentinels=getattr(request, "param", 1)) as started:
        yield started


# Parsing.


def test_a_sentinel_url_names_hosts_service_db_and_credentials() -> None:
    url = "redis+sentinel://me:s%40cret@a.example:26380,b.example,[::1]:26381/main/3"
    assert parse_sentinel_url(url) == SentinelUrl(
        sentinels=(("a.example", 26380), ("b.example", DEFAULT_SENTINEL_PORT), ("::1", 26381)),
        service="main",
        db=3,
        username="me",
        password="s@cret",
    )


def test_a_sentinel_url_without_db_is_db_0_and_may_name_the_sentinels_password() -> None:
    parsed = parse_sentinel_url("redis+sentinel://:pw@h1:1,h2:2/svc?sentinel_password=spw")
    assert (parsed.db, parsed.username, parsed.password) == (0, None, "pw")
    assert parsed.sentinel_kwargs()["password"] == "spw"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel:///svc", "no Sentinel hosts"),
        ("redis+sentinel://:pw@/svc", "no Sentinel hosts"),
        ("redis+sentinel://h1:26379,/svc", "empty Sentinel host"),
        ("redis+sentinel://h1:port/svc", "port 'port' of h1"),
        ("redis+sentinel://h1:70000/svc", "port '70000' of h1"),
        ("redis+sentinel://h1:0/svc", "port '0' of h1"),
        ("redis+sentinel://[::1/svc", "Invalid IPv6 URL"),
        ("redis+sentinel://h1:26379", "no service name"),
        ("redis+sentinel://h1:26379/", "no service name"),
        ("redis+sentinel://h1:26379/svc/x", "only a DB number"),
        ("redis+sentinel://h1:26379/svc/0/1", "only a DB number"),
        ("redis+sentinel://h1:26379/svc?db=2", "unknown option(s) db"),
        ("redis://h1:6379/0", "starts with redis+sentinel://"),
    ],
)
def test_a_malformed_sentinel_url_says_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_sentinel_url(url)
    assert problem in str(raised.value)


def test_an_error_message_shows_no_password() -> None:
    with pytest.raises(ValueError) as raised:
        parse_sentinel_url("redis+sentinel://user:topsecret@h1:x/svc?sentinel_password=other")
    assert "topsecret" not in str(raised.value) and "other" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://:secret@h1:x/0", "Port could not be cast"),
        ("http://h1:6379", "must specify one of the following schemes"),
        ("redis+sentinel://:secret@h1:26379", "no service name"),
    ],
)
def test_a_bad_url_of_either_kind_is_refused_before_any_client(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        check_url(url)
    assert problem in str(raised.value) and "secret" not in str(raised.value)


def test_a_good_url_of_either_kind_passes_the_check() -> None:
    check_url("redis://127.0.0.1:6379/0")
    check_url("unix:///run/redis.sock?db=2")
    check_url("redis+sentinel://a:26379,b:26379/opencc/1")


def test_a_malformed_redis_url_stops_the_product_before_anything_starts(tmp_path: Path) -> None:
    settings = ProductSettings(
        http_port=free_port(socket.SOCK_STREAM),
        sip_port=free_sip_port(),
        var_dir=tmp_path / "var",
        redis_url="redis+sentinel://127.0.0.1:26379,127.0.0.1:x/opencc",
    )
    with pytest.raises(ProductError, match=r"REDIS_URL .*Sentinel port 'x' of 127\.0\.0\.1"):
        asyncio.run(run_product(settings))
    assert not (tmp_path / "var").exists()


def test_a_plain_url_gives_what_from_url_gives() -> None:
    client = sync_client("redis://127.0.0.1:6379/0", decode_responses=True)
    key = f"test-redis-connect:{uuid.uuid4().hex}"
    try:
        client.set(key, "plain", ex=60)
        assert client.get(key) == "plain"
        assert client.connection_pool.connection_kwargs["port"] == 6379
    finally:
        client.delete(key)
        client.close()


# Failover, with real servers.


def _give_up_after(deadline: float, what: str, servers: RedisSentinelSet) -> None:
    if time.monotonic() > deadline:
        raise AssertionError(f"{what}: no primary after failover\n{servers.log()}")


def _retry(what: str, servers: RedisSentinelSet, attempt: Callable[[], T]) -> T:
    deadline = time.monotonic() + FAILOVER_DEADLINE
    while True:
        try:
            return attempt()
        except DURING_FAILOVER:
            _give_up_after(deadline, what, servers)
            time.sleep(0.2)


async def _retry_async(
    what: str, servers: RedisSentinelSet, attempt: Callable[[], Awaitable[T]]
) -> T:
    deadline = time.monotonic() + FAILOVER_DEADLINE
    while True:
        try:
            return await attempt()
        except DURING_FAILOVER:
            _give_up_after(deadline, what, servers)
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("servers", [3], indirect=True)  # a URL of three hosts; two must agree
def test_a_sync_client_follows_the_sentinels_to_the_promoted_replica(
    servers: RedisSentinelSet,
) -> None:
    client = sync_client(servers.url(), decode_responses=True, socket_timeout=2.0)
    try:
        client.set("before", "on the first primary")
        assert client.get("before") == "on the first primary"
        pool = client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        assert pool.get_master_address() == ("127.0.0.1", servers.primary_port)
        # Replication is asynchronous: only what the replica acknowledged survives the kill.
        assert client.wait(1, 10_000) == 1

        servers.kill(servers.primary_port)
        _retry("set after failover", servers, lambda: client.set("after", "on the new one"))

        assert servers.primary() == servers.replica_port
        assert client.get("after") == "on the new one"
        assert _retry("get", servers, lambda: client.get("before")) == "on the first primary"
    finally:
        client.close()


async def test_an_async_client_follows_the_sentinels_to_the_promoted_replica(
    servers: RedisSentinelSet,
) -> None:
    client = async_client(servers.url(2), decode_responses=True, socket_timeout=2.0)
    try:
        await client.set("before", "async")
        assert await client.get("before") == "async"

        servers.kill(servers.primary_port)
        await _retry_async("set after failover", servers, lambda: client.set("after", "moved"))

        assert servers.primary() == servers.replica_port
        assert await client.get("after") == "moved"
        with Redis(port=servers.replica_port, db=2, decode_responses=True) as promoted:
            assert promoted.get("after") == "moved"
    finally:
        await client.aclose()


def test_the_products_rq_worker_takes_a_sentinel_url(
    servers: RedisSentinelSet, tmp_path: Path
) -> None:
    """`worker_command` gives rq the URL with a connection class that reads it: a job enqueued
    through the Sentinels runs, before and after a failover, and so does one scheduled for
    later (rq's scheduler, a fork of the worker, rebuilds its connection from the worker's)."""
    url = servers.url()
    queue_name = f"test-sentinel-{uuid.uuid4().hex[:8]}"
    client = sync_client(url)
    queue = job_queue(queue_name, client)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            worker_command(url, [queue_name]), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:

        def runs(first: int, second: int, later: bool = False) -> None:
            def enqueue() -> Job:
                if later:
                    return queue.enqueue_in(timedelta(seconds=1), "builtins.max", first, second)
                return queue.enqueue("builtins.max", first, second)

            job = _retry("enqueue", servers, enqueue)
            deadline = time.monotonic() + FAILOVER_DEADLINE
            while _status(job, client, servers) != JobStatus.FINISHED:
                assert worker.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"{job.id} not run\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
            assert job.return_value() == max(first, second)

        runs(2, 7)
        runs(1, 4, later=True)
        servers.kill(servers.primary_port)
        # First the scheduled one: rq's scheduler died with the primary's connection, and no
        # other job wakes the worker to start it again.
        runs(5, 8, later=True)
        runs(3, 9)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        client.close()


def _status(job: Job, client: Redis, servers: RedisSentinelSet) -> JobStatus | None:
    return _retry(
        "job status",
        servers,
        lambda: Job.fetch(job.id, client, SERIALIZER).get_status(refresh=False),
    )


# How many replicas must confirm a write (the engine lease's WAIT, docs/deploy.md).


async def test_no_replica_confirms_on_a_single_redis_and_one_must_when_no_sentinel_answers() -> (
    None
):
    plain = async_client("redis://127.0.0.1:6379/0")
    unanswered = async_client(f"redis+sentinel://127.0.0.1:{free_port()}/nobody")
    try:
        assert await ReplicaAcks(plain).required() == 0
        # No Sentinel to ask: one of them may know a replica that a failover would promote.
        assert await ReplicaAcks(unanswered).required() == 1
    finally:
        await plain.aclose()
        await unanswered.aclose()


async def test_one_replica_must_confirm_until_the_sentinels_mark_it_down(
    servers: RedisSentinelSet,
) -> None:
    client = async_client(servers.url())
    try:
        assert await ReplicaAcks(client).required() == 1
        servers.kill(servers.replica_port)
        deadline = time.monotonic() + FAILOVER_DEADLINE
        while await ReplicaAcks(client).required() != 0:  # a fresh one: no answer kept
            assert time.monotonic() < deadline, f"the replica never marked down\n{servers.log()}"
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()
