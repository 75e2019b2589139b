"""A stand-in application for running the PBX alone (`python -m pbx_core`, a quick check with
real phones): each call-center number rings its members one after the other.

Not the product's logic: the product's call centers are the queue engine (`queueing`), its hunt
groups and auto attendants the group services (`group_services`, cti/group_calls.py,
docs/group-services.md). This only shows the call-control interface in use; the PBX may not
import those packages, so `python -m pbx_core` keeps this small ringer of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import assert_never

from pbx_core import call_control as cc

DEMO_MEMBERS: Mapping[str, Sequence[str]] = {
    "7001": ("1001", "1002", "1003"),
    "7002": ("1004", "1005", "1006"),
    "7003": ("1001", "1007", "1008", "1009", "1010"),
}


@dataclass
class _Waiting:
    members: list[str]
    attempt: int = 0
    leg_id: str = ""


@dataclass
class StandaloneRinger:
    send: Callable[[cc.CallCommand], None]
    members: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(DEMO_MEMBERS))
    ring_timeout: float = 15.0
    welcome: str = "welcome_nl"
    _calls: dict[str, _Waiting] = field(default_factory=dict)

    def __call__(self, event: cc.CallEvent) -> None:
        match event:
            case cc.CallOffered(call_id=call_id, called=called):
                members = list(self.members.get(called, ()))
                if not members:
                    self.send(cc.Reject(call_id, 480, "Temporarily Unavailable"))
                    return
                self._calls[call_id] = _Waiting(members)
                self.send(cc.Answer(call_id))
                self.send(cc.PlayPrompt(call_id, self.welcome, then_music=True))
                self._ring_next(call_id)
            case cc.CallAnswered(call_id=call_id, leg_id=leg_id) if leg_id:
                self.send(cc.Bridge(call_id, leg_id))
            case cc.OfferFailed(call_id=call_id, failure=failure):
                if failure is not cc.OfferFailure.CANCELLED:
                    self._ring_next(call_id)
            case cc.CallHungUp(call_id=call_id):
                self._calls.pop(call_id, None)
            case (
                cc.CallAnswered()  # the caller answered by the PBX: the welcome prompt plays
                | cc.CallRinging()
                | cc.LegHungUp()
                | cc.DtmfReceived()
                | cc.CallHeld()
                | cc.CallResumed()
                | cc.MediaFinished()
                | cc.CallTransferred()
                | cc.RecordingRequested()
                | cc.MonitorStarted()
                | cc.MonitorEnded()
                | cc.CallPickedUp()
                | cc.CallParked()
                | cc.CommandFailed()
            ):
                pass  # the ringer only rings the members one after the other
            case _:
                assert_never(event)

    def _ring_next(self, call_id: str) -> None:
        waiting = self._calls.get(call_id)
        if waiting is None:
            return
        extension = waiting.members[waiting.attempt % len(waiting.members)]
        waiting.attempt += 1
        waiting.leg_id = f"{call_id}~hunt{waiting.attempt}"
        self.send(cc.OfferCall(call_id, waiting.leg_id, extension, self.ring_timeout))
