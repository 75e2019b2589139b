"""Offers to extensions (and outside numbers through the trunk): the INVITE, ringing, answer,
failure, ring timeout, and the events of an answered leg's phone."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from sippy.CCEvents import (
    CCEventConnect,
    CCEventDisconnect,
    CCEventFail,
    CCEventInfo,
    CCEventRedirect,
    CCEventRing,
    CCEventTry,
    CCEventUpdate,
)
from sippy.MsgBody import MsgBody
from sippy.SipCallId import SipCallId
from sippy.SipURL import SipURL
from sippy.Time.Timeout import Timeout
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.location import Binding, Devices
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import MONITOR_FAILED, Call, Leg, LegState
from pbx_core.sip.calls.shared_appearance import (
    SILENT_DEVICE_SECONDS,
    on_fork_event,
    settle_silent,
    stop_forks,
)
from pbx_core.sip.carrier import (
    SILENT_CARRIER_SECONDS,
    CarrierInvite,
    CarrierLegs,
    CarrierRefusal,
    place,
    trunk_binding,
)
from pbx_core.sip.cased_header import auto_answer_headers, cased_header
from pbx_core.trunks.routing import Carrier, Refused

log = logging.getLogger(__name__)


class TryToBinding(CCEventTry):  # type: ignore[misc]
    """A CCEventTry whose Request-URI is the registered Contact, not `called@host`."""

    contact: str = ""

    def onUacSetupComplete(self, uac: Any) -> None:  # sippy's hook name
        if self.contact:  # empty: an outside number, sippy's number@trunk is right
            uac.rTarget = SipURL(url=self.contact)


class Offers:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx
        self._carrier_legs = CarrierLegs()
        """Legs to the carrier in progress: where they are on their trunk route."""

    def offer(
        self,
        call: Call,
        leg_id: str,
        extension: str,
        ring_timeout: float,
        auto_bridge: bool,
        *,
        auto_answer: bool = False,
        whisper: str | None = None,
    ) -> None:
        ctx = self._ctx
        if leg_id in call.legs:
            ctx.fail(call, "OfferCall", f"leg {leg_id} exists")
            return
        internal = ctx.user(call, extension) is not None
        carrier: CarrierInvite | None = None
        devices: Devices = ()
        if not internal:
            our_host = ctx.config["_sip_address"]
            placed = place(
                ctx.trunks,
                ctx.user(call, call.caller),  # the caller's tenant's plan and numbers
                call.caller,
                extension,
                call.caller_name,
                our_host,
            )
            if isinstance(placed, Refused):
                failure = cc.OfferFailure.REJECTED
                self.offer_failed(call, leg_id, extension, failure, placed.code, auto_bridge)
                return
            if placed.placed.pin and not call.pin_granted:
                # Only with the caller's PIN (call_pin.py): asked first, then this offer again.
                then = partial(self._granted, call, leg_id, extension, ring_timeout, auto_bridge)
                number = placed.placed.request_user
                if not (auto_bridge and ctx.call_pin.ask(call, number, then)):
                    failure = cc.OfferFailure.REJECTED
                    self.offer_failed(call, leg_id, extension, failure, 403, auto_bridge)
                return
            refusal = self.carrier_refusal(placed)
            if refusal is not None:
                failure, code = refusal.failure, refusal.code
                self.offer_failed(call, leg_id, extension, failure, code, auto_bridge)
                return
            carrier = placed
            trunk = placed.placed.route[0]
            binding: Binding | None = trunk_binding(placed, extension, trunk, call.tenant)
        elif ctx.is_busy(call.tenant, extension) and not ctx.call_handling.waits(
            call.tenant, extension, auto_bridge
        ):
            self.offer_failed(call, leg_id, extension, cc.OfferFailure.BUSY, 486, auto_bridge)
            return
        else:
            # A hoteling guest's calls ring the host phone it sits at (features/hoteling.py);
            # a user with several devices rings on all of them (shared_appearance.py).
            devices = ctx.locations.devices(
                call.tenant, ctx.hoteling.rings_at(call.tenant, extension)
            )
            binding = devices[0] if devices else None
        if binding is None:
            failure = cc.OfferFailure.NOT_REGISTERED
            self.offer_failed(call, leg_id, extension, failure, 480, auto_bridge)
            return
        leg = Leg(
            leg_id=leg_id,
            extension=extension,
            tenant=call.tenant,
            ua=None,
            auto_bridge=auto_bridge,
            whisper=whisper,
        )
        leg.ua = self._leg_ua(call, leg, binding, carrier.placed.route[0] if carrier else None)
        call.legs[leg_id] = leg
        if internal:
            ctx.claim(call.tenant, extension)
            ctx.call_handling.rang(call, extension)  # for *69
        elif carrier is not None:
            self._carrier_legs.start(leg_id, carrier)
        self._send_try(call, leg, binding, auto_answer, carrier)
        if carrier is not None:
            self._watch_silence(call, leg)
        for device in devices[1:]:
            fork = self._leg_ua(call, leg, device, None)
            leg.forks.append(fork)
            self._send_try(call, leg, device, auto_answer, None, fork)
        if leg.forks:
            leg.silent = [leg.ua, *leg.forks]
            leg.devices_timer = Timeout(
                partial(ctx.guard, self._devices_silent, call, leg), SILENT_DEVICE_SECONDS
            )
        leg.timer = Timeout(partial(ctx.guard, self._ring_timeout, call, leg), ring_timeout)

    def calls_from_carrier(self, tenant: str) -> int:
        """`tenant`'s calls that came in from outside and are still up."""
        return sum(
            1
            for call in self._ctx.calls.values()
            if call.tenant == tenant and call.source is cc.CallSource.TRUNK and not call.ended
        )

    def carrier_refusal(self, invite: CarrierInvite) -> CarrierRefusal | None:
        """Why a leg to the carrier may not start (call capacity, toll-fraud guard; the admins
        are told), or None. Click-to-dial's destination legs ask here too."""
        inbound = partial(self.calls_from_carrier, invite.tenant or "")
        now = time.monotonic()
        refusal = self._carrier_legs.refusal(invite, self._ctx.trunks, now, inbound)
        if refusal is not None:
            self._ctx.alert(refusal.alert)
        return refusal

    def carrier_started(self, leg_id: str, invite: CarrierInvite) -> None:
        """A click-to-dial leg to the carrier counts against call capacity until it ends."""
        self._carrier_legs.start(leg_id, invite)

    def carrier_ended(self, leg_id: str) -> None:
        self._carrier_legs.end(leg_id)

    def refuse_over_capacity(self, ua: Any, tenant: str, caller: str, called: str) -> bool:
        """A call from the carrier to `tenant` over its call capacity: refused with 486 (and the
        admins told); False: it may come in."""
        inbound = partial(self.calls_from_carrier, tenant)
        what = f"call from {caller[:32]!r} to {called[:32]!r}"
        alert = self._carrier_legs.at_capacity(tenant, self._ctx.trunks, inbound, what)
        if alert is None:
            return False
        self._ctx.alert(alert)
        ua.recvEvent(CCEventFail((486, "Busy Here")))
        return True

    def _granted(
        self, call: Call, leg_id: str, extension: str, ring_timeout: float, auto_bridge: bool
    ) -> None:
        call.pin_granted = True
        self.offer(call, leg_id, extension, ring_timeout, auto_bridge)

    def _leg_ua(self, call: Call, leg: Leg, binding: Binding, trunk: Carrier | None) -> Any:
        credentials = (trunk.username, trunk.password) if trunk is not None else (None, None)
        ua = UA(
            self._ctx.config,
            username=credentials[0],
            password=credentials[1],
            nh_address=(binding.host, binding.port),
        )
        ua.lContact = self._ctx.contact()
        ua.event_cb = partial(self.on_leg_ua_event, call, leg)
        return ua

    def _fail_over(self, call: Call, leg: Leg, code: int) -> bool:
        """A carrier refused with 503/408/500: the same leg through the next trunk, if any."""
        retry = self._carrier_legs.next_trunk(leg.leg_id, code)
        if retry is None:
            return False
        invite, trunk = retry
        leg.ua.event_cb = None
        binding = trunk_binding(invite, leg.extension, trunk, leg.tenant)
        leg.ua = self._leg_ua(call, leg, binding, trunk)
        self._send_try(call, leg, binding, False, invite)
        self._watch_silence(call, leg)
        return True

    def _watch_silence(self, call: Call, leg: Leg) -> None:
        """Give a carrier leg's trunk `SILENT_CARRIER_SECONDS` to answer anything, when a later
        trunk could take the call instead."""
        if self._carrier_legs.may_fail_over(leg.leg_id):
            leg.silence_timer = Timeout(
                partial(self._ctx.guard, self._carrier_silent, call, leg), SILENT_CARRIER_SECONDS
            )

    def _carrier_silent(self, call: Call, leg: Leg) -> None:
        leg.silence_timer = None
        if leg.state is not LegState.RINGING or call.ended:
            return
        log.warning("trunk silent for %.0f s on call %s: trying the next", SILENT_CARRIER_SECONDS,
                    call.call_id)  # fmt: skip
        silent = leg.ua
        silent.event_cb = None  # its CANCEL's outcome is nobody's business now
        silent.recvEvent(CCEventDisconnect())
        self._fail_over(call, leg, 408)

    def _send_try(
        self,
        call: Call,
        leg: Leg,
        binding: Binding,
        auto_answer: bool,
        carrier: CarrierInvite | None,
        ua: Any = None,
    ) -> None:
        """The INVITE to `binding` through the leg's dialog (`ua`: one of its other devices')."""
        caller, called, name = call.caller, leg.extension, call.caller_name
        # A forwarded call's Diversion (to the carrier too: it shows whose call it was).
        headers: tuple[Any, ...] = self._ctx.forwarding.diversion_headers(call)
        if carrier is not None:
            caller, called, name = carrier.from_user, carrier.placed.request_user, carrier.from_name
            headers += carrier.headers
        if auto_answer:
            headers += auto_answer_headers()
        if call.alternate is not None and call.alternate.extension == leg.extension:
            headers += (cased_header("Alert-Info", call.alternate.alert_info),)
        event = TryToBinding((SipCallId(), caller, called, MsgBody(call.offer_sdp), None, name))
        event.contact = binding.contact
        event.extra_headers = headers or None
        (ua or leg.ua).recvEvent(event)

    def on_leg_ua_event(self, call: Call, leg: Leg, event: Any, ua: Any) -> None:
        self._ctx.guard(self._on_leg_event, call, leg, event, ua)

    def _on_leg_event(self, call: Call, leg: Leg, event: Any, ua: Any) -> None:
        ctx = self._ctx
        if leg.silence_timer is not None:  # the trunk answered something: it is alive
            leg.silence_timer.cancel()
            leg.silence_timer = None
        if leg.state is LegState.ENDED or call.ended:
            return
        event = on_fork_event(leg, ua, event)  # one of several devices (shared_appearance.py)
        if event is None:
            return
        if isinstance(event, CCEventRing):
            code = event.getData()[0]
            if code >= 180 and not leg.ringing_reported and leg.state is LegState.RINGING:
                leg.ringing_reported = True
                ctx.emit(cc.CallRinging(call.call_id, leg.leg_id, leg.extension), call.route)
                # The user's custom ringback (183, early media: ringback.py), else 180.
                if leg.auto_bridge and not call.answered and not ctx.ringback.ring(call, leg):
                    call.ua.recvEvent(CCEventRing((180, "Ringing", None)))
        elif isinstance(event, CCEventConnect):
            if leg.state is not LegState.RINGING:
                ctx.monitoring.reinvite_answered(call, leg, event.getData()[2])
                return
            leg.cancel_timer()
            body = event.getData()[2]
            leg.remote_sdp = str(body) if body is not None else ""
            leg.state = LegState.ANSWERED
            ctx.emit(cc.CallAnswered(call.call_id, leg.leg_id, leg.extension), call.route)
            ctx.forwarding.answered(call, leg)  # a filtered call's other assistants stop
            if leg.auto_bridge:
                ctx.bridging.bridge(call, leg)
        elif isinstance(event, CCEventFail | CCEventRedirect):
            code = int(event.getData()[0])
            if leg.state is LegState.RINGING and self._fail_over(call, leg, code):
                return
            if leg.state is LegState.RINGING:
                failure = cc.OfferFailure.BUSY if code in (486, 600) else cc.OfferFailure.REJECTED
                self.end_leg(leg)
                del call.legs[leg.leg_id]
                self.offer_failed(call, leg.leg_id, leg.extension, failure, code, leg.auto_bridge)
            else:
                ctx.monitoring.reinvite_done(call, leg)
                if call.monitor is not None and call.monitor.agent is leg:
                    call.monitor.media.agent_refused()
                    ctx.monitoring.end_monitor(call, MONITOR_FAILED)
        elif isinstance(event, CCEventDisconnect):
            self._on_leg_disconnect(call, leg, event.getData())
        elif isinstance(event, CCEventUpdate):
            ctx.hold.on_reinvite(call, leg, leg.ua, event)
        elif isinstance(event, CCEventInfo):
            ctx.hold.on_info(call, leg, event)

    def _on_leg_disconnect(self, call: Call, leg: Leg, referred: Any) -> None:
        bridging = self._ctx.bridging
        was_bridged = leg.state is LegState.BRIDGED
        self.end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        if referred is not None and was_bridged:
            # The phone did a blind transfer (REFER): sippy already answered 202 and sent BYE.
            bridging.unbridge(call)
            if not self._ctx.call_handling.on_refer(call, leg.extension, referred):
                bridging.transfer(call, str(referred.getUrl().username or ""))
            return
        if was_bridged:
            bridging.unbridge(call)
            bridging.end_call(call, cc.HangupSide.CALLEE)
            return
        self._ctx.emit(
            cc.LegHungUp(call.call_id, leg.leg_id, leg.extension, cc.HangupSide.CALLEE), call.route
        )

    def _devices_silent(self, call: Call, leg: Leg) -> None:
        leg.devices_timer = None
        leg.silence_over = True
        if leg.state is not LegState.RINGING or call.ended:
            return
        outcome = settle_silent(leg)
        if outcome is not None:
            self._on_leg_event(call, leg, outcome, leg.ua)

    def _ring_timeout(self, call: Call, leg: Leg) -> None:
        leg.timer = None
        if leg.state is not LegState.RINGING or call.ended:
            return
        leg.ua.recvEvent(CCEventDisconnect())  # CANCEL
        self.end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        self.offer_failed(
            call, leg.leg_id, leg.extension, cc.OfferFailure.NO_ANSWER, 408, leg.auto_bridge
        )

    def offer_failed(
        self,
        call: Call,
        leg_id: str,
        extension: str,
        failure: cc.OfferFailure,
        code: int,
        auto_bridge: bool,
    ) -> None:
        self._ctx.emit(cc.OfferFailed(call.call_id, leg_id, extension, failure, code), call.route)
        if not auto_bridge:
            return
        busy = failure is cc.OfferFailure.BUSY
        if busy and self._ctx.callback.offer(call, extension):  # camp on busy: callback.py
            return
        if self._ctx.forwarding.after_failure(call, extension, failure):
            return
        # The PBX placed this leg itself: the caller gets the outcome.
        if call.answered:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code)
            return
        reply = {
            cc.OfferFailure.BUSY: (486, "Busy Here"),
            cc.OfferFailure.NO_ANSWER: (480, "Temporarily Unavailable"),
            cc.OfferFailure.NOT_REGISTERED: (480, "Temporarily Unavailable"),
        }.get(failure, (code if 400 <= code < 700 else 480, "Call Failed"))
        self._ctx.bridging.end_call(call, cc.HangupSide.CALLEE, code=reply[0], reason=reply[1])

    def report_cancelled(self, call: Call, leg: Leg) -> None:
        """The application or the caller stopped this leg while it rang."""
        failure = cc.OfferFailure.CANCELLED
        self._ctx.emit(
            cc.OfferFailed(call.call_id, leg.leg_id, leg.extension, failure, 487), call.route
        )

    def end_leg(self, leg: Leg) -> None:
        if leg.state is LegState.ENDED:
            return
        leg.cancel_timer()
        if leg.silence_timer is not None:
            leg.silence_timer.cancel()
            leg.silence_timer = None
        if leg.devices_timer is not None:
            leg.devices_timer.cancel()
            leg.devices_timer = None
        leg.state = LegState.ENDED
        stop_forks(leg)
        self._carrier_legs.end(leg.leg_id)
        self._ctx.release(leg.tenant, leg.extension)
