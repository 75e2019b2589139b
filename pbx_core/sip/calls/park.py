"""Call park (`*68` keyed during a call, or a phone's transfer to `*68`) and its retrieve (`*88`,
`*88<slot>`), with a recall: a call parked longer than the park timeout rings the user who parked it
again.

A slot is a user's extension (BroadWorks parks on a user too): a user parks in their own slot, one
call at a time, and a colleague retrieves it with `*88<extension>`; the receptionist console
(`ParkCall`) parks a call in the slot of the colleague it is for, who takes it with `*88`. Slots are
per tenant, so a retrieve never reaches another tenant's call. Only calls the PBX connects itself
are parked; a call center's call stays with its agent (the queue engine owns it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg
from pbx_core.sip.calls.takeover import take_over

DEFAULT_PARK_TIMEOUT = 60.0
"""Seconds before a parked call rings its parker again (BroadWorks' recall timer is 45-120)."""


class Refusal(StrEnum):
    SLOT_TAKEN = "slot_taken"
    NOT_HERE = "not_here"


@dataclass(eq=False)
class _Parked:
    call: Call
    parker: str
    slot: str
    timer: Any = None


class CallPark:
    def __init__(self, ctx: CallContext, timeout: float = DEFAULT_PARK_TIMEOUT) -> None:
        self._ctx = ctx
        self._timeout = timeout
        self._slots: dict[tuple[str, str], _Parked] = {}

    def _parked(self, tenant: str, slot: str) -> _Parked | None:
        parked = self._slots.get((tenant, slot))
        if parked is not None and parked.call.ended:  # the caller hung up while parked
            self._free(tenant, slot)
            return None
        return parked

    def _free(self, tenant: str, slot: str) -> None:
        parked = self._slots.pop((tenant, slot), None)
        if parked is not None and parked.timer is not None:
            parked.timer.cancel()

    def refusal(self, call: Call, slot: str) -> Refusal | None:
        """Why `call` cannot be parked in `slot` now, if it cannot."""
        if call.route is not None:
            return Refusal.NOT_HERE
        if self._parked(call.tenant, slot) is not None:
            return Refusal.SLOT_TAKEN
        return None

    def park(self, call: Call, leg: Leg, slot: str = "") -> None:
        """The user of `leg` (bridged, `refusal` None) parks the caller in `slot` (their own
        by default): the leg goes, the caller hears music."""
        self._ctx.bridging.drop_leg(call, leg)  # BYE to the parking phone
        # Its dialog ends (presence: the parker's lamp and console tile go back to idle).
        self._ctx.emit(cc.LegHungUp(call.call_id, leg.leg_id, leg.extension, cc.HangupSide.PBX),
                       call.route)  # fmt: skip
        self.hold_in_slot(call, leg.extension, slot)

    def hold_in_slot(self, call: Call, parker: str, slot: str = "") -> None:
        """The caller (no leg bridged any more) waits in `slot` (`parker`'s own by default)."""
        ctx = self._ctx
        parked = _Parked(call, parker, slot or parker)
        parked.timer = Timeout(partial(ctx.guard, self._recall, call, parked), self._timeout)
        self._slots[(call.tenant, parked.slot)] = parked
        if ctx.media is not None:
            ctx.caller_media.start_music(call)
        ctx.emit(cc.CallParked(call.call_id, parker, parked.slot), call.route)

    def ring_back(self, call: Call, parker: str) -> None:
        """The parked caller goes back to `parker` (the recall, or a park refused after a
        transfer the phone already made)."""
        ctx = self._ctx
        ctx.offers.offer(call, call.next_leg_id(), parker, ctx.extension_ring_timeout, True)

    def _recall(self, call: Call, parked: _Parked) -> None:
        parked.timer = None
        if self._slots.get((call.tenant, parked.slot)) is not parked:
            return  # retrieved meanwhile
        del self._slots[(call.tenant, parked.slot)]
        if call.ended:
            return
        recall = cc.CallParked(call.call_id, parked.parker, parked.slot, parked.parker, True)
        self._ctx.emit(recall, call.route)
        self.ring_back(call, parked.parker)

    def retrieve(self, phone: Call, slot: str) -> bool:
        """`phone` (a call to `*88<slot>`) takes the call parked in `slot`; False: none is."""
        parked = self._parked(phone.tenant, slot)
        if parked is None:
            return False
        self._free(phone.tenant, slot)
        call = parked.call
        self._ctx.emit(cc.CallParked(call.call_id, parked.parker, slot, phone.caller), call.route)
        take_over(self._ctx, call, phone)
        return True
