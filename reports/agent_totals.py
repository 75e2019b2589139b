"""Today's totals per agent, for the agent client and the supervisor board (seed: time
available, unavailable by code, wrap-up average, calls handled).

`fold_totals` is pure: it folds the agents' ACD state intervals (the reports' fold of
AGENT_STATE_CHANGED, reports/fold.py) and their answered calls into totals over [start, now);
an interval still open counts until `now`. `agent_totals` reads those rows and folds them.

- available: AVAILABLE time; unavailable: UNAVAILABLE time per unavailable code ('' for none);
- wrap-up average: WRAP_UP time / wrap-up periods overlapping the day (an open one included);
- calls handled: calls the agent answered (answer time in the day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

from reports.models import FACTS, STATES, Outcome
from reports.queries import Bind, connection_of


@dataclass
class AgentTotals:
    agent: str
    available_seconds: float = 0.0
    unavailable_seconds: dict[str, float] = field(default_factory=dict)
    wrap_up_seconds: float = 0.0
    wrap_ups: int = 0
    calls_handled: int = 0

    @property
    def wrap_up_average_seconds(self) -> float | None:
        return self.wrap_up_seconds / self.wrap_ups if self.wrap_ups else None

    def as_dict(self) -> dict[str, Any]:
        average = self.wrap_up_average_seconds
        return {
            "agent": self.agent,
            "available_seconds": round(self.available_seconds, 1),
            "unavailable_seconds": {
                code: round(seconds, 1)
                for code, seconds in sorted(self.unavailable_seconds.items())
            },
            "wrap_up_average_seconds": None if average is None else round(average, 1),
            "wrap_ups": self.wrap_ups,
            "calls_handled": self.calls_handled,
        }


def fold_totals(
    intervals: Iterable[Mapping[str, Any]],
    handled: Mapping[str, int],
    start: float,
    now: float,
    agents: Collection[str] | None = None,
) -> list[AgentTotals]:
    """Totals per agent over [start, now), sorted by agent; `agents`: exactly these (zeros
    for one without anything today), else every agent with a state or a call."""
    totals: dict[str, AgentTotals] = {}

    def of(agent: str) -> AgentTotals:
        found = totals.get(agent)
        if found is None:
            found = totals[agent] = AgentTotals(agent)
        return found

    for agent in agents or ():
        of(agent)
    unavailable: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for interval in intervals:
        began = float(interval["started_at"])
        ended = now if interval["ended_at"] is None else float(interval["ended_at"])
        overlap = min(ended, now) - max(began, start)
        if overlap <= 0:
            continue
        who = of(str(interval["agent"]))
        match interval["state"]:
            case "AVAILABLE":
                who.available_seconds += overlap
            case "UNAVAILABLE":
                unavailable[who.agent][interval["unavailable_code"] or ""] += overlap
            case "WRAP_UP":
                who.wrap_up_seconds += overlap
                who.wrap_ups += 1
            case _:
                pass  # SIGN_IN, BUSY and SIGN_OUT are not among the totals
    for name, codes in unavailable.items():
        totals[name].unavailable_seconds = dict(codes)
    for name, count in handled.items():
        of(name).calls_handled += count
    chosen = totals.values() if agents is None else (totals[a] for a in agents)
    return sorted(chosen, key=lambda t: t.agent)


def agent_totals(
    bind: Bind, tenant: str, start: float, now: float, agents: Collection[str] | None = None
) -> list[AgentTotals]:
    """Every agent's (or `agents`') totals over [start, now)."""
    states = select(
        STATES.c.agent, STATES.c.state, STATES.c.unavailable_code,
        STATES.c.started_at, STATES.c.ended_at,
    ).where(
        STATES.c.tenant == tenant,
        STATES.c.started_at < now,
        or_(STATES.c.ended_at.is_(None), STATES.c.ended_at > start),
    )  # fmt: skip
    answered = (
        select(FACTS.c.agent, func.count().label("handled"))
        .where(
            FACTS.c.tenant == tenant,
            FACTS.c.outcome == Outcome.ANSWERED.value,
            FACTS.c.answered_at >= start,
            FACTS.c.answered_at < now,
        )
        .group_by(FACTS.c.agent)
    )
    if agents is not None:
        states = states.where(STATES.c.agent.in_(list(agents)))
        answered = answered.where(FACTS.c.agent.in_(list(agents)))
    with connection_of(bind) as connection:
        intervals = [dict(row) for row in connection.execute(states).mappings()]
        handled = {row.agent: int(row.handled) for row in connection.execute(answered) if row.agent}
    return fold_totals(intervals, handled, start, now, agents)
