"""Hold and resume: a phone's re-INVITE, or the application's `HoldCall`/`ResumeCall` (CTI);
and DTMF from SIP INFO or rtpengine, with *44 for on-demand recording."""

from __future__ import annotations

import contextlib
from typing import Any

from sippy.CCEvents import CCEventConnect

from pbx_core import call_control as cc
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg
from pbx_core.sip.sdp import dtmf_from_info, is_hold

RECORD_ON_DEMAND_CODE = "*44"
"""In a call; also a prefix before a number (`RECORD_PREFIX` in inbound.py)."""


class HoldAndDtmf:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def on_reinvite(self, call: Call, leg: Leg | None, ua: Any, event: Any) -> None:
        body = event.getData()
        sdp = str(body) if body is not None else ""
        held = is_hold(sdp)
        # Media stays anchored where it is: answer with what this side already has. See
        # docs/pbx.md (hold) for the limits of this.
        ua.recvEvent(CCEventConnect((200, "OK", ua.lSDP)))
        holder: Leg | Call = leg if leg is not None else call
        if held == holder.held:
            return
        holder.held = held
        leg_id = leg.leg_id if leg is not None else ""
        hold_event = (
            cc.CallHeld(call.call_id, leg_id) if held else cc.CallResumed(call.call_id, leg_id)
        )
        self._ctx.emit(hold_event, call.route)
        if (
            leg is not None
            and leg is call.bridged
            and self._ctx.media is not None
            and not call.cti_hold
        ):
            # The agent put the caller on hold: the caller hears music until the agent is back
            # (rtpengine forwards the agent's audio again once the player stops).
            if held:
                self._ctx.caller_media.start_music(call)
            else:
                self._ctx.caller_media.stop_media(call)

    def hold(self, call: Call) -> None:
        caller_media = self._ctx.caller_media
        leg = call.bridged
        reason = ""
        if self._ctx.media is None:
            reason = "no media server configured"
        elif leg is None:
            reason = "no extension is bridged to the caller"
        elif call.cti_hold:
            reason = "the call is on hold already"
        elif leg.held:
            reason = f"the phone of {leg.extension} holds the call already"
        if reason or self._ctx.media is None or leg is None:
            self._ctx.fail(call, "HoldCall", reason)
            return
        try:
            caller_media.set_held_media(call, True)
            caller_media.start_music(call)
        except NgError:
            with contextlib.suppress(NgError):
                caller_media.set_held_media(call, False)  # nothing changes
            raise
        call.cti_hold = True
        self._ctx.dialogs.save(call)  # a restarted PBX rebuilds it held (dialog_takeover.py)
        self._ctx.emit(cc.CallHeld(call.call_id, leg.leg_id), call.route)

    def resume(self, call: Call) -> None:
        leg = call.bridged
        if self._ctx.media is None or leg is None or not call.cti_hold:
            self._ctx.fail(call, "ResumeCall", "the call is not on hold (HoldCall)")
            return
        self._ctx.caller_media.stop_media(call)
        self._ctx.caller_media.set_held_media(call, False)
        call.cti_hold = False
        self._ctx.dialogs.save(call)
        self._ctx.emit(cc.CallResumed(call.call_id, leg.leg_id), call.route)

    def on_info(self, call: Call, leg: Leg | None, event: Any) -> None:
        body = event.getData()
        if body is None:
            return
        digit = dtmf_from_info(body.getType(), str(body))
        if digit is not None:
            self._digit(call, leg, digit)

    def on_rtp_dtmf(self, call_id: str, source_tag: str, digit: str) -> None:
        """A digit rtpengine decoded from RFC 4733 events (its `--dtmf-log-dest` feed)."""
        call = self._ctx.calls.get(call_id)
        if call is None:
            return
        leg = None if source_tag == call.caller_tag else call.bridged
        self._ctx.guard(self._digit, call, leg, digit)

    def _digit(self, call: Call, leg: Leg | None, digit: str) -> None:
        if leg is None and self._ctx.call_pin.on_digit(call, digit):
            return  # a PIN's digit: not reported to anyone
        if leg is None and self._ctx.callback.on_digit(call, digit):
            return  # the answer to the automatic callback's offer
        leg_id = leg.leg_id if leg is not None else ""
        self._ctx.emit(cc.DtmfReceived(call.call_id, digit, leg_id), call.route)
        if leg is None and self._ctx.voicemail.on_digit(call, digit):
            return
        if leg is None and self._ctx.bridge_rooms.on_digit(call, digit):
            return
        self._ctx.conference_calls.on_digit(call, leg, digit)
        holder: Leg | Call = leg if leg is not None else call
        holder.digits = (holder.digits + digit)[-len(RECORD_ON_DEMAND_CODE) :]
        if self._ctx.call_handling.on_digits(call, leg, holder.digits):  # *68: park
            holder.digits = ""
            return
        # The bridged extension, or the calling one on an internal call (never a trunk caller).
        requester = leg.extension if leg is not None else call.caller
        by_extension = leg is not None or call.source is cc.CallSource.EXTENSION
        caller_media = self._ctx.caller_media
        if holder.digits == RECORD_ON_DEMAND_CODE and by_extension:
            holder.digits = ""
            if caller_media.licensed(call.tenant, requester):
                caller_media.request_recording(call, requester)
                caller_media.confirm_recording(call, to_caller=leg is None)
