"""The narrow, typed boundary between the SIP thread and the asyncio application.

Commands go in (`PbxService.send`), events come out (to the handler registered for a
call-center number and to every subscriber of `PbxService.events`). Everything here is a
frozen dataclass of plain values so it can cross threads and be logged or replayed as is.

Identifiers:
- `call_id` names one caller's call for its whole life in the PBX (the SIP Call-ID of the
  caller's leg). Transfers and re-offers keep it.
- `leg_id` names one attempt to reach an extension on behalf of a call (`OfferCall`). The
  application chooses it, so a pure queue engine can refer to it before the PBX answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

DEFAULT_TENANT = "demo"
"""The tenant of a PBX that serves one company (tests, `python -m pbx_core`); the product names
every tenant explicitly (docs/pbx.md, "Tenants")."""


class CallSource(StrEnum):
    """Where a call entered the PBX."""

    TRUNK = "trunk"
    """A request from a trusted trunk address; the caller is an outside number."""
    EXTENSION = "extension"
    """An authenticated registered extension."""


class HangupSide(StrEnum):
    """Which party ended a call or a leg."""

    CALLER = "caller"
    CALLEE = "callee"
    PBX = "pbx"
    """The PBX itself, on a command from the application or on an error."""


class MonitorMode(StrEnum):
    """How a supervisor joins an agent's call (seed 3.2.5, Supervisor Software)."""

    LISTEN = "listen"
    """Silent monitoring: the supervisor hears caller and agent; nobody hears the supervisor."""
    BARGE = "barge"
    """Barge in: a three-way call, everybody hears everybody."""
    WHISPER = "whisper"
    """Whisper (coach): the supervisor hears both and talks to the agent alone; the caller
    hears only the agent (issue 23.3)."""
    CONSULT = "consult"
    """Consultation (the receptionist's attended transfer, docs/receptionist.md): the joining
    phone and the bridged extension talk to each other alone; the caller hears music on hold.
    `HandOver` then gives the call to the joining phone; `StopMonitor` returns to the caller."""


class OfferFailure(StrEnum):
    """Why an offer to an extension ended without an answer."""

    NO_ANSWER = "no_answer"
    """The ring timeout passed; the PBX cancelled the INVITE."""
    BUSY = "busy"
    NOT_REGISTERED = "not_registered"
    REJECTED = "rejected"
    """The phone answered with another final error (for example 603 Decline)."""
    CANCELLED = "cancelled"
    """`StopRinging` from the application, or the caller hung up while the phone rang."""


# ---------------------------------------------------------------------------------------------
# Commands (application -> PBX)


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer the caller (200 OK); media is anchored in rtpengine, so nothing is heard yet."""

    call_id: str


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse the call: a final SIP error (486 busy by default) if it is not answered yet;
    if it is, the caller hears the busy tone, then the PBX hangs up."""

    call_id: str
    code: int = 486
    reason: str = "Busy Here"


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    """Play a prompt (a name from the prompt folder, e.g. `welcome_nl`, or a WAV path).

    `MediaFinished` follows when it has played to its end, unless it was stopped first.
    With `then_music` the PBX starts `music` itself right after the prompt; with `loop` the
    prompt repeats until stopped (and no `MediaFinished` comes).
    """

    call_id: str
    prompt: str
    then_music: bool = False
    loop: bool = False
    music: str = "music_on_hold"


@dataclass(frozen=True, slots=True)
class StartMusicOnHold:
    """Loop `music` (a prompt name or WAV path) to the caller until stopped."""

    call_id: str
    music: str = "music_on_hold"


@dataclass(frozen=True, slots=True)
class StopMedia:
    """Stop whatever prompt or music plays to the caller."""

    call_id: str


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring a registered extension on behalf of the call; `leg_id` is chosen by the caller of
    this command. After `ring_timeout` seconds the PBX cancels and reports NO_ANSWER."""

    call_id: str
    leg_id: str
    extension: str
    ring_timeout: float = 15.0
    auto_answer: bool = False
    """Ask the phone to answer by itself (`Call-Info: answer-after=0`, `Alert-Info`)."""
    whisper: str | None = None
    """A prompt played to the extension alone once it is bridged, before caller and extension
    hear each other (the caller keeps hearing its music meanwhile): "a call from the queue"."""


@dataclass(frozen=True, slots=True)
class StopRinging:
    """Cancel a ringing offer (SIP CANCEL)."""

    call_id: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class DisconnectLeg:
    """Take one leg off the call (CANCEL if it rings, BYE if answered); the caller stays and
    hears music on hold if it was bridged to that leg."""

    call_id: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class SendRinging:
    """Ringback to the caller: 180 Ringing if not answered yet, else a ring tone (looped)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class Bridge:
    """Connect the caller with an answered leg; prompts and music stop."""

    call_id: str
    leg_id: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Blind transfer of the caller to a number.

    An extension is rung by the PBX itself and bridged when it answers; a call-center number
    is handed again to the handler registered for it (a new `CallOffered` with the same
    `call_id` and `transferred=True`). Any bridged or ringing leg is dropped.
    """

    call_id: str
    target: str
    auto_answer: bool = False
    """Ask the extension's phone to answer by itself (as `OfferCall.auto_answer`): how the
    receptionist console answers a call ringing at the receptionist's own phone."""
    to_voicemail: bool = False
    """Straight into `target`'s voicemail box: its greeting, then the recording (any call, an
    answered one and a call center's or group's too; without a box, `CommandFailed` and the call
    goes on as it was)."""


@dataclass(frozen=True, slots=True)
class ReceiveFax:
    """Answer the call as a fax machine (T.30 over G.711) for the fax number `fax`; the PBX
    ends the call when the fax is in (or failed) and reports it (pbx_core/fax/part.py)."""

    call_id: str
    fax: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call and every leg of it (BYE, CANCEL or an error reply as its state needs)."""

    call_id: str
    code: int = 480
    reason: str = "Temporarily Unavailable"


@dataclass(frozen=True, slots=True)
class Dial:
    """Click-to-dial: ring `extension` first (its display shows `destination`); when it answers,
    call `destination` (an extension, or any other number through the outbound trunk) and
    connect the two. `call_id` is chosen by the caller of this command. Events: `CallRinging`
    / `CallAnswered` / `OfferFailed` with `leg_id` "agent" or "destination", then
    `CallHungUp` (side CALLER = the extension, CALLEE = the destination). `Hangup` ends it."""

    call_id: str
    extension: str
    destination: str
    ring_timeout: float = 30.0
    tenant: str = DEFAULT_TENANT
    """Whose `extension` and `destination` these are: looked up in that tenant only."""
    route: str | None = None
    """The call-center number whose handler gets the events too (a queue callback,
    docs/callback.md); None: subscribers only."""
    intro: str | None = None
    """A prompt (named as for `PlayPrompt`) the destination hears as it answers, over the
    agent's audio: a queue callback's introduction. Needs rtpengine; without it, none."""
    auto_answer: bool = False
    """Ask `extension`'s phone to answer by itself (as `OfferCall.auto_answer`), a desk phone
    too: the user clicked at their screen (the receptionist console's announce). A browser
    phone is always asked."""
    alert_info: str = ""
    """An `Alert-Info` for `extension`'s phone (a distinctive ring: the automatic callback's)."""


@dataclass(frozen=True, slots=True)
class StartRecording:
    """Mark the call's recording as wanted (on-demand recording, like *44 on the phone)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class HoldCall:
    """Hold from the application (CTI): the caller hears music on hold and the bridged
    extension no longer hears the caller. `CallHeld` with the bridged leg's id follows;
    `CommandFailed` if no leg is bridged."""

    call_id: str


@dataclass(frozen=True, slots=True)
class ResumeCall:
    """Undo `HoldCall`: music stops, caller and extension hear each other again;
    `CallResumed` follows."""

    call_id: str


@dataclass(frozen=True, slots=True)
class PlayToAgent:
    """Play a prompt (e.g. `reminder_tone`) to the bridged extension only, once; the caller
    does not hear it. Works while the call is held (the agent's reminder of a long hold)."""

    call_id: str
    prompt: str


@dataclass(frozen=True, slots=True)
class MonitorCall:
    """Ring `extension` (a supervisor's phone) and, when it answers, join it to the call's
    conversation in `mode`. `monitor_id` is chosen by the caller of this command. Events:
    `MonitorStarted` on answer, `MonitorEnded` when the supervisor hangs up, `StopMonitor`
    is sent, the call ends, or the phone does not answer. Sent again with the same
    `monitor_id` while joined, it switches the mode (listen -> barge and back)."""

    call_id: str
    monitor_id: str
    extension: str
    mode: MonitorMode = MonitorMode.LISTEN
    ring_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class StopMonitor:
    """Take the supervisor's phone off the call (BYE, or CANCEL while it rings)."""

    call_id: str
    monitor_id: str


@dataclass(frozen=True, slots=True)
class HandOver:
    """Complete an attended transfer: the phone joined with `MonitorCall` (`monitor_id`, any
    mode) takes the bridged extension's place; the mixer goes, the bridged extension's phone
    gets a BYE (`LegHungUp`), `MonitorEnded` (reason `handed_over`), `CallTransferred` and
    `CallAnswered` for the joined phone's new leg follow. `CommandFailed` unless it is joined."""

    call_id: str
    monitor_id: str


@dataclass(frozen=True, slots=True)
class ParkCall:
    """The bridged extension parks the caller in `slot` (an extension of the call's tenant; ""
    for the parker's own), as `*68` does: the leg gets a BYE, the caller hears music until
    `*88<slot>` (or `*88` on `slot`'s phone) retrieves it, else after the park timeout the
    parker's phone rings again. `CallParked` follows; `CommandFailed` when no extension is
    bridged, the slot is taken or unknown, the call is a call center's, or the parker's profile
    has no call park."""

    call_id: str
    slot: str = ""


ExistingCallCommand: TypeAlias = (
    Answer
    | Reject
    | PlayPrompt
    | StartMusicOnHold
    | StopMedia
    | OfferCall
    | StopRinging
    | DisconnectLeg
    | SendRinging
    | Bridge
    | Transfer
    | ReceiveFax
    | Hangup
    | StartRecording
    | HoldCall
    | ResumeCall
    | PlayToAgent
    | MonitorCall
    | StopMonitor
    | HandOver
    | ParkCall
)
"""The commands on a call the PBX has already (every command but `Dial`, which makes one).
A closed union: the PBX's dispatch over it ends in `assert_never`, so mypy names a new
command that the PBX does not handle."""

CallCommand: TypeAlias = ExistingCallCommand | Dial


# ---------------------------------------------------------------------------------------------
# Events (PBX -> application)


@dataclass(frozen=True, slots=True)
class CallOffered:
    """A new call (or a transferred one). The handler of `called` gets it when `called` is a
    number the application handles; calls between extensions, which the PBX connects itself,
    reach subscribers only."""

    call_id: str
    caller: str
    called: str
    source: CallSource
    caller_name: str = ""
    transferred: bool = False
    tenant: str = DEFAULT_TENANT
    """The tenant whose number `called` is: two tenants may both have call center 7001."""


@dataclass(frozen=True, slots=True)
class CallRinging:
    """The extension of an offer rings (180/183 received)."""

    call_id: str
    leg_id: str
    extension: str


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """The caller was answered by the PBX (`leg_id` empty) or an offered extension answered."""

    call_id: str
    leg_id: str = ""
    extension: str = ""


@dataclass(frozen=True, slots=True)
class OfferFailed:
    call_id: str
    leg_id: str
    extension: str
    failure: OfferFailure
    code: int = 0


@dataclass(frozen=True, slots=True)
class LegHungUp:
    """An answered leg to an extension ended while the call goes on (the caller still there)."""

    call_id: str
    leg_id: str
    extension: str
    side: HangupSide


@dataclass(frozen=True, slots=True)
class CallHungUp:
    """The call is over; `side` says who ended it. No further events for this `call_id`."""

    call_id: str
    side: HangupSide
    code: int = 0


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A DTMF digit (RFC 4733 through rtpengine, or SIP INFO) from the caller or a leg."""

    call_id: str
    digit: str
    leg_id: str = ""


@dataclass(frozen=True, slots=True)
class CallHeld:
    call_id: str
    leg_id: str = ""


@dataclass(frozen=True, slots=True)
class CallResumed:
    call_id: str
    leg_id: str = ""


@dataclass(frozen=True, slots=True)
class MediaFinished:
    """A prompt started with `PlayPrompt` played to its end."""

    call_id: str
    prompt: str


@dataclass(frozen=True, slots=True)
class CallTransferred:
    """The caller was sent to `target` (by `Transfer` or by a REFER from the bridged phone)."""

    call_id: str
    target: str


@dataclass(frozen=True, slots=True)
class RecordingRequested:
    """On-demand recording was asked for (*44 or `StartRecording`): keep this call's audio."""

    call_id: str


@dataclass(frozen=True, slots=True)
class MonitorStarted:
    """The supervisor's phone answered and hears the call (and, barging, is heard); also sent
    after a mode switch."""

    call_id: str
    monitor_id: str
    extension: str
    mode: MonitorMode


@dataclass(frozen=True, slots=True)
class MonitorEnded:
    """The supervisor's phone left the call; `reason` is `hung_up`, `stopped`, `call_ended`,
    `failed` (the mixer, rtpengine or the agent's phone refused a media move: the call goes
    back to the plain bridge), `handed_over` (`HandOver`: it is the call's leg now), or why it
    never joined (`no_answer`, `busy`, `not_registered`, `rejected`)."""

    call_id: str
    monitor_id: str
    extension: str
    reason: str


@dataclass(frozen=True, slots=True)
class CallPickedUp:
    """`extension` took the call ringing at `ringing_extension` (`*98`, `*97<ext>`): its phone is
    the call's leg `leg_id` now (`CallAnswered` for that leg comes with it)."""

    call_id: str
    leg_id: str
    extension: str
    ringing_extension: str


@dataclass(frozen=True, slots=True)
class CallParked:
    """`extension` parked the call in `slot` (`*68`): the caller hears music until someone
    dials `*88<slot>`, or the park times out and `extension` rings again (`retrieved_by` says
    which: "" while parked, the retrieving extension, or `extension` itself on the recall)."""

    call_id: str
    extension: str
    slot: str
    retrieved_by: str = ""
    recalled: bool = False
    """The park timed out and the call rings `extension` again (not a retrieve by the parker)."""


@dataclass(frozen=True, slots=True)
class CommandFailed:
    """A command could not be applied (unknown call, wrong state, media error)."""

    call_id: str
    command: str
    reason: str


CallEvent: TypeAlias = (
    CallOffered
    | CallRinging
    | CallAnswered
    | OfferFailed
    | LegHungUp
    | CallHungUp
    | DtmfReceived
    | CallHeld
    | CallResumed
    | MediaFinished
    | CallTransferred
    | RecordingRequested
    | MonitorStarted
    | MonitorEnded
    | CallPickedUp
    | CallParked
    | CommandFailed
)

CallHandler: TypeAlias = Callable[[CallEvent], Awaitable[None] | None]
"""What the application registers for its numbers: called in the asyncio loop with every
event of the calls to those numbers (from `CallOffered` to `CallHungUp`)."""
