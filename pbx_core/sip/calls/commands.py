"""The application's commands on an existing call, one case each (`Dial` goes to
`ClickToDial` before this)."""

from __future__ import annotations

from typing import assert_never

from sippy.CCEvents import CCEventRing

from pbx_core import call_control as cc
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import MONITOR_STOPPED, Call, LegState

BUSY_TONE = "busy_tone"
RINGBACK_TONE = "ringback_tone"


class CommandDispatcher:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def execute(self, call: Call, command: cc.ExistingCallCommand) -> None:
        ctx = self._ctx
        match command:
            case cc.Answer():
                ctx.bridging.answer(call)
            case cc.Reject(code=code, reason=reason):
                self._reject(call, code, reason)
            case cc.PlayPrompt(prompt=prompt, then_music=then_music, loop=loop, music=music):
                ctx.caller_media.play(call, prompt, then_music, loop=loop, music=music)
            case cc.StartMusicOnHold(music=music):
                ctx.caller_media.start_music(call, music)
            case cc.StopMedia():
                ctx.caller_media.stop_media(call)
            case cc.SendRinging():
                if not call.answered:
                    call.ua.recvEvent(CCEventRing((180, "Ringing", None)))
                else:
                    ctx.caller_media.play(call, RINGBACK_TONE, False, loop=True)
            case cc.OfferCall(
                leg_id=leg_id,
                extension=extension,
                ring_timeout=timeout,
                auto_answer=auto,
                whisper=whisper,
            ):
                ctx.offers.offer(
                    call, leg_id, extension, timeout, False, auto_answer=auto, whisper=whisper
                )
            case cc.DisconnectLeg(leg_id=leg_id):
                self._disconnect_leg(call, leg_id)
            case cc.StopRinging(leg_id=leg_id):
                self._stop_ringing(call, leg_id)
            case cc.Bridge(leg_id=leg_id):
                leg = call.legs.get(leg_id)
                if leg is None:
                    ctx.fail(call, "Bridge", f"no leg {leg_id}")
                    return
                ctx.bridging.bridge(call, leg)
            case cc.Transfer(target=target, auto_answer=auto_answer, to_voicemail=to_voicemail):
                ctx.bridging.transfer(
                    call, target, auto_answer=auto_answer, to_voicemail=to_voicemail
                )
            case cc.ReceiveFax(fax=fax):
                ctx.fax.receive(call, fax)
            case cc.Hangup(code=code, reason=reason):
                ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code, reason=reason)
            case cc.StartRecording():
                ctx.caller_media.request_recording(call)
            case cc.HoldCall():
                ctx.hold.hold(call)
            case cc.ResumeCall():
                ctx.hold.resume(call)
            case cc.PlayToAgent(prompt=prompt):
                ctx.caller_media.play_to_agent(call, prompt)
            case cc.MonitorCall():
                ctx.monitoring.monitor(call, command)
            case cc.StopMonitor(monitor_id=monitor_id):
                if call.monitor is None or call.monitor.monitor_id != monitor_id:
                    ctx.fail(call, "StopMonitor", f"no monitor {monitor_id} on this call")
                    return
                ctx.monitoring.end_monitor(call, MONITOR_STOPPED)
            case cc.HandOver(monitor_id=monitor_id):
                ctx.monitoring.hand_over(call, monitor_id)
            case cc.ParkCall(slot=slot):
                ctx.call_handling.park_call(call, slot)
            case _:
                # mypy proves this unreachable for the commands of call_control; at run time an
                # object of any other type fails loudly here instead of being dropped.
                assert_never(command)

    def _reject(self, call: Call, code: int, reason: str) -> None:
        ctx = self._ctx
        if not call.answered:
            ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code, reason=reason)
        elif ctx.media is not None:
            for other in list(call.legs.values()):
                ctx.bridging.drop_leg(call, other)
            ctx.caller_media.play(call, BUSY_TONE, False, then_hang_up=True)
        else:
            ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code)

    def _disconnect_leg(self, call: Call, leg_id: str) -> None:
        ctx = self._ctx
        leg = call.legs.get(leg_id)
        if leg is None:
            ctx.fail(call, "DisconnectLeg", f"no leg {leg_id}")
            return
        ringing, bridged = leg.state is LegState.RINGING, leg is call.bridged
        ctx.bridging.drop_leg(call, leg)
        if ringing:
            ctx.offers.report_cancelled(call, leg)
        else:
            ctx.emit(
                cc.LegHungUp(call.call_id, leg_id, leg.extension, cc.HangupSide.PBX), call.route
            )
        if bridged and call.answered and ctx.media is not None:
            ctx.caller_media.start_music(call)

    def _stop_ringing(self, call: Call, leg_id: str) -> None:
        leg = call.legs.get(leg_id)
        if leg is None or leg.state is not LegState.RINGING:
            self._ctx.fail(call, "StopRinging", f"leg {leg_id} is not ringing")
            return
        self._ctx.bridging.drop_leg(call, leg)
        self._ctx.offers.report_cancelled(call, leg)
