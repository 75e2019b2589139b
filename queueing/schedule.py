"""Business-hours schedules and holiday calendars for night and holiday service (Premium).

Pure date arithmetic: callers pass the engine's `now` (epoch seconds); nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from queueing.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """One open interval on one weekday; `end` may be 24:00 written as time(23, 59, 59)."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ConfigError("schedule", f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if self.start >= self.end:
            raise ConfigError("schedule", f"opening {self.start} is not before closing {self.end}")


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Business hours per weekday in a time zone; outside them night service applies."""

    timezone: str
    hours: tuple[OpeningHours, ...]

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError("schedule", f"unknown time zone {self.timezone!r}") from exc

    @classmethod
    def business_hours(
        cls, timezone: str, opens: time, closes: time, weekdays: Iterable[int] = range(5)
    ) -> WeeklySchedule:
        return cls(timezone, tuple(OpeningHours(d, opens, closes) for d in weekdays))

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, tz=UTC).astimezone(ZoneInfo(self.timezone))

    def is_open(self, now: float) -> bool:
        local = self.local(now)
        moment = local.time()
        return any(h.weekday == local.weekday() and h.start <= moment < h.end for h in self.hours)


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """A named set of holidays: a country's public holidays (via `holidays`) plus own dates."""

    name: str
    timezone: str = "Europe/Amsterdam"
    country: str | None = None
    extra_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.country is not None:
            try:
                holidays.country_holidays(self.country)
            except NotImplementedError as exc:
                raise ConfigError(
                    "holidays", f"no public holidays known for {self.country!r}"
                ) from exc
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError("holidays", f"unknown time zone {self.timezone!r}") from exc

    def holiday_name(self, now: float) -> str | None:
        day = datetime.fromtimestamp(now, tz=UTC).astimezone(ZoneInfo(self.timezone)).date()
        if day in self.extra_dates:
            return f"{self.name}: {day.isoformat()}"
        if self.country is not None:
            found = holidays.country_holidays(self.country, years=day.year).get(day)
            if found:
                return f"{self.name}: {found}"
        return None


def dutch_public_holidays() -> HolidayCalendar:
    return HolidayCalendar(name="Dutch public holidays", country="NL")
