"""Screen-pop lookup latency with 100,000 indexed records.

Measures `ScreenPopService.lookup(tenant, number)` from call to returned records (number
normalisation, the indexed SELECT in a worker thread, record construction), for numbers that
are indexed and numbers that are not, and compares it with a plain dict lookup of the same keys
measured in the same run.

    .venv/bin/python bench/screen_pop.py                 # SQLite file in a temp dir
    .venv/bin/python bench/screen_pop.py --postgres      # also PostgreSQL at 127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from crm_connectors.index import CrmIndex
from crm_connectors.metrics import CrmErrorCounter
from crm_connectors.records import CrmRecord
from crm_connectors.service import ScreenPopService

TENANT = "bench"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_records(n: int) -> list[CrmRecord]:
    return [
        CrmRecord(
            id=f"r{i}",
            name=f"Klant {i}",
            source="bench",
            company=f"Bedrijf {i % 5000} B.V.",
            phones=(f"+3120{i:07d}",),
            url=f"https://crm.example/r{i}",
            kind="Account",
        )
        for i in range(n)
    ]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def measure_lookups(service: ScreenPopService, numbers: list[str]) -> list[float]:
    for number in numbers[:200]:  # warm connection pool and caches
        await service.lookup(TENANT, number)
    samples = []
    for number in numbers:
        start = time.perf_counter()
        records = await service.lookup(TENANT, number)
        samples.append(time.perf_counter() - start)
        del records
    return samples


def measure_dict(table: dict[str, list[CrmRecord]], numbers: list[str]) -> list[float]:
    samples = []
    for number in numbers:
        start = time.perf_counter()
        records = table.get(number, [])
        samples.append(time.perf_counter() - start)
        del records
    return samples


def report(label: str, samples: list[float], baseline: list[float]) -> None:
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    b50, b99 = percentile(baseline, 0.50), percentile(baseline, 0.99)
    print(
        f"{label:<28} p50 {p50 * 1e3:7.3f} ms  p99 {p99 * 1e3:7.3f} ms  "
        f"max {max(samples) * 1e3:7.3f} ms  | dict p50 {b50 * 1e6:6.2f} us p99 {b99 * 1e6:6.2f} us"
        f"  | p99 ratio {p99 / b99:,.0f}x"
    )


def run(index: CrmIndex, label: str, records: int, lookups: int) -> None:
    index.create_schema()
    data = make_records(records)
    start = time.perf_counter()
    index.replace_source(TENANT, "bench", data)
    print(f"{label}: indexed {records:,} records in {time.perf_counter() - start:.1f} s")
    table: dict[str, list[CrmRecord]] = {}
    for record in data:
        for phone in record.phones:
            table.setdefault(phone, []).append(record)
    rng = random.Random(7)
    hits = [data[rng.randrange(records)].phones[0] for _ in range(lookups)]
    # Numbers as callers present them: national format, so normalisation is part of the cost.
    hits_national = ["0" + n[3:] for n in hits]
    misses = [f"+3130{rng.randrange(10**7):07d}" for _ in range(lookups)]
    service = ScreenPopService(index, counters=CrmErrorCounter())
    hit_samples = asyncio.run(measure_lookups(service, hits_national))
    miss_samples = asyncio.run(measure_lookups(service, misses))
    report(f"{label} hit (national form)", hit_samples, measure_dict(table, hits))
    report(f"{label} miss", miss_samples, measure_dict(table, misses))
    print(f"{label} hit mean {statistics.mean(hit_samples) * 1e3:.3f} ms over {lookups:,} lookups")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = CrmIndex.from_url(f"sqlite:///{Path(tmp) / 'index.sqlite'}")
        run(index, "sqlite", args.records, args.lookups)
        index.engine.dispose()
    if args.postgres:
        name = f"crm_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            index = CrmIndex.from_url(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
            run(index, "postgres", args.records, args.lookups)
            index.engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
