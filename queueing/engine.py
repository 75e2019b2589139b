"""The queue engine: `step(state, input, now) -> StepResult(state, commands, events)`.

Pure: no I/O, no clock, no global randomness. For speed the step updates `state` in place and
returns it (the shell owns exactly one state per tenant); `Engine` adds the journal of inputs that
`replay` turns back into the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queueing.commands import Command
from queueing.config import TenantConfig
from queueing.events import DomainEvent, EventType
from queueing.handlers import HANDLERS
from queueing.inputs import Input
from queueing.state import EngineState, initial_state
from queueing.step import Rejected, Step


@dataclass(slots=True)
class StepResult:
    state: EngineState
    commands: list[Command]
    events: list[DomainEvent]


def step(state: EngineState, event: Input, now: float) -> StepResult:
    ctx = Step(state, now)
    handler = HANDLERS.get(type(event))
    try:
        if handler is None:
            raise Rejected("unknown_input", f"the engine does not take {type(event).__name__}")
        handler(ctx, event)
    except Rejected as rejected:
        # Handlers check before they change anything, so only the rejection is published.
        ctx.commands.clear()
        ctx.events.clear()
        ctx.emit(
            EventType.INPUT_REJECTED,
            rejected.reason,
            input=type(event).__name__,
            error=rejected.error,
            **_subject(event),
        )
    return StepResult(state, ctx.commands, ctx.events)


def _subject(event: object) -> dict[str, str]:
    return {
        name: value
        for name in ("call_id", "agent", "call_center_id")
        if isinstance(value := getattr(event, name, None), str)
    }


@dataclass(slots=True)
class Engine:
    """One tenant's engine with its journal: every input and the time it was fed."""

    config: TenantConfig
    state: EngineState = field(init=False)
    journal: list[tuple[Input, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = initial_state(self.config)

    @classmethod
    def from_state(cls, config: TenantConfig, state: EngineState) -> Engine:
        """An engine that goes on from a restored snapshot; its journal holds only what follows."""
        engine = cls(config)
        engine.state = state
        return engine

    def feed(self, event: Input, now: float) -> StepResult:
        self.journal.append((event, now))
        return step(self.state, event, now)


def replay(config: TenantConfig, journal: list[tuple[Input, float]]) -> Engine:
    """Rebuild an engine from its journal; deterministic, so state and events come out equal."""
    engine = Engine(config)
    for event, now in journal:
        engine.feed(event, now)
    return engine
