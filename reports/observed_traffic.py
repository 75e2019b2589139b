"""A past day's traffic at one call center, read from the queue-call facts, for the what-if
simulator (docs/what-if.md): every stay in the call center with its outcome, wait and talk time.
"""

from __future__ import annotations

from sqlalchemy import select

from queueing.what_if_traffic import Ended, ObservedCall
from reports.models import Outcome, QueueCallFact
from reports.queries import Bind, connection_of

MAX_CALLS = 100_000
"""More calls than one call center takes in a day; the simulator is not asked to replay a flood."""


ENDED = {
    Outcome.WAITING: Ended.NOT_YET,
    Outcome.ANSWERED: Ended.ANSWERED,
    Outcome.ABANDONED: Ended.ABANDONED,
    Outcome.OVERFLOWED: Ended.OTHER,
    Outcome.STRANDED: Ended.OTHER,
    Outcome.TRANSFERRED: Ended.OTHER,
    Outcome.ESCAPED: Ended.OTHER,
    Outcome.DIVERTED: Ended.OTHER,
    Outcome.LOST: Ended.OTHER,
    Outcome.CALLBACK_ANSWERED: Ended.ANSWERED,
    Outcome.CALLBACK_ABANDONED: Ended.OTHER,
}


class TooMuchTraffic(ValueError):
    """The day holds more calls than a what-if replays."""


def observed_calls(
    bind: Bind, tenant: str, call_center_id: str, start: float, end: float
) -> list[ObservedCall]:
    """The calls that arrived at `call_center_id` in [start, end), in arrival order."""
    facts = QueueCallFact.__table__
    query = (
        select(
            facts.c.arrived_at,
            facts.c.caller,
            facts.c.priority,
            facts.c.outcome,
            facts.c.wait_seconds,
            facts.c.talk_seconds,
            facts.c.entered,
        )
        .where(
            facts.c.tenant == tenant,
            facts.c.call_center_id == call_center_id,
            facts.c.arrived_at >= start,
            facts.c.arrived_at < end,
        )
        .order_by(facts.c.arrived_at, facts.c.first_sequence)
        .limit(MAX_CALLS + 1)
    )
    with connection_of(bind) as connection:
        rows = connection.execute(query).all()
    if len(rows) > MAX_CALLS:
        raise TooMuchTraffic(f"the day holds more than {MAX_CALLS} calls")
    return [
        ObservedCall(
            at=row.arrived_at,
            call_center_id=call_center_id,
            caller=row.caller or "",
            priority=row.priority or 0,
            outcome=ENDED[Outcome(row.outcome)],
            wait_seconds=row.wait_seconds,
            talk_seconds=row.talk_seconds,
            entered=bool(row.entered),
        )
        for row in rows
    ]
