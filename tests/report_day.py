"""A known day in the reports database: the reports' synthetic day plus a few outbound calls,
ingested with the real ingester from a Redis stream of its own (deleted afterwards), so the web
process's report endpoints and pages have figures the tests can check."""

from __future__ import annotations

import uuid
from typing import Any

from redis import Redis

from reports import synthetic
from reports.db import make_engine, migrate
from reports.ingest import Ingester

OUTBOUND_CALLS = (("1001", "0201234567"), ("1001", "+4930123456"), ("1004", "0201234567"))
"""(caller, called) of the day's outbound calls, a minute each from 10:00 UTC: the usage."""
OUTBOUND_SECONDS = 60.0


def _outbound_records() -> list[dict[str, Any]]:
    start = synthetic.DAY_START + 10 * 3600
    return [
        synthetic.call_detail(
            f"out-{n}",
            caller=caller,
            called=called,
            direction="outbound",
            start=start + n * 600,
            answer=start + n * 600 + 5,
            end=start + n * 600 + 5 + OUTBOUND_SECONDS,
        )
        for n, (caller, called) in enumerate(OUTBOUND_CALLS)
    ]


def seed_report_day(database_url: str, redis_url: str, tenant: str = "demo") -> None:
    prefix = f"reportday:{uuid.uuid4().hex[:12]}"
    redis = Redis.from_url(redis_url)
    try:
        synthetic.publish(redis, prefix, synthetic.generate_day().events, tenant=tenant)
        synthetic.publish_call_detail(redis, prefix, _outbound_records(), tenant=tenant)
        engine = make_engine(database_url)
        migrate(engine)
        try:
            Ingester(engine, redis, prefix=prefix).ingest_available(tenant)
        finally:
            engine.dispose()
    finally:
        keys = list(redis.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            redis.delete(*keys)
        redis.close()
