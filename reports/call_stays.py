"""One call's stays in call centers, from the queue facts: where its decision timeline starts
and ends in the event log (cti/call_timeline.py), and the call-detail part of that report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reports.models import FACTS
from reports.queries import Bind, connection_of

STAY_COLUMNS = (
    "call_center_id", "first_sequence", "caller", "called", "priority", "arrived_at", "entered",
    "offer_count", "bounce_count", "outcome", "outcome_trigger", "outcome_action", "destination",
    "ended_at", "wait_seconds", "agent", "answered_at", "released_at", "talk_seconds",
    "disposition",
)  # fmt: skip
"""The facts' columns a call's detail shows (docs/reports.md, `queue_call_facts`)."""


def call_stays(bind: Bind, tenant: str, call_id: str) -> list[dict[str, Any]]:
    """The call's stays, in the order it arrived at each call center (empty: none ingested)."""
    query = (
        select(*(FACTS.c[name] for name in STAY_COLUMNS))
        .where(FACTS.c.tenant == tenant, FACTS.c.call_id == call_id)
        .order_by(FACTS.c.first_sequence)
    )
    with connection_of(bind) as connection:
        return [dict(row) for row in connection.execute(query).mappings()]
