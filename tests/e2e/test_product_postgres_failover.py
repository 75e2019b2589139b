"""The whole product on a PostgreSQL primary and its streaming replica (`DATABASE_URL` listing both
hosts, docs/deploy.md "PostgreSQL with a streaming replica"): a provisioning change through the
REST API reaches the replica; the primary crashes, the replica is promoted, and the SAME product
process takes the next change on the new primary within seconds, the earlier one still there."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cti.product import ProductSettings, run_product
from cti.product_checks import ProductError
from tests.e2e.test_product import token
from tests.pbx_core.support import free_port, free_sip_port
from tests.postgres_replica_set import PostgresReplicaSet, postgres_replica_set
from tests.product_harness import ProductThread

BLOCKS = "/api/v1/tenants/demo/number-blocks"
FIRST, SECOND = "+442079460000", "+442079470000"


@pytest.fixture
def replica_set() -> Iterator[PostgresReplicaSet]:
    with postgres_replica_set() as started:
        yield started


async def test_the_product_follows_a_postgres_promotion(
    replica_set: PostgresReplicaSet, tmp_path: Path
) -> None:
    product = ProductThread.start(tmp_path / "var", "pgfailover", database_url=replica_set.url())
    try:
        admin = {"Authorization": f"Bearer {await token(product.base_url, 'admin', 'pwadmin')}"}
        async with httpx.AsyncClient(base_url=product.base_url, headers=admin) as http:
            made = await http.post(BLOCKS, json={"first": FIRST, "size": 10})
            assert made.status_code == 201, made.text
            replica_set.wait_replayed()

            replica_set.primary.crash()
            # Before the promotion no host takes writes (a refused connection, then a read-only
            # standby): the request gets a clear 503 to retry, and stores nothing.
            refused = await http.post(BLOCKS, json={"first": SECOND, "size": 10}, timeout=60)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"] == "database_unavailable"
            assert int(refused.headers["Retry-After"]) > 0
            replica_set.replica.promote()
            promoted = time.monotonic()
            made = await http.post(BLOCKS, json={"first": SECOND, "size": 10})
            took = time.monotonic() - promoted
            assert made.status_code == 201, made.text
            print(f"first API change after the promotion took {took:.2f} s")  # a figure

            listed = await http.get(BLOCKS)
            assert listed.status_code == 200, listed.text
            firsts = {block["first"] for block in listed.json()}
            assert {FIRST, SECOND} <= firsts
    finally:
        product.stop()


def test_a_malformed_host_list_stops_the_product_before_anything_starts(tmp_path: Path) -> None:
    settings = ProductSettings(
        http_port=free_port(socket.SOCK_STREAM),
        sip_port=free_sip_port(),
        var_dir=tmp_path / "var",
        database_url="postgresql+psycopg://opencc@db1:5432,db2:54x32/opencc",
    )
    with pytest.raises(ProductError, match=r"DATABASE_URL: .*entry 2 \('db2:54x32'\)"):
        asyncio.run(run_product(settings))
    assert not (tmp_path / "var").exists()
