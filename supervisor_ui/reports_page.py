"""The reports page (`/supervisor/#reports`): one call center's report over a chosen period.

The figures come from the public REST report (`GET /api/v1/reports/call-centers`) with the
supervisor's token, once for the whole period and once per interval: the API has no interval
parameter yet, and a call counts in the interval it arrived in, so a range query per interval
gives exactly the report's interval rows. Which call centers a supervisor may choose is asked
of the API (GraphQL `callCenters`) on every report, never taken from the page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import Dash, Input, Output, State, ctx, dcc, html

from supervisor_ui import report_views
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_periods import (
    DATE_HINT,
    Period,
    Preset,
    ReportInputError,
    Step,
    period_of,
    rows_of,
    step_of,
)
from supervisor_ui.report_views import EMPTY_FIGURE, CenterReport, ReportRow
from supervisor_ui.reports_api import CallCenterFigures, ReportsApi

log = logging.getLogger(__name__)

REPORTS_HASH = "#reports"
LIVE_HASH = "#live"
CONCURRENT_REQUESTS = 4
"""Interval queries in flight at once: enough to hide a remote API's latency, few enough not to
crowd the API's thread pool."""

_CHARTS = ("rep-calls", "rep-sl", "rep-times")


def nav() -> html.Nav:
    return html.Nav(
        [
            dcc.Link("Live", href=LIVE_HASH, id="nav-live", className="tab"),
            dcc.Link("Reports", href=REPORTS_HASH, id="nav-reports", className="tab"),
        ],
        className="tabs",
    )


def layout() -> html.Div:
    def radio(id_: str, options: list[tuple[str, str]], value: str) -> dcc.RadioItems:
        return dcc.RadioItems(
            id=id_,
            options=[{"label": label, "value": v} for label, v in options],
            value=value,
            inline=True,
        )

    form = html.Div(
        [
            dcc.Dropdown(id="rep-center", placeholder="call center", options=[]),
            radio(
                "rep-range",
                [
                    ("today", Preset.TODAY),
                    ("yesterday", Preset.YESTERDAY),
                    ("this week", Preset.THIS_WEEK),
                    ("custom", Preset.CUSTOM),
                ],
                Preset.TODAY,
            ),
            dcc.Input(id="rep-from", placeholder=f"from {DATE_HINT}", debounce=True),
            dcc.Input(id="rep-to", placeholder=f"to {DATE_HINT}", debounce=True),
            radio(
                "rep-interval",
                [("15 min", Step.QUARTER_HOUR), ("hour", Step.HOUR), ("day", Step.DAY)],
                Step.HOUR,
            ),
            html.Button("Show report", id="rep-show", n_clicks=0, className="btn"),
        ],
        className="report-form",
    )
    return html.Div(
        [
            form,
            html.Div(id="rep-message", className="message", role="alert"),
            html.H2(id="rep-title", className="report-title"),
            html.Div(id="rep-summary", className="kpis"),
            html.Div(
                [
                    # Responsive: the page is hidden when plotly first sizes the charts.
                    dcc.Graph(
                        id=chart,
                        config={"displayModeBar": False},
                        className="chart",
                        figure=EMPTY_FIGURE,
                        responsive=True,
                        style={"height": "280px"},
                    )
                    for chart in _CHARTS
                ],
                className="report-charts",
            ),
            html.Div(id="rep-table"),
        ],
        id="reports-view",
        className="reports",
        style={"display": "none"},
    )


async def _figures(
    reports: ReportsApi, token: str, call_center_id: str, period: Period
) -> CallCenterFigures:
    rows = await reports.call_centers(token, period.start, period.end)
    found = [row for row in rows if row.number == call_center_id]
    # A call center without calls in the period may be left out of the answer.
    return found[0] if found else CallCenterFigures(number=call_center_id)


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
    """The report the form asks for. Raises `ReportInputError` for what the supervisor should
    change, `ApiError` when the API refuses or fails."""
    if not call_center_id:
        raise ReportInputError("Choose a call center.")
    period = period_of(preset, custom_from, custom_to, now)
    kind = step_of(step)
    rows = rows_of(period, kind)
    centers = {c.id: c for c in await api.call_centers(token)}
    center = centers.get(call_center_id)
    if center is None:
        raise ReportInputError(
            f"You do not supervise call center {str(call_center_id)[:20]}: choose one of yours."
        )
    # The whole period first: a range the API refuses fails before the interval queries.
    total = await _figures(reports, token, center.id, period)
    gate = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def row(part: Period) -> ReportRow:
        async with gate:
            return ReportRow(part, await _figures(reports, token, center.id, part))

    return CenterReport(
        call_center_id=center.id,
        name=center.name,
        period=period,
        step=kind,
        total=total,
        rows=tuple(await asyncio.gather(*(row(part) for part in rows))),
    )


def _shown(report: CenterReport) -> tuple[Any, ...]:
    return (
        "",
        "message",
        report_views.title(report),
        report_views.summary_tiles(report),
        report_views.calls_figure(report),
        report_views.service_level_figure(report),
        report_views.waits_figure(report),
        report_views.table(report),
    )


EMPTY_PAGE: tuple[Any, ...] = ("", "message", "", [], *(EMPTY_FIGURE,) * len(_CHARTS), [])


def _refused(message: str) -> tuple[Any, ...]:
    # Figures of an earlier query are cleared, so they cannot be read as this query's.
    return (message, "message error", *EMPTY_PAGE[2:])


async def answer(
    api: SupervisorApi,
    reports: ReportsApi,
    session: Any,
    call_center_id: str | None,
    preset: str | None,
    custom_from: str | None,
    custom_to: str | None,
    step: str | None,
    now: datetime,
) -> tuple[Any, ...]:
    """The page's answer to "Show report": message, its class, title, tiles, charts, table."""
    token = session.get("token") if isinstance(session, dict) else None
    if not token:
        return _refused("Sign in first.")
    try:
        report = await build_report(
            api, reports, str(token), call_center_id, preset, custom_from, custom_to, step, now
        )
    except ReportInputError as error:
        return _refused(error.message)
    except ApiError as error:
        return _refused(f"No report: {error.message}.")
    except Exception:
        # The page must answer with a sentence, never with a stack trace; the log keeps it.
        log.exception("report failed")
        return _refused("The report could not be made (an unexpected error, logged).")
    return _shown(report)


def register(
    app: Dash,
    api: Callable[[], SupervisorApi],
    reports: Callable[[], ReportsApi],
    zone: ZoneInfo,
) -> None:
    """The page's callbacks; `api` and `reports` give the dashboard's API clients."""

    @app.callback(
        Output("live-view", "style"),
        Output("reports-view", "style"),
        Output("nav-live", "className"),
        Output("nav-reports", "className"),
        Input("url", "hash"),
    )
    async def navigate(hash_: str | None) -> tuple[Any, ...]:
        hidden = {"display": "none"}
        if hash_ == REPORTS_HASH:
            return hidden, {}, "tab", "tab active"
        return {}, hidden, "tab active", "tab"

    @app.callback(
        Output("rep-from", "disabled"),
        Output("rep-to", "disabled"),
        Input("rep-range", "value"),
    )
    async def custom_only(preset: str | None) -> tuple[bool, bool]:
        return preset != Preset.CUSTOM, preset != Preset.CUSTOM

    @app.callback(
        Output("rep-center", "options"),
        Output("rep-center", "value"),
        Input("session", "data"),
        State("rep-center", "value"),
    )
    async def centers(session: Any, chosen: str | None) -> tuple[Any, Any]:
        token = session.get("token") if isinstance(session, dict) else None
        if not token:
            return [], None
        try:
            visible = await api().call_centers(str(token))
        except ApiError:
            # The live board tells the supervisor what is wrong with the session.
            return [], None
        options = [{"label": f"{c.name} ({c.number})", "value": c.id} for c in visible]
        ids = [c.id for c in visible]
        return options, chosen if chosen in ids else (ids[0] if ids else None)

    @app.callback(
        Output("rep-message", "children"),
        Output("rep-message", "className"),
        Output("rep-title", "children"),
        Output("rep-summary", "children"),
        *(Output(chart, "figure") for chart in _CHARTS),
        Output("rep-table", "children"),
        Input("rep-show", "n_clicks"),
        Input("session", "data"),
        State("rep-center", "value"),
        State("rep-range", "value"),
        State("rep-from", "value"),
        State("rep-to", "value"),
        State("rep-interval", "value"),
        running=[
            (Output("rep-show", "disabled"), True, False),
            (Output("rep-show", "children"), "Working...", "Show report"),
        ],
        prevent_initial_call=True,
    )
    async def show(
        _clicks: int | None,
        session: Any,
        call_center_id: str | None,
        preset: str | None,
        custom_from: str | None,
        custom_to: str | None,
        step: str | None,
    ) -> tuple[Any, ...]:
        if ctx.triggered_id == "session":
            # Whoever signs in next on this browser must not see the last one's report.
            return EMPTY_PAGE
        return await answer(
            api(),
            reports(),
            session,
            call_center_id,
            preset,
            custom_from,
            custom_to,
            step,
            datetime.now(zone),
        )
