"""Group-call figures per hunt group / auto attendant and interval (docs/reports.md, "Group calls").

A group call is counted in the interval in which the group was OFFERED it. Intervals are calendar
days, weeks (Monday to Monday) or months in the tenant's time zone, or the whole range: they are
cut in Python from the facts' times, so a DST day has 23 or 25 hours as it should (SQL buckets of
fixed seconds could not give months). The first interval starts at `from`, the last ends at `to`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from reports.models import GROUP_FACTS, GroupCallOutcome
from reports.queries import Bind, connection_of
from reports.ranges import ReportRange, ReportRangeError


class GroupInterval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"
    """One row for the whole range."""


def _next_boundary(instant: datetime, interval: GroupInterval) -> datetime:
    """The start of the local day, week or month after the one `instant` (local) falls in."""
    # Aware arithmetic is wall-clock arithmetic: local midnights whatever DST does in between.
    day = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    match interval:
        case GroupInterval.DAY:
            return day + timedelta(days=1)
        case GroupInterval.WEEK:
            return day + timedelta(days=7 - day.weekday())
        case GroupInterval.MONTH:
            return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        case GroupInterval.RANGE:
            raise ValueError("a range has no boundaries inside")
        case unknown:
            assert_never(unknown)


def calendar_buckets(
    period: ReportRange, interval: GroupInterval, time_zone: str
) -> list[tuple[float, float]]:
    """[start, end) epoch pairs of each local calendar interval, cut at the range's ends."""
    if interval is GroupInterval.RANGE:
        return [(period.start_ts, period.end_ts)]
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportRangeError(f"unknown time zone {time_zone!r}", "time_zone") from None
    out: list[tuple[float, float]] = []
    start = period.start.astimezone(zone)
    while start.timestamp() < period.end_ts:
        end = _next_boundary(start, interval)
        out.append((start.timestamp(), min(end.timestamp(), period.end_ts)))
        start = end
    return out


@dataclass
class GroupCallFigures:
    group: str
    kind: str
    interval_start: float
    interval_end: float
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    failed: int = 0
    """A fax number's calls that brought no fax."""
    waiting: int = 0
    """Offered and not ended yet (ringing or in the menu now, or its end not ingested yet)."""
    forwarded: dict[str, int] = field(default_factory=dict)
    """Forward trigger (docs/events.md: menu, always, night, busy, no_answer...) -> calls."""
    members_rung: int = 0
    answered_by_member: dict[str, int] = field(default_factory=dict)
    average_wait_to_answer_seconds: float | None = None

    def as_contract(self) -> dict[str, Any]:
        """The REST row: times as ISO 8601 UTC strings."""
        return {
            "group": self.group,
            "kind": self.kind,
            "interval_start": _iso(self.interval_start),
            "interval_end": _iso(self.interval_end),
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "failed": self.failed,
            "waiting": self.waiting,
            "forwarded": dict(sorted(self.forwarded.items())),
            "members_rung": self.members_rung,
            "answered_by_member": dict(sorted(self.answered_by_member.items())),
            "average_wait_to_answer_seconds": self.average_wait_to_answer_seconds,
        }

    def as_row(self) -> dict[str, Any]:
        """The export row: the maps become columns `forwarded_<trigger>`, `answered_by_<member>`."""
        row = self.as_contract()
        forwarded = row.pop("forwarded")
        by_member = row.pop("answered_by_member")
        row["forwarded"] = sum(forwarded.values())
        row.update({f"forwarded_{trigger}": n for trigger, n in forwarded.items()})
        row.update({f"answered_by_{member}": n for member, n in by_member.items()})
        return row


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def group_call_figures(
    bind: Bind,
    tenant: str,
    period: ReportRange,
    interval: GroupInterval = GroupInterval.RANGE,
    *,
    time_zone: str = "UTC",
    group: str | None = None,
) -> list[GroupCallFigures]:
    """Figures per group (those with calls in the period, or only `group`) and interval, every
    interval present (zeros when quiet), sorted by group number."""
    buckets = calendar_buckets(period, interval, time_zone)
    starts = [start for start, _ in buckets]
    f = GROUP_FACTS.c
    columns = (f.group_number, f.kind, f.offered_at, f.outcome, f.wait_seconds, f.member)
    query = select(*columns, f.forward_trigger, f.members_rung).where(
        f.tenant == tenant, f.offered_at >= period.start_ts, f.offered_at < period.end_ts
    )
    if group is not None:
        query = query.where(f.group_number == group)
    figures: dict[tuple[str, int], GroupCallFigures] = {}
    kinds: dict[str, str] = {}
    waits: dict[tuple[str, int], list[float]] = {}
    with connection_of(bind) as connection:
        for row in connection.execute(query.order_by(f.offered_at)):
            index = bisect_right(starts, row.offered_at) - 1
            kinds[row.group_number] = row.kind
            key = (row.group_number, index)
            figure = figures.get(key)
            if figure is None:
                start, end = buckets[index]
                figure = figures[key] = GroupCallFigures(row.group_number, row.kind, start, end)
            figure.offered += 1
            figure.members_rung += row.members_rung
            _count_outcome(figure, row.outcome, row.member, row.forward_trigger)
            if row.outcome == GroupCallOutcome.ANSWERED.value and row.wait_seconds is not None:
                waits.setdefault(key, []).append(row.wait_seconds)
    for key, values in waits.items():
        figures[key].average_wait_to_answer_seconds = sum(values) / len(values)
    out: list[GroupCallFigures] = []
    for number in sorted(kinds):
        for index, (start, end) in enumerate(buckets):
            out.append(
                figures.get((number, index)) or GroupCallFigures(number, kinds[number], start, end)
            )
    return out


def _count_outcome(
    figure: GroupCallFigures, outcome: str, member: str | None, trigger: str | None
) -> None:
    match GroupCallOutcome(outcome):
        case GroupCallOutcome.ANSWERED:
            figure.answered += 1
            name = member or ""
            figure.answered_by_member[name] = figure.answered_by_member.get(name, 0) + 1
        case GroupCallOutcome.ABANDONED:
            figure.abandoned += 1
        case GroupCallOutcome.FORWARDED:
            name = trigger or ""
            figure.forwarded[name] = figure.forwarded.get(name, 0) + 1
        case GroupCallOutcome.FAILED:
            figure.failed += 1
        case GroupCallOutcome.WAITING:
            figure.waiting += 1
        case unknown:
            assert_never(unknown)
