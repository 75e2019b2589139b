"""The reports page's layout: the Live/Reports tabs and the form, charts, table and downloads."""

from __future__ import annotations

from dash import dcc, html

from supervisor_ui.report_builders import ReportKind, kind_options
from supervisor_ui.report_periods import DATE_HINT, Preset, Step
from supervisor_ui.report_views import EMPTY_FIGURE

REPORTS_HASH = "#reports"
LIVE_HASH = "#live"
WHAT_IF_HASH = "#what-if"
SCHEDULES_HASH = "#schedules"
OTHER_PAGES = frozenset({WHAT_IF_HASH, SCHEDULES_HASH})
"""Pages beside Live and Reports, each showing itself (`what_if_page`, `schedules_page`); Live
hides for them."""
CHARTS = ("rep-calls", "rep-sl", "rep-times")
HIDDEN = {"display": "none"}


def nav(*extra: dcc.Link) -> html.Nav:
    return html.Nav(
        [
            dcc.Link("Live", href=LIVE_HASH, id="nav-live", className="tab"),
            dcc.Link("Reports", href=REPORTS_HASH, id="nav-reports", className="tab"),
            *extra,
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
                style=HIDDEN,
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
        style=HIDDEN,
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
                    for chart in CHARTS
                ],
                className="report-charts",
            ),
            html.Div(id="rep-table"),
        ],
        id="reports-view",
        className="reports",
        style=HIDDEN,
    )
