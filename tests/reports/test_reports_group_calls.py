"""Group calls from a real Redis group-events stream into group-call facts, SQLite and PostgreSQL:
one fact per call and group, each event folded once however often it is delivered, and nothing
lost or doubled when a batch fails half-way."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine, delete, select

from common.event_types import EventType as T
from common.redis_keys import group_event_stream
from cti.group_events import EVENT_FIELD, GroupEvent
from reports import bulk_sql, group_batch
from reports.ingest import Ingester
from reports.models import GroupCallFact, IngestedGroupEvent, RejectedEntry, StreamCursor

T0 = 1_764_057_600.0  # 2025-11-25 08:00:00 UTC


def group_event(type_: T, at: float, call_id: str, **extra: Any) -> GroupEvent:
    return GroupEvent(
        type=type_,
        timestamp=at,
        tenant=extra.pop("tenant", "demo"),
        group=extra.pop("group", "7100"),
        call_id=call_id,
        caller="+31201234567",
        reason="test",
        member=extra.pop("member", None),
        data=extra,
    )


def answered(call_id: str, at: float) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 1, call_id, member="1001", policy="circular", ring_seconds=15
        ),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 16, call_id, member="1002", policy="circular", ring_seconds=15
        ),
        group_event(T.GROUP_CALL_ANSWERED, at + 20, call_id, member="1002", wait_seconds=20.0),
    ]


def abandoned(call_id: str, at: float) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_MEMBER_RUNG, at + 1, call_id, member="1001", policy="circular", ring_seconds=15
        ),
        group_event(T.GROUP_CALL_ABANDONED, at + 9, call_id, wait_seconds=9.0),
    ]


def forwarded(call_id: str, at: float, trigger: str, destination: str | None) -> list[GroupEvent]:
    return [
        group_event(T.GROUP_CALL_OFFERED, at, call_id, kind="hunt_group"),
        group_event(
            T.GROUP_CALL_FORWARDED,
            at + 30,
            call_id,
            trigger=trigger,
            destination=destination,
            wait_seconds=30.0,
        ),
    ]


def publish(redis: Redis, prefix: str, events: list[GroupEvent], tenant: str = "demo") -> None:
    key = group_event_stream(prefix, tenant)
    for event in events:
        redis.xadd(key, {EVENT_FIELD: event.to_json()})


def facts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(GroupCallFact.__table__).order_by(GroupCallFact.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(model.__table__)).all())


def test_each_group_call_becomes_one_fact(engine: Engine, redis_client: Redis, prefix: str) -> None:
    events = answered("c-1", T0) + abandoned("c-2", T0 + 5)
    events += forwarded("c-3", T0 + 10, "no_answer", "voicemail:1001")
    publish(redis_client, prefix, events)
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.folded, stats.rejected) == (9, 9, 0)

    first, second, third = facts(engine)
    assert (first["group_number"], first["call_id"], first["kind"]) == ("7100", "c-1", "hunt_group")
    assert (first["outcome"], first["member"], first["members_rung"]) == ("answered", "1002", 2)
    assert (first["offered_at"], first["answered_at"], first["wait_seconds"]) == (T0, T0 + 20, 20.0)
    assert (second["outcome"], second["ended_at"], second["member"]) == ("abandoned", T0 + 14, None)
    assert (third["outcome"], third["forward_trigger"]) == ("forwarded", "no_answer")
    assert third["forward_destination"] == "voicemail:1001"
    assert count(engine, IngestedGroupEvent) == 9


def test_the_same_event_twice_changes_nothing(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    events = answered("c-1", T0)
    publish(redis_client, prefix, events[:3])
    ingester = Ingester(engine, redis_client, prefix=prefix)
    ingester.ingest_available("demo")
    # The whole call again (a publisher that sent it twice), then its end.
    publish(redis_client, prefix, events)
    stats = ingester.ingest_available("demo")
    assert (stats.folded, stats.duplicates, stats.rejected) == (1, 3, 0)
    [fact] = facts(engine)
    assert (fact["members_rung"], fact["outcome"]) == (2, "answered")


def test_a_replayed_stream_is_folded_once(engine: Engine, redis_client: Redis, prefix: str) -> None:
    publish(redis_client, prefix, answered("c-1", T0) + abandoned("c-2", T0))
    Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    with engine.begin() as connection:  # the position lost: everything is read again
        connection.execute(delete(StreamCursor))
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.folded, stats.duplicates) == (7, 0, 7)
    assert [f["members_rung"] for f in facts(engine)] == [2, 1]


def test_a_batch_failing_half_way_loses_and_doubles_nothing(
    engine: Engine, redis_client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(redis_client, prefix, answered("c-1", T0))
    real_insert = bulk_sql.insert_rows
    calls = 0

    def crash_after_the_facts(*args: Any) -> None:
        nonlocal calls
        calls += 1
        real_insert(*args)
        if calls == 1:  # the facts are written, the events and the position not yet
            raise ConnectionError("the database went away")

    monkeypatch.setattr(group_batch, "insert_rows", crash_after_the_facts)
    ingester = Ingester(engine, redis_client, prefix=prefix)
    with pytest.raises(ConnectionError):
        ingester.ingest_available("demo")
    assert facts(engine) == []  # the transaction took the facts back with it
    ingester._reader.forget()  # as the ingester's loop does after a failed batch
    stats = ingester.ingest_available("demo")
    assert (stats.folded, stats.duplicates) == (4, 0)
    [fact] = facts(engine)
    assert (fact["members_rung"], fact["outcome"]) == (2, "answered")


def test_bad_entries_are_kept_with_a_reason_and_never_cross_tenants(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    key = group_event_stream(prefix, "demo")
    redis_client.xadd(key, {EVENT_FIELD: "{not json"})
    redis_client.xadd(key, {"other": "x"})
    publish(redis_client, prefix, answered("c-9", T0))
    # Another tenant's call written into demo's stream: refused, not folded into either tenant.
    intruder = group_event(T.GROUP_CALL_OFFERED, T0, "c-x", tenant="acme", kind="hunt_group")
    redis_client.xadd(key, {EVENT_FIELD: intruder.to_json()})
    # An answer for a call never offered, a forward without trigger, an over-long group.
    stray = group_event(T.GROUP_CALL_ANSWERED, T0, "c-nobody", member="1001", wait_seconds=1.0)
    long_group = group_event(T.GROUP_CALL_OFFERED, T0, "c-long", group="7" * 65, kind="hunt_group")
    publish(redis_client, prefix, [stray, long_group])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available(["demo", "acme"])
    assert (stats.folded, stats.rejected) == (4, 5)
    assert [(f["tenant"], f["call_id"]) for f in facts(engine)] == [("demo", "c-9")]
    with engine.connect() as connection:
        reasons = connection.execute(select(RejectedEntry.reason)).scalars().all()
        folded = (
            connection.execute(
                select(IngestedGroupEvent.reason).where(IngestedGroupEvent.status == "rejected")
            )
            .scalars()
            .all()
        )
    assert any("not JSON" in r for r in reasons) and any("no 'event'" in r for r in reasons)
    assert any("'acme' in demo's stream" in r for r in reasons)
    assert any("longer than 64" in r for r in reasons)
    assert folded == ["call 'c-nobody' is not waiting in group '7100'"]
