"""rq jobs on the real Redis (own queue names), run by a SimpleWorker in burst mode."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue
from rq.job import Job, JobStatus

from common.job_queues import SERIALIZER, job_queue, simple_worker
from crm_connectors import jobs
from crm_connectors.config import (
    AfasConfig,
    ExactOnlineConfig,
    FieldMapping,
    SalesforceConfig,
    TenantCrmConfig,
)
from crm_connectors.demo import DEMO_CONNECTOR, create_demo_database, demo_tenant_config
from crm_connectors.factory import ConnectorFactory
from crm_connectors.http import RetryPolicy
from crm_connectors.index import CrmIndex
from crm_connectors.metrics import CrmErrorCounter
from crm_connectors.records import CallDirection, CallLog, CrmRecord
from crm_connectors.secrets import Secret
from crm_connectors.service import CallLogger
from crm_connectors.sync import SyncMode
from crm_connectors.worker import run_worker
from tests.crm_connectors.crm_testkit import rq_queue, serve
from tests.crm_connectors.fake_vendors import FakeAfas, FakeExact, FakeSalesforce
from tests.ports import free_port

ONE_TRY = RetryPolicy(attempts=1, backoff_s=0.0, max_wait_s=0.5)
NUMBER = "+31201234567"


@pytest.fixture
def queue() -> Iterator[Queue]:
    with rq_queue() as q:
        yield q


@pytest.fixture
def exact() -> Iterator[FakeExact]:
    fake = FakeExact()
    fake.accounts = [
        {"ID": f"a{i}", "Name": f"Klant {i}", "Phone": f"020-{1000000 + i}", "Modified": "2026"}
        for i in range(10)
    ]
    with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def index(tmp_path: Path) -> CrmIndex:
    idx = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
    idx.create_schema()
    return idx


@pytest.fixture
def counters() -> CrmErrorCounter:
    return CrmErrorCounter()


def exact_tenant(fake: FakeExact) -> TenantCrmConfig:
    return TenantCrmConfig("t1", (exact_config(fake),))


def exact_config(fake: FakeExact) -> ExactOnlineConfig:
    return ExactOnlineConfig(
        name="exact",
        division=fake.division,
        client_id=fake.client_id,
        client_secret=Secret(fake.client_secret),
        refresh_token=Secret(fake.refresh_token),
        base_url=fake.base_url,
    )


@contextmanager
def use_context(
    index: CrmIndex, counters: CrmErrorCounter, *configs: TenantCrmConfig
) -> Iterator[None]:
    by_tenant = {c.tenant: c for c in configs}
    jobs.set_job_context(
        jobs.JobContext(
            index=index,
            configs=by_tenant.get,
            counters=counters,
            factory=ConnectorFactory(retry=ONE_TRY),
        )
    )
    try:
        yield
    finally:
        jobs.set_job_context(None)


def work(queue: Queue, *, with_scheduler: bool = False) -> None:
    simple_worker([queue], queue.connection).work(
        burst=True, with_scheduler=with_scheduler, logging_level="WARNING"
    )


def test_sync_job_retries_5xx_then_fills_the_index(
    queue: Queue,
    exact: FakeExact,
    index: CrmIndex,
    counters: CrmErrorCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "SYNC_RETRY_INTERVALS", (0, 0, 0))  # requeue at once in the test
    exact.behaviour.fail_next = 2
    with use_context(index, counters, exact_tenant(exact)):
        job = jobs.enqueue_sync(queue, "t1", "exact", SyncMode.FULL)
        work(queue)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == 1
    assert job.return_value() == {"tenant": "t1", "source": "exact", "mode": "full", "written": 10}
    assert [r.name for r in index.lookup("t1", "+31201000003")] == ["Klant 3"]
    assert counters.total(operation="sync", kind="unavailable") == 2


def test_429_schedules_a_retry_with_backoff_through_the_scheduler(
    queue: Queue, exact: FakeExact, index: CrmIndex, counters: CrmErrorCounter
) -> None:
    exact.behaviour.throttle_next = 1
    exact.behaviour.retry_after = "120"
    with use_context(index, counters, exact_tenant(exact)):
        job = jobs.enqueue_sync(queue, "t1", "exact", SyncMode.FULL)
        # The retry is due the first back-off after the failure, which happened in between:
        # bounds from the clock around the work, so a slow machine cannot fail the test.
        before = datetime.now(UTC)
        work(queue)
        after = datetime.now(UTC)
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.id in queue.scheduled_job_registry.get_job_ids()
    when = queue.scheduled_job_registry.get_scheduled_time(job)
    first_backoff = timedelta(seconds=jobs.SYNC_RETRY_INTERVALS[0])
    second = timedelta(seconds=1)  # rq keeps whole seconds
    assert before + first_backoff - second <= when <= after + first_backoff + second
    assert counters.total(kind="rate_limited") == 1
    assert index.count("t1") == 0


def test_periodic_delta_sync_runs_and_schedules_its_next_run(
    queue: Queue, exact: FakeExact, index: CrmIndex, counters: CrmErrorCounter
) -> None:
    with use_context(index, counters, exact_tenant(exact)):
        first = jobs.schedule_sync(queue, "t1", "exact", every=timedelta(minutes=15))
        assert first.get_status() == JobStatus.SCHEDULED
        work(queue, with_scheduler=True)
    first.refresh()
    assert first.get_status() == JobStatus.FINISHED
    # The first delta found no earlier sync and ran as a full one.
    outcome = first.return_value()
    assert outcome is not None and outcome["mode"] == "full"
    assert index.count("t1") == 10
    scheduled = queue.scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1 and scheduled[0] != first.id
    nxt = Job.fetch(scheduled[0], queue.connection, SERIALIZER)
    assert tuple(nxt.args) == ("t1", "exact", "delta", 900)  # JSON brings a list back


def test_call_log_job_writes_each_crm_once_across_retries(
    queue: Queue, index: CrmIndex, counters: CrmErrorCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "LOG_CALL_RETRY_INTERVALS", (0, 0))
    sf, afas = FakeSalesforce(), FakeAfas()
    afas.behaviour.fail_next = 1
    with serve(sf.app()) as sf_url, serve(afas.app()) as afas_url:
        sf.base_url = sf_url
        config = TenantCrmConfig(
            "t1",
            (
                SalesforceConfig(
                    "salesforce",
                    sf_url,
                    sf.client_id,
                    Secret(sf.client_secret),
                    token_url=f"{sf_url}/services/oauth2/token",
                ),
                AfasConfig(
                    "afas",
                    afas_url,
                    afas.connector,
                    Secret(afas.token),
                    mapping=FieldMapping("BcCo", "Nm", phones=("TeNr",)),
                ),
                AfasConfig("unmatched", afas_url, afas.connector, Secret(afas.token)),
            ),
        )
        piet = CrmRecord("003A", "Piet", "salesforce", phones=(NUMBER,), kind="Contact")
        index.replace_source("t1", "salesforce", [piet])
        index.replace_source("t1", "afas", [CrmRecord("J", "Jansen", "afas", phones=(NUMBER,))])
        call = CallLog(
            tenant="t1",
            call_id="call-42",
            number="020-1234567",
            direction=CallDirection.INBOUND,
            duration_s=61,
            agent="1001",
            disposition="Answered",
            started_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
            recording_url="https://pbx.example/rec/call-42.wav",
        )
        with use_context(index, counters, config):
            job_id = CallLogger(queue, counters=counters).submit(call)
            assert job_id is not None
            work(queue)
    job = Job.fetch(job_id, queue.connection, SERIALIZER)
    assert job.get_status() == JobStatus.FINISHED
    assert len(sf.tasks) == 1 and sf.tasks[0]["WhoId"] == "003A"
    assert len(afas.subjects) == 1
    assert counters.total(connector="afas", operation="log_call") == 1
    result = job.return_value()
    # "unmatched" knows no record for this number, so nothing was written there.
    assert result is not None and set(result) == {"salesforce", "afas"}


def test_call_logger_never_raises_when_redis_is_down(counters: CrmErrorCounter) -> None:
    no_retry = RedisRetry(NoBackoff(), 0)
    dead = job_queue("nowhere", Redis(port=free_port(), retry=no_retry))
    call = CallLog(
        tenant="t1",
        call_id="c",
        number=NUMBER,
        direction=CallDirection.OUTBOUND,
        duration_s=0,
        agent="1001",
        disposition="Busy",
        started_at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert CallLogger(dead, counters=counters).submit(call) is None
    assert counters.total(operation="log_call") == 1


def test_run_worker_syncs_the_demo_crm(queue: Queue, index: CrmIndex, tmp_path: Path) -> None:
    demo_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    create_demo_database(demo_url)
    context = jobs.JobContext(index=index, configs={"demo": demo_tenant_config(demo_url)}.get)
    try:
        job = jobs.enqueue_sync(queue, "demo", DEMO_CONNECTOR)
        assert run_worker(queue.connection, context, [queue.name], burst=True)
    finally:
        jobs.set_job_context(None)
    assert job.get_status() == JobStatus.FINISHED
    assert [r.name for r in index.lookup("demo", NUMBER)] == ["Jansen Installatietechniek B.V."]


def test_scheduling_again_replaces_the_chain_and_cancel_stops_it(
    queue: Queue, exact: FakeExact, index: CrmIndex, counters: CrmErrorCounter
) -> None:
    first = jobs.schedule_sync(queue, "t1", "exact", every=timedelta(minutes=15))
    second = jobs.schedule_sync(queue, "t1", "exact", every=timedelta(minutes=5))
    assert queue.scheduled_job_registry.get_job_ids() == [second.id]
    assert not Job.exists(first.id, connection=queue.connection)
    with use_context(index, counters, exact_tenant(exact)):
        work(queue, with_scheduler=True)
    nxt = queue.scheduled_job_registry.get_job_ids()
    assert len(nxt) == 1 and Job.fetch(nxt[0], queue.connection, SERIALIZER).args[3] == 300
    jobs.cancel_sync_schedule(queue, "t1", "exact", SyncMode.DELTA)
    assert queue.scheduled_job_registry.get_job_ids() == []


def test_plain_rq_worker_gets_its_context_from_the_environment(
    queue: Queue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    CrmIndex.from_url(index_url).create_schema()
    demo_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    create_demo_database(demo_url)
    tenants = tmp_path / "tenants.json"
    rest = {
        "kind": "rest",
        "name": "r",
        "lookup_url": "http://x/{number}",
        "mapping": {"id": "id", "name": "n"},
        "auth_value": "k",
    }
    tenants.write_text(json.dumps([{"tenant": "acme", "connectors": [rest]}]))
    monkeypatch.setenv(jobs.ENV_INDEX_URL, index_url)
    monkeypatch.setenv(jobs.ENV_DEMO_DB_URL, demo_url)
    monkeypatch.setenv(jobs.ENV_TENANTS_FILE, str(tenants))
    jobs.set_job_context(None)
    try:
        job = jobs.enqueue_sync(queue, "demo", DEMO_CONNECTOR)
        work(queue)
        context = jobs.job_context()
        acme = context.configs("acme")
        assert acme is not None and acme.connectors[0].name == "r"
    finally:
        jobs.set_job_context(None)
    assert job.get_status() == JobStatus.FINISHED
    assert CrmIndex.from_url(index_url).count("demo") == 5
