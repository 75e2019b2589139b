"""What the reports page shows: pure functions of a fetched report (a call center's per
interval, the agents', the usage).

Figures are formatted as the live dashboard formats them (`views`), so a figure reads the same
on both pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dash import html

from supervisor_ui import views
from supervisor_ui.report_periods import Period, Step
from supervisor_ui.reports_api import AgentFigures, CallCenterFigures, UsageFigures

STEP_NAMES = {Step.QUARTER_HOUR: "15 minutes", Step.HOUR: "hour", Step.DAY: "day"}

COLUMNS = (
    ("Offered", "offered"),
    ("Answered", "answered"),
    ("Abandoned", "abandoned"),
    ("Overflowed", "overflowed"),
    ("Bounced", "bounced"),
    ("Stranded", "stranded"),
    ("Service level", "service-level"),
    ("ASA", "asa"),
    ("AHT", "aht"),
    ("Longest wait", "longest-wait"),
)
"""(heading, key) of the report's figures; the key names table cells and tiles (`data-*`)."""


@dataclass(frozen=True, slots=True)
class ReportRow:
    period: Period
    figures: CallCenterFigures


@dataclass(frozen=True, slots=True)
class CenterReport:
    """One call center's report: the whole period's figures and one row per interval."""

    call_center_id: str
    name: str
    period: Period
    step: Step
    total: CallCenterFigures
    rows: tuple[ReportRow, ...]


def formatted(figures: CallCenterFigures) -> dict[str, str]:
    """Figure key -> text, in `COLUMNS` order."""
    longest = figures.longest_wait_seconds
    return {
        "offered": str(figures.offered),
        "answered": str(figures.answered),
        "abandoned": str(figures.abandoned),
        "overflowed": str(figures.overflowed),
        "bounced": str(figures.bounced),
        "stranded": str(figures.stranded),
        "service-level": views.percent(figures.service_level),
        "asa": views.seconds(figures.asa_seconds),
        "aht": views.seconds(figures.aht_seconds),
        "longest-wait": "-" if longest is None else views.clock(longest),
    }


def _one_day(period: Period) -> bool:
    return period.start.date() == (period.end - timedelta(microseconds=1)).date()


def row_label(row: Period, report: CenterReport) -> str:
    if report.step is Step.DAY:
        return f"{row.start:%a %Y-%m-%d}"
    if _one_day(report.period):
        return f"{row.start:%H:%M}"
    return f"{row.start:%a %d-%m %H:%M}"


def _span(period: Period) -> str:
    return f"{period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M} ({period.start.tzinfo})"


def title(report: CenterReport) -> str:
    return (
        f"{report.name} · {report.call_center_id} · {_span(report.period)} · "
        f"per {STEP_NAMES[report.step]}"
    )


def summary_tiles(report: CenterReport) -> list[Any]:
    texts = formatted(report.total)
    return views.tiles([(heading, texts[key], key) for heading, key in COLUMNS])


def _cells(texts: Mapping[str, str], keys: Iterable[str]) -> list[html.Td]:
    return [html.Td(texts[key], **views.data_attribute("figure", key)) for key in keys]


def _table(head: list[str], body: list[html.Tr], foot: list[html.Tr]) -> html.Table:
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body), html.Tfoot(foot)],
        className="grid-table report-table",
    )


def table(report: CenterReport) -> html.Table:
    keys = [key for _, key in COLUMNS]

    body = [
        html.Tr(
            [html.Td(row_label(row.period, report)), *_cells(formatted(row.figures), keys)],
            **views.data_attribute("interval", row.period.start.isoformat()),
        )
        for row in report.rows
    ]
    total = html.Tr(
        [html.Th("Whole range"), *_cells(formatted(report.total), keys)], className="total"
    )
    return _table(["Interval", *(heading for heading, _ in COLUMNS)], body, [total])


def _x(report: CenterReport) -> list[str]:
    return [row_label(row.period, report) for row in report.rows]


def calls_figure(report: CenterReport) -> dict[str, Any]:
    return views.calls_figure(
        f"Calls per {STEP_NAMES[report.step]}", _x(report), [row.figures for row in report.rows]
    )


def _round(value: float | None, scale: float = 1.0) -> float | None:
    return None if value is None else round(value * scale, 1)


def service_level_figure(report: CenterReport) -> dict[str, Any]:
    whole = views.percent(report.total.service_level)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "per interval",
                "x": _x(report),
                "y": [_round(row.figures.service_level, 100) for row in report.rows],
                "line": {"color": "#1565c0"},
            }
        ],
        "layout": views.service_level_layout(f"Service level per interval (range: {whole})"),
    }


def waits_figure(report: CenterReport) -> dict[str, Any]:
    series = (
        ("ASA", "asa_seconds", "#1565c0"),
        ("AHT", "aht_seconds", "#6a1b9a"),
        ("Longest wait", "longest_wait_seconds", "#c62828"),
    )
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": _x(report),
                "y": [_round(getattr(row.figures, attr)) for row in report.rows],
                "line": {"color": colour},
            }
            for name, attr, colour in series
        ],
        "layout": {
            **views.base_layout("Times per interval (seconds)"),
            "xaxis": {"type": "category"},
            "yaxis": {"rangemode": "tozero"},
        },
    }


EMPTY_FIGURE: dict[str, Any] = {"data": [], "layout": {"height": 220}}


# Agents.


@dataclass(frozen=True, slots=True)
class AgentReport:
    """The agents' report over a period: every agent the API lets the user see, or one."""

    period: Period
    agent: str | None
    """The one agent asked for; None: all of the user's agents."""
    names: Mapping[str, str]
    """Extension -> name, of the agents the user may see."""
    rows: tuple[AgentFigures, ...]


def _ordered(keys: Iterable[str], first: Iterable[str] = ()) -> list[str]:
    present = set(keys)
    known = [key for key in first if key in present]
    return known + sorted(present.difference(known))


def agent_states(report: AgentReport) -> list[str]:
    """The states any agent was in, in the live board's order."""
    return _ordered((s for r in report.rows for s in r.state_seconds), views.STATE_ORDER)


def unavailable_codes(report: AgentReport) -> list[str]:
    return _ordered(c for r in report.rows for c in r.unavailable_seconds)


def code_name(code: str) -> str:
    return code or "no code"


def agent_title(report: AgentReport) -> str:
    if report.agent is None:
        who = f"Agents · {len(report.rows)} agents"
    else:
        who = f"Agent {report.agent} {report.names.get(report.agent, '')}".rstrip()
    return f"{who} · {_span(report.period)}"


def agent_tiles(report: AgentReport) -> list[Any]:
    def total(seconds: Iterable[float]) -> str:
        return views.clock(sum(seconds))

    rows = report.rows
    return views.tiles(
        [
            ("Agents", str(len(rows)), "agents"),
            ("Answered", str(sum(r.answered for r in rows)), "answered"),
            ("Talk time", total(r.talk_seconds for r in rows), "talk"),
            ("Unavailable", total(r.state_seconds.get("UNAVAILABLE", 0.0) for r in rows), "away"),
        ]
    )


def agent_table(report: AgentReport) -> html.Table:
    """One row per agent: calls, AHT, occupancy, time per state and per unavailable code; the
    cells' `data-figure` are answered, talk, aht, occupancy, state-<STATE>, code-<code>."""
    states, codes = agent_states(report), unavailable_codes(report)
    keys = ["answered", "talk", "aht", "occupancy"]
    keys += [f"state-{s}" for s in states] + [f"code-{code_name(c)}" for c in codes]

    def texts(row: AgentFigures) -> dict[str, str]:
        return {
            "answered": str(row.answered),
            "talk": views.clock(row.talk_seconds),
            "aht": views.seconds(row.aht_seconds),
            "occupancy": views.percent(row.occupancy),
            **{f"state-{s}": views.clock(row.state_seconds.get(s, 0.0)) for s in states},
            **{
                f"code-{code_name(c)}": views.clock(row.unavailable_seconds.get(c, 0.0))
                for c in codes
            },
        }

    body = [
        html.Tr(
            [
                html.Td(row.agent),
                html.Td(report.names.get(row.agent, "")),
                *_cells(texts(row), keys),
            ],
            **views.data_attribute("agent", row.agent),
        )
        for row in report.rows
    ]
    head = ["Agent", "Name", "Answered", "Talk time", "AHT", "Occupancy"]
    head += [s.replace("_", " ").lower() for s in states]
    head += [f"unavailable: {code_name(c)}" for c in codes]
    return _table(head, body, [])


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def _stacked(
    title: str, x: list[str], traces: list[dict[str, Any]], unit: str = ""
) -> dict[str, Any]:
    return {
        "data": [{"type": "bar", "x": x, **trace} for trace in traces],
        "layout": {
            **views.base_layout(title),
            "barmode": "stack",
            "xaxis": {"type": "category"},
            "yaxis": {"ticksuffix": unit, "rangemode": "tozero"},
        },
    }


def state_figure(report: AgentReport) -> dict[str, Any]:
    """Hours per state per agent, stacked: the classic view of where agents' time went."""
    return _stacked(
        "Time per state (hours)",
        [row.agent for row in report.rows],
        [
            {
                "name": state.replace("_", " ").lower(),
                "y": [_hours(row.state_seconds.get(state, 0.0)) for row in report.rows],
                "marker": {"color": views.STATE_COLOURS.get(state, "#78909c")},
            }
            for state in agent_states(report)
        ],
        " h",
    )


def unavailable_figure(report: AgentReport) -> dict[str, Any]:
    return _stacked(
        "Unavailable time per code (hours)",
        [row.agent for row in report.rows],
        [
            {
                "name": code_name(code),
                "y": [_hours(row.unavailable_seconds.get(code, 0.0)) for row in report.rows],
            }
            for code in unavailable_codes(report)
        ],
        " h",
    )


def answered_figure(report: AgentReport) -> dict[str, Any]:
    """Answered calls (bars) and occupancy (dots, right axis) per agent."""
    x = [row.agent for row in report.rows]
    layout = views.base_layout("Answered calls and occupancy per agent")
    # Room on the right for the occupancy axis's labels.
    layout["margin"] = {**layout["margin"], "r": 40}
    return {
        "data": [
            {
                "type": "bar",
                "name": "Answered",
                "x": x,
                "y": [row.answered for row in report.rows],
                "marker": {"color": "#2e7d32"},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Occupancy",
                "x": x,
                "y": [_round(row.occupancy, 100) for row in report.rows],
                "yaxis": "y2",
                "marker": {"color": "#1565c0", "size": 9},
            },
        ],
        "layout": {
            **layout,
            "xaxis": {"type": "category"},
            "yaxis": {"rangemode": "tozero"},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "range": [0, 105],
                "dtick": 25,
                "ticksuffix": "%",
                "showgrid": False,
            },
        },
    }


# Usage (admins).

USAGE_COLUMNS = (
    ("Type", "usage_type"),
    ("Category", "category"),
    ("Number", "number"),
    ("Profile", "profile"),
)
"""(heading, dimension) of the usage report, as the API groups it by default."""


@dataclass(frozen=True, slots=True)
class UsageReport:
    period: Period
    rows: tuple[UsageFigures, ...]


def quantity(usage_type: str | None, amount: float) -> str:
    """A usage quantity in its type's unit: seconds of voice, messages, bytes of data."""
    match usage_type:
        case "voice":
            return views.clock(amount)
        case "sms":
            return f"{amount:.0f} messages"
        case "data":
            return f"{amount / 1_000_000:.1f} MB"
    return f"{amount:g}"


def _types(report: UsageReport) -> list[str | None]:
    return list(dict.fromkeys(row.dimensions.get("usage_type") for row in report.rows))


def usage_title(report: UsageReport) -> str:
    return f"Usage (outbound) · {_span(report.period)} · by type, category, number, profile"


def usage_tiles(report: UsageReport) -> list[Any]:
    per_type = [
        (
            str(kind or "unknown"),
            quantity(
                kind,
                sum(r.quantity for r in report.rows if r.dimensions.get("usage_type") == kind),
            ),
            f"quantity-{kind or 'unknown'}",
        )
        for kind in _types(report)
    ]
    return views.tiles(
        [("Records", str(sum(r.records for r in report.rows)), "records"), *per_type]
    )


def usage_table(report: UsageReport) -> html.Table:
    keys = [key for _, key in USAGE_COLUMNS] + ["records", "quantity"]

    def texts(row: UsageFigures) -> dict[str, str]:
        return {
            **{key: row.dimensions.get(key) or "-" for _, key in USAGE_COLUMNS},
            "records": str(row.records),
            "quantity": quantity(row.dimensions.get("usage_type"), row.quantity),
        }

    body = [html.Tr(_cells(texts(row), keys)) for row in report.rows]
    return _table([heading for heading, _ in USAGE_COLUMNS] + ["Records", "Quantity"], body, [])


def usage_figure(report: UsageReport) -> dict[str, Any]:
    """Records per number, stacked by type (quantities of different types do not add up)."""

    def number(row: UsageFigures) -> str:
        return row.dimensions.get("number") or "-"

    numbers = list(dict.fromkeys(number(row) for row in report.rows))

    def records(kind: str | None, of: str) -> int:
        return sum(
            r.records
            for r in report.rows
            if r.dimensions.get("usage_type") == kind and number(r) == of
        )

    return _stacked(
        "Records per number",
        numbers,
        [
            {"name": str(kind or "unknown"), "y": [records(kind, n) for n in numbers]}
            for kind in _types(report)
        ],
    )
