"""Usage (seed 3.5.3) by type, category, number and profile, and the call-detail records."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select

from reports.figures import UsageFigures, iso
from reports.models import CDRS
from reports.queries import Bind, connection_of
from reports.ranges import ReportRange

USAGE_DIMENSIONS = ("usage_type", "category", "number", "profile", "direction")


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
    with connection_of(bind) as connection:
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
    with connection_of(bind) as connection:
        for record in connection.execute(query).mappings():
            row = dict(record)
            for name in ("start_at", "answer_at", "end_at"):
                if row[name] is not None:
                    row[name] = iso(row[name])
            rows.append(row)
    return rows
