"""Erlang C against published values and an independent factorial formula."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from supervisor_ui import erlang


def _erlang_c_by_factorials(agents: int, traffic: int) -> float:
    """The textbook formula, in exact rational arithmetic (an independent ground truth)."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents, agents - traffic)
    bottom = sum(a**k / math.factorial(k) for k in range(agents)) + top
    return float(top / bottom)


# The classic worked example (100 calls per 30 minutes, AHT 180 s: A = 10 Erlangs, 80/20 target),
# as published with the Erlang C formula: probability of waiting and service level per N.
PUBLISHED = [
    (11, 0.6821, 0.3896),
    (12, 0.4494, 0.6402),
    (13, 0.2853, 0.7956),
    (14, 0.1741, 0.8884),
]


@pytest.mark.parametrize(("agents", "p_wait", "level"), PUBLISHED)
def test_published_example(agents: int, p_wait: float, level: float) -> None:
    traffic = erlang.traffic_erlangs(200, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang.erlang_c(agents, traffic) == pytest.approx(p_wait, abs=5e-4)
    assert erlang.service_level(agents, traffic, 180, 20) == pytest.approx(level, abs=5e-4)


def test_agents_needed_for_80_in_20() -> None:
    # 13 agents reach 79.6 %, just short of 80 %: the example's answer is 14.
    assert erlang.agents_needed(10.0, 180, 20, 0.8) == 14
    forecast = erlang.forecast(200, 180, agents=12)
    assert forecast.agents_needed == 14
    assert forecast.predicted_service_level == pytest.approx(0.6402, abs=5e-4)
    assert forecast.predicted_asa_seconds == pytest.approx(0.4494 * 180 / 2, rel=1e-3)
    assert forecast.occupancy == pytest.approx(10 / 12)


@pytest.mark.parametrize(("agents", "traffic"), [(2, 1), (5, 3), (20, 15), (60, 50), (100, 95)])
def test_matches_factorial_formula(agents: int, traffic: int) -> None:
    assert erlang.erlang_c(agents, float(traffic)) == pytest.approx(
        _erlang_c_by_factorials(agents, traffic), rel=1e-9
    )


def test_erlang_b_known_value() -> None:
    # Erlang B tables: 10 Erlangs on 15 trunks block about 3.65 % of calls.
    assert erlang.erlang_b(15, 10.0) == pytest.approx(0.0365, abs=1e-4)


def test_overloaded_and_idle_edges() -> None:
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.service_level(5, 6.0, 180, 20) == 0.0
    assert erlang.average_speed_of_answer(5, 6.0, 180) == math.inf
    assert erlang.service_level(3, 0.0, 180, 20) == 1.0
    assert erlang.agents_needed(0.0, 180, 20, 0.8) == 0
    assert erlang.forecast(0, 180, agents=0).agents_needed == 0


def test_large_centres_do_not_overflow() -> None:
    needed = erlang.agents_needed(400.0, 300, 20, 0.9)
    assert 400 < needed < 450
    assert erlang.service_level(needed, 400.0, 300, 20) >= 0.9
    assert erlang.service_level(needed - 1, 400.0, 300, 20) < 0.9


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        erlang.traffic_erlangs(-1, 10)
    with pytest.raises(ValueError):
        erlang.agents_needed(5.0, 100, 20, 1.0)
