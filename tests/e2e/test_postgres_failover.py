"""The product's database clients follow a PostgreSQL promotion without a restart (issue 20).

A real primary and streaming replica (tests/postgres_replica_set.py); the provisioning service
and the report ingester run on the product's own engines (`cti.users.make_engine`,
`reports.db.make_engine`) with the production URL listing both hosts. What they commit reaches
the replica; the primary then crashes, the replica is promoted, and the same objects' next writes
land on the new primary within seconds, with nothing committed (and replicated) before lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, func, select, text

from common.database_url import DatabaseUrlError
from cti.provisioning_demo import demo_tenant_spec
from cti.users import make_engine as provisioning_engine
from provisioning.db import migrate as migrate_provisioning
from provisioning.models import number_blocks
from provisioning.service import ProvisioningService
from reports.db import make_engine as reports_engine
from reports.db import migrate as migrate_reports
from reports.ingest import Ingester
from reports.ingest import main as ingester_main
from reports.models import IngestedEvent
from reports.synthetic import generate_day, publish
from tests.postgres_replica_set import PostgresReplicaSet, postgres_replica_set

REDIS_URL = "redis://127.0.0.1:6379/0"
TENANT = "demo"


@pytest.fixture
def replica_set() -> Iterator[PostgresReplicaSet]:
    with postgres_replica_set() as started:
        yield started


@pytest.fixture
def redis() -> Iterator[tuple[Redis, str]]:
    client = Redis.from_url(REDIS_URL)
    prefix = f"test-pgfailover-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def blocks(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(select(number_blocks.c.first).order_by(number_blocks.c.first))
        return [row[0] for row in rows]


def ingested(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(IngestedEvent)).scalar_one()


def server_port(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT inet_server_port()")).scalar_one())


def test_clients_follow_a_promotion_and_lose_nothing_replicated(
    replica_set: PostgresReplicaSet, redis: tuple[Redis, str]
) -> None:
    client, prefix = redis
    url = replica_set.url()
    provisioning = provisioning_engine(url)
    reports = reports_engine(url)
    replica = create_engine(replica_set.replica.url)  # the standby alone, to look at
    try:
        migrate_provisioning(provisioning)
        migrate_reports(reports)
        service = ProvisioningService(provisioning, str)
        service.ensure_tenant("op", demo_tenant_spec(TENANT))
        service.add_number_block("op", TENANT, "+31201230000", 10)
        day = generate_day(seed=5, calls_per_center=4, tenant=TENANT)
        half = len(day.events) // 2
        ingester = Ingester(reports, client, prefix=prefix, batch_size=50)
        publish(client, prefix, day.events[:half], TENANT)
        ingester.ingest_available(TENANT)
        assert server_port(provisioning) == replica_set.primary.port  # the writable host

        replica_set.wait_replayed()
        assert blocks(replica) == ["+31201230000"]
        assert ingested(replica) == half

        replica_set.fail_over()
        promoted = time.monotonic()
        # The same service and ingester, no restart, no retry loop of the test's own.
        service.add_number_block("op", TENANT, "+31201240000", 10)
        publish(client, prefix, day.events[half:], TENANT)
        ingester.ingest_available(TENANT)
        took = time.monotonic() - promoted
        print(f"first writes after the promotion took {took:.2f} s")  # a figure, not a check

        assert server_port(provisioning) == replica_set.replica.port
        assert server_port(reports) == replica_set.replica.port
        assert blocks(replica) == ["+31201230000", "+31201240000"]
        assert ingested(replica) == len(day.events)  # every event once: none lost, none twice
    finally:
        provisioning.dispose()
        reports.dispose()
        replica.dispose()


def test_report_batches_the_promotion_lost_are_ingested_again(
    replica_set: PostgresReplicaSet, redis: tuple[Redis, str]
) -> None:
    """Asynchronous replication: batches the primary committed but never sent are missing on the
    promoted replica, their stream position with them. The same ingester, which remembers a
    later position, must notice and read those events again from Redis (docs/deploy.md)."""
    client, prefix = redis
    reports = reports_engine(replica_set.url())
    try:
        migrate_reports(reports)
        day = generate_day(seed=6, calls_per_center=4, tenant=TENANT)
        third = len(day.events) // 3
        ingester = Ingester(reports, client, prefix=prefix, batch_size=50)
        publish(client, prefix, day.events[:third], TENANT)
        ingester.ingest_available(TENANT)
        replica_set.wait_replayed()
        replica_set.cut_replication()
        publish(client, prefix, day.events[third : 2 * third], TENANT)
        ingester.ingest_available(TENANT)  # committed on the primary alone
        assert ingested(reports) == 2 * third

        replica_set.fail_over()
        assert ingested(reports) == third  # the promoted replica never had the second third
        publish(client, prefix, day.events[2 * third :], TENANT)
        ingester.ingest_available(TENANT)
        assert ingested(reports) == len(day.events)
    finally:
        reports.dispose()


@pytest.mark.parametrize(
    "hosts",
    ["127.0.0.1:5432,,127.0.0.1:5433", "127.0.0.1:5432,127.0.0.1:port", "127.0.0.1:5432,[::1]:5"],
)
def test_a_malformed_host_list_is_refused_at_start(hosts: str) -> None:
    url = f"postgresql+psycopg://postgres@{hosts}/opencc?target_session_attrs=read-write"
    with pytest.raises(DatabaseUrlError, match=r"host list .* entry 2 .*host\[:port\]"):
        provisioning_engine(url)
    with pytest.raises(DatabaseUrlError, match="entry 2"):
        ingester_main(["--tenant", TENANT, "--database-url", url])
