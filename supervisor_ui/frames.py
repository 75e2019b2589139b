"""The live board's frames: every part of the call centers' sections, as JSON text.

A frame is built once per audience (set of call centers), feed version and second, and shared
by every browser with that audience (serialize once per audience, architecture decision 4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from zoneinfo import ZoneInfo

from dash import _utils as dash_utils

from supervisor_ui import layout, views
from supervisor_ui.hub import TenantFeed
from supervisor_ui.live import LiveSnapshot, agents_of, visible

to_json = cast(Callable[[Any], str], dash_utils.to_json)
"""Dash's own serializer (plotly's JSON encoder), as `set_props` uses it."""


Audience = tuple[tuple[str, float], ...]
"""The call centers a browser shows, each with its service-level threshold (from the API)."""


def frame(
    feed: TenantFeed, audience: Audience, now: float, zone: ZoneInfo
) -> list[tuple[str, str, str]]:
    """Every part of the board of the audience's call centers, as (component, property, JSON)."""
    thresholds = dict(audience)
    snapshot = visible(feed.snapshot, tuple(thresholds))
    frame: list[tuple[str, str, str]] = []
    tick = int(now)
    if feed.sections_tick != tick:
        feed.sections.clear()
        feed.sections_tick = tick
    for center in snapshot.call_centers:
        # Sections are shared between audiences and survive events elsewhere.
        threshold = thresholds[center.id]
        key = (
            center,
            threshold,
            agents_of(snapshot, center),
            tuple(
                c
                for c in snapshot.calls
                if c.call_center_id == center.id or c.agent in center.members
            ),
            feed.stats.changes.get(center.id, 0),
            feed.error,
        )
        parts = feed.sections.get(key)
        if parts is None:
            parts = feed.sections[key] = _center_parts(
                snapshot, feed, center.id, now, zone, threshold
            )
        frame.extend(parts)
    status = (
        feed.error
        if feed.error
        else f"live · event {feed.last_sequence}"
        if feed.last_sequence >= 0
        else "live"
    )
    waiting_options = [
        {
            "label": f"{c.number} {c.name} · #{w.position} {w.caller} (prio {w.priority})",
            "value": w.call_id,
        }
        for c in snapshot.call_centers
        for w in c.waiting_calls
    ]
    agent_options = [
        {"label": f"{a.extension} {a.name}".strip() + f" · {a.state}", "value": a.extension}
        for a in snapshot.agents
    ]
    index = {
        "waiting": {
            w.call_id: {"cc": c.id, "caller": w.caller}
            for c in snapshot.call_centers
            for w in c.waiting_calls
        },
        "agent_calls": {
            call.agent: call.call_id
            for call in snapshot.calls
            if call.phase in ("CONNECTED", "HELD")
        },
        "centers": {c.id: {"name": c.name, "tier": c.tier} for c in snapshot.call_centers},
    }
    frame += [
        ("live-status", "children", to_json(status)),
        ("ctl-call", "options", to_json(waiting_options)),
        ("ctl-agent", "options", to_json(agent_options)),
        ("live-index", "data", to_json(index)),
    ]
    return frame


def _center_parts(
    snapshot: LiveSnapshot,
    feed: TenantFeed,
    center_id: str,
    now: float,
    zone: ZoneInfo,
    threshold: float,
) -> list[tuple[str, str, str]]:
    center = snapshot.call_center(center_id)
    assert center is not None
    stats = feed.stats

    def sid(part: str) -> str:
        return layout.section_id(center_id, part)

    waiting = layout.waiting_table(views.waiting_rows(center, now), threshold)
    forecast = views.staffing(snapshot, center, stats, now, threshold)
    values: list[tuple[str, str, Any]] = [
        (sid("switches"), "children", views.switches_text(center)),
        (sid("kpis"), "children", views.kpi_tiles(center, stats, now, threshold)),
        (sid("waiting"), "children", waiting),
        (
            sid("agents"),
            "children",
            layout.agents_table(views.agent_rows(snapshot, center, now)),
        ),
        (sid("staffing"), "children", views.staffing_panel(forecast)),
        (sid("incoming"), "figure", views.incoming_figure(snapshot, center, now, threshold)),
        (sid("intervals"), "figure", views.interval_figure(center, stats, zone)),
        (sid("sl"), "figure", views.service_level_figure(center, stats, zone, threshold)),
        (sid("mix"), "figure", views.state_mix_figure(snapshot, center)),
    ]
    return [(component, prop, to_json(value)) for component, prop, value in values]
