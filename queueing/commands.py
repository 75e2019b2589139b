"""Commands the queue engine gives the PBX (the shell translates them to SIP and media).

Values, to be treated as immutable; not `frozen` for construction speed (see events.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class AnswerCall:
    """Answer the caller (200 OK) so it can hear prompts and music."""

    call_id: str


@dataclass(slots=True)
class PlayPrompt:
    """Play a prompt to the caller; report MediaFinished at its end. `loop` repeats forever."""

    call_id: str
    prompt: str
    loop: bool = False
    resume_music: str | None = None
    """Music on hold to go back to once the prompt ends."""


@dataclass(slots=True)
class StartMusic:
    call_id: str
    music: str


@dataclass(slots=True)
class StopMedia:
    call_id: str


@dataclass(slots=True)
class OfferCall:
    """Ring an agent's phone with the call; `auto_answer` asks the phone to answer itself."""

    call_id: str
    agent: str
    caller: str
    call_center_id: str
    auto_answer: bool = False
    whisper: str | None = None


@dataclass(slots=True)
class OfferCallback:
    """Ring the agent's phone for a callback; once the agent answers, call `number` (the intro
    prompt plays to the customer) and connect the two. Report AgentAnswered / AgentRejected for
    the agent, then CallbackAnswered or CallbackFailed for the customer."""

    call_id: str
    agent: str
    number: str
    call_center_id: str
    attempt: int
    intro: str


@dataclass(slots=True)
class StopRinging:
    call_id: str
    agent: str


@dataclass(slots=True)
class BridgeCall:
    """Connect the caller to the agent who answered."""

    call_id: str
    agent: str


@dataclass(slots=True)
class DisconnectAgent:
    """Take the agent's leg off the call (the caller stays, e.g. a held call bouncing back)."""

    call_id: str
    agent: str


@dataclass(slots=True)
class RemindAgent:
    """Alert the agent that a held call has waited too long."""

    call_id: str
    agent: str


@dataclass(slots=True)
class TransferCall:
    call_id: str
    destination: str


@dataclass(slots=True)
class RejectBusy:
    """Busy: 486 if the call is not answered yet, else busy tone and hang up."""

    call_id: str


@dataclass(slots=True)
class KeepRinging:
    """Ringback (180, or ring tone if answered) until the caller hangs up."""

    call_id: str


@dataclass(slots=True)
class HangUpCall:
    call_id: str


@dataclass(slots=True)
class StartTimer:
    timer_id: str
    seconds: float


@dataclass(slots=True)
class CancelTimer:
    timer_id: str


Command = (
    AnswerCall
    | PlayPrompt
    | StartMusic
    | StopMedia
    | OfferCall
    | OfferCallback
    | StopRinging
    | BridgeCall
    | DisconnectAgent
    | RemindAgent
    | TransferCall
    | RejectBusy
    | KeepRinging
    | HangUpCall
    | StartTimer
    | CancelTimer
)
