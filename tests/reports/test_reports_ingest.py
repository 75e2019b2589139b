"""Ingestion from a real Redis stream into the facts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, get_args

import pytest
from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError

from queueing.events import EventType as T
from reports import batch
from reports.event_parsing import KNOWN_DATA_FIELDS
from reports.fold import ROUTES, Status
from reports.ingest import Ingester
from reports.models import (
    AgentMembershipEvent,
    AgentStateInterval,
    CallDetailRecord,
    EventStatus,
    IngestedEvent,
    QueueCallFact,
    RejectedEntry,
)
from reports.synthetic import EventFactory, call_detail, publish, publish_call_detail

T0 = 1_764_057_600.0  # 2025-11-25 08:00:00 UTC


def rows(engine: Engine, model: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        table = model.__table__
        key = table.c.id if "id" in table.c else table.c.sequence
        return [dict(r) for r in connection.execute(select(table).order_by(key)).mappings()]


def answered_call(f: EventFactory, call_id: str, at: float) -> list[dict[str, Any]]:
    cc = {"call_center": "7002", "call_id": call_id, "caller": "+31201234567"}
    return [
        f.make(T.CALL_ADDED, at, **cc, priority=0, position=1, called="7002"),
        f.make(T.CALL_UPDATED, at + 4, **cc, what="entrance_done"),
        f.make(T.CALL_OFFERED, at + 5, **cc, agent="1004", policy="circular", ring_timeout=15),
        f.make(T.CALL_BOUNCED, at + 20, **cc, agent="1004", trigger="no_answer"),
        f.make(T.CALL_OFFERED, at + 21, **cc, agent="1005", policy="circular", ring_timeout=15),
        f.make(T.CALL_ANSWERED, at + 24, **cc, agent="1005", wait_seconds=24.0),
        f.make(
            T.CALL_RELEASED, at + 84, **cc, agent="1005", talk_seconds=60.0, released_by="caller"
        ),
        f.make(T.DISPOSITION_ENTERED, at + 90, **cc, agent="1005", code="sale"),
    ]


def test_a_queued_call_becomes_one_fact_and_one_cdr(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    publish(redis_client, prefix, answered_call(f, "c-1", T0))
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.folded, stats.rejected) == (8, 8, 0)

    [fact] = rows(engine, QueueCallFact)
    assert fact["call_center_id"] == "7002"
    assert fact["entered"] and fact["offered"] and fact["entrance_done"]
    assert (fact["offer_count"], fact["bounce_count"]) == (2, 1)
    assert fact["outcome"] == "answered" and fact["agent"] == "1005"
    assert (fact["arrived_at"], fact["answered_at"], fact["released_at"]) == (
        T0,
        T0 + 24,
        T0 + 84,
    )
    assert (fact["wait_seconds"], fact["talk_seconds"]) == (24.0, 60.0)
    assert (fact["disposition"], fact["released_by"], fact["called"]) == ("sale", "caller", "7002")

    [cdr] = rows(engine, CallDetailRecord)
    assert cdr["origin"] == "queue" and cdr["direction"] == "inbound"
    assert (cdr["start_at"], cdr["answer_at"], cdr["end_at"]) == (T0, T0 + 24, T0 + 84)
    assert (cdr["agent"], cdr["call_center_id"], cdr["disposition"]) == ("1005", "7002", "sale")
    assert (cdr["category"], cdr["duration_seconds"]) == ("national", 60.0)
    assert [e["status"] for e in rows(engine, IngestedEvent)] == ["folded"] * 8


def test_facts_span_batches_and_arrival_treatments_need_no_call_added(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    cc = {"call_center": "7001", "caller": "+441234567890"}
    events = [
        f.make(T.CALL_ADDED, T0, call_id="a", **cc, priority=0, position=1, called="7001"),
        f.make(T.CALL_ABANDONED, T0 + 3, call_id="a", **cc, wait_seconds=3.0, during_entrance=True),
        f.make(T.CALL_ADDED, T0 + 5, call_id="b", **cc, priority=0, position=1, called="7001"),
        f.make(
            T.CALL_OVERFLOWED,
            T0 + 125,
            call_id="b",
            **cc,
            trigger="max_wait",
            action="busy",
            wait_seconds=120.0,
        ),
        f.make(
            T.CALL_OVERFLOWED,
            T0 + 130,
            call_id="c",
            **cc,
            trigger="queue_full",
            action="busy",
            wait_seconds=0.0,
        ),
        f.make(
            T.CALL_STRANDED,
            T0 + 140,
            call_id="d",
            **cc,
            trigger="all_signed_out",
            action="busy",
            wait_seconds=0.0,
        ),
        f.make(
            T.CALL_DIVERTED,
            T0 + 150,
            call_id="e",
            **cc,
            trigger="night_service",
            action="transfer",
            destination="7002",
        ),
    ]
    publish(redis_client, prefix, events)
    # batch size 1: every event is its own transaction, so facts are reloaded between events
    Ingester(engine, redis_client, prefix=prefix, batch_size=1).ingest_available("demo")
    facts = {r["call_id"]: r for r in rows(engine, QueueCallFact)}
    assert facts["a"]["outcome"] == "abandoned" and facts["a"]["abandoned_during_entrance"]
    assert facts["b"]["outcome"] == "overflowed" and facts["b"]["outcome_trigger"] == "max_wait"
    assert facts["b"]["wait_seconds"] == 120.0 and facts["b"]["entered"]
    assert not facts["c"]["entered"] and facts["c"]["outcome_trigger"] == "queue_full"
    assert facts["d"]["outcome"] == "stranded" and not facts["d"]["entered"]
    assert facts["e"]["outcome"] == "diverted" and facts["e"]["destination"] == "7002"
    cdrs = {r["call_id"]: r for r in rows(engine, CallDetailRecord)}
    assert cdrs["a"]["category"] == "international"
    assert cdrs["a"]["end_at"] == T0 + 3 and cdrs["a"]["outcome"] == "abandoned"


def test_a_call_moved_to_another_call_center_gets_a_fact_in_each(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    events = [
        f.make(
            T.CALL_ADDED, T0, call_center="7001", call_id="m", caller="0201234567", called="7001"
        ),
        f.make(
            T.CALL_TRANSFERRED,
            T0 + 30,
            call_center="7001",
            call_id="m",
            destination="7003",
            wait_seconds=30.0,
            by="supervisor",
        ),
        f.make(T.CALL_ADDED, T0 + 30, call_center="7003", call_id="m", caller="0201234567"),
        f.make(T.CALL_ANSWERED, T0 + 40, call_center="7003", call_id="m", agent="1007"),
    ]
    publish(redis_client, prefix, events)
    Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    facts = rows(engine, QueueCallFact)
    assert [(r["call_center_id"], r["outcome"]) for r in facts] == [
        ("7001", "transferred"),
        ("7003", "answered"),
    ]
    assert facts[1]["wait_seconds"] == 10.0  # no wait_seconds in the event: answer - arrival
    [cdr] = rows(engine, CallDetailRecord)
    assert (cdr["call_center_id"], cdr["outcome"], cdr["start_at"]) == ("7003", "answered", T0)


def test_replayed_events_are_skipped_by_identity(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    events = answered_call(f, "c-1", T0)
    publish(redis_client, prefix, events)
    ingester = Ingester(engine, redis_client, prefix=prefix)
    ingester.ingest_available("demo")
    before = (rows(engine, QueueCallFact), rows(engine, CallDetailRecord))
    publish(redis_client, prefix, events)  # e.g. a CTI process re-publishing after a restart
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.duplicates, stats.folded) == (8, 8, 0)
    assert (rows(engine, QueueCallFact), rows(engine, CallDetailRecord)) == before


def test_agent_state_history_and_membership(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    a = {"agent": "1004"}
    events = [
        f.make(T.AGENT_JOINED, T0, call_center="7002", **a),
        f.make(T.AGENT_STATE_CHANGED, T0, **a, state="SIGN_IN", previous="SIGN_OUT", cause="agent"),
        f.make(T.AGENT_STATE_CHANGED, T0 + 10, **a, state="AVAILABLE", previous="SIGN_IN"),
        f.make(
            T.AGENT_STATE_CHANGED,
            T0 + 70,
            **a,
            state="UNAVAILABLE",
            previous="AVAILABLE",
            unavailable_code="lunch",
            cause="supervisor",
        ),
        f.make(T.AGENT_STATE_CHANGED, T0 + 40, **a, state="BUSY", previous="AVAILABLE"),
    ]
    publish(redis_client, prefix, events)
    Ingester(engine, redis_client, prefix=prefix, batch_size=2).ingest_available("demo")
    states = rows(engine, AgentStateInterval)
    assert [(s["state"], s["started_at"], s["ended_at"]) for s in states] == [
        ("SIGN_IN", T0, T0 + 10),
        ("AVAILABLE", T0 + 10, T0 + 70),
        ("UNAVAILABLE", T0 + 70, None),
    ]
    assert states[2]["unavailable_code"] == "lunch" and states[2]["cause"] == "supervisor"
    [member] = rows(engine, AgentMembershipEvent)
    assert (member["agent"], member["call_center_id"], member["joined"]) == ("1004", "7002", True)
    last = rows(engine, IngestedEvent)[-1]
    assert last["status"] == "rejected" and "older than" in last["reason"]


def test_bad_entries_are_kept_with_a_reason_and_never_stop_ingestion(
    engine: Engine, redis_client: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    f = EventFactory()
    key = f"{prefix}:demo:events"
    redis_client.xadd(key, {"event": "{not json"})
    redis_client.xadd(key, {"something": "else"})
    redis_client.xadd(key, {"event": json.dumps({"type": "CALL_ADDED", "sequence": "x"})})
    early = f.make(T.CALL_ANSWERED, T0, call_center="7002", call_id="z", agent="1004")
    unknown_type = f.make(T.CALL_ADDED, T0, call_center="7002", call_id="u")
    unknown_type["type"] = "CALL_TELEPORTED"
    extra = f.make(T.CALL_ADDED, T0, call_center="7002", call_id="x", called="7002", mood="happy")
    extra["shard"] = 3
    late = f.make(T.CALL_ANSWERED, T0 - 5, call_center="7002", call_id="x", agent="1004")
    bad_number = f.make(T.CALL_ABANDONED, T0 + 5, call_center="7002", call_id="x", wait_seconds="5")
    wrong_tenant = f.make(T.CALL_ADDED, T0, call_center="7002", call_id="w")
    wrong_tenant["tenant"] = "other"
    fine = answered_call(f, "ok", T0 + 100)
    publish(
        redis_client, prefix, [early, unknown_type, extra, late, bad_number, wrong_tenant, *fine]
    )

    with caplog.at_level(logging.WARNING, logger="reports.ingest"):
        stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert stats.entries == 3 + 6 + 8
    assert stats.rejected == 3 + 5
    events = {e["sequence"]: e for e in rows(engine, IngestedEvent)}
    reasons = {seq: (e["status"], e["reason"]) for seq, e in events.items()}
    assert reasons[early["sequence"]][0] == "rejected"
    assert "not waiting" in reasons[early["sequence"]][1]
    assert reasons[unknown_type["sequence"]] == ("rejected", "unknown event type 'CALL_TELEPORTED'")
    assert reasons[extra["sequence"]][0] == "folded"
    assert "data.mood" in reasons[extra["sequence"]][1] and "shard" in reasons[extra["sequence"]][1]
    assert json.loads(events[extra["sequence"]]["raw"])["shard"] == 3
    assert "before the call's arrival" in reasons[late["sequence"]][1]
    assert "not a number" in reasons[bad_number["sequence"]][1]
    assert events[bad_number["sequence"]]["raw"] is not None
    rejected = rows(engine, RejectedEntry)
    assert [r["reason"].split(":")[0] for r in rejected] == [
        "not JSON",
        "entry has no 'event' field",
        "'sequence' must be an integer from 0 to 9223372036854775807, got 'x'",
        "tenant 'other' on the stream of tenant 'demo'",
    ]
    assert any("rejected" in message for message in caplog.messages)
    # the good call after the bad ones was folded, the half-valid one is still waiting
    outcomes = {r["call_id"]: r["outcome"] for r in rows(engine, QueueCallFact)}
    assert outcomes == {"x": "waiting", "ok": "answered"}


def test_call_detail_records_from_the_pbx(engine: Engine, redis_client: Redis, prefix: str) -> None:
    records = [
        call_detail(
            "p-1",
            caller="1001",
            called="1002",
            direction="internal",
            start=T0,
            answer=T0 + 2,
            end=T0 + 62,
            profile="Kantoor",
            recording_url="file:///rec/p-1.wav",
        ),
        call_detail(
            "p-2",
            caller="1003",
            called="+4420794601234",
            direction="outbound",
            start=T0,
            answer=T0 + 5,
            end=T0 + 125,
            number="+31201234500",
            profile="Overal",
        ),
        call_detail(
            "p-3",
            caller="1003",
            called="0612345678",
            direction="outbound",
            start=T0,
            answer=None,
            end=T0 + 20,
            outcome="no_answer",
        ),
        call_detail(
            "p-4",
            caller="+31612345678",
            called="+32470123456",
            direction="outbound",
            start=T0,
            answer=None,
            end=T0,
            usage_type="sms",
        ),
        call_detail(
            "p-5",
            caller="1003",
            called="x",
            direction="sideways",
            start=T0,
            answer=None,
            end=T0,
        ),
    ]
    publish_call_detail(redis_client, prefix, [*records, records[0]])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.folded, stats.rejected) == (6, 4, 2)
    cdrs = {r["call_id"]: r for r in rows(engine, CallDetailRecord)}
    assert set(cdrs) == {"p-1", "p-2", "p-3", "p-4"}
    assert (cdrs["p-1"]["category"], cdrs["p-1"]["duration_seconds"]) == ("national", 60.0)
    assert cdrs["p-1"]["recording_url"] == "file:///rec/p-1.wav"
    assert (cdrs["p-2"]["category"], cdrs["p-2"]["number"]) == ("international", "+31201234500")
    assert (cdrs["p-2"]["quantity"], cdrs["p-2"]["profile"]) == (120.0, "Overal")
    assert (cdrs["p-3"]["outcome"], cdrs["p-3"]["category"], cdrs["p-3"]["quantity"]) == (
        "no_answer",
        "national",
        0.0,
    )
    assert (cdrs["p-4"]["usage_type"], cdrs["p-4"]["quantity"]) == ("sms", 1.0)
    assert cdrs["p-4"]["category"] == "international"
    reasons = sorted(r["reason"] for r in rows(engine, RejectedEntry))
    assert reasons[0].startswith("data.direction must be one of")
    assert reasons[1] == "duplicate CALL_DETAIL for call 'p-1'"


def test_run_follows_the_stream_until_stopped(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    ingester = Ingester(engine, redis_client, prefix=prefix)
    stop = threading.Event()
    worker = threading.Thread(
        target=ingester.run, args=(["demo"],), kwargs={"stop": stop, "block_ms": 50}
    )
    worker.start()
    try:
        publish(redis_client, prefix, answered_call(f, "live-1", T0))
        publish(redis_client, prefix, answered_call(f, "live-2", T0 + 500))
        deadline = time.monotonic() + 30
        while len(rows(engine, IngestedEvent)) < 16 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert [r["outcome"] for r in rows(engine, QueueCallFact)] == ["answered", "answered"]


def test_values_too_long_for_their_columns_never_stop_ingestion(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    long_id = f.make(T.CALL_ADDED, T0, call_center="7002", call_id="c" * 300, called="7002")
    long_text = f.make(
        T.CALL_ADDED,
        T0,
        call_center="7002",
        call_id="ok",
        caller="+31" + "9" * 200,
        called="7" * 99,
    )
    publish(redis_client, prefix, [long_id, long_text])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.folded, stats.rejected) == (1, 1)
    [fact] = rows(engine, QueueCallFact)
    assert fact["caller"] == ("+31" + "9" * 200)[:64] and fact["called"] == "7" * 64
    rejected = {e["sequence"]: e["reason"] for e in rows(engine, IngestedEvent)}
    assert rejected[long_id["sequence"]] == "call_id longer than 128 characters"


def test_an_entry_the_database_refuses_is_set_aside_and_the_rest_goes_in(
    engine: Engine, redis_client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = EventFactory()
    events = [
        *answered_call(f, "before", T0),
        *answered_call(f, "poison", T0 + 1),
        *answered_call(f, "after", T0 + 2),
    ]
    publish(redis_client, prefix, events)
    write = batch._write

    def refusing_write(connection: Any, ws: Any, *args: Any) -> None:
        if any(fact["call_id"] == "poison" for fact in ws.new_facts):
            raise DataError("INSERT ...", {}, Exception("value the database cannot store"))
        write(connection, ws, *args)

    monkeypatch.setattr(batch, "_write", refusing_write)
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert stats.entries == 24 and stats.rejected == 1 + 7  # set aside + its 7 follow-ups
    facts = {r["call_id"]: r["outcome"] for r in rows(engine, QueueCallFact)}
    # the poison call's first event was set aside, so its later events find no waiting call
    assert facts == {"before": "answered", "after": "answered"}
    [refused] = rows(engine, RejectedEntry)
    assert refused["reason"].startswith("database refused the entry: value the database")
    assert json.loads(json.loads(refused["raw"])["event"])["call_id"] == "poison"


def test_a_call_detail_on_the_events_stream_counts_once_by_sequence(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    record = call_detail(
        "p-9", caller="1001", called="0031201234567", direction="outbound", start=T0,
        answer=T0 + 1, end=T0 + 31, sequence=77,
    )  # fmt: skip
    publish(redis_client, prefix, [record, record])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.folded, stats.duplicates) == (1, 1)
    [cdr] = rows(engine, CallDetailRecord)
    assert (cdr["origin"], cdr["category"], cdr["quantity"]) == ("pbx", "national", 30.0)


def test_a_value_postgresql_cannot_store_is_set_aside_there_and_kept_by_sqlite(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    calls = [*answered_call(f, "before", T0), *answered_call(f, "nul", T0 + 1)]
    calls += answered_call(f, "after", T0 + 2)
    for event in calls:
        if event["call_id"] == "nul":
            event["caller"] = "+31\x0020"  # text with NUL: PostgreSQL refuses it, SQLite not
    publish(redis_client, prefix, calls)
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    facts = {r["call_id"]: r["outcome"] for r in rows(engine, QueueCallFact)}
    if engine.dialect.name == "sqlite":
        assert stats.rejected == 0 and facts == {c: "answered" for c in ("before", "nul", "after")}
        return
    assert stats.rejected == 1 + 7  # the CALL_ADDED set aside, then its follow-ups
    assert facts == {"before": "answered", "after": "answered"}
    [refused] = rows(engine, RejectedEntry)
    assert refused["reason"].startswith("database refused the entry:")
    assert json.loads(json.loads(refused["raw"])["event"])["call_id"] == "nul"


def test_numbers_beyond_their_columns_never_stop_ingestion(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    f = EventFactory()
    huge_sequence = f.make(T.CALL_ADDED, T0, call_center="7002", call_id="s", called="7002")
    huge_sequence["sequence"] = 2**63  # one past the largest BIGINT
    cc = {"call_center": "7002", "call_id": "p"}
    added = f.make(T.CALL_ADDED, T0, **cc, called="7002", priority=2**40)
    promoted = f.make(T.CALL_PROMOTED, T0 + 1, **cc, priority=True, previous_priority=0)
    publish(redis_client, prefix, [huge_sequence, added, promoted])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.entries, stats.folded, stats.rejected) == (3, 2, 1)
    [rejected] = rows(engine, RejectedEntry)
    assert rejected["reason"].startswith("'sequence' must be an integer from 0 to")
    [fact] = rows(engine, QueueCallFact)
    assert (fact["call_id"], fact["priority"]) == ("p", None)


def test_every_documented_event_type_has_a_fold_route() -> None:
    # An event type the parser accepts without a route would be rejected as unknown.
    assert set(ROUTES) == set(KNOWN_DATA_FIELDS)


def test_the_fold_statuses_are_the_stored_statuses() -> None:
    # The fold types its statuses as literals (matched exhaustively); the table stores these.
    assert set(get_args(Status)) == {status.value for status in EventStatus}


def test_following_every_tenant_picks_up_a_company_created_while_it_runs(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    """`reports.ingest --all-tenants` (what the product runs): no tenant list to keep up to date;
    a new company's calls are reported from its first event."""
    demo, acme = EventFactory(tenant="demo"), EventFactory(tenant="acme")
    publish(redis_client, prefix, answered_call(demo, "d-1", T0), tenant="demo")
    redis_client.set(f"{prefix}:acme:not-a-stream", "x")  # other keys of a tenant are skipped
    stop = threading.Event()
    ingester = Ingester(engine, redis_client, prefix=prefix)
    follower = threading.Thread(
        target=ingester.run, args=(None,), kwargs={"stop": stop, "block_ms": 50,
                                                   "rescan_seconds": 0.1},
    )  # fmt: skip
    follower.start()
    try:
        publish(redis_client, prefix, answered_call(acme, "a-1", T0 + 5), tenant="acme")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tenants = {(r["tenant"], r["call_id"]) for r in rows(engine, QueueCallFact)}
            if len(tenants) == 2:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        follower.join(timeout=10)
    assert tenants == {("demo", "d-1"), ("acme", "a-1")}
