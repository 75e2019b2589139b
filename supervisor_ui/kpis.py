"""Today's figures per call center, folded from the event stream (pure; no I/O, no clock).

Definitions follow `reports/service.py` so the live board and the reports agree:
- offered: every arrival at a call center (CALL_ADDED, or a terminal event of a call that never
  entered the queue, such as night service or queue-full overflow);
- answered / abandoned: CALL_ANSWERED / CALL_ABANDONED;
- service level: answered within the call center's threshold / calls that entered the queue and
  ended (the threshold is the call center's setting, given when the figure is read);
- ASA: mean wait of answered calls; AHT: mean talk time of released calls;
- longest wait: the longest wait of an ended call (the board also shows the longest current wait).
Calls are counted in the 15-minute interval in which they arrived.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from common.event_types import TERMINAL_CALL_EVENTS
from supervisor_ui.live import Event

INTERVAL_SECONDS = 15 * 60
RATE_WINDOW_SECONDS = 3600.0


@dataclass
class ServiceLevel:
    """The waits of answered calls that entered the queue, sorted, and the calls that entered and
    ended: the service level for any threshold, so a changed setting applies to the whole day."""

    queued_waits: list[float] = field(default_factory=list)
    ended: int = 0

    def add_queued_wait(self, wait: float) -> None:
        insort(self.queued_waits, wait)

    def within(self, threshold: float) -> int:
        return bisect_right(self.queued_waits, threshold)

    def service_level(self, threshold: float) -> float | None:
        return self.within(threshold) / self.ended if self.ended else None


@dataclass
class IntervalFigures(ServiceLevel):
    offered: int = 0
    answered: int = 0
    abandoned: int = 0


@dataclass
class CallCenterDay(ServiceLevel):
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    wait_answered_total: float = 0.0
    talk_total: float = 0.0
    released: int = 0
    longest_wait: float = 0.0
    intervals: dict[int, IntervalFigures] = field(default_factory=dict)
    arrivals: deque[float] = field(default_factory=deque)
    entered: dict[str, float] = field(default_factory=dict)
    """Calls in the queue now: call id -> arrival interval start (for per-interval SL)."""

    @property
    def asa_seconds(self) -> float | None:
        return self.wait_answered_total / self.answered if self.answered else None

    @property
    def aht_seconds(self) -> float | None:
        return self.talk_total / self.released if self.released else None

    def interval(self, start: int) -> IntervalFigures:
        found = self.intervals.get(start)
        if found is None:
            found = self.intervals[start] = IntervalFigures()
        return found


def interval_start(timestamp: float) -> int:
    return int(timestamp // INTERVAL_SECONDS) * INTERVAL_SECONDS


class DayStats:
    """Folds one tenant's events of one day; `reset(day_start)` starts a new day."""

    def __init__(self, day_start: float) -> None:
        self.day_start = day_start
        self.centers: dict[str, CallCenterDay] = {}
        self.arrived: dict[tuple[str, str], int] = {}
        """(call center, call id) -> interval of arrival, for calls counted as offered."""
        self.last_sequence = -1
        self.changes: dict[str, int] = {}
        """Per call center, how many events changed its figures (a cheap version number)."""

    def reset(self, day_start: float) -> None:
        self.__init__(day_start)  # type: ignore[misc]

    def center(self, call_center_id: str) -> CallCenterDay:
        found = self.centers.get(call_center_id)
        if found is None:
            found = self.centers[call_center_id] = CallCenterDay()
        return found

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        if event.sequence <= self.last_sequence and event.sequence >= 0:
            return
        self.last_sequence = max(self.last_sequence, event.sequence)
        if event.timestamp < self.day_start or event.call_center_id is None:
            return
        cc_id = event.call_center_id
        self.changes[cc_id] = self.changes.get(cc_id, 0) + 1
        day = self.center(cc_id)
        key = (cc_id, event.call_id or "")
        kind = event.type
        if kind == "CALL_ADDED":
            self._arrive(day, key, event.timestamp)
            day.entered[key[1]] = event.timestamp
            return
        if kind not in TERMINAL_CALL_EVENTS and kind != "CALL_RELEASED":
            return
        if kind == "CALL_RELEASED":
            talk = _number(event.data.get("talk_seconds"))
            if talk is not None:
                day.talk_total += talk
                day.released += 1
            return
        arrival = self.arrived.get(key)
        if arrival is None:
            # A call that never entered the queue (diverted, full, stranded on arrival).
            arrival = self._arrive(day, key, event.timestamp)
        entered = day.entered.pop(key[1], None) is not None
        slot = day.interval(arrival)
        wait = _number(event.data.get("wait_seconds"))
        if wait is not None:
            day.longest_wait = max(day.longest_wait, wait)
        if entered:
            day.ended += 1
            slot.ended += 1
        if kind == "CALL_ANSWERED":
            day.answered += 1
            slot.answered += 1
            day.wait_answered_total += wait or 0.0
            if entered:
                day.add_queued_wait(wait or 0.0)
                slot.add_queued_wait(wait or 0.0)
        elif kind == "CALL_ABANDONED":
            day.abandoned += 1
            slot.abandoned += 1
        elif kind == "CALL_OVERFLOWED":
            day.overflowed += 1
        self.arrived.pop(key, None)

    def _arrive(self, day: CallCenterDay, key: tuple[str, str], timestamp: float) -> int:
        start = interval_start(timestamp)
        if key not in self.arrived:
            day.offered += 1
            day.interval(start).offered += 1
            day.arrivals.append(timestamp)
        self.arrived[key] = start
        return start

    def calls_per_hour(self, call_center_id: str, now: float) -> float:
        """Arrival rate over the last hour (or since the day began, if that is shorter)."""
        day = self.centers.get(call_center_id)
        if day is None:
            return 0.0
        while day.arrivals and day.arrivals[0] < now - RATE_WINDOW_SECONDS:
            day.arrivals.popleft()
        window = min(RATE_WINDOW_SECONDS, max(60.0, now - self.day_start))
        return len(day.arrivals) * 3600.0 / window


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
