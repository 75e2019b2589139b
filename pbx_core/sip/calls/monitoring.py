"""Supervisor monitoring (docs/pbx.md): the supervisor's phone talks to a conference mixer;
`media/monitor_media.py` moves the media, this part does the SIP and the events, including
the re-INVITEs that move the agent's phone to the mixer and back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from sippy.CCEvents import (
    CCEventConnect,
    CCEventDisconnect,
    CCEventFail,
    CCEventRedirect,
    CCEventUpdate,
)
from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.SipCallId import SipCallId
from sippy.Time.Timeout import Timeout
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.media.mixed_call import CallMedia
from pbx_core.media.monitor_media import MonitorMedia
from pbx_core.media.sdp_rewrite import SdpError, with_version
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import (
    MONITOR_BUSY,
    MONITOR_FAILED,
    MONITOR_HANDED_OVER,
    MONITOR_HUNG_UP,
    MONITOR_NO_ANSWER,
    MONITOR_NOT_REGISTERED,
    MONITOR_REJECTED,
    Call,
    Leg,
    LegState,
    Monitor,
    MonitorState,
)
from pbx_core.sip.calls.offers import TryToBinding

log = logging.getLogger(__name__)


class Monitoring:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def monitor(self, call: Call, command: cc.MonitorCall) -> None:
        ctx = self._ctx
        current = call.monitor
        if current is not None:
            if current.monitor_id != command.monitor_id:
                reason = f"monitored already ({current.monitor_id} by {current.extension})"
                ctx.fail(call, "MonitorCall", reason)
                return
            was, current.mode = current.mode, command.mode
            if current.state is MonitorState.JOINED:
                self._guard(self._switch_mode, call, current, was)
            return
        leg = call.bridged
        if ctx.media is None:
            ctx.fail(call, "MonitorCall", "no media server configured")
            return
        if leg is None:
            ctx.fail(call, "MonitorCall", "no extension is bridged to the caller")
            return
        if ctx.user(call, command.extension) is None:
            ctx.fail(call, "MonitorCall", f"unknown extension {command.extension}")
            return
        busy = ctx.is_busy(call.tenant, command.extension)
        binding = None if busy else ctx.locations.lookup(call.tenant, command.extension)
        if binding is None:
            reason = MONITOR_BUSY if busy else MONITOR_NOT_REGISTERED
            ctx.emit(
                cc.MonitorEnded(call.call_id, command.monitor_id, command.extension, reason),
                call.route,
            )
            return
        try:
            media = self._media(call, leg)
        except OSError as error:
            ctx.fail(call, "MonitorCall", f"media: no mixer sockets ({error})")
            return
        ua = UA(ctx.config, nh_address=(binding.host, binding.port))
        ua.lContact = ctx.contact()
        monitor = Monitor(
            monitor_id=command.monitor_id,
            extension=command.extension,
            mode=command.mode,
            ua=ua,
            media=media,
            agent=leg,
        )
        ua.event_cb = partial(self._on_monitor_ua_event, call, monitor)
        call.monitor = monitor
        ctx.claim(call.tenant, command.extension)
        # A supervisor sees whose call it joins; a consulted colleague who asks (the
        # receptionist, its number) and about whom (the caller).
        consult = command.mode is cc.MonitorMode.CONSULT
        shown = (leg.extension, f"{leg.extension}: {call.caller}") if consult else (
            call.caller, f"monitor {leg.extension}")  # fmt: skip
        invite = TryToBinding(
            (SipCallId(), shown[0], command.extension, MsgBody(media.supervisor_offer()),
             None, shown[1])
        )  # fmt: skip
        invite.contact = binding.contact
        ua.recvEvent(invite)
        monitor.timer = Timeout(
            partial(self._guard, self._monitor_not_answered, call, monitor),
            command.ring_timeout,
        )

    def _media(self, call: Call, leg: Leg) -> MonitorMedia:
        ctx = self._ctx
        assert ctx.media is not None
        return MonitorMedia(
            ctx.media,
            str(ctx.config["_sip_address"]),
            CallMedia(call.call_id, call.caller_tag, str(call.ua.lTag), call.offer_sdp),
            reoffer_agent=partial(self.reoffer, leg),
            on_failure=partial(self._conference_failed, call),
        )

    def barge_in(self, call: Call, extension: str, phone_ua: Any, phone_sdp: str) -> bool:
        """A phone that called in (`*33<ext>`, sip/calls/barge_in.py) joins `call` as a barging
        monitor: answered with the mixer's SDP, all three hear one another. False: it cannot
        (no media, no bridged leg, monitored already, no mixer sockets, an unusable SDP)."""
        ctx = self._ctx
        leg = call.bridged
        if ctx.media is None or leg is None or call.monitor is not None:
            return False
        try:
            media = self._media(call, leg)
        except OSError:
            log.exception("barge-in on %s: no mixer sockets", call.call_id)
            return False
        monitor = Monitor(
            monitor_id=f"barge-{phone_ua.cId}",
            extension=extension,
            mode=cc.MonitorMode.BARGE,
            ua=phone_ua,
            media=media,
            agent=leg,
        )
        call.monitor = monitor
        ctx.claim(call.tenant, extension)
        phone_ua.event_cb = partial(self._on_monitor_ua_event, call, monitor)
        phone_ua.recvEvent(CCEventConnect((200, "OK", MsgBody(media.supervisor_offer()))))
        self._join(call, monitor, phone_sdp)  # an unusable SDP ends the monitor: BYE
        return True

    def _switch_mode(self, call: Call, monitor: Monitor, was: cc.MonitorMode) -> None:
        monitor.media.apply(monitor.mode, monitor.agent.remote_sdp)
        self._consult_music(call, was, monitor.mode)
        self._ctx.emit(self._monitor_started(call, monitor), call.route)

    def _consult_music(self, call: Call, was: cc.MonitorMode | None, mode: cc.MonitorMode) -> None:
        """The caller waits with music while the two consult, and hears the others again after
        (the music is rtpengine's, toward the caller alone, over the mixer's silence)."""
        consult = cc.MonitorMode.CONSULT
        if mode is consult and was is not consult:
            self._ctx.caller_media.start_music(call)
        elif was is consult and mode is not consult:
            self._ctx.caller_media.stop_media(call)

    @staticmethod
    def _monitor_started(call: Call, monitor: Monitor) -> cc.MonitorStarted:
        return cc.MonitorStarted(call.call_id, monitor.monitor_id, monitor.extension, monitor.mode)

    def _on_monitor_ua_event(self, call: Call, monitor: Monitor, event: Any, _ua: Any) -> None:
        self._guard(self._on_monitor_event, call, monitor, event)

    def _on_monitor_event(self, call: Call, monitor: Monitor, event: Any) -> None:
        if call.monitor is not monitor:
            return
        if isinstance(event, CCEventConnect):
            if monitor.state is MonitorState.RINGING:
                body = event.getData()[2]
                self._join(call, monitor, str(body) if body is not None else "")
        elif isinstance(event, CCEventFail | CCEventRedirect):
            if monitor.state is MonitorState.RINGING:
                code = int(event.getData()[0])
                reason = MONITOR_BUSY if code in (486, 600) else MONITOR_REJECTED
                self.end_monitor(call, reason, supervisor_gone=True)
        elif isinstance(event, CCEventDisconnect):
            self.end_monitor(call, MONITOR_HUNG_UP, supervisor_gone=True)
        elif isinstance(event, CCEventUpdate):
            # The supervisor's phone re-INVITEs (hold, session refresh): its media stays on the
            # mixer socket it was given.
            monitor.ua.recvEvent(CCEventConnect((200, "OK", monitor.ua.lSDP)))

    def _join(self, call: Call, monitor: Monitor, supervisor_sdp: str) -> None:
        monitor.cancel_timer()
        monitor.state = MonitorState.JOINED
        monitor.sdp = supervisor_sdp
        try:
            monitor.media.join(supervisor_sdp, monitor.mode, monitor.agent.remote_sdp)
        except SdpError as error:
            log.warning("cannot monitor %s: %s", call.call_id, error)
            self.end_monitor(call, MONITOR_REJECTED)
            return
        self._consult_music(call, None, monitor.mode)
        self._ctx.emit(self._monitor_started(call, monitor), call.route)

    # -----------------------------------------------------------------------------------------
    # re-INVITEs to the agent's phone (its media to the mixer and back)

    def reoffer(self, leg: Leg, sdp: str) -> None:
        if leg.reinviting:
            leg.queued_offer = sdp  # only the latest matters: it says where the media is now
            return
        leg.reoffers += 1
        leg.reinviting = True
        leg.ua.recvEvent(CCEventUpdate(MsgBody(with_version(sdp, leg.reoffers))))

    def reinvite_done(self, call: Call, leg: Leg) -> None:
        queued, leg.queued_offer = leg.queued_offer, ""
        if not queued:
            leg.reinviting = False
            return
        # On the next tick: sippy sends the ACK of the re-INVITE that just ended after this
        # callback returns, and a new INVITE must not overtake it.
        ED2.callFromThread(self._guard, self._send_queued_offer, call, leg, queued)

    def _send_queued_offer(self, _call: Call, leg: Leg, sdp: str) -> None:
        leg.reinviting = False
        if leg.state is LegState.BRIDGED:
            self.reoffer(leg, sdp)

    def reinvite_answered(self, call: Call, leg: Leg, body: Any) -> None:
        self.reinvite_done(call, leg)
        if body is None or leg.state is not LegState.BRIDGED:
            return
        leg.remote_sdp = str(body)
        monitor = call.monitor
        if monitor is not None and monitor.agent is leg:
            monitor.media.agent_answered(leg.remote_sdp)
        self._ctx.conference_calls.leg_answered(call, leg)

    # -----------------------------------------------------------------------------------------
    # The end of a monitor

    def _monitor_not_answered(self, call: Call, monitor: Monitor) -> None:
        monitor.timer = None
        if call.monitor is monitor and monitor.state is MonitorState.RINGING:
            self.end_monitor(call, MONITOR_NO_ANSWER)

    def _conference_failed(self, call: Call, _error: BaseException) -> None:
        """From the mixer's thread: end that monitor in the SIP thread."""
        monitor = call.monitor
        if monitor is not None:
            ED2.callFromThread(self._guard, self._end_monitor_of, call, monitor, MONITOR_FAILED)

    def _end_monitor_of(self, call: Call, monitor: Monitor, reason: str) -> None:
        if call.monitor is monitor:
            self.end_monitor(call, reason)

    def end_monitor(self, call: Call, reason: str, *, supervisor_gone: bool = False) -> None:
        monitor = call.monitor
        if monitor is None:
            return
        call.monitor = None
        monitor.cancel_timer()
        leg = monitor.agent
        if not call.ended and monitor.state is MonitorState.JOINED:
            self._consult_music(call, monitor.mode, cc.MonitorMode.BARGE)  # back to the caller
        try:
            agent_sdp = leg.remote_sdp if leg.state is LegState.BRIDGED else None
            monitor.media.leave(agent_sdp, call_alive=not call.ended)
        finally:
            if not supervisor_gone:
                monitor.ua.recvEvent(CCEventDisconnect())  # CANCEL or BYE
            self._ctx.release(call.tenant, monitor.extension)
            self._ctx.emit(
                cc.MonitorEnded(call.call_id, monitor.monitor_id, monitor.extension, reason),
                call.route,
            )

    # -----------------------------------------------------------------------------------------
    # Hand-over: the attended transfer's last step

    def hand_over(self, call: Call, monitor_id: str) -> None:
        """The joined monitor's phone becomes the call's bridged leg; the agent's leg goes.
        Its phone is re-offered rtpengine (it sent to the mixer), rtpengine's leg side is
        re-answered with its SDP (`Bridging.bridge`), and the mixer closes."""
        ctx = self._ctx
        monitor = call.monitor
        if (
            monitor is None
            or monitor.monitor_id != monitor_id
            or monitor.state is not MonitorState.JOINED
        ):
            ctx.fail(call, "HandOver", f"no joined monitor {monitor_id} on this call")
            return
        call.monitor = None
        monitor.cancel_timer()
        agent = monitor.agent
        ctx.caller_media.stop_media(call)
        monitor.media.leave(None, call_alive=True)  # rtpengine is re-answered by the bridge
        leg = Leg(
            leg_id=call.next_leg_id(),
            extension=monitor.extension,
            tenant=call.tenant,
            ua=monitor.ua,
            auto_bridge=True,
            state=LegState.ANSWERED,
            remote_sdp=monitor.sdp,
        )
        monitor.ua.event_cb = partial(ctx.offers.on_leg_ua_event, call, leg)
        call.legs[leg.leg_id] = leg  # the extension's claim made by `monitor` stays the leg's
        ctx.emit(
            cc.MonitorEnded(call.call_id, monitor_id, monitor.extension, MONITOR_HANDED_OVER),
            call.route,
        )
        if agent.state is LegState.BRIDGED:
            ctx.emit(cc.LegHungUp(call.call_id, agent.leg_id, agent.extension, cc.HangupSide.PBX),
                     call.route)  # fmt: skip
        ctx.bridging.bridge(call, leg)  # BYE to the agent's phone
        self.reoffer(leg, call.offer_sdp)
        ctx.emit(cc.CallTransferred(call.call_id, leg.extension), call.route)
        ctx.emit(cc.CallAnswered(call.call_id, leg.leg_id, leg.extension), call.route)

    def _guard(self, func: Callable[..., None], call: Call, *args: Any) -> None:
        """Unlike `CallContext.guard`, a failure here ends only the monitor: the monitored
        conversation must go on."""
        try:
            func(call, *args)
        except Exception:
            log.exception("error in monitoring of %s (%s)", call.call_id, func.__name__)
            try:
                self.end_monitor(call, MONITOR_FAILED)
            except Exception:
                log.exception("could not end the monitor of %s cleanly", call.call_id)
