"""Group calls from a real Redis group-events stream into group-call facts, SQLite and PostgreSQL:
one fact per call and group, each event folded once however often it is delivered, and nothing
lost or doubled when a batch fails half-way."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from sqlalchemy import Engine, delete, select

from common.event_types import EventType as T
from common.redis_keys import group_event_stream
from cti.group_events import EVENT_FIELD
from reports import bulk_sql, group_batch
from reports.group_report import GroupInterval, calendar_buckets, group_call_figures
from reports.ingest import Ingester
from reports.models import GroupCallFact, IngestedGroupEvent, RejectedEntry, StreamCursor
from reports.ranges import ReportRangeError, parse_range
from tests.reports.group_calls import T0, abandoned, answered, forwarded, group_event, publish


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


def test_a_rooms_joins_and_leaves_are_recorded_not_folded(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    """Conference rooms share the stream (docs/events.md): kept, never a group call's fact."""
    seat = {"role": "participant", "muted": False}
    joined = group_event(
        T.ROOM_PARTICIPANT_JOINED, T0, "r-1", group="8100", participants=[], **seat
    )
    left = group_event(
        T.ROOM_PARTICIPANT_LEFT, T0 + 9, "r-1", group="8100", participants=[], **seat
    )
    publish(redis_client, prefix, [*answered("c-1", T0), joined, left])
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.folded, stats.recorded, stats.rejected) == (4, 2, 0)
    assert [f["call_id"] for f in facts(engine)] == ["c-1"]


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


def test_the_report_counts_per_group_and_local_day(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    evening = T0 + 14 * 3600  # 22:00 UTC: 23:00 in Amsterdam, the same local day
    midnight = T0 + 16 * 3600 + 60  # 00:01 UTC: 01:01 in Amsterdam, the next local day
    events = answered("c-1", T0) + answered("c-2", evening) + abandoned("c-3", evening)
    events += forwarded("c-4", midnight, "no_answer", "voicemail:1001")
    events += forwarded("c-5", midnight, "busy", None)
    menu = group_event(T.GROUP_CALL_OFFERED, T0, "c-6", group="7000", kind="auto_attendant")
    out_of_menu = group_event(
        T.GROUP_CALL_FORWARDED, T0 + 8, "c-6", group="7000", trigger="menu", destination="7100"
    )
    publish(redis_client, prefix, [*events, menu, out_of_menu])
    Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    period = parse_range("2025-11-25T00:00:00+01:00", "2025-11-27T00:00:00+01:00")
    rows = group_call_figures(
        engine, "demo", period, GroupInterval.DAY, time_zone="Europe/Amsterdam"
    )
    got = {(r.group, r.interval_start): r.as_contract() for r in rows}
    assert len(rows) == 4  # two groups, two days each (quiet days too)
    first = got[("7100", period.start_ts)]
    assert (first["offered"], first["answered"], first["abandoned"]) == (3, 2, 1)
    assert first["answered_by_member"] == {"1002": 2}
    assert first["average_wait_to_answer_seconds"] == 20.0
    assert (first["members_rung"], first["forwarded"]) == (5, {})
    second = got[("7100", period.start_ts + 86400)]
    assert second["forwarded"] == {"busy": 1, "no_answer": 1}
    assert (second["offered"], second["answered"], second["average_wait_to_answer_seconds"]) == (
        2,
        0,
        None,
    )
    attendant = got[("7000", period.start_ts)]
    assert (attendant["kind"], attendant["forwarded"]) == ("auto_attendant", {"menu": 1})
    assert group_call_figures(engine, "acme", period, GroupInterval.DAY) == []
    [whole] = group_call_figures(engine, "demo", period, group="7100")
    assert (whole.offered, whole.as_row()["forwarded"], whole.as_row()["forwarded_busy"]) == (
        5,
        2,
        1,
    )


def test_a_fax_numbers_calls_are_received_or_failed(
    engine: Engine, redis_client: Redis, prefix: str
) -> None:
    fax = {"group": "7098"}
    events = [
        group_event(T.GROUP_CALL_OFFERED, T0, "f-1", kind="fax", **fax),
        group_event(T.GROUP_FAX_RECEIVED, T0 + 40, "f-1", pages=2, mailed=True, **fax),
        group_event(T.GROUP_CALL_OFFERED, T0 + 60, "f-2", kind="fax", **fax),
        group_event(T.GROUP_FAX_FAILED, T0 + 100, "f-2", mailed=True, **fax),
    ]
    publish(redis_client, prefix, events)
    stats = Ingester(engine, redis_client, prefix=prefix).ingest_available("demo")
    assert (stats.folded, stats.rejected) == (4, 0)
    received, failed = facts(engine)
    assert (received["outcome"], received["answered_at"], received["member"]) == (
        "answered", T0 + 40, None,
    )  # fmt: skip
    assert (failed["outcome"], failed["ended_at"]) == ("failed", T0 + 100)
    period = parse_range("2025-11-25T00:00:00+01:00", "2025-11-26T00:00:00+01:00")
    [row] = group_call_figures(engine, "demo", period, group="7098")
    figures = row.as_contract()
    assert (figures["kind"], figures["offered"], figures["answered"], figures["failed"]) == (
        "fax", 2, 1, 1,
    )  # fmt: skip
    assert figures["waiting"] == 0


def test_weeks_and_months_are_local_calendar_intervals() -> None:
    period = parse_range("2026-03-25T00:00:00+01:00", "2026-05-01T00:00:00+02:00")
    amsterdam = ZoneInfo("Europe/Amsterdam")
    weeks = calendar_buckets(period, GroupInterval.WEEK, "Europe/Amsterdam")
    local = [datetime.fromtimestamp(start, amsterdam) for start, _ in weeks]
    assert local[0].day == 25 and all(d.weekday() == 0 and d.hour == 0 for d in local[1:])
    months = calendar_buckets(period, GroupInterval.MONTH, "Europe/Amsterdam")
    assert [datetime.fromtimestamp(s, amsterdam).strftime("%m-%d %H") for s, _ in months] == [
        "03-25 00",
        "04-01 00",
    ]
    days = calendar_buckets(period, GroupInterval.DAY, "Europe/Amsterdam")
    assert 23 * 3600 in {end - start for start, end in days}  # the spring DST day
    with pytest.raises(ReportRangeError, match="unknown time zone"):
        calendar_buckets(period, GroupInterval.DAY, "Mars/Olympus")
