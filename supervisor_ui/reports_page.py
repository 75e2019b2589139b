"""The reports page (`/supervisor/#reports`): a call center's report per interval, the agents'
report, and (admins only) the usage report, each with CSV and XLSX downloads.

Figures come from the public REST reports with the signed-in user's token. A call center's
intervals come from `GET /api/v1/reports/call-centers/intervals` in one request for 15-minute and
hour rows; day rows are local days, so a DST change splits them into a few requests
(`report_periods.queries_of`). Which call centers and agents a user may choose is asked of the
API (GraphQL `callCenters`, `agents`) on every report, never taken from the page. Downloads are
fetched from `GET /api/v1/reports/export` in the callback, so the token never enters a URL.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from supervisor_ui import report_files, report_views
from supervisor_ui.api_client import ApiError, SupervisorApi, token_claims
from supervisor_ui.report_periods import (
    DATE_HINT,
    IntervalQuery,
    Preset,
    ReportInputError,
    Step,
    period_of,
    queries_of,
    rows_of,
    step_of,
)
from supervisor_ui.report_views import (
    EMPTY_FIGURE,
    AgentReport,
    CenterReport,
    ReportRow,
    UsageReport,
)
from supervisor_ui.reports_api import RANGE, CallCenterFigures, ExportFormat, ReportsApi

log = logging.getLogger(__name__)

REPORTS_HASH = "#reports"
LIVE_HASH = "#live"
AGENTS_QUERY = "query { agents { extension name } }"
MAX_DOWNLOAD_REQUESTS = 8
"""More export requests than any shown report makes (a year by day is four)."""

_CHARTS = ("rep-calls", "rep-sl", "rep-times")
_HIDDEN = {"display": "none"}


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


@dataclass(frozen=True, slots=True)
class Download:
    """What the download buttons fetch for the shown report: its export requests (from, to,
    interval) and the rows kept (column -> value). Kept in the page, so read back with care."""

    report: ReportKind
    queries: tuple[tuple[str, str, str], ...]
    keep: Mapping[str, str]
    name: str

    @classmethod
    def of(
        cls, report: ReportKind, queries: list[IntervalQuery], keep: Mapping[str, str]
    ) -> Download:
        first, last = queries[0].period.start, queries[-1].period.end
        who = "".join(f"-{value}" for value in keep.values())
        return cls(
            report,
            tuple(
                (q.period.start.isoformat(), q.period.end.isoformat(), q.interval) for q in queries
            ),
            dict(keep),
            f"{report.value}{who}-{first:%Y%m%d-%H%M}-{last:%Y%m%d-%H%M}",
        )

    def to_store(self) -> dict[str, Any]:
        return {
            "report": self.report.value,
            "queries": [list(q) for q in self.queries],
            "keep": dict(self.keep),
            "name": self.name,
        }

    @classmethod
    def from_store(cls, data: Any) -> Download:
        """Raises ValueError for anything the page could not have stored."""
        try:
            queries = tuple((str(a), str(b), str(c)) for a, b, c in data["queries"])
            keep = {str(k): str(v) for k, v in data["keep"].items()}
            download = cls(ReportKind(data["report"]), queries, keep, str(data["name"]))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError("not a stored download") from error
        # Each request is an export the server runs: a tampered page must not ask for hundreds.
        if not 1 <= len(queries) <= MAX_DOWNLOAD_REQUESTS:
            raise ValueError("not a stored download")
        return download


@dataclass(frozen=True, slots=True)
class Shown:
    """A report as the page shows it; a chart of None is hidden."""

    title: str
    tiles: list[Any]
    charts: tuple[dict[str, Any] | None, ...]
    table: Any
    download: Download


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
            radio("rep-kind", kind_options(False), ReportKind.CALL_CENTER),
            html.Div(
                dcc.Dropdown(id="rep-center", placeholder="call center", options=[]),
                id="rep-center-box",
            ),
            html.Div(
                dcc.Dropdown(id="rep-agent", placeholder="all my agents", options=[]),
                id="rep-agent-box",
                style=_HIDDEN,
            ),
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
            html.Div(
                radio(
                    "rep-interval",
                    [("15 min", Step.QUARTER_HOUR), ("hour", Step.HOUR), ("day", Step.DAY)],
                    Step.HOUR,
                ),
                id="rep-interval-box",
            ),
            html.Button("Show report", id="rep-show", n_clicks=0, className="btn"),
        ],
        className="report-form",
    )
    downloads = html.Div(
        [
            html.Button("Download CSV", id="rep-csv", n_clicks=0, className="btn secondary"),
            html.Button("Download XLSX", id="rep-xlsx", n_clicks=0, className="btn secondary"),
            html.Span(id="rep-download-message", className="message error", role="alert"),
            dcc.Download(id="rep-download"),
        ],
        id="rep-downloads",
        className="report-downloads",
        style=_HIDDEN,
    )
    return html.Div(
        [
            form,
            html.Div(id="rep-message", className="message", role="alert"),
            html.H2(id="rep-title", className="report-title"),
            html.Div(id="rep-summary", className="kpis"),
            downloads,
            dcc.Store(id="rep-shown"),
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
        style=_HIDDEN,
    )


def kind_options(admin: bool) -> list[tuple[str, str]]:
    """The reports a user may pick: usage is billing data, for admins only (the API says the
    same; hiding it only spares supervisors a refusal)."""
    kinds = list(ReportKind) if admin else [ReportKind.CALL_CENTER, ReportKind.AGENTS]
    return [(KIND_LABELS[kind], kind.value) for kind in kinds]


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
        out += [EMPTY_FIGURE, _HIDDEN] if figure is None else [figure, {"height": "280px"}]
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
    *_charts((EMPTY_FIGURE,) * len(_CHARTS)),
    [],
    None,
    _HIDDEN,
    "",
)
"""Message, its class, title, tiles, (figure, style) per chart, table, download, its buttons,
and the last download's message (which belongs to the report before)."""


def _refused(message: str) -> tuple[Any, ...]:
    # Figures of an earlier query are cleared, so they cannot be read as this query's.
    return (message, "message error", *EMPTY_PAGE[2:])


def _token(session: Any) -> str | None:
    token = session.get("token") if isinstance(session, dict) else None
    return str(token) if token else None


async def _shown(
    api: SupervisorApi, reports: ReportsApi, token: str, form: ReportForm, now: datetime
) -> Shown:
    match form.kind:
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
    raise ReportInputError("Choose a report: call center or agents.")


async def answer(
    api: SupervisorApi, reports: ReportsApi, session: Any, form: ReportForm, now: datetime
) -> tuple[Any, ...]:
    """The page's answer to "Show report" (`EMPTY_PAGE`'s parts)."""
    token = _token(session)
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


async def download(
    reports: ReportsApi, session: Any, stored: Any, export_format: ExportFormat
) -> tuple[dict[str, Any] | None, str]:
    """The shown report as a file for `dcc.Download` (or None), and a message."""
    token = _token(session)
    if not token:
        return None, "Sign in first."
    try:
        wanted = Download.from_store(stored)
    except ValueError:
        return None, "Show a report first."
    try:
        bodies = await asyncio.gather(
            *(
                reports.export(
                    token,
                    export_format,
                    {"report": wanted.report.value, "from": a, "to": b, "interval": interval},
                )
                for a, b, interval in wanted.queries
            )
        )
        table = report_files.joined(
            (report_files.read(export_format, body) for body in bodies), wanted.keep
        )
        content = report_files.write(export_format, table, wanted.report.value)
    except ApiError as error:
        return None, f"No download: {error.message}."
    except Exception:
        log.exception("download failed")
        return None, "The download could not be made (an unexpected error, logged)."
    # `dcc.Download`'s data, as `dcc.send_bytes` makes it (which is untyped).
    return {
        "content": base64.b64encode(content).decode(),
        "filename": f"{wanted.name}.{export_format.value}",
        "type": report_files.MEDIA_TYPES[export_format],
        "base64": True,
    }, ""


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
            return _HIDDEN, {}, "tab", "tab active"
        return {}, _HIDDEN, "tab active", "tab"

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
        center = {} if kind == ReportKind.CALL_CENTER else _HIDDEN
        return center, {} if kind == ReportKind.AGENTS else _HIDDEN, center

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
        token = _token(session)
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
        *(o for chart in _CHARTS for o in (Output(chart, "figure"), Output(chart, "style"))),
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
