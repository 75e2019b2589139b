"""Answer the caller, bridge it to an answered leg (with a whisper first, if asked), blind
transfer, drop a leg, and end the call."""

from __future__ import annotations

from functools import partial

from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventUpdate
from sippy.MsgBody import MsgBody
from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import MONITOR_CALL_ENDED, Call, Leg, LegState
from pbx_core.sip.sdp import PLACEHOLDER_SDP
from pbx_core.trunks.incoming_plan import INTERCEPT_USER_ROUTE


class Bridging:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def answer(self, call: Call, far_sdp: str = PLACEHOLDER_SDP) -> None:
        if call.answered:
            return
        media = self._ctx.media
        if media is not None:
            sdp = media.answer(
                call.call_id, call.caller_tag, str(call.ua.lTag), far_sdp, latching=True
            )
        else:
            sdp = far_sdp
        call.ua.recvEvent(CCEventConnect((200, "OK", MsgBody(sdp))))
        call.answered = True
        self._ctx.dialogs.save(call)  # from now on the call survives a PBX crash
        if call.route is not None:
            self._ctx.emit(cc.CallAnswered(call.call_id), call.route)

    def bridge(self, call: Call, leg: Leg) -> None:
        ctx = self._ctx
        if leg.state is not LegState.ANSWERED:
            ctx.fail(call, "Bridge", f"leg {leg.leg_id} is {leg.state}")
            return
        whisper = leg.whisper if ctx.media is not None and call.answered else None
        if whisper is None:
            ctx.caller_media.stop_media(call)
        if call.bridged is not None and call.bridged is not leg:
            self.drop_leg(call, call.bridged)
        if ctx.media is not None:
            if call.answered:
                # Re-answer with the agent's SDP; `port latching` keeps the caller's port
                # (architecture.md flow step 4): no re-INVITE to the caller.
                ctx.media.answer(
                    call.call_id, call.caller_tag, str(call.ua.lTag), leg.remote_sdp, latching=True
                )
            else:
                self.answer(call, leg.remote_sdp)
        elif call.answered:
            call.ua.recvEvent(CCEventUpdate(MsgBody(leg.remote_sdp)))
        else:
            self.answer(call, leg.remote_sdp)
        leg.state = LegState.BRIDGED
        call.bridged = leg
        ctx.dialogs.save(call)  # a connected call survives a PBX crash too
        ctx.caller_media.maybe_record(call, leg)
        if whisper is not None:
            self._whisper(call, leg, whisper)

    def _whisper(self, call: Call, leg: Leg, prompt: str) -> None:
        """Both directions muted (as a CTI hold), the prompt to the extension, the caller's
        music going on; then the two hear each other."""
        caller_media = self._ctx.caller_media
        leg.whisper = None
        caller_media.set_held_media(call, True)
        duration_ms = caller_media.play_to_agent(call, prompt)
        done = partial(self._ctx.guard, self._whisper_done, call, leg)
        leg.timer = Timeout(done, max(duration_ms, 1) / 1000.0)

    def _whisper_done(self, call: Call, leg: Leg) -> None:
        leg.timer = None
        if call.ended or call.bridged is not leg or call.cti_hold:
            return  # gone, replaced, or held meanwhile (the hold owns the media now)
        self._ctx.caller_media.stop_media(call)
        self._ctx.caller_media.set_held_media(call, False)

    def transfer(
        self, call: Call, target: str, *, auto_answer: bool = False, to_voicemail: bool = False
    ) -> None:
        ctx = self._ctx
        # The application's choice: a call center's calls too (a hunt group's, a menu's).
        if to_voicemail and not ctx.forwarding.has_voicemail(call.tenant, target):
            ctx.fail(call, "Transfer", f"no voicemail of {target} can take this call")
            return
        for leg in list(call.legs.values()):
            self.drop_leg(call, leg)
        ctx.forwarding.transferred(call)
        ctx.emit(cc.CallTransferred(call.call_id, target), call.route)
        if to_voicemail:
            if not ctx.voicemail.take(call, target):  # a message being left already
                self.end_call(call, cc.HangupSide.PBX, code=480, reason="No Voicemail")
            return
        if ctx.directories.is_call_center(call.tenant, target):
            call.route = target
            call.called = target
            ctx.emit(
                cc.CallOffered(
                    call_id=call.call_id,
                    caller=call.caller,
                    called=target,
                    source=call.source,
                    caller_name=call.caller_name,
                    transferred=True,
                    tenant=call.tenant,
                ),
                target,
            )
            return
        # InterceptUser, except for the intercept's own transfer (to the alternate, or back to
        # the user once switched off while the PBX's routing still has it on).
        if call.route != INTERCEPT_USER_ROUTE and ctx.forwarding.intercepted(
            call, target, transferred=True
        ):
            return
        if ctx.user(call, target) is None and not ctx.trunks.reaches_outside:
            self.end_call(call, cc.HangupSide.PBX, code=404, reason="Not Found")
            return
        if call.answered and ctx.media is not None:
            ctx.caller_media.start_music(call)
        whisper = None
        if call.answered and target == ctx.forwarding.filtered_for(call):
            # An assistant puts the manager's call through: the manager hears who it is first.
            whisper = ctx.manager_assistant.whisper(call.call_id)
        ctx.offers.offer(
            call,
            call.next_leg_id(),
            target,
            ctx.extension_ring_timeout,
            True,
            auto_answer=auto_answer,
            whisper=whisper,
        )

    def drop_leg(self, call: Call, leg: Leg) -> None:
        """End a leg from the PBX side: CANCEL if it rings, BYE if it is answered."""
        if leg.state is LegState.ENDED:
            return
        leg.ua.recvEvent(CCEventDisconnect())
        self._ctx.offers.end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        if call.bridged is leg:
            self.unbridge(call)

    def unbridge(self, call: Call) -> None:
        """The bridged leg is gone: what hung on it (a monitor, a CTI hold, a conference)
        ends with it."""
        self._ctx.monitoring.end_monitor(call, MONITOR_CALL_ENDED)
        self._ctx.conference_calls.left(call)
        if call.cti_hold:
            call.cti_hold = False
            if self._ctx.media is not None and not call.ended:
                # A next agent must hear the caller (music plays on until the next Bridge).
                self._ctx.caller_media.set_held_media(call, False)
        call.bridged = None
        if not call.ended:
            self._ctx.dialogs.save(call)  # waiting again (a transfer to a queue), or ending

    def end_call(
        self,
        call: Call,
        side: cc.HangupSide,
        *,
        caller_gone: bool = False,
        code: int = 0,
        reason: str = "",
    ) -> None:
        ctx = self._ctx
        if call.ended:
            return
        call.ended = True
        ctx.monitoring.end_monitor(call, MONITOR_CALL_ENDED)
        ctx.caller_media.stop_media(call, tell_rtpengine=False)
        ctx.voicemail.call_ended(call)  # before `delete`: the message ends with the call
        ctx.fax.call_ended(call)
        ctx.bridge_rooms.call_ended(call)
        ctx.call_pin.call_ended(call)
        ctx.callback.call_ended(call)
        for leg in list(call.legs.values()):
            if leg.state is LegState.RINGING and call.route is not None:
                ctx.offers.report_cancelled(call, leg)
            self.drop_leg(call, leg)
        if not caller_gone:
            if call.answered:
                call.ua.recvEvent(CCEventDisconnect())
            else:
                call.ua.recvEvent(CCEventFail((code or 480, reason or "Temporarily Unavailable")))
        if ctx.media is not None:
            ctx.media.delete(call.call_id)  # closes the pcap before its conversion is queued
        ctx.caller_media.finish_recording(call)
        ctx.dialogs.forget(call)
        ctx.calls.pop(call.call_id, None)
        ctx.emit(cc.CallHungUp(call.call_id, side, code), call.route)
