"""Call-center figures per interval: offered, answered, service level... (docs/reports.md).

A queue call is counted in the interval in which it ARRIVED at the call center. The service level
of each call center is measured against its own threshold (`thresholds`, from its settings).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from reports.figures import CallCenterFigures
from reports.models import FACTS, Outcome
from reports.queries import Bind, bucket, connection_of, count
from reports.ranges import Interval, ReportRange, parse_range

DEFAULT_SERVICE_LEVEL_SECONDS = 20.0
"""Contract: the service-level threshold of a call center unless configured otherwise."""


def _threshold_expr(thresholds: Mapping[str, float], default: float) -> Any:
    if not thresholds:
        return literal(default)
    return case(
        *((FACTS.c.call_center_id == cc, literal(t)) for cc, t in thresholds.items()),
        else_=literal(default),
    )


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
    lost = outcome == Outcome.LOST.value
    threshold = _threshold_expr(thresholds, default_threshold)
    with connection_of(bind) as connection:
        slot = bucket(FACTS.c.arrived_at, period, interval, connection.dialect.name).label("b")
        query = (
            select(
                FACTS.c.call_center_id,
                slot,
                func.count().label("offered"),
                count(FACTS.c.entered.is_(True)).label("entered"),
                count(answered).label("answered"),
                count(and_(answered, FACTS.c.wait_seconds <= threshold)).label("within"),
                count(outcome == Outcome.ABANDONED.value).label("abandoned"),
                count(FACTS.c.abandoned_during_entrance.is_(True)).label("abandoned_entrance"),
                count(outcome == Outcome.OVERFLOWED.value).label("overflowed"),
                count(FACTS.c.bounce_count > 0).label("bounced"),
                func.coalesce(func.sum(FACTS.c.bounce_count), 0).label("bounces"),
                count(outcome == Outcome.STRANDED.value).label("stranded"),
                count(outcome == Outcome.TRANSFERRED.value).label("transferred"),
                count(outcome == Outcome.ESCAPED.value).label("escaped"),
                count(outcome == Outcome.DIVERTED.value).label("diverted"),
                count(lost).label("lost"),
                count(outcome == Outcome.CALLBACK_ANSWERED.value).label("called_back"),
                count(outcome == Outcome.CALLBACK_ABANDONED.value).label("callback_failed"),
                count(outcome == Outcome.WAITING.value).label("waiting"),
                # A call the platform lost says nothing about how fast agents answer.
                count(and_(FACTS.c.entered.is_(True), ended, ~lost)).label("sl_base"),
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
            .group_by(FACTS.c.call_center_id, slot)
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
                    lost=int(row.lost),
                    called_back=int(row.called_back),
                    callback_failed=int(row.callback_failed),
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
