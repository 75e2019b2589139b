"""The scheduled-reports page (`/supervisor/#schedules`, docs/supervisor_ui.md): supervisors and
admins make, list, send and delete report schedules (which report, call centers, interval,
recipients, CSV/XLSX) through `/api/v1/report-schedules`; each row shows the next run and the
last send's state, a failed send with its retries and error.

The table always shows what the API stored: it is listed again after each change and, while the
page is open, every few seconds (a send's state changes in the rq worker, not in the page).
Changes and listings are separate callbacks, so a listing never supersedes a click's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.report_builders import KIND_LABELS, ReportKind, is_admin, session_token
from supervisor_ui.report_layout import HIDDEN, SCHEDULES_HASH
from supervisor_ui.schedules_api import SchedulesApi
from supervisor_ui.views import data_attribute

INTERVALS = (("daily", "daily"), ("weekly", "weekly"), ("monthly", "monthly"))
FORMATS = (("CSV", "csv"), ("XLSX", "xlsx"))
REFRESH_MS = 3000
_SPLIT = re.compile(r"[\s,;]+")


class FormError(ValueError):
    """A form value the page refuses before asking the API."""


def nav_link() -> dcc.Link:
    return dcc.Link("Scheduled reports", href=SCHEDULES_HASH, id="nav-schedules", className="tab")


def _radio(id_: str, options: list[tuple[str, str]], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id_, options=[{"label": t, "value": v} for t, v in options], value=value, inline=True
    )


def layout() -> html.Div:
    form = html.Div(
        [
            _radio("sch-report", [], ReportKind.CALL_CENTER),
            dcc.Dropdown(id="sch-centers", placeholder="call centers", options=[], multi=True),
            _radio("sch-interval", list(INTERVALS), "daily"),
            dcc.Input(id="sch-recipients", placeholder="recipients (e-mail addresses)", size="40"),
            _radio("sch-format", list(FORMATS), "csv"),
            html.Button("Add schedule", id="sch-create", n_clicks=0, className="btn"),
        ],
        className="report-form",
    )
    return html.Div(
        [
            html.H2("Scheduled reports", className="report-title"),
            form,
            html.Div(id="sch-message", className="message", role="alert"),
            html.Div(id="sch-list"),
            dcc.Store(id="sch-changed"),
            dcc.Interval(id="sch-tick", interval=REFRESH_MS, disabled=True),
        ],
        id="schedules-view",
        className="reports",
        style=HIDDEN,
    )


def body_of(
    report: str | None,
    centers: list[str] | None,
    interval: str | None,
    recipients: str | None,
    file_format: str | None,
) -> dict[str, Any]:
    """The API request the form asks for; the API checks every value again."""
    addresses = [a for a in _SPLIT.split(recipients or "") if a]
    if not addresses:
        raise FormError("Enter at least one recipient's e-mail address.")
    return {
        "report": report or ReportKind.CALL_CENTER.value,
        "call_centers": list(centers or []),
        "interval": interval or "daily",
        "recipients": addresses,
        "format": file_format or "csv",
    }


def _when(value: str | None, zone: ZoneInfo) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _status(schedule: dict[str, Any], zone: ZoneInfo) -> html.Td:
    """The last send's state; a failure with its attempts, time and the error itself."""
    state = str(schedule.get("status", ""))
    parts: list[Any] = [html.Span(state, className=f"sch-state {state}")]
    if state in ("retrying", "failed"):
        parts += [
            html.Span(f" · {schedule.get('attempts', 0)} attempts", className="sch-attempts"),
            html.Span(f" · {_when(schedule.get('last_attempt_at'), zone)}"),
            html.Div(str(schedule.get("last_error") or ""), className="sch-error"),
        ]
    return html.Td(parts, **data_attribute("figure", "status"))


def _button(label: str, kind: str, schedule_id: int, css: str = "btn") -> html.Button:
    return html.Button(label, id={"type": kind, "index": schedule_id}, n_clicks=0, className=css)


def table(schedules: list[dict[str, Any]], zone: ZoneInfo) -> Any:
    if not schedules:
        return html.P("No scheduled reports yet.", className="empty")
    head = ["Report", "Call centers", "Interval", "Recipients", "Format", "Next run", "Last sent",
            "Status", ""]  # fmt: skip

    def row(s: dict[str, Any]) -> html.Tr:
        report = KIND_LABELS.get(ReportKind(s["report"]), s["report"])
        cells = [
            html.Td(report, **data_attribute("figure", "report")),
            html.Td(
                ", ".join(s["call_centers"]) or "all", **data_attribute("figure", "call-centers")
            ),
            html.Td(s["interval"], **data_attribute("figure", "interval")),
            html.Td(", ".join(s["recipients"]), **data_attribute("figure", "recipients")),
            html.Td(str(s["format"]).upper(), **data_attribute("figure", "format")),
            html.Td(_when(s.get("next_run_at"), zone), **data_attribute("figure", "next-run")),
            html.Td(_when(s.get("last_sent_at"), zone), **data_attribute("figure", "last-sent")),
            _status(s, zone),
            html.Td(
                [
                    _button("Send now", "sch-send", s["id"], "btn secondary"),
                    _button("Delete", "sch-delete", s["id"], "btn danger"),
                ]
            ),
        ]
        return html.Tr(cells, **data_attribute("schedule-id", str(s["id"])))

    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody([row(s) for s in schedules])],
        className="grid-table schedules",
        id="sch-table",
    )


def register(
    app: Dash, api: Callable[[], SupervisorApi], schedules: Callable[[], SchedulesApi],
    zone: ZoneInfo,
) -> None:  # fmt: skip
    @app.callback(
        Output("schedules-view", "style"),
        Output("nav-schedules", "className"),
        Output("sch-tick", "disabled"),
        Input("url", "hash"),
    )
    async def navigate(hash_: str | None) -> tuple[Any, str, bool]:
        if hash_ == SCHEDULES_HASH:
            return {}, "tab active", False
        return HIDDEN, "tab", True

    @app.callback(
        Output("sch-report", "options"),
        Output("sch-centers", "options"),
        Input("session", "data"),
    )
    async def choices(session: Any) -> tuple[Any, Any]:
        token = session_token(session)
        if not token:
            return [], []
        kinds = list(ReportKind) if is_admin(token) else [ReportKind.CALL_CENTER, ReportKind.AGENTS]
        reports = [{"label": KIND_LABELS[k], "value": k.value} for k in kinds]
        try:
            visible = await api().call_centers(token)
        except ApiError:
            return reports, []  # the live board says what is wrong with the session
        return reports, [{"label": f"{c.name} ({c.number})", "value": c.id} for c in visible]

    @app.callback(
        Output("sch-message", "children"),
        Output("sch-message", "className"),
        Output("sch-changed", "data"),
        Input("sch-create", "n_clicks"),
        Input({"type": "sch-send", "index": ALL}, "n_clicks"),
        Input({"type": "sch-delete", "index": ALL}, "n_clicks"),
        State("session", "data"),
        State("sch-report", "value"),
        State("sch-centers", "value"),
        State("sch-interval", "value"),
        State("sch-recipients", "value"),
        State("sch-format", "value"),
        prevent_initial_call=True,  # also for the buttons of each new listing
    )
    async def act(_create: Any, _send: Any, _delete: Any, session: Any,
                  *form: Any) -> tuple[Any, Any, Any]:  # fmt: skip
        token = session_token(session)
        trigger = ctx.triggered_id
        if not token or not any(t.get("value") for t in ctx.triggered):
            return no_update, no_update, no_update
        try:
            if trigger == "sch-create":
                made = await schedules().create(token, body_of(*form))
                said = f"Schedule {made['id']} added."
            elif isinstance(trigger, dict) and trigger.get("type") == "sch-delete":
                await schedules().delete(token, int(trigger["index"]))
                said = f"Schedule {trigger['index']} deleted."
            elif isinstance(trigger, dict):
                await schedules().send_now(token, int(trigger["index"]))
                said = f"Schedule {trigger['index']} is being sent."
            else:
                return no_update, no_update, no_update
        except (FormError, ApiError) as error:
            return f"Refused: {error}", "message error", no_update
        return said, "message ok", said

    @app.callback(
        Output("sch-list", "children"),
        Input("url", "hash"),
        Input("sch-tick", "n_intervals"),
        Input("sch-changed", "data"),
        Input("session", "data"),
    )
    async def listing(hash_: str | None, _tick: Any, _changed: Any, session: Any) -> Any:
        token = session_token(session)
        if hash_ != SCHEDULES_HASH or not token:
            return no_update
        try:
            return table(await schedules().list(token), zone)
        except ApiError as error:
            return html.P(f"Refused: {error}", className="message error")
