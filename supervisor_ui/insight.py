"""Two panels under the live board: today's totals per agent, and a call's decision timeline
(every engine decision with its reason and time), both read from the CTI REST API with the
supervisor's token (`GET /api/v1/agent-totals`, `GET /api/v1/calls/{id}/timeline`); the API
decides which agents and calls the supervisor may see (docs/supervisor_ui.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

TOTALS_REFRESH_MS = 30_000
"""The totals come from the reports, which follow the event log within seconds."""


class InsightError(Exception):
    """The API refused or failed; the message is for the supervisor."""


async def _get(client: httpx.AsyncClient, token: str, path: str) -> Any:
    try:
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        raise InsightError(f"the CTI server cannot be reached ({error})") from error
    if response.status_code != 200:
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        raise InsightError(detail if isinstance(detail, str) else f"HTTP {response.status_code}")
    return response.json()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def totals_table(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.P("No agents to show.", className="muted")
    head = html.Tr(
        [html.Th(h) for h in ("Agent", "Handled", "Available", "Unavailable", "Wrap-up avg")]
    )

    def unavailable(codes: dict[str, float]) -> str:
        return ", ".join(f"{code or 'no reason'} {_duration(s)}" for code, s in codes.items())

    body = [
        html.Tr(
            [
                html.Td(row["agent"]),
                html.Td(str(row["calls_handled"])),
                html.Td(_duration(row["available_seconds"])),
                html.Td(unavailable(row["unavailable_seconds"]) or "-"),
                html.Td(_duration(row["wrap_up_average_seconds"])),
            ],
            **{"data-agent": row["agent"]},
        )
        for row in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="table")


def timeline_list(decisions: list[dict[str, Any]], zone: ZoneInfo) -> Any:
    if not decisions:
        return html.P("No decisions logged for this call.", className="muted")
    return html.Ol(
        [
            html.Li(
                [
                    html.Span(datetime.fromtimestamp(d["at"], zone).strftime("%H:%M:%S ")),
                    html.Strong(d["type"]),
                    " " + " · ".join(x for x in (d["agent"], d["call_center_id"]) if x),
                    f": {d['reason']}",
                ],
                **{"data-type": d["type"]},
            )
            for d in decisions
        ],
        className="timeline",
    )


def panel() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Agent totals today"),
                    dcc.Interval(id="totals-tick", interval=TOTALS_REFRESH_MS),
                    html.Div(id="agent-totals"),
                ],
                className="panel",
            ),
            html.Div(
                [
                    html.H3("Call timeline"),
                    html.Div(
                        [
                            dcc.Input(id="timeline-call", placeholder="call id", debounce=True),
                            html.Button("Show", id="btn-timeline", n_clicks=0, className="btn"),
                        ],
                        className="row",
                    ),
                    html.Div(id="call-timeline", role="status"),
                ],
                className="panel",
            ),
        ],
        className="insight",
    )


def register(app: Dash, client: Callable[[], httpx.AsyncClient], zone: ZoneInfo) -> None:
    """`client` makes an httpx client for the CTI API (closed after each use)."""

    @app.callback(
        Output("agent-totals", "children"),
        Input("totals-tick", "n_intervals"),
        Input("session", "data"),
    )
    async def totals(_tick: int | None, session: Any) -> Any:
        if not isinstance(session, dict) or not session.get("token"):
            raise PreventUpdate
        async with client() as http:
            try:
                rows = await _get(http, str(session["token"]), "/api/v1/agent-totals")
            except InsightError as error:
                return html.P(str(error), className="message error")
        return totals_table(rows)

    @app.callback(
        Output("timeline-call", "value"),
        Input("selected-call", "data"),
        prevent_initial_call=True,
    )
    async def follow_selection(call_id: str | None) -> str:
        if not call_id:
            raise PreventUpdate
        return call_id

    @app.callback(
        Output("call-timeline", "children"),
        Input("btn-timeline", "n_clicks"),
        Input("timeline-call", "value"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    async def timeline(_clicks: int | None, call_id: str | None, session: Any) -> Any:
        if not isinstance(session, dict) or not session.get("token") or not call_id:
            raise PreventUpdate
        path = f"/api/v1/calls/{quote(call_id.strip(), safe='')}/timeline"
        async with client() as http:
            try:
                body = await _get(http, str(session["token"]), path)
            except InsightError as error:
                return html.P(str(error), className="message error")
        return timeline_list(body["decisions"], zone)
