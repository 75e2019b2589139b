"""What a call center's section shows, from a snapshot and today's events (no browser)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from supervisor_ui import views
from supervisor_ui.kpis import DayStats
from supervisor_ui.live import ActiveCall, Agent, CallCenter, Event, LiveSnapshot, WaitingCall

NOW = 1_764_072_000.0
ZONE = ZoneInfo("Europe/Amsterdam")
CENTER = CallCenter(
    id="7003",
    number="7003",
    name="Service",
    tier="Premium",
    max_waiters=525,
    members=("1001", "1007", "1008", "1009"),
    waiting_calls=(
        WaitingCall("w1", "+31201234567", 1, 2, NOW - 75),
        WaitingCall("w2", "+31209999999", 2, 0, NOW - 5),
    ),
    night_service_override=True,
)
SNAPSHOT = LiveSnapshot(
    call_centers=(CENTER,),
    agents=(
        Agent("1001", "BUSY", NOW - 30, call_centers=("7003",), name="Agent 1001"),
        Agent("1007", "AVAILABLE", NOW - 600, call_centers=("7003",)),
        Agent("1008", "UNAVAILABLE", NOW - 10, "lunch", ("7003",)),
    ),
    calls=(ActiveCall("a1", "1001", "+31205555555", "CONNECTED", NOW - 30, "7003"),),
)


def stats() -> DayStats:
    day = DayStats(NOW - 3600 * 10)
    day.apply_all(
        [
            Event("CALL_ADDED", 1, NOW - 1000, "7003", "x"),
            Event("CALL_ANSWERED", 2, NOW - 990, "7003", "x", data={"wait_seconds": 10.0}),
            Event("CALL_RELEASED", 3, NOW - 800, "7003", "x", data={"talk_seconds": 190.0}),
        ]
    )
    return day


def test_waiting_rows_tick_with_now() -> None:
    rows = views.waiting_rows(CENTER, NOW)
    assert [(r["position"], r["caller"], r["priority"], r["wait"]) for r in rows] == [
        (1, "+31201234567", 2, "1:15"),
        (2, "+31209999999", 0, "0:05"),
    ]
    assert views.waiting_rows(CENTER, NOW + 60)[0]["wait"] == "2:15"
    assert views.clock(3725) == "1:02:05"


def test_agent_rows_show_state_reason_time_and_call() -> None:
    rows = {r["extension"]: r for r in views.agent_rows(SNAPSHOT, CENTER, NOW)}
    assert rows["1001"]["state"] == "BUSY" and rows["1001"]["call"] == "connected +31205555555"
    assert rows["1008"]["reason"] == "lunch" and rows["1008"]["in_state"] == "0:10"
    assert rows["1009"]["state"] == "SIGN_OUT"  # a member without a snapshot record


def test_incoming_calls_graphic_colours_by_status() -> None:
    figure = views.incoming_figure(SNAPSHOT, CENTER, NOW, threshold=20)
    bar = figure["data"][0]
    assert bar["y"] == ["#1 +31201234567", "#2 +31209999999", "1001 +31205555555"]
    assert bar["marker"]["color"] == ["#c62828", "#43a047", views.PHASE_COLOURS["CONNECTED"]]


def test_charts_and_staffing() -> None:
    day = stats()
    intervals = views.interval_figure(CENTER, day, ZONE)
    assert [trace["y"] for trace in intervals["data"]] == [[1], [1], [0]]
    trend = views.service_level_figure(CENTER, day, ZONE, 20.0)
    assert trend["data"][1]["y"] == [100]
    assert views.service_level_figure(CENTER, day, ZONE, 5.0)["data"][1]["y"] == [0]
    mix = views.state_mix_figure(SNAPSHOT, CENTER)["data"][0]
    assert dict(zip(mix["labels"], mix["values"], strict=True)) == {
        "AVAILABLE": 1,
        "BUSY": 1,
        "UNAVAILABLE": 1,
        "SIGN_OUT": 1,
    }
    forecast = views.staffing(SNAPSHOT, CENTER, day, NOW, 20.0)
    assert forecast.agents == 2  # AVAILABLE and BUSY take calls; lunch and signed-out do not
    assert forecast.aht_seconds == pytest.approx(190.0)
    assert forecast.calls_per_hour == pytest.approx(1.0)
    assert "forced ON" in views.switches_text(CENTER)
    assert "Premium only" in views.switches_text(
        CallCenter("7001", "7001", "Helpdesk", "Basic", 25)
    )


def test_caller_ids_cannot_put_markup_into_charts() -> None:
    hostile = CallCenter(
        "7001",
        "7001",
        "Helpdesk",
        "Basic",
        25,
        waiting_calls=(WaitingCall("x", '<a href="javascript:alert(1)">+3120</a>', 1, 0, NOW),),
    )
    label = views.incoming_figure(LiveSnapshot((hostile,)), hostile, NOW, 20)["data"][0]["y"][0]
    assert "<" not in label and ">" not in label and '"' not in label
