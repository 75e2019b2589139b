"""Reports benchmark: ingestion speed against a plain bulk insert, and day reports over many CDRs.

1. Ingestion: a synthetic day of domain events goes onto a Redis stream; `reports.ingest.Ingester`
   folds it into a fresh database. Baseline, measured in the same run: a plain SQLAlchemy bulk
   insert (`connection.execute(insert(table), rows)`, one transaction) of exactly the rows the
   ingester produced into another fresh database. Ratio = baseline time / ingestion time, i.e.
   ingestion events/s relative to the bulk insert (goal >= 0.5).
2. Day report: `--cdrs` call-detail records (default 1,000,000; 70 % of them queue calls with a
   queue-call fact each) in one day; times the call-center day report (contract shape), the same
   per hour, the agent day report and the usage report (seed 3.5.3).

Both run on SQLite and, when it answers, PostgreSQL (a schema of its own, dropped afterwards).
Prints figures only; nothing here asserts a time.

    .venv/bin/python bench/reports_ingest.py                 # full run
    .venv/bin/python bench/reports_ingest.py --events 20000 --cdrs 50000   # quick run
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import OperationalError

from reports.db import make_engine, migrate
from reports.ingest import DEFAULT_BATCH_SIZE, Ingester
from reports.models import METADATA
from reports.ranges import Interval, parse_range
from reports.service import agent_figures, call_center_figures, call_centers_report, usage_figures
from reports.synthetic import CALL_CENTERS, DAY_START, generate_day, publish

TENANT = "bench"
EVENTS_PER_CALL = 5.3  # measured average of reports.synthetic, agent events included


@contextmanager
def database(kind: str, workdir: Path, postgres_url: str | None) -> Iterator[str | None]:
    """A fresh database URL of `kind` (None when PostgreSQL does not answer)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    if postgres_url is None:
        yield None
        return
    schema = f"bench_reports_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_answers(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect():
            return url
    except OperationalError:
        return None
    finally:
        engine.dispose()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def cpu_timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, this process's CPU seconds, result).

    On a shared, busy machine wall time mostly measures the neighbours; the CPU time of this
    process is what SQLite work really costs (SQLite runs in-process). PostgreSQL does its share
    in the server, so for it only wall time is comparable.
    """
    # The harness's own objects (the generated day, rows of earlier runs) are frozen out of the
    # garbage collector for both sides: a real ingester does not hold them, yet every full
    # collection during the timed action would walk them all.
    gc.collect()
    gc.freeze()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        result = action()
        return time.perf_counter() - started, time.process_time() - cpu, result
    finally:
        gc.unfreeze()


def all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            name: [dict(row) for row in connection.execute(select(table)).mappings()]
            for name, table in METADATA.tables.items()
        }


def ingest_once(
    url: str, redis: Redis, events: list[dict[str, Any]], batch: int
) -> tuple[float, float, Any, Engine]:
    """Ingest `events` from a fresh stream into the migrated, empty database at `url`."""
    prefix = f"bench-reports-{uuid.uuid4().hex[:8]}"
    publish(redis, prefix, events, tenant=TENANT)
    try:
        migrate(url)
        engine = make_engine(url)
        ingester = Ingester(engine, redis, prefix=prefix, batch_size=batch)
        seconds, cpu, stats = cpu_timed(lambda: ingester.ingest_available(TENANT))
        return seconds, cpu, stats, engine
    finally:
        for key in redis.scan_iter(match=f"{prefix}:*"):
            redis.delete(key)


def bulk_insert_once(url: str, produced: dict[str, list[dict[str, Any]]]) -> tuple[float, float]:
    """The baseline: a plain SQLAlchemy bulk insert of `produced` into a fresh database."""
    migrate(url)
    target = make_engine(url)

    def bulk_insert() -> None:
        with target.begin() as connection:
            for name, table in METADATA.tables.items():
                if produced[name]:
                    connection.execute(insert(table), produced[name])

    seconds, cpu, _ = cpu_timed(bulk_insert)
    target.dispose()
    return seconds, cpu


def bench_ingestion(
    kind: str,
    redis: Redis,
    n_events: int,
    batch: int,
    workdir: Path,
    postgres_url: str | None,
    repeat: int,
) -> None:
    """Best of `repeat` alternating runs of each, so a busy shared machine skews neither side."""
    calls = max(1, int(n_events / EVENTS_PER_CALL / 3))
    events = generate_day(seed=1, calls_per_center=calls, tenant=TENANT).events
    ingest_runs: list[tuple[float, float]] = []
    bulk_runs: list[tuple[float, float]] = []
    stats: Any = None
    n_rows = 0
    for _ in range(repeat):
        with database(kind, workdir, postgres_url) as url:
            assert url is not None
            seconds, cpu, stats, engine = ingest_once(url, redis, events, batch)
            produced = all_rows(engine)
            engine.dispose()
            ingest_runs.append((seconds, cpu))
        n_rows = sum(len(rows) for rows in produced.values())
        with database(kind, workdir, postgres_url) as url:
            assert url is not None
            bulk_runs.append(bulk_insert_once(url, produced))
    n = stats.entries
    wall, cpu = min(r[0] for r in ingest_runs), min(r[1] for r in ingest_runs)
    base_wall, base_cpu = min(r[0] for r in bulk_runs), min(r[1] for r in bulk_runs)
    print(
        f"[{kind}] ingestion: {n} events -> {n_rows} rows (rejected {stats.rejected}), best of "
        f"{repeat}: {wall:.2f} s wall = {n / wall:,.0f} events/s, {cpu:.2f} s CPU of this process"
    )
    print(
        f"[{kind}] plain SQLAlchemy bulk insert of the same rows, best of {repeat}: "
        f"{base_wall:.2f} s wall = {n / base_wall:,.0f} events/s, {base_cpu:.2f} s CPU"
    )
    print(
        f"[{kind}] ratio ingestion / bulk insert, wall time: {base_wall / wall:.2f} (goal >= 0.5)"
    )
    if kind == "sqlite":
        print(f"[{kind}] ratio ingestion / bulk insert, CPU time: {base_cpu / cpu:.2f}")


def synthetic_cdrs(n: int, seed: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`n` CDRs over one day, 70 % of them queue calls with their queue-call fact."""
    rng = random.Random(seed)
    cdrs: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    centers = list(CALL_CENTERS)
    outcomes = ["answered"] * 7 + ["abandoned", "overflowed", "stranded"]
    for i in range(n):
        start = DAY_START + rng.random() * 86_399
        if i % 10 < 7:
            cc = centers[i % 3]
            outcome = outcomes[i % 10]
            wait = rng.random() * 90
            answered = outcome == "answered"
            talk = 30 + rng.random() * 500 if answered else None
            agent = rng.choice(CALL_CENTERS[cc]) if answered else None
            facts.append(
                {
                    "tenant": TENANT,
                    "call_center_id": cc,
                    "call_id": f"q{i}",
                    "first_sequence": i,
                    "caller": "+31201234567",
                    "called": cc,
                    "priority": 0,
                    "arrived_at": start,
                    "entered": True,
                    "offered": answered,
                    "offer_count": int(answered),
                    "bounce_count": int(i % 17 == 0),
                    "hold_count": 0,
                    "entrance_done": True,
                    "outcome": outcome,
                    "outcome_trigger": None,
                    "outcome_action": None,
                    "destination": None,
                    "abandoned_during_entrance": False if outcome == "abandoned" else None,
                    "ended_at": start + wait,
                    "wait_seconds": wait,
                    "agent": agent,
                    "answered_at": start + wait if answered else None,
                    "released_at": start + wait + talk if talk else None,
                    "talk_seconds": talk,
                    "released_by": "caller" if answered else None,
                    "disposition": None,
                }
            )
            cdrs.append(
                {
                    "tenant": TENANT,
                    "origin": "queue",
                    "call_id": f"q{i}",
                    "usage_type": "voice",
                    "direction": "inbound",
                    "category": "national",
                    "caller": "+31201234567",
                    "called": cc,
                    "number": cc,
                    "profile": None,
                    "start_at": start,
                    "answer_at": start + wait if answered else None,
                    "end_at": start + wait + (talk or 0.0),
                    "duration_seconds": talk,
                    "quantity": talk or 0.0,
                    "outcome": outcome,
                    "agent": agent,
                    "call_center_id": cc,
                    "disposition": None,
                    "recording_url": None,
                }
            )
        else:
            seconds = rng.random() * 600
            cdrs.append(
                {
                    "tenant": TENANT,
                    "origin": "pbx",
                    "call_id": f"p{i}",
                    "usage_type": rng.choice(["voice", "voice", "voice", "sms", "data"]),
                    "direction": rng.choice(["outbound", "outbound", "internal"]),
                    "category": "international" if i % 9 == 0 else "national",
                    "caller": f"10{i % 10:02d}",
                    "called": "0201234567",
                    "number": f"+3120123450{i % 10}",
                    "profile": rng.choice(["Kantoor", "Overal", "Onderweg Bundel"]),
                    "start_at": start,
                    "answer_at": start + 3,
                    "end_at": start + 3 + seconds,
                    "duration_seconds": seconds,
                    "quantity": seconds,
                    "outcome": "answered",
                    "agent": None,
                    "call_center_id": None,
                    "disposition": None,
                    "recording_url": None,
                }
            )
    return cdrs, facts


def bench_day_report(kind: str, url: str, n_cdrs: int) -> None:
    migrate(url)
    engine = make_engine(url)
    cdrs, facts = synthetic_cdrs(n_cdrs)
    load, _ = timed(lambda: _load(engine, cdrs, facts))
    print(f"[{kind}] loaded {len(cdrs):,} CDRs and {len(facts):,} queue-call facts in {load:.1f} s")
    day = parse_range("2025-11-25T00:00:00Z", "2025-11-26T00:00:00Z")
    for label, action in (
        (
            "call-center day report (contract shape)",
            lambda: call_centers_report(
                engine, TENANT, "2025-11-25T00:00:00Z", "2025-11-26T00:00:00Z"
            ),
        ),
        (
            "call-center report per hour",
            lambda: call_center_figures(engine, TENANT, day, Interval.HOUR),
        ),
        ("agent day report", lambda: agent_figures(engine, TENANT, day)),
        (
            "usage day report (type, category, number, profile)",
            lambda: usage_figures(engine, TENANT, day),
        ),
    ):
        seconds, result = timed(action)
        print(f"[{kind}] {label}: {seconds:.3f} s ({len(result)} rows)")
    engine.dispose()


def _load(engine: Engine, cdrs: list[dict[str, Any]], facts: list[dict[str, Any]]) -> None:
    chunk = 50_000
    for table, rows in (
        (METADATA.tables["call_detail_records"], cdrs),
        (METADATA.tables["queue_call_facts"], facts),
    ):
        for start in range(0, len(rows), chunk):
            with engine.begin() as connection:
                connection.execute(insert(table), rows[start : start + chunk])
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=60_000, help="events to ingest")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=3, help="ingestion runs (best is kept)")
    parser.add_argument("--cdrs", type=int, default=1_000_000, help="CDRs in the day report")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    redis = Redis.from_url(args.redis_url)
    postgres_url = postgres_answers(args.postgres_url)
    if postgres_url is None:
        print(f"PostgreSQL does not answer at {args.postgres_url}: SQLite only")
    with tempfile.TemporaryDirectory() as workdir:
        for kind in ("sqlite", "postgresql"):
            if not args.skip_ingest and (kind == "sqlite" or postgres_url is not None):
                bench_ingestion(
                    kind,
                    redis,
                    args.events,
                    args.batch_size,
                    Path(workdir),
                    postgres_url,
                    args.repeat,
                )
            if not args.skip_report:
                with database(kind, Path(workdir), postgres_url) as url:
                    if url is not None:
                        bench_day_report(kind, url, args.cdrs)


if __name__ == "__main__":
    main()
