"""Inputs the queue engine is fed: PBX call events, agent actions, timers, supervisor actions.

Each input is a frozen dataclass; the engine's journal is the list of `(input, now)` pairs, so
replaying it rebuilds the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AgentState(StrEnum):
    SIGN_IN = "SIGN_IN"
    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    WRAP_UP = "WRAP_UP"
    SIGN_OUT = "SIGN_OUT"
    BUSY = "BUSY"
    """On a call; set by the engine only."""


class Cause(StrEnum):
    """Who asked for an agent state change (every change carries one)."""

    AGENT = "agent"
    PHONE = "phone"
    SUPERVISOR = "supervisor"
    ENGINE = "engine"


# PBX call events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallArrived:
    call_id: str
    call_center_id: str
    caller: str
    priority: int = 0
    external: bool = False
    """From the carrier: counts against the call center's `max_external_calls`."""


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    call_id: str


@dataclass(frozen=True, slots=True)
class CallsLost:
    """The platform lost these calls: their SIP dialogs died with a crashed process (the runtime
    feeds this for the calls it restored from the journal). Unknown ids are passed over."""

    call_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class CallsTakenOver:
    """A restarted PBX holds these calls' SIP dialogs again (issue 20, calls that survive a PBX
    crash): they keep their place; what the crash took (an agent's ring, a prompt's end, the
    timers) starts again. Unknown ids, and calls no longer in a queue, are passed over."""

    call_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    call_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class MediaFinished:
    """A prompt the engine asked for (PlayPrompt) has played to its end."""

    call_id: str
    prompt: str


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    call_id: str
    agent: str


@dataclass(frozen=True, slots=True)
class AgentRejected:
    """The agent's phone declined the offer (busy, do-not-disturb, decline button, unreachable)."""

    call_id: str
    agent: str
    reason: str = "declined"


@dataclass(frozen=True, slots=True)
class AgentHungUp:
    call_id: str
    agent: str
    transferred: bool = False
    """The agent sent the caller elsewhere (a REFER from the phone, the client's Transfer): the
    PBX keeps the caller, so the engine must not hang up on them."""


@dataclass(frozen=True, slots=True)
class CallHeld:
    call_id: str
    agent: str


@dataclass(frozen=True, slots=True)
class CallResumed:
    call_id: str
    agent: str


# Callbacks (docs/callback.md) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """A waiting caller asked to be called back on `number`: the call keeps its place without
    its caller (the runtime's own menu, or the engine's DTMF menu, gives the number)."""

    call_id: str
    number: str


@dataclass(frozen=True, slots=True)
class CallbackBooked:
    """A callback asked for outside a call (the web, Bel-me-nu): a call with no caller leg
    enters the queue like an arriving call and is called back in its turn."""

    call_id: str
    call_center_id: str
    number: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class CallbackAnswered:
    """The customer answered the callback's call and is connected to the agent."""

    call_id: str


@dataclass(frozen=True, slots=True)
class CallbackFailed:
    """The callback's call to the customer did not connect (`failure`: no_answer, busy...)."""

    call_id: str
    failure: str = "no_answer"


# Agent actions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetAgentState:
    agent: str
    state: AgentState
    cause: Cause = Cause.AGENT
    unavailable_code: str | None = None


@dataclass(frozen=True, slots=True)
class JoinCallCenter:
    agent: str
    call_center_id: str
    cause: Cause = Cause.AGENT


@dataclass(frozen=True, slots=True)
class LeaveCallCenter:
    agent: str
    call_center_id: str
    cause: Cause = Cause.AGENT


@dataclass(frozen=True, slots=True)
class EnterDisposition:
    agent: str
    call_id: str
    code: str


# Timers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer_id: str


# Supervisor actions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveCall:
    call_id: str
    to_call_center_id: str
    by: str = "supervisor"


@dataclass(frozen=True, slots=True)
class PromoteCall:
    call_id: str
    priority: int
    by: str = "supervisor"


@dataclass(frozen=True, slots=True)
class ReorderCall:
    """Move a waiting call to `position` (1-based) among the calls of its own priority."""

    call_id: str
    position: int
    by: str = "supervisor"


@dataclass(frozen=True, slots=True)
class RetrieveCall:
    """A supervisor takes a waiting call to their own phone."""

    call_id: str
    extension: str
    by: str = "supervisor"


@dataclass(frozen=True, slots=True)
class SetNightService:
    """Manual override: True forces night service, False forces day, None follows the schedule."""

    call_center_id: str
    override: bool | None
    by: str = "supervisor"


@dataclass(frozen=True, slots=True)
class SetForcedForwarding:
    call_center_id: str
    enabled: bool
    by: str = "supervisor"


Input = (
    CallArrived
    | CallerHungUp
    | CallsLost
    | CallsTakenOver
    | DtmfReceived
    | MediaFinished
    | AgentAnswered
    | AgentRejected
    | AgentHungUp
    | CallHeld
    | CallResumed
    | CallbackRequested
    | CallbackBooked
    | CallbackAnswered
    | CallbackFailed
    | SetAgentState
    | JoinCallCenter
    | LeaveCallCenter
    | EnterDisposition
    | TimerFired
    | MoveCall
    | PromoteCall
    | ReorderCall
    | RetrieveCall
    | SetNightService
    | SetForcedForwarding
)
