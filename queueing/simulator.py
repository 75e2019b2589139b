"""A simulated clock around the engine: it owns the timers the engine starts and fires them
when simulated time passes. Used by the deterministic tests, the benchmark, demos and the what-if
simulator, which also schedules the outside world's inputs (an agent answering, a caller hanging
up) on the same clock with `schedule`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from queueing.commands import CancelTimer, Command, StartTimer
from queueing.config import TenantConfig
from queueing.engine import Engine, StepResult
from queueing.events import DomainEvent
from queueing.inputs import Input, TimerFired


@dataclass
class Simulator:
    config: TenantConfig
    now: float = 1_764_000_000.0
    record: bool = True
    """Keep every command and event in `commands` / `events` (tests); a long replay reads them
    through `on_step` instead and keeps nothing."""
    on_step: Callable[[StepResult], None] | None = None
    """Called after every engine step, timers included, so a caller can react to commands."""
    engine: Engine = field(init=False)
    timers: list[tuple[float, int, str, Input]] = field(default_factory=list)
    """Due inputs: (time, schedule counter, key, input); an entry is live while `active[key]`
    still holds its counter (cancelling or re-scheduling a key leaves the old entry stale)."""
    active: dict[str, int] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    _counter: int = 0

    def __post_init__(self) -> None:
        self.engine = Engine(self.config)

    def feed(self, event: Input) -> list[DomainEvent]:
        result = self.engine.feed(event, self.now)
        for command in result.commands:
            if isinstance(command, StartTimer):
                self.schedule(command.timer_id, command.seconds, TimerFired(command.timer_id))
            elif isinstance(command, CancelTimer):
                self.active.pop(command.timer_id, None)
        if self.record:
            self.commands.extend(result.commands)
            self.events.extend(result.events)
        if self.on_step is not None:
            self.on_step(result)
        return result.events

    def schedule(self, key: str, seconds: float, event: Input) -> None:
        """Feed `event` after `seconds` of simulated time, replacing whatever `key` held."""
        self._counter += 1
        self.active[key] = self._counter
        heapq.heappush(self.timers, (self.now + seconds, self._counter, key, event))

    def cancel(self, key: str) -> None:
        self.active.pop(key, None)

    def advance(self, seconds: float) -> None:
        """Let simulated time pass, firing due timers in order."""
        until = self.now + seconds
        while self.fire_next(until):
            pass
        self.now = until

    def fire_next(self, until: float) -> bool:
        """Fire the next timer due by `until`, if there is one: one engine step, so a caller can
        look at the state between timers that fall in the same stretch of time."""
        while self.timers and self.timers[0][0] <= until:
            at, counter, key, event = heapq.heappop(self.timers)
            if self.active.get(key) != counter:
                continue
            del self.active[key]
            self.now = at
            self.feed(event)
            return True
        return False
