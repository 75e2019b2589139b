"""The what-if simulator's figures per interval, folded from the engine's own events (pure).

Definitions follow the reports (`reports/service.py`, `supervisor_ui/kpis.py`): a call counts in
the interval it arrived in; offered: every arrival; service level: answered within the call
center's threshold / calls that entered the queue and ended; ASA: mean wait of answered calls;
abandonment: abandoned / offered; occupancy: the agents' seconds on a call or in wrap-up / their
signed-in seconds, in the interval those seconds fall in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queueing.events import TERMINAL_CALL_EVENTS, DomainEvent, EventType
from queueing.inputs import AgentState
from queueing.what_if_traffic import Ended, ObservedCall


@dataclass(frozen=True, slots=True)
class IntervalFigures:
    start: float
    offered: int
    entered_ended: int
    answered: int
    answered_within: int
    abandoned: int
    other_ends: int
    """Overflowed, stranded, diverted, escaped or transferred."""
    service_level: float | None
    asa_seconds: float | None
    abandonment: float | None
    occupancy: float | None


@dataclass(slots=True)
class _Counts:
    offered: int = 0
    entered_ended: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    other_ends: int = 0
    wait_total: float = 0.0
    busy_seconds: float = 0.0
    staffed_seconds: float = 0.0

    def add(self, other: _Counts) -> None:
        self.offered += other.offered
        self.entered_ended += other.entered_ended
        self.answered += other.answered
        self.answered_within += other.answered_within
        self.abandoned += other.abandoned
        self.other_ends += other.other_ends
        self.wait_total += other.wait_total
        self.busy_seconds += other.busy_seconds
        self.staffed_seconds += other.staffed_seconds

    def figures(self, start: float) -> IntervalFigures:
        return IntervalFigures(
            start=start,
            offered=self.offered,
            entered_ended=self.entered_ended,
            answered=self.answered,
            answered_within=self.answered_within,
            abandoned=self.abandoned,
            other_ends=self.other_ends,
            service_level=_ratio(self.answered_within, self.entered_ended),
            asa_seconds=_ratio(self.wait_total, self.answered),
            abandonment=_ratio(self.abandoned, self.offered),
            occupancy=_ratio(self.busy_seconds, self.staffed_seconds),
        )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class DayFold:
    """Folds one simulated day of one call center: `arrive` each call, `apply` each event."""

    day_start: float
    interval_seconds: int
    intervals: int
    threshold_seconds: float
    counts: list[_Counts] = field(init=False)
    arrived_in: dict[str, int] = field(default_factory=dict)
    entered: set[str] = field(default_factory=set)
    busy_since: dict[str, float] = field(default_factory=dict)
    """Agent -> when its call was answered (it stays busy through wrap-up)."""

    def __post_init__(self) -> None:
        self.counts = [_Counts() for _ in range(self.intervals)]

    def index(self, at: float) -> int:
        return min(max(int((at - self.day_start) // self.interval_seconds), 0), self.intervals - 1)

    def arrive(self, call_id: str, at: float) -> None:
        slot = self.index(at)
        self.arrived_in[call_id] = slot
        self.counts[slot].offered += 1

    def apply(self, event: DomainEvent) -> None:
        kind = event.type
        if kind is EventType.CALL_ADDED:
            if event.call_id is not None:
                self.entered.add(event.call_id)
        elif kind in TERMINAL_CALL_EVENTS:
            self._ended(event)
        elif kind is EventType.CALL_RELEASED:
            self._free(event.agent, event.timestamp)
        elif kind is EventType.AGENT_STATE_CHANGED and event.agent is not None:
            if event.data.get("state") == AgentState.WRAP_UP.value:
                self.busy_since[event.agent] = event.timestamp
            elif event.data.get("previous") == AgentState.WRAP_UP.value:
                self._free(event.agent, event.timestamp)

    def _ended(self, event: DomainEvent) -> None:
        call_id = event.call_id
        slot = self.arrived_in.get(call_id or "")
        if call_id is None or slot is None:
            return
        counts = self.counts[slot]
        if call_id in self.entered:
            self.entered.discard(call_id)
            counts.entered_ended += 1
        if event.type is EventType.CALL_ANSWERED:
            wait = float(event.data.get("wait_seconds", 0.0))
            counts.answered += 1
            counts.wait_total += wait
            counts.answered_within += wait <= self.threshold_seconds
            if event.agent is not None:
                self.busy_since[event.agent] = event.timestamp
        elif event.type is EventType.CALL_ABANDONED:
            counts.abandoned += 1
        else:
            counts.other_ends += 1

    def _free(self, agent: str | None, at: float) -> None:
        """The agent's call or its wrap-up ended."""
        since = self.busy_since.pop(agent or "", None)
        if since is not None:
            self._spread(since, at, busy=True)

    def _spread(self, start: float, end: float, *, busy: bool, weight: float = 1.0) -> None:
        """Add `weight` x the seconds from `start` to `end` to the intervals they fall in."""
        at = start
        while at < end:
            slot = self.index(at)
            slot_end = self.day_start + (slot + 1) * self.interval_seconds
            piece = (min(end, slot_end) if slot < self.intervals - 1 else end) - at
            if busy:
                self.counts[slot].busy_seconds += piece * weight
            else:
                self.counts[slot].staffed_seconds += piece * weight
            at += piece

    def staffed(self, agents: int, start: float, end: float) -> None:
        """`agents` were signed in from `start` to `end`."""
        self._spread(start, end, busy=False, weight=agents)

    def finish(self, at: float) -> tuple[list[IntervalFigures], IntervalFigures]:
        for agent in list(self.busy_since):
            self._free(agent, at)
        total = _Counts()
        for counts in self.counts:
            total.add(counts)
        figures = [
            c.figures(self.day_start + n * self.interval_seconds) for n, c in enumerate(self.counts)
        ]
        return figures, total.figures(self.day_start)


def recorded_figures(
    calls: list[ObservedCall],
    day_start: float,
    interval_seconds: int,
    intervals: int,
    threshold_seconds: float,
) -> tuple[list[IntervalFigures], IntervalFigures]:
    """What the reports recorded of the day, by the same definitions (occupancy: unknown here,
    the agents' other call centers and states being outside this day's calls)."""
    fold = DayFold(day_start, interval_seconds, intervals, threshold_seconds)
    for call in calls:
        counts = fold.counts[fold.index(call.at)]
        counts.offered += 1
        if call.outcome is Ended.NOT_YET:
            continue
        counts.entered_ended += call.entered
        if call.outcome is Ended.ANSWERED:
            wait = call.wait_seconds or 0.0
            counts.answered += 1
            counts.wait_total += wait
            counts.answered_within += wait <= threshold_seconds
        elif call.outcome is Ended.ABANDONED:
            counts.abandoned += 1
        else:
            counts.other_ends += 1
    return fold.finish(day_start + intervals * interval_seconds)
