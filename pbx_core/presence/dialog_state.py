"""The one source of truth for presence: PBX call events in, each extension's dialogs out.

Pure (no SIP, no I/O, no clock): `DialogStates.apply(event)` takes one `CallEvent` in the order
the PBX emits them and answers the dialogs it changed. The SIP thread feeds one instance for the
busy lamp field's NOTIFYs (`pbx_core.presence.blf`); the application feeds another from
`PbxService.events()` for the receptionist console. Dialog states are RFC 4235's: `early`
(ringing, or the caller waiting for an answer), `confirmed`, `terminated`; a terminated dialog is
reported once and forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import assert_never

from pbx_core import call_control as cc

Line = tuple[str, str]
"""(tenant, extension)."""


class DialogPhase(StrEnum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class Direction(StrEnum):
    """RFC 4235 `direction`, from the monitored extension's side."""

    INITIATOR = "initiator"
    """The extension placed the call."""
    RECIPIENT = "recipient"
    """The extension is being called (or answered)."""


class LineState(StrEnum):
    """One extension's state from its calls alone (DND, forwarding and sign-in are not calls)."""

    IDLE = "idle"
    RINGING = "ringing"
    BUSY = "busy"
    """On a call, or placing one."""
    HELD = "held"
    """Every call of the extension is on hold."""


@dataclass(frozen=True, slots=True)
class Dialog:
    dialog_id: str
    """Unique per extension and call: the leg id for a called extension, the call id for the
    caller, the monitor id for a supervisor listening in."""
    call_id: str
    """The PBX call (the caller's SIP Call-ID)."""
    leg_id: str
    """The PBX's leg to this extension; "" on the caller's side."""
    direction: Direction
    phase: DialogPhase
    remote: str
    """The other party's number (the caller for a called extension, the called number for the
    caller)."""
    remote_name: str = ""
    held: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    tenant: str
    extension: str
    dialog: Dialog


@dataclass(slots=True)
class _Call:
    tenant: str
    caller: str
    caller_name: str
    called: str
    lines: dict[str, str] = field(default_factory=dict)
    """dialog id -> the extension it belongs to, for every dialog of this call still open."""


class DialogStates:
    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}
        self._lines: dict[Line, dict[str, Dialog]] = {}

    def dialogs(self, tenant: str, extension: str) -> tuple[Dialog, ...]:
        """The extension's open dialogs now (empty: idle)."""
        return tuple(self._lines.get((tenant, extension), {}).values())

    def called(self, call_id: str) -> str | None:
        """The number the call was made to (a call center's, for its agents' offers); None for
        a call not (or no longer) known."""
        call = self._calls.get(call_id)
        return call.called if call is not None else None

    def busy_lines(self) -> list[Line]:
        """Every extension with an open dialog (a console's first full picture)."""
        return list(self._lines)

    def apply(self, event: cc.CallEvent) -> list[Change]:
        match event:
            case cc.CallOffered():
                return self._offered(event)
            case cc.CallRinging(call_id=call_id, leg_id=leg_id, extension=extension):
                return self._leg(call_id, leg_id, extension, DialogPhase.EARLY)
            case cc.CallAnswered(call_id=call_id, leg_id=leg_id, extension=extension):
                changes = self._answered_caller(call_id)
                if leg_id:
                    changes += self._leg(call_id, leg_id, extension, DialogPhase.CONFIRMED)
                return changes
            case (
                cc.OfferFailed(call_id=call_id, leg_id=leg_id)
                | cc.LegHungUp(call_id=call_id, leg_id=leg_id)
            ):
                return self._terminate(call_id, [leg_id])
            case cc.MonitorStarted(call_id=call_id, monitor_id=monitor_id, extension=extension):
                return self._monitor(call_id, monitor_id, extension)
            case cc.MonitorEnded(call_id=call_id, monitor_id=monitor_id):
                return self._terminate(call_id, [monitor_id])
            case cc.CallHungUp(call_id=call_id):
                call = self._calls.get(call_id)
                changes = [] if call is None else self._terminate(call_id, list(call.lines))
                self._calls.pop(call_id, None)
                return changes
            case cc.CallTransferred(call_id=call_id):
                # The PBX dropped every leg (ringing or answered) without a leg event.
                call = self._calls.get(call_id)
                legs = [] if call is None else [d for d in call.lines if d != call_id]
                return self._terminate(call_id, [d for d in legs if self._is_leg(call_id, d)])
            case cc.CallPickedUp(call_id=call_id, leg_id=leg_id, ringing_extension=ringing):
                # The colleague's ringing leg was cancelled without a leg event of its own; the
                # picker's leg comes with its `CallAnswered`.
                call = self._calls.get(call_id)
                legs = [] if call is None else [
                    d for d, ext in call.lines.items()
                    if ext == ringing and d != leg_id and self._is_leg(call_id, d)
                ]  # fmt: skip
                return self._terminate(call_id, legs)
            case cc.CallHeld(call_id=call_id):
                return self._hold(call_id, held=True)
            case cc.CallResumed(call_id=call_id):
                return self._hold(call_id, held=False)
            case (
                cc.DtmfReceived()
                | cc.MediaFinished()
                | cc.RecordingRequested()
                | cc.CommandFailed()
                | cc.CallParked()
            ):
                return []  # a parked call's legs end with their own events
            case _:
                assert_never(event)

    # -----------------------------------------------------------------------------------------

    def _offered(self, event: cc.CallOffered) -> list[Change]:
        call = self._calls.get(event.call_id)
        if call is None:
            call = self._calls[event.call_id] = _Call(
                event.tenant, event.caller, event.caller_name, event.called
            )
        else:  # transferred or forwarded: the same caller, another destination
            call.called = event.called
        if event.source is not cc.CallSource.EXTENSION:
            return []
        caller = call.lines.get(event.call_id)
        if caller is None:
            dialog = Dialog(
                event.call_id,
                event.call_id,
                "",
                Direction.INITIATOR,
                DialogPhase.EARLY,
                event.called,
            )
            return [self._put(call, event.caller, dialog)]
        old = self._lines.get((call.tenant, caller), {}).get(event.call_id)
        if old is None or old.remote == event.called:
            return []
        return [self._put(call, caller, replace(old, remote=event.called))]

    def _answered_caller(self, call_id: str) -> list[Change]:
        call = self._calls.get(call_id)
        if call is None or call_id not in call.lines:
            return []
        extension = call.lines[call_id]
        old = self._lines.get((call.tenant, extension), {}).get(call_id)
        if old is None or old.phase is DialogPhase.CONFIRMED:
            return []
        return [self._put(call, extension, replace(old, phase=DialogPhase.CONFIRMED))]

    def _leg(self, call_id: str, leg_id: str, extension: str, phase: DialogPhase) -> list[Change]:
        call = self._calls.get(call_id)
        if call is None:
            return []  # a call the PBX never announced (click-to-dial): no presence
        old = self._lines.get((call.tenant, extension), {}).get(leg_id)
        if old is not None and old.phase is phase:
            return []
        dialog = Dialog(
            leg_id, call_id, leg_id, Direction.RECIPIENT, phase, call.caller, call.caller_name
        )
        return [self._put(call, extension, dialog)]

    def _monitor(self, call_id: str, monitor_id: str, extension: str) -> list[Change]:
        call = self._calls.get(call_id)
        if call is None or monitor_id in call.lines:
            return []  # a mode switch announces the monitor again
        dialog = Dialog(
            monitor_id,
            call_id,
            "",
            Direction.INITIATOR,
            DialogPhase.CONFIRMED,
            call.caller,
            call.caller_name,
        )
        return [self._put(call, extension, dialog)]

    def _is_leg(self, call_id: str, dialog_id: str) -> bool:
        call = self._calls[call_id]
        dialog = self._lines[(call.tenant, call.lines[dialog_id])][dialog_id]
        return bool(dialog.leg_id)

    def _hold(self, call_id: str, *, held: bool) -> list[Change]:
        call = self._calls.get(call_id)
        if call is None:
            return []
        changes = []
        for dialog_id, extension in list(call.lines.items()):
            old = self._lines[(call.tenant, extension)][dialog_id]
            if old.phase is DialogPhase.CONFIRMED and old.held != held:
                changes.append(self._put(call, extension, replace(old, held=held)))
        return changes

    def _terminate(self, call_id: str, dialog_ids: list[str]) -> list[Change]:
        call = self._calls.get(call_id)
        if call is None:
            return []
        changes = []
        for dialog_id in dialog_ids:
            extension = call.lines.pop(dialog_id, None)
            if extension is None:
                continue
            line = (call.tenant, extension)
            dialogs = self._lines[line]
            old = dialogs.pop(dialog_id)
            if not dialogs:
                del self._lines[line]
            ended = replace(old, phase=DialogPhase.TERMINATED)
            changes.append(Change(call.tenant, extension, ended))
        return changes

    def _put(self, call: _Call, extension: str, dialog: Dialog) -> Change:
        call.lines[dialog.dialog_id] = extension
        self._lines.setdefault((call.tenant, extension), {})[dialog.dialog_id] = dialog
        return Change(call.tenant, extension, dialog)


def line_state(dialogs: tuple[Dialog, ...]) -> LineState:
    """What a lamp or a console tile shows: on a call beats ringing (call waiting), and a line
    is held only when every call it is on is held."""
    confirmed = [d for d in dialogs if d.phase is DialogPhase.CONFIRMED]
    if confirmed:
        return LineState.HELD if all(d.held for d in confirmed) else LineState.BUSY
    if any(d.direction is Direction.RECIPIENT for d in dialogs):
        return LineState.RINGING
    return LineState.BUSY if dialogs else LineState.IDLE
