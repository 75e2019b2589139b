"""A day of traffic for the what-if simulator: the calls that arrive at one call center, each with
what the caller and the agent bring (talk time, patience), whether taken from a past day or drawn
from an arrival profile. Pure: randomness comes from a seeded generator.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from queueing.errors import ConfigError
from queueing.routing import xorshift64star

DAY_SECONDS = 86_400
DEFAULT_TALK_SECONDS = 180.0
"""Talk time of a call whose own is unknown, when the day has no answered call to average."""


class Draws:
    """Seeded draws on the engine's own generator (no global randomness in the core)."""

    def __init__(self, seed: int) -> None:
        self._state = (seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF or 1

    def uniform(self) -> float:
        self._state, drawn = xorshift64star(self._state)
        return drawn

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.uniform())


@dataclass(frozen=True, slots=True)
class Arrival:
    """One call: when it arrives (engine time), how long it talks once answered, and how long the
    caller waits before hanging up (None: as long as it takes)."""

    at: float
    call_center_id: str
    caller: str
    talk_seconds: float
    patience_seconds: float | None
    priority: int = 0


class Ended(StrEnum):
    """How a recorded call ended, as far as the simulator cares."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OTHER = "other"
    """Overflowed, stranded, diverted, escaped, transferred or lost."""
    NOT_YET = "not_yet"
    """Still waiting or talking when the day was read (today)."""


@dataclass(frozen=True, slots=True)
class ObservedCall:
    """A call as the reports recorded it: the input to `from_observed`."""

    at: float
    call_center_id: str
    caller: str
    priority: int
    outcome: Ended
    wait_seconds: float | None
    talk_seconds: float | None
    entered: bool = True
    """Whether the call entered the queue (not diverted or refused on arrival)."""


def from_observed(calls: Iterable[ObservedCall], seed: int = 0) -> list[Arrival]:
    """The traffic of a past day. Talk time is the observed one; a call that was not answered
    gets the day's mean talk time. Patience is observed only for abandoned calls (their wait);
    any other caller waited at least its observed wait, and (patience being taken as memoryless)
    would have waited a further exponential time with the day's mean patience of abandoned
    callers; on a day without abandonment they wait as long as it takes."""
    observed = sorted(calls, key=lambda c: c.at)
    talks = [c.talk_seconds for c in observed if c.outcome is Ended.ANSWERED and c.talk_seconds]
    mean_talk = sum(talks) / len(talks) if talks else DEFAULT_TALK_SECONDS
    gave_up = [c.wait_seconds or 0.0 for c in observed if c.outcome is Ended.ABANDONED]
    mean_patience = sum(gave_up) / len(gave_up) if gave_up else None
    draws = Draws(seed)
    arrivals = []
    for call in observed:
        patience: float | None
        if call.outcome is Ended.ABANDONED:
            patience = call.wait_seconds or 0.0
        elif mean_patience is None:
            patience = None
        else:
            patience = (call.wait_seconds or 0.0) + draws.exponential(max(mean_patience, 1.0))
        talk = (
            call.talk_seconds if call.outcome is Ended.ANSWERED and call.talk_seconds else mean_talk
        )
        arrivals.append(
            Arrival(call.at, call.call_center_id, call.caller, talk, patience, call.priority)
        )
    return arrivals


@dataclass(frozen=True, slots=True)
class Profile:
    """A synthetic day: `calls` arrivals between `open_hour` and `close_hour` (local to the day
    start), busiest mid-morning and mid-afternoon; exponential talk times and patience."""

    calls: int = 500
    open_hour: int = 8
    close_hour: int = 18
    mean_talk_seconds: float = 180.0
    mean_patience_seconds: float | None = 120.0
    """None: callers never hang up."""
    seed: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.calls <= 100_000:
            raise ConfigError("synthetic.calls", f"{self.calls} is outside 1..100000")
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ConfigError(
                "synthetic.open_hour", "the day must open before it closes, within 0..24 h"
            )
        if not 1 <= self.mean_talk_seconds <= 7200:
            raise ConfigError("synthetic.mean_talk_seconds", "must be within 1..7200 s")
        patience = self.mean_patience_seconds
        if patience is not None and not 1 <= patience <= 7200:
            raise ConfigError("synthetic.mean_patience_seconds", "must be within 1..7200 s")


def _hour_weight(hour_of_day: float, open_hour: int, close_hour: int) -> float:
    """Two humps (about 10:30 and 14:30 on an 8-18 day), never quite zero while open."""
    span = close_hour - open_hour
    morning = open_hour + 0.25 * span
    afternoon = open_hour + 0.65 * span
    width = max(span / 6.0, 0.5)
    return (
        0.3
        + math.exp(-(((hour_of_day - morning) / width) ** 2))
        + 0.8 * math.exp(-(((hour_of_day - afternoon) / width) ** 2))
    )


def synthetic(profile: Profile, call_center_id: str, day_start: float) -> list[Arrival]:
    """Draw `profile.calls` arrivals, placed by the profile's shape (inverse-CDF over minutes)."""
    draws = Draws(profile.seed)
    minutes = range(profile.open_hour * 60, profile.close_hour * 60)
    cumulative: list[float] = []
    total = 0.0
    for minute in minutes:
        total += _hour_weight(minute / 60.0, profile.open_hour, profile.close_hour)
        cumulative.append(total)
    times = sorted(_draw_minute(draws, cumulative, total) for _ in range(profile.calls))
    patience = profile.mean_patience_seconds
    return [
        Arrival(
            at=day_start + (profile.open_hour * 60 + minute) * 60.0,
            call_center_id=call_center_id,
            caller=f"+3120{n:07d}",
            talk_seconds=max(5.0, draws.exponential(profile.mean_talk_seconds)),
            patience_seconds=None if patience is None else draws.exponential(patience),
        )
        for n, minute in enumerate(times)
    ]


def _draw_minute(draws: Draws, cumulative: Sequence[float], total: float) -> float:
    """A fractional minute offset from opening, distributed as the weights say."""
    index = bisect_left(cumulative, draws.uniform() * total)
    return min(index, len(cumulative) - 1) + draws.uniform()
