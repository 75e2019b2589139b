"""The reports facade: call-center, agent and usage figures over a period, and the REST shape.

Definitions (docs/reports.md has the full list):
- a queue call is counted in the interval in which it ARRIVED at the call center;
- `offered`: every arrival (one per call per call center, arrival treatments included);
- `bounced`: calls bounced at least once (`bounces` counts the bounce events);
- `service_level`: calls answered within the call center's threshold (20 s by default) divided by
  the calls that entered the queue and ended; None when there are none;
- `asa_seconds`: mean wait of answered calls; `aht_seconds`: mean talk time of answered calls that
  were released; `longest_wait_seconds`: longest wait of any ended call;
- agent figures count calls by the time they were answered, and state time by overlap with the
  interval; occupancy = (BUSY + WRAP_UP) / (BUSY + WRAP_UP + AVAILABLE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy import (
    cast as sql_cast,
)

from reports.models import (
    AgentStateInterval,
    CallDetailRecord,
    IngestedEvent,
    Outcome,
    QueueCallFact,
)
from reports.ranges import Interval, ReportRange, ReportRangeError, parse_range

DEFAULT_SERVICE_LEVEL_SECONDS = 20.0
"""Contract: the service-level threshold of a call center unless configured otherwise."""

CALL_CENTER_REPORT_FIELDS = (
    "number",
    "offered",
    "answered",
    "abandoned",
    "overflowed",
    "bounced",
    "stranded",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "longest_wait_seconds",
)
"""The keys of one call center in `GET /api/v1/reports/call-centers` (contract.md), in order."""

OCCUPIED_STATES = ("BUSY", "WRAP_UP")
READY_STATES = ("AVAILABLE",)
USAGE_DIMENSIONS = ("usage_type", "category", "number", "profile", "direction")

FACTS = cast(Table, QueueCallFact.__table__)
CDRS = cast(Table, CallDetailRecord.__table__)
STATES = cast(Table, AgentStateInterval.__table__)
EVENTS = cast(Table, IngestedEvent.__table__)

Bind = Engine | Connection


@contextmanager
def _connection(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class CallCenterFigures:
    """Queue figures of one call center over one interval."""

    call_center: str
    interval_start: float
    interval_end: float
    threshold_seconds: float
    offered: int = 0
    entered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    abandoned: int = 0
    abandoned_during_entrance: int = 0
    overflowed: int = 0
    bounced: int = 0
    bounces: int = 0
    stranded: int = 0
    transferred: int = 0
    escaped: int = 0
    diverted: int = 0
    waiting: int = 0
    service_level: float | None = None
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    longest_wait_seconds: float | None = None

    def as_row(self) -> dict[str, Any]:
        """Flat, export-ready form (times as ISO 8601 UTC)."""
        row = asdict(self)
        row["interval_start"] = _iso(self.interval_start)
        row["interval_end"] = _iso(self.interval_end)
        return row

    def as_contract(self) -> dict[str, Any]:
        """Exactly the contract's keys (contract.md, `GET /api/v1/reports/call-centers`)."""
        return {
            "number": self.call_center,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "bounced": self.bounced,
            "stranded": self.stranded,
            "service_level": self.service_level,
            "asa_seconds": self.asa_seconds,
            "aht_seconds": self.aht_seconds,
            "longest_wait_seconds": self.longest_wait_seconds,
        }


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent's calls and ACD state times over one interval."""

    agent: str
    interval_start: float
    interval_end: float
    answered: int = 0
    talk_seconds: float = 0.0
    aht_seconds: float | None = None
    state_seconds: dict[str, float] = field(default_factory=dict)
    unavailable_seconds: dict[str, float] = field(default_factory=dict)
    """UNAVAILABLE time per unavailable code ('' when none was given)."""
    occupancy: float | None = None

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "agent": self.agent,
            "interval_start": _iso(self.interval_start),
            "interval_end": _iso(self.interval_end),
            "answered": self.answered,
            "talk_seconds": self.talk_seconds,
            "aht_seconds": self.aht_seconds,
            "occupancy": self.occupancy,
        }
        for state, seconds in sorted(self.state_seconds.items()):
            row[f"{state.lower()}_seconds"] = seconds
        for code, seconds in sorted(self.unavailable_seconds.items()):
            row[f"unavailable_{code or 'no_code'}_seconds"] = seconds
        return row


@dataclass(frozen=True, slots=True)
class UsageFigures:
    """Seed 3.5.3 usage: records and quantity per combination of the chosen dimensions."""

    dimensions: dict[str, str | None]
    records: int
    quantity: float
    """Seconds for voice, messages for sms, bytes for data (one type per row when grouped by it)."""

    def as_row(self) -> dict[str, Any]:
        return {**self.dimensions, "records": self.records, "quantity": self.quantity}


# -- call centers ----------------------------------------------------------------------------


def _bucket(column: ColumnElement[Any], rng: ReportRange, interval: Interval, dialect: str) -> Any:
    size = interval.seconds
    if size is None:
        return literal(0)
    offset = (column - rng.start_ts) / size
    # CAST truncates on SQLite but rounds on PostgreSQL; FLOOR is not built into every SQLite.
    if dialect == "sqlite":
        return sql_cast(offset, Integer)
    return sql_cast(func.floor(offset), Integer)


def _threshold_expr(thresholds: Mapping[str, float], default: float) -> Any:
    if not thresholds:
        return literal(default)
    return case(
        *((FACTS.c.call_center_id == cc, literal(t)) for cc, t in thresholds.items()),
        else_=literal(default),
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def call_center_figures(
    bind: Bind,
    tenant: str,
    period: ReportRange,
    interval: Interval = Interval.RANGE,
    *,
    thresholds: Mapping[str, float] | None = None,
    call_centers: Collection[str] | None = None,
    default_threshold: float = DEFAULT_SERVICE_LEVEL_SECONDS,
) -> list[CallCenterFigures]:
    """Queue figures per call center and interval, every interval present (zeros when quiet).

    Call centers are those with calls in the period, plus `call_centers` when given (then only
    those are reported).
    """
    thresholds = dict(thresholds or {})
    outcome = FACTS.c.outcome
    answered = outcome == Outcome.ANSWERED.value
    ended = outcome != Outcome.WAITING.value
    threshold = _threshold_expr(thresholds, default_threshold)
    with _connection(bind) as connection:
        bucket = _bucket(FACTS.c.arrived_at, period, interval, connection.dialect.name).label("b")
        query = (
            select(
                FACTS.c.call_center_id,
                bucket,
                func.count().label("offered"),
                _count(FACTS.c.entered.is_(True)).label("entered"),
                _count(answered).label("answered"),
                _count(and_(answered, FACTS.c.wait_seconds <= threshold)).label("within"),
                _count(outcome == Outcome.ABANDONED.value).label("abandoned"),
                _count(FACTS.c.abandoned_during_entrance.is_(True)).label("abandoned_entrance"),
                _count(outcome == Outcome.OVERFLOWED.value).label("overflowed"),
                _count(FACTS.c.bounce_count > 0).label("bounced"),
                func.coalesce(func.sum(FACTS.c.bounce_count), 0).label("bounces"),
                _count(outcome == Outcome.STRANDED.value).label("stranded"),
                _count(outcome == Outcome.TRANSFERRED.value).label("transferred"),
                _count(outcome == Outcome.ESCAPED.value).label("escaped"),
                _count(outcome == Outcome.DIVERTED.value).label("diverted"),
                _count(outcome == Outcome.WAITING.value).label("waiting"),
                _count(and_(FACTS.c.entered.is_(True), ended)).label("sl_base"),
                func.avg(case((answered, FACTS.c.wait_seconds))).label("asa"),
                func.avg(
                    case((and_(answered, FACTS.c.released_at.is_not(None)), FACTS.c.talk_seconds))
                ).label("aht"),
                func.max(case((ended, FACTS.c.wait_seconds))).label("longest"),
            )
            .where(
                FACTS.c.tenant == tenant,
                FACTS.c.arrived_at >= period.start_ts,
                FACTS.c.arrived_at < period.end_ts,
            )
            .group_by(FACTS.c.call_center_id, bucket)
        )
        if call_centers is not None:
            query = query.where(FACTS.c.call_center_id.in_(list(call_centers)))
        results = {(row.call_center_id, int(row.b)): row for row in connection.execute(query)}

    buckets = period.buckets(interval)
    names = set(call_centers) if call_centers is not None else {cc for cc, _ in results}
    figures: list[CallCenterFigures] = []
    for cc in sorted(names):
        limit = thresholds.get(cc, default_threshold)
        for index, (start, end) in enumerate(buckets):
            row = results.get((cc, index))
            if row is None:
                figures.append(CallCenterFigures(cc, start, end, limit))
                continue
            figures.append(
                CallCenterFigures(
                    call_center=cc,
                    interval_start=start,
                    interval_end=end,
                    threshold_seconds=limit,
                    offered=int(row.offered),
                    entered=int(row.entered),
                    answered=int(row.answered),
                    answered_within_threshold=int(row.within),
                    abandoned=int(row.abandoned),
                    abandoned_during_entrance=int(row.abandoned_entrance),
                    overflowed=int(row.overflowed),
                    bounced=int(row.bounced),
                    bounces=int(row.bounces),
                    stranded=int(row.stranded),
                    transferred=int(row.transferred),
                    escaped=int(row.escaped),
                    diverted=int(row.diverted),
                    waiting=int(row.waiting),
                    service_level=int(row.within) / int(row.sl_base) if row.sl_base else None,
                    asa_seconds=None if row.asa is None else float(row.asa),
                    aht_seconds=None if row.aht is None else float(row.aht),
                    longest_wait_seconds=None if row.longest is None else float(row.longest),
                )
            )
    return figures


def call_centers_report(
    bind: Bind,
    tenant: str,
    start: str | datetime | None,
    end: str | datetime | None,
    *,
    thresholds: Mapping[str, float] | None = None,
    call_centers: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """`GET /api/v1/reports/call-centers?from=...&to=...`: the contract's list, one per call center.

    `start`/`end` are the raw `from`/`to` query values; a bad range raises `ReportRangeError`
    (its `reason` and `http_status` make the 4xx answer). Sorted by call-center number.
    """
    period = parse_range(start, end)
    return [
        figures.as_contract()
        for figures in call_center_figures(
            bind, tenant, period, thresholds=thresholds, call_centers=call_centers
        )
    ]


# -- agents ----------------------------------------------------------------------------------


def data_as_of(bind: Bind, tenant: str) -> float | None:
    """Engine time of the newest event ingested for the tenant (the "now" of the facts)."""
    with _connection(bind) as connection:
        # The newest sequence is the newest event (the engine numbers them in time order), and
        # the primary key finds it without scanning the log.
        value = connection.execute(
            select(EVENTS.c.timestamp)
            .where(EVENTS.c.tenant == tenant)
            .order_by(EVENTS.c.sequence.desc())
            .limit(1)
        ).scalar()
    return None if value is None else float(value)


def agent_figures(
    bind: Bind,
    tenant: str,
    period: ReportRange,
    interval: Interval = Interval.RANGE,
    *,
    agents: Collection[str] | None = None,
) -> list[AgentFigures]:
    """Calls answered and time per ACD state for each agent and interval.

    A state that has not ended yet counts until the newest ingested event, never into the future.
    """
    as_of = data_as_of(bind, tenant)
    with _connection(bind) as connection:
        bucket = _bucket(FACTS.c.answered_at, period, interval, connection.dialect.name).label("b")
        calls = (
            select(
                FACTS.c.agent,
                bucket,
                func.count().label("answered"),
                func.coalesce(func.sum(FACTS.c.talk_seconds), 0.0).label("talk"),
                func.avg(FACTS.c.talk_seconds).label("aht"),
            )
            .where(
                FACTS.c.tenant == tenant,
                FACTS.c.outcome == Outcome.ANSWERED.value,
                FACTS.c.answered_at >= period.start_ts,
                FACTS.c.answered_at < period.end_ts,
            )
            .group_by(FACTS.c.agent, bucket)
        )
        states = select(STATES).where(
            STATES.c.tenant == tenant,
            STATES.c.started_at < period.end_ts,
            or_(STATES.c.ended_at.is_(None), STATES.c.ended_at > period.start_ts),
        )
        if agents is not None:
            calls = calls.where(FACTS.c.agent.in_(list(agents)))
            states = states.where(STATES.c.agent.in_(list(agents)))
        call_rows = {(row.agent, int(row.b)): row for row in connection.execute(calls)}
        state_rows = list(connection.execute(states).mappings())

    buckets = period.buckets(interval)
    state_time: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    unavailable: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for state in state_rows:
        began = float(state["started_at"])
        ended = state["ended_at"]
        if ended is None:
            ended = max(began, as_of if as_of is not None else began)
        for index, (start, end) in enumerate(buckets):
            overlap = min(float(ended), end) - max(began, start)
            if overlap <= 0:
                continue
            key = (state["agent"], index)
            state_time[key][state["state"]] += overlap
            if state["state"] == "UNAVAILABLE":
                unavailable[key][state["unavailable_code"] or ""] += overlap

    names = (
        set(agents)
        if agents is not None
        else {a for a, _ in call_rows} | {s["agent"] for s in state_rows}
    )
    figures: list[AgentFigures] = []
    for agent in sorted(n for n in names if n):
        for index, (start, end) in enumerate(buckets):
            times = dict(state_time.get((agent, index), {}))
            occupied = sum(times.get(s, 0.0) for s in OCCUPIED_STATES)
            ready = sum(times.get(s, 0.0) for s in READY_STATES)
            row = call_rows.get((agent, index))
            figures.append(
                AgentFigures(
                    agent=agent,
                    interval_start=start,
                    interval_end=end,
                    answered=int(row.answered) if row else 0,
                    talk_seconds=float(row.talk) if row else 0.0,
                    aht_seconds=float(row.aht) if row and row.aht is not None else None,
                    state_seconds=times,
                    unavailable_seconds=dict(unavailable.get((agent, index), {})),
                    occupancy=occupied / (occupied + ready) if occupied + ready > 0 else None,
                )
            )
    return figures


# -- usage (seed 3.5.3) and call-detail records ----------------------------------------------


def usage_figures(
    bind: Bind,
    tenant: str,
    period: ReportRange,
    *,
    by: Sequence[str] = ("usage_type", "category", "number", "profile"),
    directions: Collection[str] | None = ("outbound",),
) -> list[UsageFigures]:
    """Usage by type (voice/sms/data), category (national/international), number and profile.

    `by` picks the dimensions (any of `USAGE_DIMENSIONS`); `directions` defaults to outbound
    usage, the usage that is billed; pass None for every direction.
    """
    unknown = [name for name in by if name not in USAGE_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown usage dimensions {unknown}; choose from {USAGE_DIMENSIONS}")
    columns = [CDRS.c[name] for name in by]
    query = (
        select(
            *columns,
            func.count().label("records"),
            func.coalesce(func.sum(CDRS.c.quantity), 0.0).label("quantity"),
        )
        .where(
            CDRS.c.tenant == tenant,
            CDRS.c.start_at >= period.start_ts,
            CDRS.c.start_at < period.end_ts,
        )
        .group_by(*columns)
        .order_by(*columns)
    )
    if directions is not None:
        query = query.where(CDRS.c.direction.in_(list(directions)))
    with _connection(bind) as connection:
        return [
            UsageFigures(
                dimensions={name: row._mapping[name] for name in by},
                records=int(row.records),
                quantity=float(row.quantity),
            )
            for row in connection.execute(query)
        ]


def call_detail_records(
    bind: Bind, tenant: str, period: ReportRange, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """The CDRs that started in the period, oldest first, as export-ready rows."""
    query = (
        select(CDRS)
        .where(
            CDRS.c.tenant == tenant,
            CDRS.c.start_at >= period.start_ts,
            CDRS.c.start_at < period.end_ts,
        )
        .order_by(CDRS.c.start_at, CDRS.c.id)
        .limit(limit)
    )
    rows: list[dict[str, Any]] = []
    with _connection(bind) as connection:
        for record in connection.execute(query).mappings():
            row = dict(record)
            for name in ("start_at", "answer_at", "end_at"):
                if row[name] is not None:
                    row[name] = _iso(row[name])
            rows.append(row)
    return rows


__all__ = [
    "CALL_CENTER_REPORT_FIELDS",
    "DEFAULT_SERVICE_LEVEL_SECONDS",
    "AgentFigures",
    "CallCenterFigures",
    "Interval",
    "ReportRange",
    "ReportRangeError",
    "UsageFigures",
    "agent_figures",
    "call_center_figures",
    "call_centers_report",
    "call_detail_records",
    "data_as_of",
    "parse_range",
    "usage_figures",
]
