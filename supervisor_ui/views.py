"""What one call center's section shows, as plain values (pure functions; no I/O, no clock).

Each function takes the live snapshot, today's stats and `now`, and returns table rows, plotly
figure dicts or small component trees. The dashboard sends only what changed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dash import html

from supervisor_ui import erlang
from supervisor_ui.kpis import INTERVAL_SECONDS, DayStats
from supervisor_ui.live import CallCenter, LiveSnapshot, agents_of

DEFAULT_AHT_SECONDS = 180.0
"""Handle time the staffing panel assumes before any call of the day was released."""

STATE_COLOURS = {
    "AVAILABLE": "#2e7d32",
    "BUSY": "#1565c0",
    "WRAP_UP": "#6a1b9a",
    "UNAVAILABLE": "#ef6c00",
    "SIGN_IN": "#00838f",
    "SIGN_OUT": "#9e9e9e",
}
STATE_ORDER = ("AVAILABLE", "BUSY", "WRAP_UP", "UNAVAILABLE", "SIGN_IN", "SIGN_OUT")
TAKING_CALLS = frozenset({"AVAILABLE", "BUSY", "WRAP_UP"})
"""Agents the Erlang C panel counts as staffed (wrap-up is part of the handle time)."""
PHASE_COLOURS = {"RINGING": "#f9a825", "CONNECTED": "#2e7d32", "HELD": "#8e24aa"}


_PLAIN = re.compile(r"[^0-9A-Za-z+*#@._ -]")


def plain(text: str) -> str:
    """Text for plotly labels: plotly reads a little HTML (links, tags) in figure text, and a
    caller id comes from the outside world."""
    return _PLAIN.sub("", text)[:40]


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def data_attribute(name: str, value: str) -> dict[str, Any]:
    """A `data-*` attribute for a Dash html component (typed loosely on purpose)."""
    return {f"data-{name}": value}


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def waiting_rows(center: CallCenter, now: float) -> list[dict[str, Any]]:
    return [
        {
            "position": w.position,
            "caller": w.caller,
            "priority": w.priority,
            "wait": clock(now - w.arrived_at),
            "wait_seconds": int(max(0.0, now - w.arrived_at)),
            "call_id": w.call_id,
        }
        for w in center.waiting_calls
    ]


def agent_rows(snapshot: LiveSnapshot, center: CallCenter, now: float) -> list[dict[str, Any]]:
    calls = {c.agent: c for c in snapshot.calls}
    rows = []
    for agent in agents_of(snapshot, center):
        call = calls.get(agent.extension)
        rows.append(
            {
                "extension": agent.extension,
                "name": agent.name,
                "state": agent.state,
                "reason": agent.unavailable_code or "",
                "in_state": clock(now - agent.state_since) if agent.state_since else "-",
                "call": f"{call.phase.lower()} {call.caller}" if call else "",
            }
        )
    return rows


def kpi_tiles(center: CallCenter, stats: DayStats, now: float, threshold: float) -> list[Any]:
    day = stats.centers.get(center.id)
    current = max((now - w.arrived_at for w in center.waiting_calls), default=0.0)
    longest = max(day.longest_wait if day else 0.0, current)
    figures = [
        ("Waiting", str(len(center.waiting_calls)), "waiting"),
        ("Offered", str(day.offered if day else 0), "offered"),
        ("Answered", str(day.answered if day else 0), "answered"),
        ("Abandoned", str(day.abandoned if day else 0), "abandoned"),
        (
            f"Service level ({threshold:.0f} s)",
            percent(day.service_level(threshold) if day else None),
            "service-level",
        ),
        ("ASA", seconds(day.asa_seconds if day else None), "asa"),
        ("AHT", seconds(day.aht_seconds if day else None), "aht"),
        ("Longest wait", clock(longest), "longest-wait"),
    ]
    return tiles(figures)


def tiles(figures: list[tuple[str, str, str]]) -> list[Any]:
    """KPI tiles from (label, value, key); `data-kpi` = key."""
    return [
        html.Div(
            [html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")],
            className="kpi",
            **data_attribute("kpi", key),
        )
        for label, value, key in figures
    ]


def switches_text(center: CallCenter) -> str:
    night = {None: "schedule", True: "forced ON", False: "forced OFF"}[
        center.night_service_override
    ]
    if not center.premium:
        return f"{center.tier} · night service and forced forwarding: Premium only"
    forwarding = "ON" if center.forced_forwarding else "off"
    return f"{center.tier} · night service: {night} · forced forwarding: {forwarding}"


def _local(timestamp: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(timestamp, zone).strftime("%H:%M")


def base_layout(title: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 13}},
        "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
        "height": 220,
        "legend": {"orientation": "h", "y": -0.25},
        "paper_bgcolor": "rgba(0,0,0,0)",
    }


CALL_SERIES = (
    ("Offered", "offered", "#546e7a"),
    ("Answered", "answered", "#2e7d32"),
    ("Abandoned", "abandoned", "#c62828"),
)
"""(legend, attribute, colour) of the calls-per-interval bars, live and in the reports."""


def calls_figure(title: str, x: list[str], rows: Sequence[Any]) -> dict[str, Any]:
    """Grouped bars of `CALL_SERIES` per interval; `rows` carry those attributes."""
    return {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": [getattr(row, attr) for row in rows],
                "marker": {"color": colour},
            }
            for name, attr, colour in CALL_SERIES
        ],
        "layout": {**base_layout(title), "barmode": "group", "xaxis": {"type": "category"}},
    }


def service_level_layout(title: str) -> dict[str, Any]:
    """A percent axis with the 80 % target as a dotted line."""
    return {
        **base_layout(title),
        "yaxis": {"range": [0, 105], "ticksuffix": "%"},
        "xaxis": {"type": "category", "automargin": True},
        "shapes": [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 80,
                "y1": 80,
                "line": {"color": "#2e7d32", "dash": "dot"},
            }
        ],
    }


def interval_figure(center: CallCenter, stats: DayStats, zone: ZoneInfo) -> dict[str, Any]:
    day = stats.centers.get(center.id)
    slots = sorted(day.intervals.items()) if day else []
    x = [_local(start, zone) for start, _ in slots]
    return calls_figure("Calls per 15 minutes", x, [figures for _, figures in slots])


def service_level_figure(
    center: CallCenter, stats: DayStats, zone: ZoneInfo, threshold: float
) -> dict[str, Any]:
    day = stats.centers.get(center.id)
    slots = sorted(day.intervals.items()) if day else []
    x, per_interval, cumulative = [], [], []
    within = ended = 0
    for start, figures in slots:
        in_time = figures.within(threshold)
        within += in_time
        ended += figures.ended
        x.append(_local(start, zone))
        per_interval.append(round(100 * in_time / figures.ended) if figures.ended else None)
        cumulative.append(round(100 * within / ended) if ended else None)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "per interval",
                "x": x,
                "y": per_interval,
                "line": {"color": "#90a4ae"},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "today so far",
                "x": x,
                "y": cumulative,
                "line": {"color": "#1565c0", "width": 3},
            },
        ],
        "layout": service_level_layout(f"Service level ({threshold:.0f} s)"),
    }


def state_mix_figure(snapshot: LiveSnapshot, center: CallCenter) -> dict[str, Any]:
    counts = Counter(a.state for a in agents_of(snapshot, center))
    states = [s for s in STATE_ORDER if counts.get(s)] + sorted(
        s for s in counts if s not in STATE_ORDER
    )
    return {
        "data": [
            {
                "type": "pie",
                "hole": 0.5,
                "labels": states,
                "values": [counts[s] for s in states],
                "marker": {"colors": [STATE_COLOURS.get(s, "#607d8b") for s in states]},
                "sort": False,
                "textinfo": "value",
            }
        ],
        "layout": {**base_layout("Agent states"), "showlegend": True},
    }


def incoming_figure(
    snapshot: LiveSnapshot, center: CallCenter, now: float, threshold: float
) -> dict[str, Any]:
    """Each call of the call center as a bar: waiting (coloured by wait), ringing, talking, held."""
    labels: list[str] = []
    values: list[float] = []
    colours: list[str] = []
    texts: list[str] = []
    for waiting in center.waiting_calls:
        wait = max(0.0, now - waiting.arrived_at)
        labels.append(f"#{waiting.position} {plain(waiting.caller)}")
        values.append(round(wait, 1))
        colours.append(
            "#c62828" if wait > 2 * threshold else "#f9a825" if wait > threshold else "#43a047"
        )
        texts.append(f"waiting {clock(wait)} · prio {waiting.priority}")
    for call in snapshot.calls:
        if call.call_center_id != center.id:
            continue
        labels.append(f"{plain(call.agent)} {plain(call.caller)}")
        values.append(round(max(0.0, now - call.since), 1))
        colours.append(PHASE_COLOURS.get(call.phase, "#607d8b"))
        texts.append(f"{call.phase.lower()} {clock(now - call.since)}")
    height = max(120, 40 + 24 * len(labels))
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": values,
                "text": texts,
                "textposition": "auto",
                "marker": {"color": colours},
                "hoverinfo": "text",
            }
        ],
        "layout": {
            **base_layout("Incoming calls (seconds in status)"),
            "height": min(height, 420),
            "yaxis": {"autorange": "reversed", "type": "category", "automargin": True},
            "xaxis": {"rangemode": "tozero"},
            "shapes": [
                {
                    "type": "line",
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "x0": threshold,
                    "x1": threshold,
                    "line": {"color": "#f9a825", "dash": "dot"},
                }
            ],
        },
    }


def staffing(
    snapshot: LiveSnapshot, center: CallCenter, stats: DayStats, now: float, threshold: float
) -> erlang.StaffingForecast:
    day = stats.centers.get(center.id)
    rate = stats.calls_per_hour(center.id, now)
    aht = (day.aht_seconds if day else None) or DEFAULT_AHT_SECONDS
    staffed = sum(1 for a in agents_of(snapshot, center) if a.state in TAKING_CALLS)
    return erlang.forecast(rate, aht, staffed, target_seconds=threshold, target_level=0.8)


def staffing_panel(forecast: erlang.StaffingForecast) -> list[Any]:
    asa = forecast.predicted_asa_seconds
    rows = [
        ("Arrival rate", f"{forecast.calls_per_hour:.1f} calls/h (last hour)"),
        ("Handle time", f"{forecast.aht_seconds:.0f} s"),
        ("Traffic", f"{forecast.traffic_erlangs:.2f} Erlang"),
        ("Agents taking calls", str(forecast.agents)),
        (
            "Predicted service level",
            f"{forecast.predicted_service_level * 100:.0f} % in {forecast.target_seconds:.0f} s",
        ),
        ("Predicted ASA", "∞" if math.isinf(asa) else f"{asa:.0f} s"),
        (
            f"Agents needed for {forecast.target_level * 100:.0f} % in "
            f"{forecast.target_seconds:.0f} s",
            str(forecast.agents_needed),
        ),
    ]
    short = forecast.agents_needed - forecast.agents
    verdict = f"{short} more agent(s) needed" if short > 0 else "staffing meets the target"
    return [
        html.Table(
            html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in rows]),
            className="staffing-table",
        ),
        html.Div(verdict, className="staffing-verdict" + (" short" if short > 0 else "")),
    ]


def interval_count(stats: DayStats, center: CallCenter) -> int:
    day = stats.centers.get(center.id)
    return len(day.intervals) if day else 0


__all__ = ["INTERVAL_SECONDS"]
