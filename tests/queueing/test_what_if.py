"""The what-if simulator on the real engine: a day of calls replayed as configured and changed."""

from __future__ import annotations

import pytest

from queueing.config import BouncePolicy, Member, RoutingPolicy, Tier
from queueing.errors import ConfigError
from queueing.what_if import Changes, apply_changes, compare, simulate_day
from queueing.what_if_figures import recorded_figures
from queueing.what_if_traffic import Arrival, Ended, ObservedCall, Profile, from_observed, synthetic
from reports.models import Outcome
from reports.observed_traffic import ENDED
from tests.queueing.support import center, tenant

DAY = 1_764_547_200.0  # 2025-12-01 00:00 UTC
HOUR = 3600.0


def calls(count: int, every: float, talk: float, patience: float | None = None) -> list[Arrival]:
    start = DAY + 9 * HOUR
    return [Arrival(start + n * every, "7001", f"+31{n:08d}", talk, patience) for n in range(count)]


def test_enough_agents_answer_every_call_after_the_ring() -> None:
    config = tenant(center(members=("1001", "1002")))
    day = simulate_day(apply_changes(config, "7001", Changes()), calls(10, 600, 60), DAY)
    total = day.total
    assert (total.offered, total.answered, total.abandoned) == (10, 10, 0)
    assert total.service_level == 1.0
    # The welcome prompt does not hold the call back; the agent answers after its ring.
    assert total.asa_seconds == pytest.approx(4.0)
    nine = day.intervals[18]  # 09:00-09:30 with 30-minute intervals
    assert nine.offered == 3 and nine.answered == 3


def test_one_agent_less_lowers_the_predicted_service_level() -> None:
    config = tenant(center(members=("1001", "1002", "1003")))
    traffic = calls(60, 40, 100, patience=90)
    result = compare(config, "7001", traffic, Changes(agents=2), DAY)
    assert result.actual.agents == 3 and result.predicted.agents == 2
    actual, predicted = result.actual.total, result.predicted.total
    assert actual.offered == predicted.offered == 60
    assert predicted.service_level is not None and actual.service_level is not None
    assert predicted.service_level < actual.service_level
    assert predicted.abandoned > actual.abandoned
    assert predicted.asa_seconds is not None and actual.asa_seconds is not None
    assert predicted.asa_seconds > actual.asa_seconds
    assert predicted.occupancy is not None and actual.occupancy is not None
    assert predicted.occupancy > actual.occupancy


def test_a_day_replays_to_the_same_figures() -> None:
    config = tenant(center(members=("1001", "1002")))
    traffic = synthetic(Profile(calls=300, seed=7), "7001", DAY)
    first = compare(config, "7001", traffic, Changes(agents=1), DAY)
    again = compare(config, "7001", traffic, Changes(agents=1), DAY)
    assert first == again


def test_callers_hang_up_when_their_patience_runs_out() -> None:
    config = tenant(center(members=("1001",)))
    # One agent, calls of 10 minutes every minute, callers who wait 30 s at most.
    day = simulate_day(apply_changes(config, "7001", Changes()), calls(5, 60, 600, 30), DAY)
    assert day.total.answered == 1 and day.total.abandoned == 4
    assert day.total.abandonment == pytest.approx(0.8)


def test_wrap_up_keeps_agents_busy_longer() -> None:
    config = tenant(center(members=("1001",)))
    traffic = calls(4, 900, 300)
    result = compare(config, "7001", traffic, Changes(wrap_up_seconds=300), DAY)
    nine = 18
    assert result.actual.intervals[nine].occupancy == pytest.approx((2 * 300) / 1800, rel=0.01)
    assert result.predicted.intervals[nine].occupancy == pytest.approx((2 * 600) / 1800, rel=0.01)


def test_more_agents_than_configured_are_added_and_routing_changes() -> None:
    config = tenant(center(tier=Tier.PREMIUM, members=("1001",)))
    changed = apply_changes(
        config, "7001", Changes(agents=3, routing=RoutingPolicy.SKILL_BASED, max_wait_seconds=60)
    )
    (cc,) = changed.call_centers
    assert [m.extension for m in cc.members] == ["1001", "what-if-0", "what-if-1"]
    assert cc.routing is RoutingPolicy.SKILL_BASED
    assert cc.overflow.max_wait_seconds == 60
    result = compare(config, "7001", calls(30, 20, 120), Changes(agents=3), DAY)
    predicted, actual = result.predicted.total, result.actual.total
    assert predicted.asa_seconds is not None and actual.asa_seconds is not None
    assert predicted.asa_seconds < actual.asa_seconds


def test_max_wait_overflow_counts_as_another_end() -> None:
    config = tenant(center(members=("1001",)))
    result = compare(config, "7001", calls(3, 1, 600), Changes(max_wait_seconds=30), DAY)
    assert result.actual.total.other_ends == 0
    assert result.predicted.total.other_ends == 2
    assert result.predicted.total.service_level == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (Changes(agents=-1), "changes.agents"),
        (Changes(routing=RoutingPolicy.SKILL_BASED), "changes.routing"),
        (Changes(wrap_up_seconds=-5), "changes.wrap_up_seconds"),
        (Changes(wrap_up_seconds=99_999), "changes.wrap_up_seconds"),
        (Changes(max_wait_seconds=99_999), "changes.max_wait_seconds"),
        (Changes(skill_levels={"9999": 1}), "changes.skill_levels.9999"),
        (Changes(skill_levels={"1001": 40}), "changes.skill_levels.1001"),
    ],
)
def test_a_change_the_call_center_cannot_take_names_its_field(changes: Changes, field: str) -> None:
    config = tenant(center(tier=Tier.STANDARD, members=(Member("1001"),)))
    with pytest.raises(ConfigError) as raised:
        apply_changes(config, "7001", changes)
    assert raised.value.field == field


def test_an_unknown_call_center_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        apply_changes(tenant(center()), "7999", Changes())
    assert raised.value.field == "call_center"


def test_observed_calls_become_traffic_with_their_patience() -> None:
    observed = [
        ObservedCall(DAY + 10, "7001", "a", 0, Ended.ANSWERED, 12.0, 200.0),
        ObservedCall(DAY + 5, "7001", "b", 1, Ended.ABANDONED, 40.0, None),
        ObservedCall(DAY + 20, "7001", "c", 0, Ended.OTHER, 60.0, None),
    ]
    first, second, third = from_observed(observed, seed=3)
    assert (first.caller, first.patience_seconds, first.priority) == ("b", 40.0, 1)
    assert second.talk_seconds == 200.0
    assert second.patience_seconds is not None and second.patience_seconds >= 12.0
    assert third.talk_seconds == 200.0  # the day's mean talk time
    assert third.patience_seconds is not None and third.patience_seconds >= 60.0
    calm = from_observed([ObservedCall(DAY, "7001", "a", 0, Ended.ANSWERED, 3.0, 50.0)])
    assert calm[0].patience_seconds is None


def test_a_synthetic_day_follows_its_profile() -> None:
    traffic = synthetic(Profile(calls=1000, open_hour=8, close_hour=18, seed=2), "7001", DAY)
    assert len(traffic) == 1000
    assert all(DAY + 8 * HOUR <= a.at < DAY + 18 * HOUR for a in traffic)
    assert [a.at for a in traffic] == sorted(a.at for a in traffic)
    morning = sum(1 for a in traffic if DAY + 10 * HOUR <= a.at < DAY + 11 * HOUR)
    evening = sum(1 for a in traffic if DAY + 17 * HOUR <= a.at < DAY + 18 * HOUR)
    assert morning > 2 * evening
    with pytest.raises(ConfigError) as raised:
        Profile(calls=0)
    assert raised.value.field == "synthetic.calls"


def test_recorded_figures_follow_the_report_definitions() -> None:
    calls = [
        ObservedCall(DAY + 9 * HOUR, "7001", "a", 0, Ended.ANSWERED, 10.0, 60.0),
        ObservedCall(DAY + 9 * HOUR + 60, "7001", "b", 0, Ended.ANSWERED, 30.0, 60.0),
        ObservedCall(DAY + 9 * HOUR + 90, "7001", "c", 0, Ended.ABANDONED, 50.0, None),
        ObservedCall(DAY + 9 * HOUR + 95, "7001", "d", 0, Ended.OTHER, 0.0, None, entered=False),
        ObservedCall(DAY + 10 * HOUR, "7001", "e", 0, Ended.NOT_YET, None, None),
    ]
    intervals, total = recorded_figures(calls, DAY, 3600, 24, 20)
    nine, ten = intervals[9], intervals[10]
    assert (nine.offered, nine.answered, nine.abandoned, nine.other_ends) == (4, 2, 1, 1)
    assert nine.service_level == pytest.approx(1 / 3)  # the diverted call never entered
    assert nine.asa_seconds == pytest.approx(20.0)
    assert nine.occupancy is None
    assert (ten.offered, ten.service_level) == (1, None)  # still waiting: not ended
    assert total.offered == 5 and total.abandonment == pytest.approx(0.2)


def test_every_reported_outcome_maps_to_an_end() -> None:
    assert set(ENDED) == set(Outcome)


def test_agents_answer_before_a_short_ring_timeout_bounces() -> None:
    config = tenant(center(members=("1001",), bounce=BouncePolicy(ring_seconds=2)))
    day = simulate_day(apply_changes(config, "7001", Changes()), calls(3, 600, 60), DAY)
    assert day.total.answered == 3
    assert day.total.asa_seconds == pytest.approx(1.0)
