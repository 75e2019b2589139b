"""Today's KPIs folded from events, and the control actions' checks and messages."""

from __future__ import annotations

from typing import Any

import pytest

from supervisor_ui.actions import ActionInput, LiveIndex, perform
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.kpis import INTERVAL_SECONDS, DayStats
from supervisor_ui.live import Event

DAY = 1_764_025_200.0  # a midnight; intervals are 15 minutes from it


def ev(seq: int, type_: str, at: float, call: str, cc: str = "7001", **data: Any) -> Event:
    return Event(type_, seq, DAY + at, cc, call, data=data)


def test_day_figures_follow_the_reports_definitions() -> None:
    stats = DayStats(DAY)
    stats.apply_all(
        [
            ev(1, "CALL_ADDED", 10, "a"),
            ev(2, "CALL_ADDED", 20, "b"),
            ev(3, "CALL_ADDED", 30, "c"),
            ev(4, "CALL_ANSWERED", 25, "a", wait_seconds=15.0),  # within 20 s
            ev(5, "CALL_ANSWERED", 60, "b", wait_seconds=40.0),  # late
            ev(6, "CALL_ABANDONED", 90, "c", wait_seconds=60.0, during_entrance=False),
            ev(7, "CALL_RELEASED", 200, "a", talk_seconds=100.0, released_by="caller"),
            ev(8, "CALL_RELEASED", 300, "b", talk_seconds=200.0, released_by="agent"),
            # Diverted on arrival (never entered the queue): offered, but not in the SL base.
            ev(9, "CALL_DIVERTED", INTERVAL_SECONDS + 5, "d", trigger="night_service"),
            # Still waiting at the end: offered, not ended.
            ev(10, "CALL_ADDED", INTERVAL_SECONDS + 10, "e"),
            ev(11, "AGENT_STATE_CHANGED", 400, "", cc="7001", state="AVAILABLE"),
        ]
    )
    day = stats.centers["7001"]
    assert (day.offered, day.answered, day.abandoned) == (5, 2, 1)
    assert day.service_level(20.0) == pytest.approx(1 / 3)
    # The threshold is the call center's setting, applied when the figure is read.
    assert day.service_level(40.0) == pytest.approx(2 / 3)
    assert day.service_level(10.0) == 0.0
    assert day.asa_seconds == pytest.approx(27.5)
    assert day.aht_seconds == pytest.approx(150.0)
    assert day.longest_wait == pytest.approx(60.0)
    first, second = (day.intervals[int(DAY)], day.intervals[int(DAY) + INTERVAL_SECONDS])
    assert (first.offered, first.answered, first.abandoned, first.within(20.0), first.ended) == (
        3,
        2,
        1,
        1,
        3,
    )
    assert (second.offered, second.ended) == (2, 0)


def test_moved_calls_count_in_both_queues_and_replays_are_ignored() -> None:
    stats = DayStats(DAY)
    events = [
        ev(1, "CALL_ADDED", 10, "m", cc="7001"),
        ev(2, "CALL_TRANSFERRED", 20, "m", cc="7001", destination="7002", wait_seconds=10.0),
        ev(3, "CALL_ADDED", 20, "m", cc="7002"),
        ev(4, "CALL_ANSWERED", 30, "m", cc="7002", wait_seconds=5.0),
    ]
    stats.apply_all(events)
    stats.apply_all(events)  # a resumed reader may see them again
    assert stats.centers["7001"].offered == 1
    assert stats.centers["7001"].answered == 0
    assert stats.centers["7002"].offered == 1
    assert stats.centers["7002"].service_level(20.0) == 1.0


def test_yesterdays_events_and_arrival_rate() -> None:
    stats = DayStats(DAY)
    stats.apply(Event("CALL_ADDED", 1, DAY - 5, "7001", "old"))
    assert "7001" not in stats.centers
    for i in range(12):
        stats.apply(ev(2 + i, "CALL_ADDED", 3600 + i * 300, f"x{i}"))
    # 12 arrivals in the last hour -> 12 calls per hour.
    assert stats.calls_per_hour("7001", DAY + 3600 + 11 * 300 + 1) == pytest.approx(12.0)
    assert stats.calls_per_hour("7999", DAY + 10) == 0.0


class FakeApi:
    """Stands in for SupervisorApi: records calls, raises what it is told to."""

    def __init__(self, error: ApiError | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.error = error

    def __getattr__(self, name: str) -> Any:
        async def method(*args: Any) -> None:
            self.calls.append((name, args))
            if self.error is not None:
                raise self.error

        return method


INDEX = LiveIndex(
    waiting={"w1": {"cc": "7001", "caller": "+31201234567"}},
    agent_calls={"1004": "a-1004"},
    centers={
        "7001": {"name": "Helpdesk", "tier": "Basic"},
        "7003": {"name": "Service", "tier": "Premium"},
    },
)


async def run(api: FakeApi, action: str, **given: Any) -> Any:
    return await perform(api, "tok", action, ActionInput(**given), INDEX)  # type: ignore[arg-type]


async def test_actions_call_the_api_with_what_the_panel_holds() -> None:
    api = FakeApi()
    assert (await run(api, "move", call_id="w1", target_call_center="7003")).ok
    assert (await run(api, "promote", call_id="w1", priority=9)).ok
    assert (await run(api, "reorder", call_id="w1", position=2)).ok
    assert (await run(api, "retrieve", call_id="w1", phone="1099")).ok
    assert (await run(api, "night", call_center="7003", night="off")).ok
    assert (await run(api, "forward-on", call_center="7003", forward_to="0201234567")).ok
    assert (await run(api, "set-state", agent="1004", agent_state="UNAVAILABLE", reason="lunch")).ok
    assert api.calls == [
        ("move_call", ("tok", "w1", "7003")),
        ("promote_call", ("tok", "w1", 9)),
        ("reorder_call", ("tok", "w1", 2)),
        ("retrieve_call", ("tok", "w1", "1099")),
        ("set_night_service", ("tok", "7003", False)),
        ("set_forced_forwarding", ("tok", "7003", True, "0201234567")),
        ("set_agent_state", ("tok", "1004", "UNAVAILABLE", "lunch")),
    ]


INVALID_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("move", {}, "Select a waiting call first"),
    ("move", {"call_id": "gone", "target_call_center": "7002"}, "no longer waiting"),
    ("move", {"last_selected_call": "gone"}, "no longer waiting"),
    ("move", {"call_id": "w1", "target_call_center": "7001"}, "already in queue 7001"),
    ("move", {"call_id": "w1"}, "Choose the queue"),
    ("promote", {"call_id": "w1", "priority": 10}, "whole number from 0 to 9"),
    ("promote", {"call_id": "w1", "priority": -1}, "whole number from 0 to 9"),
    ("promote", {"call_id": "w1", "priority": 2.5}, "whole number from 0 to 9"),
    ("reorder", {"call_id": "w1", "position": 0}, "from 1"),
    ("retrieve", {"call_id": "w1", "phone": " "}, "own phone"),
    ("forward-on", {"call_center": "7001", "forward_to": "1"}, "Premium feature"),
    ("night", {"call_center": "7001", "night": "on"}, "Premium feature"),
    ("forward-on", {"call_center": "7003"}, "needs a destination"),
    ("set-state", {"agent": "1004", "agent_state": "BUSY"}, "Choose the state"),
    ("monitor", {"agent": "1005", "phone": "1099"}, "not on a call"),
    ("nonsense", {}, "unknown action"),
]
"""(action, what the panel holds, part of the sentence): refused before the API is asked."""


@pytest.mark.parametrize(("action", "given", "says"), INVALID_INPUTS)
async def test_invalid_input_never_reaches_the_api(
    action: str, given: dict[str, Any], says: str
) -> None:
    api = FakeApi()
    outcome = await run(api, action, **given)
    assert not outcome.ok
    assert says in outcome.message
    assert api.calls == []


API_REFUSALS = [
    (ApiError("no waiting call 'w1'", "NOT_FOUND"), "no longer waiting"),
    (ApiError("you do not supervise this call center", "FORBIDDEN"), "do not supervise"),
    (ApiError("call was answered", "REFUSED"), "refused: call was answered"),
    (ApiError("token expired", "UNAUTHENTICATED"), "sign in again"),
]
"""(the API's refusal, part of the sentence the supervisor reads)."""


@pytest.mark.parametrize(("error", "says"), API_REFUSALS)
async def test_api_refusals_become_clear_sentences(error: ApiError, says: str) -> None:
    outcome = await run(FakeApi(error), "move", call_id="w1", target_call_center="7003")
    assert not outcome.ok
    assert says in outcome.message
    assert outcome.message.endswith("Nothing was changed.")


async def test_monitor_refusal_says_why() -> None:
    error = ApiError("phone 1099 cannot join: not_registered", "REFUSED")
    outcome = await run(FakeApi(error), "barge", agent="1004", phone="1099")
    assert not outcome.ok
    assert "not_registered" in outcome.message
    ok = await run(FakeApi(), "monitor", agent="1004", phone="1099")
    assert ok.ok and "Listening" in ok.message
    coach = await run(FakeApi(), "whisper", agent="1004", phone="1099")
    assert coach.ok and "Whispering to agent 1004" in coach.message


def test_fake_api_matches_the_real_methods() -> None:
    for name in (
        "move_call",
        "promote_call",
        "reorder_call",
        "retrieve_call",
        "monitor_call",
        "set_night_service",
        "set_forced_forwarding",
        "set_agent_state",
    ):
        assert callable(getattr(SupervisorApi, name))
