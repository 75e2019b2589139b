"""A simulated clock around the engine: it owns the timers the engine starts and fires them
when simulated time passes. Used by the deterministic tests, the benchmark and demos.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from queueing.commands import CancelTimer, Command, StartTimer
from queueing.config import TenantConfig
from queueing.engine import Engine
from queueing.events import DomainEvent
from queueing.inputs import Input, TimerFired


@dataclass
class Simulator:
    config: TenantConfig
    now: float = 1_764_000_000.0
    engine: Engine = field(init=False)
    timers: list[tuple[float, int, str]] = field(default_factory=list)
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
                self._counter += 1
                self.active[command.timer_id] = self._counter
                heapq.heappush(
                    self.timers, (self.now + command.seconds, self._counter, command.timer_id)
                )
            elif isinstance(command, CancelTimer):
                self.active.pop(command.timer_id, None)
        self.commands.extend(result.commands)
        self.events.extend(result.events)
        return result.events

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
            at, counter, timer_id = heapq.heappop(self.timers)
            if self.active.get(timer_id) != counter:
                continue
            del self.active[timer_id]
            self.now = at
            self.feed(TimerFired(timer_id))
            return True
        return False
