"""The what-if page (`/supervisor/#what-if`, docs/what-if.md): the supervisor picks a call center,
a day (today by default) or a synthetic load, and changes (agents more or fewer, routing policy,
wrap-up, max wait); the API replays the day through the real engine as configured and changed,
and the page charts the predicted service level per interval next to the one as configured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from dash import Dash, Input, Output, State, dcc, html, no_update

from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_builders import session_token
from supervisor_ui.report_layout import HIDDEN, WHAT_IF_HASH
from supervisor_ui.report_views import EMPTY_FIGURE
from supervisor_ui.what_if_api import WhatIfApi

ROUTING_POLICIES = ("circular", "regular", "simultaneous", "uniform", "weighted", "skill_based")
"""The API's routing policies (queueing.config.RoutingPolicy); the API refuses one above the
call center's tier, naming the field."""
AS_CONFIGURED = ""


class FormError(ValueError):
    """A form value the page refuses before asking the API."""


def nav_link() -> dcc.Link:
    return dcc.Link("What-if", href=WHAT_IF_HASH, id="nav-what-if", className="tab")


def layout() -> html.Div:
    def number(id_: str, placeholder: str, **kw: Any) -> dcc.Input:
        return dcc.Input(id=id_, type="number", placeholder=placeholder, debounce=False, **kw)

    form = html.Div(
        [
            dcc.Dropdown(id="wi-center", placeholder="call center", options=[]),
            dcc.Input(id="wi-day", placeholder="day: today, or YYYY-MM-DD"),
            dcc.RadioItems(
                id="wi-source",
                options=[
                    {"label": "the day's calls", "value": "day"},
                    {"label": "synthetic load", "value": "synthetic"},
                ],
                value="day",
                inline=True,
            ),
            number("wi-calls", "synthetic calls", value=500, min=1, max=50_000),
            html.Label(["Agents +/- ", number("wi-agents", "0", value=0, step=1)]),
            dcc.Dropdown(
                id="wi-routing",
                options=[{"label": "routing as configured", "value": AS_CONFIGURED}]
                + [{"label": p.replace("_", " "), "value": p} for p in ROUTING_POLICIES],
                value=AS_CONFIGURED,
                clearable=False,
            ),
            number("wi-wrap-up", "wrap-up (s)", min=0, max=3600),
            number("wi-max-wait", "max wait (s)", min=0, max=7200),
            html.Button("Run what-if", id="wi-run", n_clicks=0, className="btn"),
        ],
        className="report-form",
    )
    return html.Div(
        [
            html.H2("What if", className="report-title"),
            form,
            dcc.Loading(
                [
                    html.Div(id="wi-message", className="message", role="alert"),
                    html.Div(id="wi-summary", className="kpis"),
                    dcc.Graph(
                        id="wi-chart",
                        config={"displayModeBar": False},
                        className="chart",
                        figure=EMPTY_FIGURE,
                        responsive=True,
                        style={"height": "320px"},
                    ),
                ]
            ),
        ],
        id="what-if-view",
        className="reports",
        style=HIDDEN,
    )


def request_of(
    zone: ZoneInfo,
    center: str | None,
    day: str | None,
    source: str | None,
    calls: float | None,
    agents: float | None,
    routing: str | None,
    wrap_up: float | None,
    max_wait: float | None,
) -> dict[str, Any]:
    """The API request the form asks for; `FormError` says what to fix."""
    if not center:
        raise FormError("Choose a call center.")
    body: dict[str, Any] = {"call_center": center, "timezone": str(zone), "interval_minutes": 30}
    text = (day or "").strip()
    if text and text.lower() != "today":
        try:
            body["day"] = date.fromisoformat(text).isoformat()
        except ValueError as error:
            raise FormError(f"The day {text!r} is not YYYY-MM-DD.") from error
    if source == "synthetic":
        body["synthetic"] = {"calls": int(calls or 0)}
    changes: dict[str, Any] = {}
    if agents:
        changes["agents_delta"] = int(agents)
    if routing:
        changes["routing"] = routing
    if wrap_up is not None:
        changes["wrap_up_seconds"] = int(wrap_up)
    if max_wait is not None:
        changes["max_wait_seconds"] = int(max_wait)
    body["changes"] = changes
    return body


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def _kpi(label: str) -> dict[str, Any]:
    return {"data-kpi": label.lower().replace(" ", "-")}


def summary(result: dict[str, Any]) -> list[Any]:
    """Tiles: each figure of the whole day, as configured -> predicted."""
    actual, predicted = result["actual"]["total"], result["predicted"]["total"]
    tiles = [
        ("Agents", str(result["actual"]["agents"]), str(result["predicted"]["agents"])),
        ("Calls", str(actual["offered"]), str(predicted["offered"])),
        ("Service level", _percent(actual["service_level"]), _percent(predicted["service_level"])),
        ("ASA", _seconds(actual["asa_seconds"]), _seconds(predicted["asa_seconds"])),
        ("Abandoned", _percent(actual["abandonment"]), _percent(predicted["abandonment"])),
        ("Occupancy", _percent(actual["occupancy"]), _percent(predicted["occupancy"])),
    ]
    return [
        html.Div(
            [
                html.Div(label, className="kpi-label"),
                html.Div(
                    [html.Span(before), " \u2192 ", html.Strong(after)],
                    className="kpi-value",
                    **_kpi(label),
                ),
            ],
            className="kpi",
        )
        for label, before, after in tiles
    ]


def chart(result: dict[str, Any]) -> dict[str, Any]:
    """Service level per interval, as configured and predicted (and as recorded, for a past
    day), over the intervals with calls."""
    actual = result["actual"]["intervals"]
    shown = [n for n, row in enumerate(actual) if row["offered"]]
    times = [actual[n]["start"][11:16] for n in shown]

    def trace(name: str, rows: list[dict[str, Any]], dash: str) -> dict[str, Any]:
        levels = [rows[n]["service_level"] for n in shown]
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": times,
            "y": [None if v is None else round(100 * v, 1) for v in levels],
            "line": {"dash": dash},
        }

    traces = [
        trace("as configured", actual, "dot"),
        trace("predicted", result["predicted"]["intervals"], "solid"),
    ]
    if result.get("recorded"):
        traces.append(trace("recorded", result["recorded"]["intervals"], "dash"))
    minutes, threshold = result["interval_minutes"], result["threshold_seconds"]
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"Service level per {minutes} min (answered within {threshold} s)"},
            "yaxis": {"title": {"text": "%"}, "range": [0, 105]},
            "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
            "legend": {"orientation": "h"},
        },
    }


def register(
    app: Dash, api: Callable[[], SupervisorApi], what_if: Callable[[], WhatIfApi], zone: ZoneInfo
) -> None:
    @app.callback(
        Output("what-if-view", "style"),
        Output("nav-what-if", "className"),
        Input("url", "hash"),
    )
    async def navigate(hash_: str | None) -> tuple[Any, str]:
        return ({}, "tab active") if hash_ == WHAT_IF_HASH else (HIDDEN, "tab")

    @app.callback(
        Output("wi-center", "options"),
        Output("wi-center", "value"),
        Input("session", "data"),
        State("wi-center", "value"),
    )
    async def centers(session: Any, chosen: str | None) -> tuple[Any, Any]:
        token = session_token(session)
        if not token:
            return [], None
        try:
            visible = await api().call_centers(token)
        except ApiError:
            return [], None  # the live board says what is wrong with the session
        numbers = [c.number for c in visible]
        options = [{"label": f"{c.name} ({c.number})", "value": c.number} for c in visible]
        return options, chosen if chosen in numbers else (numbers[0] if numbers else None)

    @app.callback(
        Output("wi-message", "children"),
        Output("wi-message", "className"),
        Output("wi-summary", "children"),
        Output("wi-chart", "figure"),
        Input("wi-run", "n_clicks"),
        State("session", "data"),
        State("wi-center", "value"),
        State("wi-day", "value"),
        State("wi-source", "value"),
        State("wi-calls", "value"),
        State("wi-agents", "value"),
        State("wi-routing", "value"),
        State("wi-wrap-up", "value"),
        State("wi-max-wait", "value"),
        prevent_initial_call=True,
    )
    async def run(_clicks: int | None, session: Any, *form: Any) -> tuple[str, str, Any, Any]:
        token = session_token(session)
        if not token:
            return "Sign in first.", "message error", no_update, no_update
        try:
            body = request_of(zone, *form)
            result = await what_if().run(token, body)
        except (FormError, ApiError) as error:
            return str(error), "message error", [], EMPTY_FIGURE
        day = result["day"]
        what = "synthetic calls on" if result["source"] == "synthetic" else "recorded calls of"
        said = f"{result['calls']} {what} {day} replayed through the queue engine."
        if result.get("recorded"):
            level = result["recorded"]["total"]["service_level"]
            said += f" Recorded that day: service level {_percent(level)}."
        return said, "message", summary(result), chart(result)
