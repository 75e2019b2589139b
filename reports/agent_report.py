"""Agent figures per interval: calls answered (by answer time), talk time, time per ACD state
(by overlap with the interval) and occupancy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import func, or_, select

from reports.figures import AgentFigures
from reports.models import EVENTS, FACTS, STATES, Outcome
from reports.queries import Bind, bucket, connection_of
from reports.ranges import Interval, ReportRange

OCCUPIED_STATES = ("BUSY", "WRAP_UP")
READY_STATES = ("AVAILABLE",)
USAGE_DIMENSIONS = ("usage_type", "category", "number", "profile", "direction")


def data_as_of(bind: Bind, tenant: str) -> float | None:
    """Engine time of the newest event ingested for the tenant (the "now" of the facts)."""
    with connection_of(bind) as connection:
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
    with connection_of(bind) as connection:
        slot = bucket(FACTS.c.answered_at, period, interval, connection.dialect.name).label("b")
        calls = (
            select(
                FACTS.c.agent,
                slot,
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
            .group_by(FACTS.c.agent, slot)
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
