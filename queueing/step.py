"""One engine step's context: the state being changed, the time, and what the step emits."""

from __future__ import annotations

from typing import Any

from queueing.commands import CancelTimer, Command, StartTimer
from queueing.events import DomainEvent, EventType
from queueing.state import EngineState
from queueing.timers import TimerKind


class Rejected(Exception):
    """An input the engine refuses; raised before any change, published as INPUT_REJECTED."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


class Step:
    __slots__ = ("commands", "events", "now", "state")

    def __init__(self, state: EngineState, now: float) -> None:
        self.state = state
        self.now = now
        self.commands: list[Command] = []
        self.events: list[DomainEvent] = []

    def emit(
        self,
        type_: EventType,
        reason: str,
        *,
        call_center_id: str | None = None,
        call_id: str | None = None,
        agent: str | None = None,
        caller: str | None = None,
        **data: Any,
    ) -> None:
        state = self.state
        state.sequence += 1
        self.events.append(
            DomainEvent(
                type_,
                state.sequence,
                self.now,
                state.tenant,
                reason,
                call_center_id,
                call_id,
                agent,
                caller,
                data,
            )
        )

    def command(self, command: Command) -> None:
        self.commands.append(command)

    def start_timer(self, timer_id: str, seconds: float, kind: TimerKind, subject: str) -> None:
        self.state.timers[timer_id] = (kind, subject)
        self.commands.append(StartTimer(timer_id, seconds))

    def cancel_timer(self, timer_id: str) -> None:
        if self.state.timers.pop(timer_id, None) is not None:
            self.commands.append(CancelTimer(timer_id))
