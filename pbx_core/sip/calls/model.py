"""The B2BUA's call model: a caller's call, its legs to extensions, a supervisor's monitor.

Plain mutable records owned by the SIP thread; the parts of the B2BUA change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pbx_core import call_control as cc
from pbx_core.features.alternates import Alternate
from pbx_core.media.monitor_media import MonitorMedia

Emit = Callable[[cc.CallEvent, "str | None"], None]
"""(event, route): route is the called number whose handler gets the event, None for calls the
PBX handles itself (extension to extension); subscribers see both."""

MONITOR_HUNG_UP = "hung_up"
MONITOR_STOPPED = "stopped"
MONITOR_CALL_ENDED = "call_ended"
MONITOR_NO_ANSWER = "no_answer"
MONITOR_BUSY = "busy"
MONITOR_NOT_REGISTERED = "not_registered"
MONITOR_REJECTED = "rejected"
MONITOR_FAILED = "failed"
MONITOR_HANDED_OVER = "handed_over"
"""`HandOver`: the monitoring phone took the call."""
"""Not in call_control's list: the mixer or the agent's re-INVITE failed (docs/pbx.md)."""


class _Timed:
    """A record with one pending sippy `Timeout` (ring timeout, prompt end, whisper end)."""

    timer: Any

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class LegState(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    BRIDGED = "bridged"
    ENDED = "ended"


@dataclass(eq=False)
class Leg(_Timed):
    leg_id: str
    extension: str
    tenant: str
    ua: Any
    auto_bridge: bool
    """Bridged by the PBX itself on answer (extension calls, transfers), not by the app."""
    state: LegState = LegState.RINGING
    forks: list[Any] = field(default_factory=list)
    """The user's other devices' dialogs while the leg rings (sip/calls/shared_appearance.py)."""
    device_refusal: tuple[int, str] | None = None
    """What a device that dropped out answered (busy wins): the leg's outcome if the rest are
    silent."""
    silent: list[Any] = field(default_factory=list)
    """Of a leg with several devices: those that have not answered anything yet."""
    silence_over: bool = False
    """`SILENT_DEVICE_SECONDS` passed: a device still in `silent` counts as gone."""
    devices_timer: Any = None
    timer: Any = None
    silence_timer: Any = None
    """A carrier leg's wait for any answer from its trunk (`carrier.SILENT_CARRIER_SECONDS`)."""
    remote_sdp: str = ""
    ringing_reported: bool = False
    held: bool = False
    digits: str = ""
    whisper: str | None = None
    """Prompt for the extension alone when bridged (`OfferCall.whisper`); None once played."""
    reoffers: int = 0
    """re-INVITEs the PBX sent this phone (each needs a higher SDP origin version)."""
    reinviting: bool = False
    queued_offer: str = ""
    """The next re-INVITE's SDP, waiting for the open one to end (sippy drops an update
    while a re-INVITE transaction is open)."""


@dataclass(eq=False)
class Call(_Timed):
    call_id: str
    ua: Any
    caller: str
    called: str
    caller_name: str
    source: cc.CallSource
    route: str | None
    """The number whose handler drives this call; None: the PBX bridges it itself."""
    caller_tag: str
    tenant: str
    """Whose call: its extensions, call centers and bindings are looked up in this tenant only."""
    offer_sdp: str = ""
    """What a leg to an extension is offered: rtpengine's far side, or the caller's own SDP."""
    answered: bool = False
    bridged: Leg | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    timer: Any = None
    """The end of the prompt playing to the caller."""
    playing: bool = False
    """A prompt or music plays to the caller (so `stop media` is only sent when needed)."""
    looping: str = ""
    """While `playing`: the file rtpengine loops to the caller (music, a looped prompt, a
    ringback), which a restarted rtpengine must be told again; "" for a prompt that ends."""
    held: bool = False
    """The caller's own phone holds the call (its re-INVITE)."""
    cti_hold: bool = False
    """`HoldCall`: music to the caller, the caller's audio blocked toward the bridged leg."""
    digits: str = ""
    recording: bool = False
    keep_recording: bool = False
    recorded_extension: str = ""
    """The extension whose setting or *44 made this call recorded (for the recording's owner)."""
    announce_recording: bool = False
    """Dialled as `*44<number>`: the caller hears the confirmation once the call is bridged."""
    ended: bool = False
    leg_counter: int = 0
    monitor: Monitor | None = None
    pin_granted: bool = False
    """The caller keyed its PIN for a number its plan lets out only so (`call_pin.py`)."""
    alternate: Alternate | None = None
    """Called at a user's alternate number: the leg to that user rings distinctively."""

    def next_leg_id(self) -> str:
        """A leg id for a leg the PBX places itself (extension calls, transfers)."""
        self.leg_counter += 1
        return f"{self.call_id}~{self.leg_counter}"


class MonitorState(StrEnum):
    RINGING = "ringing"
    JOINED = "joined"


@dataclass(eq=False)
class Monitor(_Timed):
    """A supervisor's phone on a call (`MonitorCall`)."""

    monitor_id: str
    extension: str
    mode: cc.MonitorMode
    ua: Any
    media: MonitorMedia
    agent: Leg
    """The bridged leg at the time of `MonitorCall`; the monitor ends when it leaves."""
    state: MonitorState = MonitorState.RINGING
    timer: Any = None
    sdp: str = ""
    """The supervisor's phone's answer (where it sends and receives)."""
