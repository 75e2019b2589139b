"""Callbacks in the reports (docs/callback.md, docs/reports.md): the engine's own events for a
callback that reached its customer and one given up, through Redis and the ingester, on SQLite
and PostgreSQL: counted apart from answered and abandoned calls, the answered one with its agent
and talk time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy import Engine

from queueing.config import CallbackPolicy, Media
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    CallbackAnswered,
    CallbackBooked,
    CallbackFailed,
    CallbackRequested,
)
from reports.call_center_report import call_center_figures
from reports.ingest import Ingester
from reports.models import QueueCallFact
from reports.ranges import ReportRange
from reports.synthetic import publish
from tests.queueing.support import arrive, center, simulator, tenant
from tests.reports.test_reports_ingest import rows

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_callbacks_are_counted_apart(engine: Engine, redis_client: Redis, prefix: str) -> None:
    policy = CallbackPolicy(attempts=1, retry_seconds=60)
    config = dataclasses.replace(
        tenant(center(media=Media(entrance_message=None), callback=policy)), tenant="demo"
    )
    sim = simulator(config, available=["1001"], now=START.timestamp() + 60)
    arrive(sim, "front")
    sim.feed(AgentAnswered("front", "1001"))
    arrive(sim, "kept")
    sim.feed(CallbackRequested("kept", "0201234567"))
    sim.feed(CallbackBooked("web", "7001", "0612345678"))
    sim.advance(100)
    sim.feed(AgentHungUp("front", "1001"))
    sim.feed(AgentAnswered("kept", "1001"))
    sim.feed(CallbackAnswered("kept"))
    sim.advance(50)
    sim.feed(AgentHungUp("kept", "1001"))
    sim.advance(30)  # wrap-up
    sim.feed(AgentAnswered("web", "1001"))
    sim.feed(CallbackFailed("web", "busy"))

    publish(redis_client, prefix, [e.to_dict() for e in sim.events])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert stats.rejected == 0

    facts = {f["call_id"]: f for f in rows(engine, QueueCallFact)}
    assert {i: f["outcome"] for i, f in facts.items()} == {
        "front": "answered",
        "kept": "called_back",
        "web": "callback_failed",
    }
    kept = facts["kept"]
    assert (kept["agent"], kept["wait_seconds"], kept["talk_seconds"]) == ("1001", 100.0, 50.0)

    [figures] = call_center_figures(engine, "demo", ReportRange(START, START + timedelta(hours=1)))
    assert (figures.offered, figures.answered, figures.abandoned) == (3, 1, 0)
    assert (figures.called_back, figures.callback_failed, figures.waiting) == (1, 1, 0)
