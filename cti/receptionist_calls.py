"""The receptionist console's call actions beyond answer and blind transfer (docs/receptionist.md):
attended transfer (consult, complete, back to the caller), conference, camp-on, park for a
colleague, and pickup of a colleague's ringing call.

Each drives the PBX's own machinery with a typed command (`pbx_core/call_control.py`):
- consult: `MonitorCall(mode=CONSULT)` rings the colleague and joins them to the receptionist on
  the conference mixer while the caller hears music; complete: `HandOver` gives the colleague the
  call; back to the caller: `StopMonitor`; conference: the same monitor switched to `BARGE`
  (everybody hears everybody), or one started in that mode.
- camp-on: the receptionist's leg leaves (`DisconnectLeg`: the caller hears music) and the call
  waits here for the busy colleague's line to be free, then `Transfer` rings them; after
  `camp_on_seconds` it rings the receptionist again (the recall).
- park: `ParkCall` into the colleague's own slot, so `*88` on their phone takes it; the console
  shows the slot until it is retrieved or recalled (the PBX's park timeout). Announce: `Dial`
  from the receptionist's phone (answering by itself) to the colleague, to tell them.
- pickup: the colleague's ringing call (one the PBX rings itself, not a call center's) is
  transferred to the receptionist's phone with the auto-answer hint.

What is waiting (consult, camp-ons, parked calls) lives in this process's memory: a restart
forgets it (the calls themselves go on in the PBX: music, park recall).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from cti.receptionist import Actions, ConsoleError, ReceptionistConsole, TileState
from pbx_core import call_control as cc
from pbx_core.presence.dialog_state import Change, Dialog, DialogPhase, Direction, Line

CAMP_ON_SECONDS = 120.0
"""How long a call camps on a busy colleague before it rings the receptionist again."""
CONSULT_RING_SECONDS = 30.0


@dataclass(slots=True)
class _Consult:
    call_id: str
    monitor_id: str
    target: str
    mode: cc.MonitorMode
    joined: bool = False


@dataclass(slots=True)
class _Waiting:
    """A call camping on `target`, or parked in `target`'s slot."""

    call_id: str
    target: str
    caller: str
    caller_name: str
    recall: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class _Desk:
    """One receptionist's calls in progress."""

    consult: _Consult | None = None
    camp_ons: dict[str, _Waiting] = field(default_factory=dict)
    parked: dict[str, _Waiting] = field(default_factory=dict)
    parking: dict[str, _Waiting] = field(default_factory=dict)
    """`ParkCall` sent, `CallParked` not seen yet."""
    notice: str = ""
    """The last outcome to tell (a consult not answered, a park refused); sent once."""

    def busy_with(self, call_id: str) -> bool:
        return (
            (self.consult is not None and self.consult.call_id == call_id)
            or call_id in self.camp_ons
            or call_id in self.parked
            or call_id in self.parking
        )


class ReceptionistCalls:
    def __init__(
        self, console: ReceptionistConsole, camp_on_seconds: float = CAMP_ON_SECONDS
    ) -> None:
        self._console = console
        self.camp_on_seconds = camp_on_seconds
        self._desks: dict[Line, _Desk] = {}

    # -----------------------------------------------------------------------------------------
    # Attended transfer and conference

    def consult(self, tenant: str, extension: str, target: str) -> str:
        """The caller waits with music while the receptionist talks to `target`."""
        target = self._console.colleague(tenant, extension, target)
        dialog = self._answered(tenant, extension)
        desk = self._desk(tenant, extension)
        if desk.consult is not None:
            raise ConsoleError(409, "consulting", "finish the consultation first")
        consult = _Consult(dialog.call_id, f"consult-{uuid.uuid4().hex}", target,
                           cc.MonitorMode.CONSULT)  # fmt: skip
        desk.consult = consult
        self._monitor(tenant, extension, consult)
        return dialog.call_id

    def conference(self, tenant: str, extension: str, target: str) -> str:
        """The caller, the receptionist and `target` talk together: the consulted colleague
        joins the caller, or `target` is rung and joins at once."""
        desk = self._desk(tenant, extension)
        consult = desk.consult
        if consult is None:
            target = self._console.colleague(tenant, extension, target)
            dialog = self._answered(tenant, extension)
            consult = _Consult(dialog.call_id, f"conference-{uuid.uuid4().hex}", target,
                               cc.MonitorMode.BARGE)  # fmt: skip
            desk.consult = consult
        consult.mode = cc.MonitorMode.BARGE
        self._monitor(tenant, extension, consult)
        return consult.call_id

    def complete(self, tenant: str, extension: str) -> str:
        """The consulted (or conferenced) colleague keeps the caller; the receptionist leaves."""
        consult = self._consulting(tenant, extension)
        if not consult.joined:
            raise ConsoleError(409, "not_joined", f"{consult.target} has not answered yet")
        self._console.send(cc.HandOver(consult.call_id, consult.monitor_id))
        return consult.call_id

    def back_to_caller(self, tenant: str, extension: str) -> str:
        """The colleague leaves (or stops ringing); the receptionist talks to the caller again."""
        consult = self._consulting(tenant, extension)
        self._console.send(cc.StopMonitor(consult.call_id, consult.monitor_id))
        return consult.call_id

    def _answered(self, tenant: str, extension: str) -> Dialog:
        """The receptionist's answered call, one the PBX connects itself."""
        dialog = self._console.answered_call(tenant, extension)
        self._not_a_queue_call(tenant, dialog.call_id)
        return dialog

    def _not_a_queue_call(self, tenant: str, call_id: str) -> None:
        """A call center's call stays with its queue engine, which decides where it goes (as
        the PBX's own pickup and park refuse it)."""
        called = self._console.states.called(call_id) or ""
        if self._console.is_call_center(tenant, called):
            raise ConsoleError(409, "queue_call", "a call center's call stays with its queue")

    def _consulting(self, tenant: str, extension: str) -> _Consult:
        consult = self._desk(tenant, extension).consult
        if consult is None:
            raise ConsoleError(409, "no_consult", "you are not consulting a colleague")
        return consult

    def _monitor(self, tenant: str, extension: str, consult: _Consult) -> None:
        command = cc.MonitorCall(consult.call_id, consult.monitor_id, consult.target,
                                 consult.mode, CONSULT_RING_SECONDS)  # fmt: skip
        try:
            self._console.send(command)
        except ConsoleError:
            self._desk(tenant, extension).consult = None
            raise
        self._changed(tenant, extension)

    # -----------------------------------------------------------------------------------------
    # Camp-on and park

    def _hand_off(self, tenant: str, extension: str, target: str) -> tuple[Dialog, _Waiting]:
        """The answered call that is to wait for colleague `target` (camp-on, park)."""
        target = self._console.colleague(tenant, extension, target)
        dialog = self._answered(tenant, extension)
        if self._desk(tenant, extension).busy_with(dialog.call_id):
            raise ConsoleError(409, "busy_with_call", "this call is being handled already")
        return dialog, _Waiting(dialog.call_id, target, dialog.remote, dialog.remote_name)

    def camp_on(self, tenant: str, extension: str, target: str) -> str:
        """The answered call waits for busy `target` (music), and rings them once free."""
        dialog, waiting = self._hand_off(tenant, extension, target)
        self._console.send(cc.DisconnectLeg(dialog.call_id, dialog.leg_id))
        self._desk(tenant, extension).camp_ons[dialog.call_id] = waiting
        waiting.recall = asyncio.get_running_loop().call_later(
            self.camp_on_seconds, self._recall, tenant, extension, dialog.call_id
        )
        self._changed(tenant, extension)
        return dialog.call_id

    def _recall(self, tenant: str, extension: str, call_id: str) -> None:
        waiting = self._desk(tenant, extension).camp_ons.pop(call_id, None)
        if waiting is None:
            return
        self._notify(tenant, extension, f"recall:{waiting.target}")
        self._console.send(cc.Transfer(call_id, extension))

    def _ring_free_colleagues(self) -> None:
        for (tenant, extension), desk in list(self._desks.items()):
            for call_id, waiting in list(desk.camp_ons.items()):
                if self._console.tile(tenant, waiting.target).state is TileState.IDLE:
                    del desk.camp_ons[call_id]
                    if waiting.recall is not None:
                        waiting.recall.cancel()
                    self._console.send(cc.Transfer(call_id, waiting.target))
                    self._changed(tenant, extension)

    def park(self, tenant: str, extension: str, target: str) -> str:
        """The answered call parked in `target`'s slot: `*88` on their phone takes it."""
        dialog, waiting = self._hand_off(tenant, extension, target)
        self._console.send(cc.ParkCall(dialog.call_id, waiting.target))
        self._desk(tenant, extension).parking[dialog.call_id] = waiting
        return dialog.call_id

    def announce(self, tenant: str, extension: str, target: str) -> str:
        """The receptionist's phone calls colleague `target` (it answers by itself, the
        receptionist is at the console) to say which call waits for them and where."""
        target = self._console.colleague(tenant, extension, target)
        call_id = f"announce-{uuid.uuid4().hex}"
        self._console.send(cc.Dial(call_id, extension, target, tenant=tenant, auto_answer=True))
        return call_id

    # -----------------------------------------------------------------------------------------
    # Pickup

    def pick_up(self, tenant: str, extension: str, target: str) -> str:
        """The call ringing at colleague `target` rings (and answers) the receptionist's phone."""
        target = self._console.colleague(tenant, extension, target)
        ringing = [d for d in self._console.states.dialogs(tenant, target) if _rings(d)]
        if not ringing:
            raise ConsoleError(409, "not_ringing", f"{target} has no ringing call")
        call_id = ringing[0].call_id
        if any(d.call_id == call_id for d in self._console.states.dialogs(tenant, extension)):
            raise ConsoleError(409, "own_call", "that call is yours already")
        self._not_a_queue_call(tenant, call_id)
        self._console.send(cc.Transfer(call_id, extension, auto_answer=True))
        return call_id

    # -----------------------------------------------------------------------------------------
    # Following the PBX

    def on_event(self, event: cc.CallEvent, _changes: list[Change]) -> None:
        """Every call event (after the presence): what the waiting calls become."""
        match event:
            case cc.MonitorStarted(call_id=call_id, monitor_id=monitor_id):
                for line, desk in self._with_consult(monitor_id):
                    assert desk.consult is not None
                    desk.consult.joined = True
                    self._changed(*line)
            case cc.MonitorEnded(monitor_id=monitor_id, reason=reason):
                for line, desk in self._with_consult(monitor_id):
                    assert desk.consult is not None
                    target, desk.consult = desk.consult.target, None
                    self._notify(*line, f"consult_{reason}:{target}")
            case cc.CallParked(call_id=call_id, retrieved_by=retrieved_by):
                for line, desk in list(self._desks.items()):
                    parking = desk.parking.pop(call_id, None)
                    if parking is not None and not retrieved_by:
                        desk.parked[call_id] = parking
                        self._changed(*line)
                    elif retrieved_by and desk.parked.pop(call_id, None) is not None:
                        self._changed(*line)
            case cc.CommandFailed(call_id=call_id, command="ParkCall", reason=reason):
                for line, desk in list(self._desks.items()):
                    if desk.parking.pop(call_id, None) is not None:
                        self._notify(*line, f"park_refused:{reason}")
            case cc.CallHungUp(call_id=call_id):
                for line, desk in list(self._desks.items()):
                    if desk.busy_with(call_id):
                        waiting = desk.camp_ons.pop(call_id, None)
                        if waiting is not None and waiting.recall is not None:
                            waiting.recall.cancel()
                        desk.parked.pop(call_id, None)
                        desk.parking.pop(call_id, None)
                        self._changed(*line)
            case _:
                pass
        self._ring_free_colleagues()

    def _with_consult(self, monitor_id: str) -> list[tuple[Line, _Desk]]:
        return [
            (line, desk)
            for line, desk in self._desks.items()
            if desk.consult is not None and desk.consult.monitor_id == monitor_id
        ]

    # -----------------------------------------------------------------------------------------
    # What the console shows

    def actions(self, tenant: str, extension: str) -> dict[str, Any]:
        desk = self._desks.get((tenant, extension)) or _Desk()
        consult = desk.consult
        return {
            "consult": None
            if consult is None
            else {
                "target": consult.target,
                "mode": consult.mode,
                "joined": consult.joined,
            },
            "campOns": [_waiting_json(w) for w in desk.camp_ons.values()],
            "parked": [_waiting_json(w) for w in desk.parked.values()],
            "notice": desk.notice,
        }

    def _desk(self, tenant: str, extension: str) -> _Desk:
        return self._desks.setdefault((tenant, extension), _Desk())

    def _notify(self, tenant: str, extension: str, notice: str) -> None:
        desk = self._desk(tenant, extension)
        desk.notice = notice
        self._changed(tenant, extension)
        desk.notice = ""

    def _changed(self, tenant: str, extension: str) -> None:
        self._console.push(tenant, Actions(extension, self.actions(tenant, extension)))


def _rings(dialog: Dialog) -> bool:
    return (
        dialog.direction is Direction.RECIPIENT
        and dialog.phase is DialogPhase.EARLY
        and bool(dialog.leg_id)
    )


def _waiting_json(waiting: _Waiting) -> dict[str, str]:
    return {
        "callId": waiting.call_id,
        "target": waiting.target,
        "caller": waiting.caller,
        "callerName": waiting.caller_name,
    }
