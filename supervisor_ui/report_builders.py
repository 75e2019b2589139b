"""The reports the page's form asks for, fetched from the public API with the user's token.

A call center's intervals come from `GET /api/v1/reports/call-centers/intervals` in one request
for 15-minute and hour rows; day rows are local days, so a DST change splits them into a few
requests (`report_periods.queries_of`). Which call centers and agents a user may choose is asked
of the API (GraphQL `callCenters`, `agents`) on every report, never taken from the page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from supervisor_ui.api_client import ApiError, SupervisorApi, token_claims
from supervisor_ui.report_periods import (
    IntervalQuery,
    Preset,
    ReportInputError,
    Step,
    period_of,
    queries_of,
    rows_of,
    step_of,
)
from supervisor_ui.report_views import AgentReport, CenterReport, ReportRow, UsageReport
from supervisor_ui.reports_api import RANGE, CallCenterFigures, ReportsApi

AGENTS_QUERY = "query { agents { extension name } }"


class ReportKind(StrEnum):
    """Which report the page shows; the values are the export endpoint's report names."""

    CALL_CENTER = "call-centers"
    AGENTS = "agents"
    USAGE = "usage"


KIND_LABELS = {
    ReportKind.CALL_CENTER: "Call center",
    ReportKind.AGENTS: "Agents",
    ReportKind.USAGE: "Usage",
}


@dataclass(frozen=True, slots=True)
class ReportForm:
    """The form's values as the browser sent them (anything, until checked)."""

    kind: str | None = ReportKind.CALL_CENTER
    call_center_id: str | None = None
    agent: str | None = None
    preset: str | None = Preset.TODAY
    custom_from: str | None = None
    custom_to: str | None = None
    step: str | None = Step.HOUR


def kind_options(admin: bool) -> list[tuple[str, str]]:
    """The reports a user may pick: usage is billing data, for admins only (the API says the
    same; hiding it only spares supervisors a refusal)."""
    kinds = list(ReportKind) if admin else [ReportKind.CALL_CENTER, ReportKind.AGENTS]
    return [(KIND_LABELS[kind], kind.value) for kind in kinds]


def kind_of(value: str | None) -> ReportKind:
    try:
        return ReportKind(str(value))
    except ValueError:
        raise ReportInputError("Choose a report: call center or agents.") from None


def session_token(session: Any) -> str | None:
    """The bearer token of the browser's `session` store (anything, until checked)."""
    token = session.get("token") if isinstance(session, dict) else None
    return str(token) if token else None


def is_admin(token: str) -> bool:
    # The claims are read only after the API accepted the token at sign-in or page load.
    try:
        return token_claims(token).get("role") == "admin"
    except ApiError:
        return False


async def build_report(
    api: SupervisorApi,
    reports: ReportsApi,
    token: str,
    call_center_id: str | None,
    preset: str | None,
    custom_from: str | None,
    custom_to: str | None,
    step: str | None,
    now: datetime,
) -> CenterReport:
    """The call-center report the form asks for. Raises `ReportInputError` for what the
    supervisor should change, `ApiError` when the API refuses or fails."""
    if not call_center_id:
        raise ReportInputError("Choose a call center.")
    period = period_of(preset, custom_from, custom_to, now)
    kind = step_of(step)
    centers = {c.id: c for c in await api.call_centers(token)}
    center = centers.get(call_center_id)
    if center is None:
        raise ReportInputError(
            f"You do not supervise call center {str(call_center_id)[:20]}: choose one of yours."
        )
    # The whole period first: a range the API refuses (over 366 days) fails before the rows
    # are made, so a far custom range never becomes millions of rows here.
    whole = await _center_figures(reports, token, center.id, IntervalQuery(period, RANGE))
    rows = rows_of(period, kind)
    parts = await asyncio.gather(
        *(_center_figures(reports, token, center.id, q) for q in queries_of(rows, kind))
    )
    found = {start: figures for part in parts for start, figures in part.items()}
    # Keyed in UTC: two local times of one zone compare by wall clock, so the repeated hour of
    # the autumn DST change would be one key.
    starts = [row.start.astimezone(UTC) for row in rows]
    # A call center without calls may be left out of an admin's answer: its rows are zeros.
    if found and set(found) != set(starts):
        raise ApiError("the report API's intervals do not match the page's rows")
    empty = CallCenterFigures(number=center.id)
    return CenterReport(
        call_center_id=center.id,
        name=center.name,
        period=period,
        step=kind,
        total=next(iter(whole.values()), empty),
        rows=tuple(
            ReportRow(row, found.get(start, empty)) for row, start in zip(rows, starts, strict=True)
        ),
    )


async def _center_figures(
    reports: ReportsApi, token: str, number: str, query: IntervalQuery
) -> dict[datetime, CallCenterFigures]:
    """One call center's rows of one request, by their start (UTC, as the API gives it)."""
    period = query.period
    answer = await reports.call_center_intervals(
        token, period.start, period.end, query.interval, call_center=number
    )
    return {row.start: row.figures for row in answer if row.figures.number == number}


async def build_agent_report(
    api: SupervisorApi,
    reports: ReportsApi,
    token: str,
    agent: str | None,
    preset: str | None,
    custom_from: str | None,
    custom_to: str | None,
    now: datetime,
) -> AgentReport:
    """The agents' report: each agent the API lets the user see, or the one chosen."""
    period = period_of(preset, custom_from, custom_to, now)
    names = await agent_names(api, token)
    if agent and agent not in names:
        raise ReportInputError(f"You do not supervise agent {agent[:20]}: choose one of yours.")
    rows = await reports.agents(token, period.start, period.end, agent=agent or None)
    return AgentReport(
        period=period,
        agent=agent or None,
        names=names,
        rows=tuple(row for row in rows if not agent or row.agent == agent),
    )


async def agent_names(api: SupervisorApi, token: str) -> dict[str, str]:
    """Extension -> name of the agents the token may see (GraphQL `agents`, the REST agent
    report's scope: the members of the supervised call centers)."""
    data = await api.graphql(token, AGENTS_QUERY)
    try:
        agents = sorted((str(a["extension"]), str(a.get("name") or "")) for a in data["agents"])
    except (KeyError, TypeError, AttributeError) as error:
        raise ApiError("the API answered in a form this page cannot read") from error
    return dict(agents)


async def build_usage_report(
    reports: ReportsApi,
    token: str,
    preset: str | None,
    custom_from: str | None,
    custom_to: str | None,
    now: datetime,
) -> UsageReport:
    period = period_of(preset, custom_from, custom_to, now)
    return UsageReport(period, tuple(await reports.usage(token, period.start, period.end)))
