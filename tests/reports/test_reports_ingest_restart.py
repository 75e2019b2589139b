"""Killing the ingester process mid-stream and restarting it yields exactly the same rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import Engine, select

from reports.db import make_engine, migrate
from reports.ingest import Ingester
from reports.models import (
    AgentMembershipEvent,
    AgentStateInterval,
    CallDetailRecord,
    IngestedEvent,
    QueueCallFact,
    RejectedEntry,
    StreamCursor,
)
from reports.synthetic import generate_day, publish

REPO = Path(__file__).resolve().parents[2]
CONTENT_TABLES = [
    QueueCallFact,
    CallDetailRecord,
    AgentStateInterval,
    AgentMembershipEvent,
    IngestedEvent,
    RejectedEntry,
    StreamCursor,
]


def content(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table without surrogate ids (PostgreSQL skips ids of rolled-back rows)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for model in CONTENT_TABLES:
            table: Any = model.__table__
            columns = [c for c in table.columns if c.name != "id"]
            out[table.name] = sorted(
                tuple(row) for row in connection.execute(select(*columns)).all()
            )
    return out


def cursor_id(engine: Engine, stream: str) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(StreamCursor.last_id).where(StreamCursor.stream == stream)
        ).scalar_one_or_none()


def start_ingester(db_url: str, prefix: str, redis_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reports.ingest",
            "--tenant",
            "demo",
            "--prefix",
            prefix,
            "--database-url",
            db_url,
            "--redis-url",
            redis_url,
            "--batch-size",
            "25",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def kill_after_progress(
    process: subprocess.Popen[bytes], engine: Engine, stream: str, previous: str | None
) -> str | None:
    """SIGKILL the ingester as soon as its stored position moved past `previous`."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        position = cursor_id(engine, stream)
        if position is not None and position != previous:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return position
        time.sleep(0.005)
    process.kill()
    process.wait()
    raise AssertionError("the ingester made no progress")


def test_kill_mid_stream_and_restart_gives_the_same_rows(
    db_url: str, redis_client: Redis, redis_url: str, prefix: str, tmp_path: Path
) -> None:
    day = generate_day(seed=11, calls_per_center=150)
    publish(redis_client, prefix, day.events)
    stream = f"{prefix}:demo:events"
    newest: Any = redis_client.xrevrange(stream, count=1)
    last_entry = newest[0][0].decode()

    # reference: one uninterrupted in-process run into a separate SQLite database
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    Ingester(reference, redis_client, prefix=prefix).ingest_available("demo")

    migrate(db_url)
    engine = make_engine(db_url)
    try:
        positions: list[str | None] = [None]
        for _ in range(3):
            process = start_ingester(db_url, prefix, redis_url)
            positions.append(kill_after_progress(process, engine, stream, positions[-1]))
        assert positions[-1] != last_entry, "killed too late to prove anything; add events"

        # the last run follows the stream; stop it once it has caught up
        process = start_ingester(db_url, prefix, redis_url)
        deadline = time.monotonic() + 120
        while cursor_id(engine, stream) != last_entry and time.monotonic() < deadline:
            time.sleep(0.05)
        process.terminate()
        process.wait(timeout=30)
        assert content(engine) == content(reference)
        assert len(content(engine)["ingested_events"]) == len(day.events)
    finally:
        engine.dispose()
        reference.dispose()
