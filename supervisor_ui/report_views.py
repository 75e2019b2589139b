"""What the reports page shows for one call center: pure functions of a fetched report.

Figures are formatted as the live dashboard formats them (`views`), so a figure reads the same
on both pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dash import html

from supervisor_ui import views
from supervisor_ui.report_periods import Period, Step
from supervisor_ui.reports_api import CallCenterFigures

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


def title(report: CenterReport) -> str:
    period = report.period
    return (
        f"{report.name} · {report.call_center_id} · {period.start:%Y-%m-%d %H:%M} to "
        f"{period.end:%Y-%m-%d %H:%M} ({period.start.tzinfo}) · per {STEP_NAMES[report.step]}"
    )


def summary_tiles(report: CenterReport) -> list[Any]:
    texts = formatted(report.total)
    return views.tiles([(heading, texts[key], key) for heading, key in COLUMNS])


def table(report: CenterReport) -> html.Table:
    def cells(texts: dict[str, str]) -> list[html.Td]:
        return [html.Td(texts[key], **views.data_attribute("figure", key)) for _, key in COLUMNS]

    head = html.Tr([html.Th("Interval")] + [html.Th(heading) for heading, _ in COLUMNS])
    body = [
        html.Tr(
            [html.Td(row_label(row.period, report)), *cells(formatted(row.figures))],
            **views.data_attribute("interval", row.period.start.isoformat()),
        )
        for row in report.rows
    ]
    total = html.Tr([html.Th("Whole range"), *cells(formatted(report.total))], className="total")
    return html.Table(
        [html.Thead(head), html.Tbody(body), html.Tfoot(total)],
        className="grid-table report-table",
    )


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
