"""The page: sign-in, the control panel, and an empty board the live loop fills per call center."""

from __future__ import annotations

import re
from typing import Any

from dash import dcc, html

from common.priorities import MAX_PRIORITY, MIN_PRIORITY
from supervisor_ui import insight, report_layout, schedules_page, what_if_page
from supervisor_ui.actions import AGENT_STATES

LANGUAGES = ("nl", "en")
"""The dashboard's languages (`assets/i18n.js`, Dutch texts in `assets/i18n_nl.js`)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _data(name: str, value: str) -> dict[str, Any]:
    return {f"data-{name}": value}


def section_id(call_center_id: str, part: str) -> str:
    """Element id of one part of a call center's section (e.g. `cc-7001-waiting`)."""
    return f"cc-{_UNSAFE.sub('_', call_center_id)}-{part}"


def _aria(name: str, value: str) -> dict[str, Any]:
    return {f"aria-{name}": value}


def _button(label: str, id_: str, kind: str = "") -> html.Button:
    return html.Button(label, id=id_, n_clicks=0, className=f"btn {kind}".strip())


def language_switch() -> html.Div:
    """NL / EN: `assets/i18n.js` handles the clicks and shows every text in that language."""
    return html.Div(
        [
            html.Button(code.upper(), className="lang", type="button", **_data("lang", code))
            for code in LANGUAGES
        ],
        className="lang-switch",
        role="group",
        **_aria("label", "Language"),
    )


def page() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="session", storage_type="session"),
            dcc.Store(id="language"),
            dcc.Store(id="live-index", data={}),
            dcc.Store(id="selected-call", data=None),
            html.Header(
                [
                    html.H1("Supervisor"),
                    html.Span(id="who", className="who"),
                    html.Span(id="live-status", className="live-status"),
                    language_switch(),
                    _button("Sign out", "logout-button", "secondary"),
                ],
                className="topbar",
            ),
            html.Div(
                [
                    html.H2("Sign in"),
                    dcc.Input(id="login-username", placeholder="username", autoComplete="username"),
                    dcc.Input(
                        id="login-password",
                        type="password",
                        placeholder="password",
                        autoComplete="current-password",
                        n_submit=0,
                    ),
                    _button("Sign in", "login-button"),
                    html.Div(id="login-message", className="message error", role="alert"),
                ],
                id="login-panel",
                className="login",
            ),
            html.Div(
                [
                    report_layout.nav(what_if_page.nav_link(), schedules_page.nav_link()),
                    html.Div(
                        [controls(), html.Div(id="board", className="board"), insight.panel()],
                        id="live-view",
                    ),
                    report_layout.layout(),
                    what_if_page.layout(),
                    schedules_page.layout(),
                ],
                id="workspace",
                style={"display": "none"},
            ),
        ],
        className="supervisor",
    )


def controls() -> html.Div:
    return html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("Waiting call"),
                    dcc.Dropdown(id="ctl-call", placeholder="select a waiting call", options=[]),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id="ctl-target",
                                placeholder="to queue",
                                options=[],
                                className="narrow",
                            ),
                            _button("Move", "btn-move"),
                        ],
                        className="row",
                    ),
                    html.Div(
                        [
                            dcc.Input(
                                id="ctl-priority",
                                type="number",
                                min=MIN_PRIORITY,
                                max=MAX_PRIORITY,
                                step=1,
                                placeholder=f"priority {MIN_PRIORITY}-{MAX_PRIORITY}",
                                className="num",
                            ),
                            _button("Promote", "btn-promote"),
                            dcc.Input(
                                id="ctl-position",
                                type="number",
                                min=1,
                                step=1,
                                placeholder="position",
                                className="num",
                            ),
                            _button("Reorder", "btn-reorder"),
                        ],
                        className="row",
                    ),
                    html.Div(
                        [
                            dcc.Input(
                                id="ctl-phone", placeholder="my phone (extension)", className="num"
                            ),
                            _button("Retrieve to my phone", "btn-retrieve"),
                        ],
                        className="row",
                    ),
                ]
            ),
            html.Fieldset(
                [
                    html.Legend("Agent"),
                    dcc.Dropdown(id="ctl-agent", placeholder="select an agent", options=[]),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id="ctl-state",
                                options=[{"label": s, "value": s} for s in AGENT_STATES],
                                placeholder="state",
                                className="narrow",
                            ),
                            dcc.Input(id="ctl-reason", placeholder="reason (unavailable code)"),
                            _button("Set state", "btn-set-state"),
                            _button("Sign out agent", "btn-sign-out", "secondary"),
                        ],
                        className="row",
                    ),
                    html.Div(
                        [
                            _button("Silent monitor", "btn-monitor"),
                            _button("Barge in", "btn-barge"),
                            _button("Whisper", "btn-whisper"),
                        ],
                        className="row",
                    ),
                ]
            ),
            html.Fieldset(
                [
                    html.Legend("Call center (Premium switches)"),
                    dcc.Dropdown(id="ctl-cc", placeholder="select a call center", options=[]),
                    html.Div(
                        [
                            dcc.RadioItems(
                                id="ctl-night",
                                options=[
                                    {"label": "schedule", "value": "schedule"},
                                    {"label": "night on", "value": "on"},
                                    {"label": "night off", "value": "off"},
                                ],
                                value="schedule",
                                inline=True,
                            ),
                            _button("Apply night service", "btn-night"),
                        ],
                        className="row",
                    ),
                    html.Div(
                        [
                            dcc.Input(id="ctl-forward-to", placeholder="forward to number"),
                            _button("Forward on", "btn-forward-on"),
                            _button("Forward off", "btn-forward-off", "secondary"),
                        ],
                        className="row",
                    ),
                ]
            ),
            html.Div(id="action-message", className="message", role="status"),
        ],
        className="controls",
    )


def section(call_center_id: str, name: str, number: str, tier: str) -> html.Section:
    def sid(part: str) -> str:
        return section_id(call_center_id, part)

    def graph(part: str) -> dcc.Graph:
        return dcc.Graph(
            id=sid(part),
            config={"displayModeBar": False},
            className="chart",
            figure={"data": [], "layout": {"height": 220}},
        )

    return html.Section(
        [
            html.Div(
                [
                    html.H2(f"{name} · {number}"),
                    html.Span(tier, className=f"tier tier-{tier.lower()}"),
                    html.Span(id=sid("switches"), className="switches"),
                ],
                className="cc-head",
            ),
            html.Div(id=sid("kpis"), className="kpis"),
            html.Div(
                [
                    html.Div(
                        [html.H3("Waiting calls"), html.Div(id=sid("waiting"))], className="panel"
                    ),
                    html.Div([html.H3("Agents"), html.Div(id=sid("agents"))], className="panel"),
                    html.Div(
                        [html.H3("Staffing (Erlang C)"), html.Div(id=sid("staffing"))],
                        className="panel",
                    ),
                ],
                className="panels",
            ),
            html.Div(
                [graph("incoming"), graph("intervals"), graph("sl"), graph("mix")],
                className="charts",
            ),
        ],
        id=sid("section"),
        className="cc",
        **_data("cc", call_center_id),
    )


def waiting_table(rows: list[dict[str, Any]], threshold: float) -> Any:
    if not rows:
        return html.Div("No calls waiting", className="empty")
    head = html.Tr([html.Th(h) for h in ("#", "Caller", "Priority", "Waiting")])
    body = [
        html.Tr(
            [
                html.Td(r["position"]),
                html.Td(r["caller"]),
                html.Td(r["priority"]),
                html.Td(r["wait"], className="wait"),
            ],
            className="late" if r["wait_seconds"] > threshold else "",
            **_data("call-id", r["call_id"]),
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="grid-table waiting")


def agents_table(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.Div("No agents", className="empty")
    head = html.Tr([html.Th(h) for h in ("Ext.", "Name", "State", "Reason", "In state", "Call")])
    body = [
        html.Tr(
            [
                html.Td(r["extension"]),
                html.Td(r["name"]),
                html.Td(html.Span(r["state"], className=f"state state-{r['state'].lower()}")),
                html.Td(r["reason"]),
                html.Td(r["in_state"]),
                html.Td(r["call"]),
            ],
            **_data("agent", r["extension"]),
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="grid-table agents")
