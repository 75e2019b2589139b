"""The reports page's callbacks (`/supervisor/#reports`): a call center's report per interval,
the agents' report, and (admins only) the usage report, each with CSV and XLSX downloads.

The reports are fetched by `report_builders`, drawn by `report_views` into the page's outputs
here (or a sentence saying why not), and downloaded by `report_download`; `report_layout` holds
the components these callbacks fill.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from supervisor_ui import report_views
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_builders import (
    ReportForm,
    ReportKind,
    agent_names,
    build_agent_report,
    build_report,
    build_usage_report,
    is_admin,
    kind_of,
    kind_options,
    session_token,
)
from supervisor_ui.report_download import Download, download
from supervisor_ui.report_layout import CHARTS, HIDDEN, OTHER_PAGES, REPORTS_HASH
from supervisor_ui.report_periods import IntervalQuery, Preset, ReportInputError, queries_of
from supervisor_ui.report_views import EMPTY_FIGURE, AgentReport, CenterReport, UsageReport
from supervisor_ui.reports_api import RANGE, ExportFormat, ReportsApi

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Shown:
    """A report as the page shows it; a chart of None is hidden."""

    title: str
    tiles: list[Any]
    charts: tuple[dict[str, Any] | None, ...]
    table: Any
    download: Download


def center_shown(report: CenterReport) -> Shown:
    queries = queries_of([row.period for row in report.rows], report.step)
    return Shown(
        report_views.title(report),
        report_views.summary_tiles(report),
        (
            report_views.calls_figure(report),
            report_views.service_level_figure(report),
            report_views.waits_figure(report),
        ),
        report_views.table(report),
        Download.of(ReportKind.CALL_CENTER, queries, {"number": report.call_center_id}),
    )


def agents_shown(report: AgentReport) -> Shown:
    return Shown(
        report_views.agent_title(report),
        report_views.agent_tiles(report),
        (
            report_views.state_figure(report),
            report_views.unavailable_figure(report),
            report_views.answered_figure(report),
        ),
        report_views.agent_table(report),
        Download.of(
            ReportKind.AGENTS,
            [IntervalQuery(report.period, RANGE)],
            {"agent": report.agent} if report.agent else {},
        ),
    )


def usage_shown(report: UsageReport) -> Shown:
    return Shown(
        report_views.usage_title(report),
        report_views.usage_tiles(report),
        (report_views.usage_figure(report), None, None),
        report_views.usage_table(report),
        Download.of(ReportKind.USAGE, [IntervalQuery(report.period, RANGE)], {}),
    )


def _charts(figures: tuple[dict[str, Any] | None, ...]) -> list[Any]:
    out: list[Any] = []
    for figure in figures:
        out += [EMPTY_FIGURE, HIDDEN] if figure is None else [figure, {"height": "280px"}]
    return out


def _page(shown: Shown) -> tuple[Any, ...]:
    return (
        "",
        "message",
        shown.title,
        shown.tiles,
        *_charts(shown.charts),
        shown.table,
        shown.download.to_store(),
        {},
        "",
    )


EMPTY_PAGE: tuple[Any, ...] = (
    "",
    "message",
    "",
    [],
    *_charts((EMPTY_FIGURE,) * len(CHARTS)),
    [],
    None,
    HIDDEN,
    "",
)
"""Message, its class, title, tiles, (figure, style) per chart, table, download, its buttons,
and the last download's message (which belongs to the report before)."""


def _refused(message: str) -> tuple[Any, ...]:
    # Figures of an earlier query are cleared, so they cannot be read as this query's.
    return (message, "message error", *EMPTY_PAGE[2:])


async def _shown(
    api: SupervisorApi, reports: ReportsApi, token: str, form: ReportForm, now: datetime
) -> Shown:
    match kind_of(form.kind):
        case ReportKind.CALL_CENTER:
            report = await build_report(
                api,
                reports,
                token,
                form.call_center_id,
                form.preset,
                form.custom_from,
                form.custom_to,
                form.step,
                now,
            )
            return center_shown(report)
        case ReportKind.AGENTS:
            agents = await build_agent_report(
                api, reports, token, form.agent, form.preset, form.custom_from, form.custom_to, now
            )
            return agents_shown(agents)
        case ReportKind.USAGE:
            usage = await build_usage_report(
                reports, token, form.preset, form.custom_from, form.custom_to, now
            )
            return usage_shown(usage)
        case unknown:
            assert_never(unknown)


async def answer(
    api: SupervisorApi, reports: ReportsApi, session: Any, form: ReportForm, now: datetime
) -> tuple[Any, ...]:
    """The page's answer to "Show report" (`EMPTY_PAGE`'s parts)."""
    token = session_token(session)
    if not token:
        return _refused("Sign in first.")
    try:
        shown = await _shown(api, reports, token, form, now)
    except ReportInputError as error:
        return _refused(error.message)
    except ApiError as error:
        return _refused(f"No report: {error.message}.")
    except Exception:
        # The page must answer with a sentence, never with a stack trace; the log keeps it.
        log.exception("report failed")
        return _refused("The report could not be made (an unexpected error, logged).")
    return _page(shown)


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
        if hash_ == REPORTS_HASH:
            return HIDDEN, {}, "tab", "tab active"
        if hash_ in OTHER_PAGES:
            return HIDDEN, HIDDEN, "tab", "tab"
        return {}, HIDDEN, "tab active", "tab"

    @app.callback(
        Output("rep-from", "disabled"),
        Output("rep-to", "disabled"),
        Input("rep-range", "value"),
    )
    async def custom_only(preset: str | None) -> tuple[bool, bool]:
        return preset != Preset.CUSTOM, preset != Preset.CUSTOM

    @app.callback(
        Output("rep-center-box", "style"),
        Output("rep-agent-box", "style"),
        Output("rep-interval-box", "style"),
        Input("rep-kind", "value"),
    )
    async def fields(kind: str | None) -> tuple[Any, ...]:
        center = {} if kind == ReportKind.CALL_CENTER else HIDDEN
        return center, {} if kind == ReportKind.AGENTS else HIDDEN, center

    @app.callback(
        Output("rep-center", "options"),
        Output("rep-center", "value"),
        Output("rep-agent", "options"),
        Output("rep-agent", "value"),
        Output("rep-kind", "options"),
        Output("rep-kind", "value"),
        Input("session", "data"),
        State("rep-center", "value"),
        State("rep-kind", "value"),
    )
    async def choices(session: Any, chosen: str | None, kind: str | None) -> tuple[Any, ...]:
        """What this user may choose, asked of the API whenever the session changes."""
        token = session_token(session)
        kinds = kind_options(bool(token) and is_admin(str(token)))
        kind_values = [value for _, value in kinds]
        kind_choices = (
            [{"label": label, "value": value} for label, value in kinds],
            kind if kind in kind_values else ReportKind.CALL_CENTER,
        )
        if not token:
            return [], None, [], None, *kind_choices
        try:
            visible = await api().call_centers(token)
            names = await agent_names(api(), token)
        except ApiError:
            # The live board tells the user what is wrong with the session.
            return [], None, [], None, *kind_choices
        options = [{"label": f"{c.name} ({c.number})", "value": c.id} for c in visible]
        ids = [c.id for c in visible]
        agents = [{"label": f"{ext} {name}".strip(), "value": ext} for ext, name in names.items()]
        center = chosen if chosen in ids else (ids[0] if ids else None)
        # The previous user's agent is never kept: "all my agents" is the safe start.
        return options, center, agents, None, *kind_choices

    @app.callback(
        Output("rep-message", "children"),
        Output("rep-message", "className"),
        Output("rep-title", "children"),
        Output("rep-summary", "children"),
        *(o for chart in CHARTS for o in (Output(chart, "figure"), Output(chart, "style"))),
        Output("rep-table", "children"),
        Output("rep-shown", "data"),
        Output("rep-downloads", "style"),
        Output("rep-download-message", "children", allow_duplicate=True),
        Input("rep-show", "n_clicks"),
        Input("session", "data"),
        State("rep-kind", "value"),
        State("rep-center", "value"),
        State("rep-agent", "value"),
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
        kind: str | None,
        call_center_id: str | None,
        agent: str | None,
        preset: str | None,
        custom_from: str | None,
        custom_to: str | None,
        step: str | None,
    ) -> tuple[Any, ...]:
        if ctx.triggered_id == "session":
            # Whoever signs in next on this browser must not see the last one's report.
            return EMPTY_PAGE
        form = ReportForm(kind, call_center_id, agent, preset, custom_from, custom_to, step)
        return await answer(api(), reports(), session, form, datetime.now(zone))

    @app.callback(
        Output("rep-download", "data"),
        Output("rep-download-message", "children"),
        Input("rep-csv", "n_clicks"),
        Input("rep-xlsx", "n_clicks"),
        State("session", "data"),
        State("rep-shown", "data"),
        running=[
            (Output("rep-csv", "disabled"), True, False),
            (Output("rep-xlsx", "disabled"), True, False),
        ],
        prevent_initial_call=True,
    )
    async def fetch(_csv: int, _xlsx: int, session: Any, stored: Any) -> tuple[Any, str]:
        if ctx.triggered_id not in ("rep-csv", "rep-xlsx"):
            raise PreventUpdate
        export_format = ExportFormat.CSV if ctx.triggered_id == "rep-csv" else ExportFormat.XLSX
        data, message = await download(reports(), session, stored, export_format)
        return (no_update if data is None else data), message
