"""Erlang C staffing figures: predicted service level, ASA and agents needed.

Plain M/M/N queueing (Erlang C): calls arrive at random (Poisson) at `calls_per_hour`, each is
handled for `aht_seconds` on average, nobody abandons. The traffic intensity is
A = arrival rate x handle time (Erlangs); with N > A agents the probability that a call waits is

    P(wait) = E_C(N, A),     SL(t) = 1 - P(wait) * exp(-(N - A) * t / AHT),
    ASA = P(wait) * AHT / (N - A).

E_C is computed from Erlang B with the numerically stable recursion
B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)); E_C = N B / (N - A (1 - B)),
so there are no factorials or large powers (works for hundreds of agents).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 2000
"""Staffing searches stop here (far above any tier's waiter limit)."""


def traffic_erlangs(calls_per_hour: float, aht_seconds: float) -> float:
    if calls_per_hour < 0 or aht_seconds < 0:
        raise ValueError("arrival rate and handle time must not be negative")
    return calls_per_hour * aht_seconds / 3600.0


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of an M/M/N/N system (Erlang B)."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call has to wait; 1.0 when the agents cannot keep up (N <= A)."""
    if agents <= 0 or traffic >= agents:
        return 1.0
    if traffic == 0:
        return 0.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of calls answered within `target_seconds` (0..1)."""
    if traffic == 0:
        return 1.0
    if agents <= traffic or aht_seconds <= 0:
        return 0.0
    waiting = erlang_c(agents, traffic)
    level = 1.0 - waiting * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
    return min(1.0, max(0.0, level))


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait over all calls in seconds; infinite when the agents cannot keep up."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def agents_needed(
    traffic: float, aht_seconds: float, target_seconds: float, target_level: float
) -> int:
    """Fewest agents whose predicted service level reaches `target_level` (0..1)."""
    if not 0.0 <= target_level < 1.0:
        raise ValueError("target service level must be in [0, 1)")
    if traffic == 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while agents < MAX_AGENTS:
        if service_level(agents, traffic, aht_seconds, target_seconds) >= target_level:
            return agents
        agents += 1
    return MAX_AGENTS


@dataclass(frozen=True, slots=True)
class StaffingForecast:
    calls_per_hour: float
    aht_seconds: float
    traffic_erlangs: float
    agents: int
    """Agents staffed now (available, on a call or in wrap-up)."""
    predicted_service_level: float
    predicted_asa_seconds: float
    probability_of_waiting: float
    occupancy: float
    agents_needed: int
    target_seconds: float
    target_level: float


def forecast(
    calls_per_hour: float,
    aht_seconds: float,
    agents: int,
    target_seconds: float = 20.0,
    target_level: float = 0.8,
) -> StaffingForecast:
    traffic = traffic_erlangs(calls_per_hour, aht_seconds)
    return StaffingForecast(
        calls_per_hour=calls_per_hour,
        aht_seconds=aht_seconds,
        traffic_erlangs=traffic,
        agents=agents,
        predicted_service_level=service_level(agents, traffic, aht_seconds, target_seconds),
        predicted_asa_seconds=average_speed_of_answer(agents, traffic, aht_seconds),
        probability_of_waiting=erlang_c(agents, traffic),
        occupancy=min(1.0, traffic / agents) if agents > 0 else 1.0,
        agents_needed=agents_needed(traffic, aht_seconds, target_seconds, target_level),
        target_seconds=target_seconds,
        target_level=target_level,
    )
