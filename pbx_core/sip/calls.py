"""The B2BUA: every call's caller leg, the legs to extensions, and the commands that move them.

Runs entirely in the SIP thread. sippy's `UA` objects do the RFC 3261 dialog work; this module
decides what each leg's events mean for the call and tells the application through `emit`.

Media: with rtpengine the caller is anchored on its own (offer at INVITE time, architecture.md
flow), so prompts and music can play before anyone is bridged, and a leg is bridged by an
rtpengine `answer` with the leg's SDP (no re-INVITE to the caller). Without rtpengine (benchmark,
plain extension calls) SDP passes through unchanged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
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
from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.SipAddress import SipAddress
from sippy.SipCallId import SipCallId
from sippy.SipContact import SipContact
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader
from sippy.SipURL import SipURL
from sippy.Time.Timeout import Timeout
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.directory import Directory, RecordingMode
from pbx_core.location import Binding, LocationStore
from pbx_core.media.monitor_media import CallMedia, MonitorMedia
from pbx_core.media.ng_client import NgClient, NgError
from pbx_core.media.sdp_rewrite import SdpError, with_version
from pbx_core.sip.click_to_dial import ClickToDial
from pbx_core.sip.digest import challenge_header, nonce_is_fresh, verified_user
from pbx_core.sip.sdp import PLACEHOLDER_SDP, dtmf_from_info, is_hold

log = logging.getLogger(__name__)

Emit = Callable[[cc.CallEvent, "str | None"], None]
"""(event, route): route is the called number whose handler gets the event, None for calls the
PBX handles itself (extension to extension); subscribers see both."""

RECORD_ON_DEMAND_CODE = "*44"
BUSY_TONE = "busy_tone"
RINGBACK_TONE = "ringback_tone"
AUTO_ANSWER_HEADERS = (
    ("Call-Info", "<sip:pbx>;answer-after=0"),
    ("Alert-Info", "<http://localhost>;info=alert-autoanswer"),
)


class _CasedHF(SipGenericHF):  # type: ignore[misc]
    """A header that keeps its usual spelling: sippy writes unknown headers as `Call-info`, and
    some phones match these hints case-sensitively."""

    def __init__(self, body: str, name: str) -> None:
        super().__init__(body, name)
        self._spelling = name

    def getCanName(self, name: str, compact: bool = False) -> str:  # sippy's name
        return self._spelling

    def getCopy(self) -> _CasedHF:  # sippy's name
        return _CasedHF(str(self.body), self._spelling)


MUSIC_REPEAT_TIMES = 10_000

MONITOR_HUNG_UP = "hung_up"
MONITOR_STOPPED = "stopped"
MONITOR_CALL_ENDED = "call_ended"
MONITOR_NO_ANSWER = "no_answer"
MONITOR_BUSY = "busy"
MONITOR_NOT_REGISTERED = "not_registered"
MONITOR_REJECTED = "rejected"
MONITOR_FAILED = "failed"
"""Not in call_control's list: the mixer or the agent's re-INVITE failed (docs/pbx.md)."""


class LegState(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    BRIDGED = "bridged"
    ENDED = "ended"


@dataclass(eq=False)
class Leg:
    leg_id: str
    extension: str
    ua: Any
    auto_bridge: bool
    """Bridged by the PBX itself on answer (extension calls, transfers), not by the app."""
    state: LegState = LegState.RINGING
    timer: Any = None
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
class Call:
    call_id: str
    ua: Any
    caller: str
    called: str
    caller_name: str
    source: cc.CallSource
    route: str | None
    """The number whose handler drives this call; None: the PBX bridges it itself."""
    caller_tag: str
    offer_sdp: str = ""
    """What a leg to an extension is offered: rtpengine's far side, or the caller's own SDP."""
    answered: bool = False
    bridged: Leg | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    media_timer: Any = None
    playing: bool = False
    """A prompt or music plays to the caller (so `stop media` is only sent when needed)."""
    held: bool = False
    """The caller's own phone holds the call (its re-INVITE)."""
    cti_hold: bool = False
    """`HoldCall`: music to the caller, the caller's audio blocked toward the bridged leg."""
    digits: str = ""
    recording: bool = False
    keep_recording: bool = False
    recorded_extension: str = ""
    """The extension whose setting or *44 made this call recorded (for the recording's owner)."""
    ended: bool = False
    leg_counter: int = 0
    monitor: Monitor | None = None


class MonitorState(StrEnum):
    RINGING = "ringing"
    JOINED = "joined"


@dataclass(eq=False)
class Monitor:
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


class _TryToBinding(CCEventTry):  # type: ignore[misc]
    """A CCEventTry whose Request-URI is the registered Contact, not `called@host`."""

    contact: str = ""

    def onUacSetupComplete(self, uac: Any) -> None:  # sippy's hook name
        if self.contact:  # empty: an outside number, sippy's number@trunk is right
            uac.rTarget = SipURL(url=self.contact)


class CallManager:
    def __init__(
        self,
        global_config: dict[str, Any],
        directory: Directory,
        locations: LocationStore,
        emit: Emit,
        *,
        realm: str,
        media: NgClient | None = None,
        prompt_path: Callable[[str], str] = str,
        extension_ring_timeout: float = 30.0,
        max_calls_per_extension: int = 1,
        outbound_trunk: tuple[str, int] | None = None,
        recording_sink: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._config = global_config
        self._directory = directory
        self._locations = locations
        self._emit = emit
        self._realm = realm
        self._media = media
        self._prompt_path = prompt_path
        self._extension_ring_timeout = extension_ring_timeout
        self._max_calls_per_extension = max_calls_per_extension
        self._outbound_trunk = outbound_trunk
        self._recording_sink = recording_sink
        self.calls: dict[str, Call] = {}
        self._busy: dict[str, int] = {}
        self._dial = ClickToDial(
            global_config,
            directory,
            locations,
            emit,
            self._contact,
            media=media,
            outbound_trunk=outbound_trunk,
        )

    # -----------------------------------------------------------------------------------------
    # Incoming INVITE (new dialog)

    def new_invite(self, req: Any, sip_t: Any) -> Any:
        source_host = str(req.getSource()[0])
        if req.countHFs("authorization") == 0 and not self._is_trunk_call(req, source_host):
            # Challenge statelessly: no dialog, no UA, no timer for the first, unauthenticated
            # INVITE of every extension call (half of all INVITEs).
            resp = req.genResponse(401, "Unauthorized")
            resp.appendHeader(challenge_header(self._realm))
            return (resp, None, None)
        ua = UA(self._config)
        ua.lContact = self._contact()
        ua.event_cb = partial(self._on_caller_event, ua, source_host)
        return ua.recvRequest(req, sip_t)

    def _is_trunk_call(self, req: Any, source_host: str) -> bool:
        return source_host in self._directory.trusted_trunk_addresses and (
            self._directory.is_call_center(str(req.getRURI().username or ""))
        )

    def _contact(self) -> Any:
        """Our Contact without sippy's default display name `Anonymous`, which some user
        agents (SIPp's [next_url]) fail to parse."""
        url = SipURL(host=self._config["_sip_address"], port=self._config["_sip_port"])
        return SipContact(address=SipAddress(url=url, hadbrace=True))

    def _on_caller_event(self, ua: Any, source_host: str, event: Any, _ua: Any) -> None:
        if isinstance(event, CCEventTry):
            # Decide on the next tick: answering inside the INVITE callback would send the
            # final response before 100 Trying (architecture.md, decision 1).
            ED2.callFromThread(self._route_new_call, ua, source_host, event)
            return
        call = self.calls.get(str(ua.cId))
        if call is None or call.ua is not ua:
            if isinstance(event, CCEventDisconnect):
                ua.event_cb = None  # the caller gave up before routing finished
            return
        self._guard(self._on_caller_leg_event, call, event)

    def _route_new_call(self, ua: Any, source_host: str, event: Any) -> None:
        if ua.isDead() or ua.event_cb is None:
            return
        try:
            self._route(ua, source_host, event)
        except Exception:
            # Redis or rtpengine gone, or a bug: refuse this call, keep the reactor.
            log.exception("cannot route call %s", ua.cId)
            call = self.calls.get(str(ua.cId))
            if call is not None and call.ua is ua:
                self._guard(self._end_call, call, cc.HangupSide.PBX)
            elif not ua.isDead():
                ua.recvEvent(CCEventFail((503, "Service Unavailable")))

    def _route(self, ua: Any, source_host: str, event: Any) -> None:
        _call_id, caller, called, body, auth, caller_name = event.getData()
        caller, called = str(caller or ""), str(called or "")
        if body is None:
            ua.recvEvent(CCEventFail((488, "Not Acceptable Here")))
            return
        trunk = source_host in self._directory.trusted_trunk_addresses
        if trunk and self._directory.is_call_center(called):
            self._start_call(ua, cc.CallSource.TRUNK, caller, called, caller_name, body, called)
            return
        if verified_user(self._directory, auth, "INVITE", caller) is None:
            if auth is None or not nonce_is_fresh(auth):
                fail = CCEventFail((401, "Unauthorized"))
                fail.extra_headers = (challenge_header(self._realm),)
            else:
                fail = CCEventFail((403, "Forbidden"))
            ua.recvEvent(fail)
            return
        if self._directory.is_call_center(called):
            self._start_call(ua, cc.CallSource.EXTENSION, caller, called, caller_name, body, called)
            return
        if self._directory.user(called) is None and self._outbound_trunk is None:
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        call = self._start_call(
            ua, cc.CallSource.EXTENSION, caller, called, caller_name, body, None
        )
        if call is not None:
            self._offer(call, self._next_leg_id(call), called, self._extension_ring_timeout, True)

    def _start_call(
        self,
        ua: Any,
        source: cc.CallSource,
        caller: str,
        called: str,
        caller_name: Any,
        body: Any,
        route: str | None,
    ) -> Call | None:
        call = Call(
            call_id=str(ua.cId),
            ua=ua,
            caller=caller,
            called=called,
            caller_name=str(caller_name or ""),
            source=source,
            route=route,
            caller_tag=str(ua.rUri.getTag()),
        )
        if call.call_id in self.calls:
            ua.recvEvent(CCEventFail((482, "Loop Detected")))
            return None
        caller_sdp = str(body)
        if self._media is not None:
            try:
                call.offer_sdp = self._media.offer(call.call_id, call.caller_tag, caller_sdp)
            except NgError as error:
                log.warning("rtpengine offer failed for %s: %s", call.call_id, error)
                ua.recvEvent(CCEventFail((503, "Service Unavailable")))
                return None
        else:
            call.offer_sdp = caller_sdp
        self.calls[call.call_id] = call
        # Extension-to-extension calls (route None) are announced too, to subscribers only, so
        # observers (CTI: "agent busy on an internal call") see who calls whom.
        self._emit(
            cc.CallOffered(
                call_id=call.call_id,
                caller=caller,
                called=called,
                source=source,
                caller_name=call.caller_name,
            ),
            route,
        )
        return call

    # -----------------------------------------------------------------------------------------
    # Events from the caller's UA

    def _on_caller_leg_event(self, call: Call, event: Any) -> None:
        if isinstance(event, CCEventDisconnect):
            referred = event.getData()
            if referred is not None:
                log.info("REFER from the caller of %s is treated as a hang-up", call.call_id)
            self._end_call(call, cc.HangupSide.CALLER, caller_gone=True)
        elif isinstance(event, CCEventUpdate):
            self._on_reinvite(call, None, call.ua, event)
        elif isinstance(event, CCEventInfo):
            self._on_info(call, None, event)
        # CCEventConnect here is the ACK of our 200 or the answer to our re-INVITE: nothing to do.

    # -----------------------------------------------------------------------------------------
    # Legs to extensions

    def _next_leg_id(self, call: Call) -> str:
        call.leg_counter += 1
        return f"{call.call_id}~{call.leg_counter}"

    def _offer(
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
        if leg_id in call.legs:
            self._fail(call, "OfferCall", f"leg {leg_id} exists")
            return
        internal = self._directory.user(extension) is not None
        if not internal:
            if self._outbound_trunk is None:
                failure = cc.OfferFailure.REJECTED
                self._offer_failed(call, leg_id, extension, failure, 404, auto_bridge)
                return
            # An outside number: through the outbound trunk, Request-URI number@trunk.
            host, port = self._outbound_trunk
            binding: Binding | None = Binding(extension, "", host, port, 0)
        elif self._is_busy(extension):
            self._offer_failed(call, leg_id, extension, cc.OfferFailure.BUSY, 486, auto_bridge)
            return
        else:
            binding = self._locations.lookup(extension)
        if binding is None:
            failure = cc.OfferFailure.NOT_REGISTERED
            self._offer_failed(call, leg_id, extension, failure, 480, auto_bridge)
            return
        ua = UA(self._config, nh_address=(binding.host, binding.port))
        ua.lContact = self._contact()
        leg = Leg(
            leg_id=leg_id, extension=extension, ua=ua, auto_bridge=auto_bridge, whisper=whisper
        )
        ua.event_cb = partial(self._on_leg_ua_event, call, leg)
        call.legs[leg_id] = leg
        if internal:
            self._claim(extension)
        self._send_try(call, leg, binding, auto_answer)
        leg.timer = Timeout(partial(self._guard, self._ring_timeout, call, leg), ring_timeout)

    def _is_busy(self, extension: str) -> bool:
        limit = self._max_calls_per_extension
        in_use = self._busy.get(extension, 0) + (extension in self._dial.busy_extensions())
        return bool(limit) and in_use >= limit

    def _send_try(self, call: Call, leg: Leg, binding: Binding, auto_answer: bool) -> None:
        event = _TryToBinding(
            (
                SipCallId(),
                call.caller,
                leg.extension,
                MsgBody(call.offer_sdp),
                None,
                call.caller_name,
            )
        )
        event.contact = binding.contact
        if auto_answer:
            # The common auto-answer hints (Polycom/Yealink/Snom/baresip read one of them).
            event.extra_headers = tuple(
                SipHeader(name=name.lower(), body=_CasedHF(value, name))
                for name, value in AUTO_ANSWER_HEADERS
            )
        leg.ua.recvEvent(event)

    def _on_leg_ua_event(self, call: Call, leg: Leg, event: Any, _ua: Any) -> None:
        self._guard(self._on_leg_event, call, leg, event)

    def _on_leg_event(self, call: Call, leg: Leg, event: Any) -> None:
        if leg.state is LegState.ENDED or call.ended:
            return
        if isinstance(event, CCEventRing):
            code = event.getData()[0]
            if code >= 180 and not leg.ringing_reported and leg.state is LegState.RINGING:
                leg.ringing_reported = True
                self._emit(cc.CallRinging(call.call_id, leg.leg_id, leg.extension), call.route)
                if leg.auto_bridge and not call.answered:
                    call.ua.recvEvent(CCEventRing((180, "Ringing", None)))
        elif isinstance(event, CCEventConnect):
            if leg.state is not LegState.RINGING:
                self._reinvite_answered(call, leg, event.getData()[2])
                return
            self._cancel_timer(leg)
            body = event.getData()[2]
            leg.remote_sdp = str(body) if body is not None else ""
            leg.state = LegState.ANSWERED
            self._emit(cc.CallAnswered(call.call_id, leg.leg_id, leg.extension), call.route)
            if leg.auto_bridge:
                self._bridge(call, leg)
        elif isinstance(event, CCEventFail | CCEventRedirect):
            code = int(event.getData()[0])
            if leg.state is LegState.RINGING:
                failure = cc.OfferFailure.BUSY if code in (486, 600) else cc.OfferFailure.REJECTED
                self._end_leg(leg)
                del call.legs[leg.leg_id]
                self._offer_failed(call, leg.leg_id, leg.extension, failure, code, leg.auto_bridge)
            else:
                self._reinvite_done(call, leg)
                if call.monitor is not None and call.monitor.agent is leg:
                    call.monitor.media.agent_refused()
                    self._end_monitor(call, MONITOR_FAILED)
        elif isinstance(event, CCEventDisconnect):
            self._on_leg_disconnect(call, leg, event.getData())
        elif isinstance(event, CCEventUpdate):
            self._on_reinvite(call, leg, leg.ua, event)
        elif isinstance(event, CCEventInfo):
            self._on_info(call, leg, event)

    def _on_leg_disconnect(self, call: Call, leg: Leg, referred: Any) -> None:
        was_bridged = leg.state is LegState.BRIDGED
        self._end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        if referred is not None and was_bridged:
            # The phone did a blind transfer (REFER): sippy already answered 202 and sent BYE.
            self._unbridge(call)
            target = str(referred.getUrl().username or "")
            self._transfer(call, target)
            return
        if was_bridged:
            self._unbridge(call)
            self._end_call(call, cc.HangupSide.CALLEE)
            return
        self._emit(
            cc.LegHungUp(call.call_id, leg.leg_id, leg.extension, cc.HangupSide.CALLEE), call.route
        )

    def _ring_timeout(self, call: Call, leg: Leg) -> None:
        leg.timer = None
        if leg.state is not LegState.RINGING or call.ended:
            return
        leg.ua.recvEvent(CCEventDisconnect())  # CANCEL
        self._end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        self._offer_failed(
            call, leg.leg_id, leg.extension, cc.OfferFailure.NO_ANSWER, 408, leg.auto_bridge
        )

    def _offer_failed(
        self,
        call: Call,
        leg_id: str,
        extension: str,
        failure: cc.OfferFailure,
        code: int,
        auto_bridge: bool,
    ) -> None:
        self._emit(cc.OfferFailed(call.call_id, leg_id, extension, failure, code), call.route)
        if not auto_bridge:
            return
        # The PBX placed this leg itself: the caller gets the outcome.
        if call.answered:
            self._end_call(call, cc.HangupSide.PBX, code=code)
            return
        reply = {
            cc.OfferFailure.BUSY: (486, "Busy Here"),
            cc.OfferFailure.NO_ANSWER: (480, "Temporarily Unavailable"),
            cc.OfferFailure.NOT_REGISTERED: (480, "Temporarily Unavailable"),
        }.get(failure, (code if 400 <= code < 700 else 480, "Call Failed"))
        self._end_call(call, cc.HangupSide.CALLEE, code=reply[0], reason=reply[1])

    def _end_leg(self, leg: Leg) -> None:
        if leg.state is LegState.ENDED:
            return
        self._cancel_timer(leg)
        leg.state = LegState.ENDED
        self._release(leg.extension)

    def _claim(self, extension: str) -> None:
        self._busy[extension] = self._busy.get(extension, 0) + 1

    def _release(self, extension: str) -> None:
        if extension not in self._busy:
            return  # an outside number: never counted
        left = self._busy[extension] - 1
        if left > 0:
            self._busy[extension] = left
        else:
            del self._busy[extension]

    def _drop_leg(self, call: Call, leg: Leg) -> None:
        """End a leg from the PBX side: CANCEL if it rings, BYE if it is answered."""
        if leg.state is LegState.ENDED:
            return
        leg.ua.recvEvent(CCEventDisconnect())
        self._end_leg(leg)
        call.legs.pop(leg.leg_id, None)
        if call.bridged is leg:
            self._unbridge(call)

    def _unbridge(self, call: Call) -> None:
        """The bridged leg is gone: what hung on it (a monitor, a CTI hold) ends with it."""
        self._end_monitor(call, MONITOR_CALL_ENDED)
        if call.cti_hold:
            call.cti_hold = False
            if self._media is not None and not call.ended:
                # A next agent must hear the caller (music plays on until the next Bridge).
                self._set_held_media(call, False)
        call.bridged = None

    @staticmethod
    def _cancel_timer(holder: Leg | Call) -> None:
        timer = holder.timer if isinstance(holder, Leg) else holder.media_timer
        if timer is not None:
            timer.cancel()
        if isinstance(holder, Leg):
            holder.timer = None
        else:
            holder.media_timer = None

    # -----------------------------------------------------------------------------------------
    # Answer, bridge, transfer, hang up

    def _answer(self, call: Call, far_sdp: str = PLACEHOLDER_SDP) -> None:
        if call.answered:
            return
        if self._media is not None:
            sdp = self._media.answer(
                call.call_id, call.caller_tag, str(call.ua.lTag), far_sdp, latching=True
            )
        else:
            sdp = far_sdp
        call.ua.recvEvent(CCEventConnect((200, "OK", MsgBody(sdp))))
        call.answered = True
        if call.route is not None:
            self._emit(cc.CallAnswered(call.call_id), call.route)

    def _bridge(self, call: Call, leg: Leg) -> None:
        if leg.state is not LegState.ANSWERED:
            self._fail(call, "Bridge", f"leg {leg.leg_id} is {leg.state}")
            return
        whisper = leg.whisper if self._media is not None and call.answered else None
        if whisper is None:
            self._stop_media(call)
        if call.bridged is not None and call.bridged is not leg:
            self._drop_leg(call, call.bridged)
        if self._media is not None:
            if call.answered:
                # Re-answer with the agent's SDP; `port latching` keeps the caller's port
                # (architecture.md flow step 4): no re-INVITE to the caller.
                self._media.answer(
                    call.call_id, call.caller_tag, str(call.ua.lTag), leg.remote_sdp, latching=True
                )
            else:
                self._answer(call, leg.remote_sdp)
        elif call.answered:
            call.ua.recvEvent(CCEventUpdate(MsgBody(leg.remote_sdp)))
        else:
            self._answer(call, leg.remote_sdp)
        leg.state = LegState.BRIDGED
        call.bridged = leg
        self._maybe_record(call, leg)
        if whisper is not None:
            self._whisper(call, leg, whisper)

    def _whisper(self, call: Call, leg: Leg, prompt: str) -> None:
        """Both directions muted (as a CTI hold), the prompt to the extension, the caller's
        music going on; then the two hear each other."""
        leg.whisper = None
        self._set_held_media(call, True)
        duration_ms = self._play_to_agent(call, prompt)
        done = partial(self._guard, self._whisper_done, call, leg)
        leg.timer = Timeout(done, max(duration_ms, 1) / 1000.0)

    def _whisper_done(self, call: Call, leg: Leg) -> None:
        leg.timer = None
        if call.ended or call.bridged is not leg or call.cti_hold:
            return  # gone, replaced, or held meanwhile (the hold owns the media now)
        self._stop_media(call)
        self._set_held_media(call, False)

    def _transfer(self, call: Call, target: str) -> None:
        for leg in list(call.legs.values()):
            self._drop_leg(call, leg)
        self._emit(cc.CallTransferred(call.call_id, target), call.route)
        if self._directory.is_call_center(target):
            call.route = target
            call.called = target
            self._emit(
                cc.CallOffered(
                    call_id=call.call_id,
                    caller=call.caller,
                    called=target,
                    source=call.source,
                    caller_name=call.caller_name,
                    transferred=True,
                ),
                target,
            )
            return
        if self._directory.user(target) is None and self._outbound_trunk is None:
            self._end_call(call, cc.HangupSide.PBX, code=404, reason="Not Found")
            return
        if call.answered and self._media is not None:
            self._start_music(call)
        self._offer(call, self._next_leg_id(call), target, self._extension_ring_timeout, True)

    def _end_call(
        self,
        call: Call,
        side: cc.HangupSide,
        *,
        caller_gone: bool = False,
        code: int = 0,
        reason: str = "",
    ) -> None:
        if call.ended:
            return
        call.ended = True
        self._end_monitor(call, MONITOR_CALL_ENDED)
        self._stop_media(call, tell_rtpengine=False)
        for leg in list(call.legs.values()):
            if leg.state is LegState.RINGING and call.route is not None:
                self._emit(
                    cc.OfferFailed(
                        call.call_id, leg.leg_id, leg.extension, cc.OfferFailure.CANCELLED, 487
                    ),
                    call.route,
                )
            self._drop_leg(call, leg)
        if not caller_gone:
            if call.answered:
                call.ua.recvEvent(CCEventDisconnect())
            else:
                call.ua.recvEvent(CCEventFail((code or 480, reason or "Temporarily Unavailable")))
        if self._media is not None:
            self._media.delete(call.call_id)  # closes the pcap before its conversion is queued
        self._finish_recording(call)
        self.calls.pop(call.call_id, None)
        self._emit(cc.CallHungUp(call.call_id, side, code), call.route)

    # -----------------------------------------------------------------------------------------
    # Media: prompts and music

    def _play(
        self,
        call: Call,
        prompt: str,
        then_music: bool,
        *,
        loop: bool = False,
        music: str = "music_on_hold",
        then_hang_up: bool = False,
    ) -> None:
        if self._media is None:
            self._fail(call, "PlayPrompt", "no media server configured")
            return
        if not call.answered:
            self._answer(call)
        self._stop_media(call)
        duration_ms = self._media.play_media(
            call.call_id,
            call.caller_tag,
            self._prompt_path(prompt),
            repeat_times=MUSIC_REPEAT_TIMES if loop else None,
        )
        call.playing = True
        if loop:
            return  # plays until stopped: no end to report
        done = partial(self._prompt_done, call, prompt, music if then_music else "", then_hang_up)
        call.media_timer = Timeout(partial(self._guard, done), max(duration_ms, 1) / 1000.0)

    def _prompt_done(self, call: Call, prompt: str, then_music: str, then_hang_up: bool) -> None:
        call.media_timer = None
        call.playing = False
        if call.ended:
            return
        if then_hang_up:
            self._end_call(call, cc.HangupSide.PBX, code=486)
            return
        self._emit(cc.MediaFinished(call.call_id, prompt), call.route)
        if then_music and call.bridged is None:
            self._start_music(call, then_music)

    def _start_music(self, call: Call, music: str = "music_on_hold") -> None:
        if self._media is None:
            self._fail(call, "StartMusicOnHold", "no media server configured")
            return
        if not call.answered:
            self._answer(call)
        self._stop_media(call)
        self._media.play_media(
            call.call_id,
            call.caller_tag,
            self._prompt_path(music),
            repeat_times=MUSIC_REPEAT_TIMES,
        )
        call.playing = True

    def _stop_media(self, call: Call, tell_rtpengine: bool = True) -> None:
        self._cancel_timer(call)
        if self._media is not None and tell_rtpengine and call.playing:
            self._media.stop_media(call.call_id, call.caller_tag)
        call.playing = False

    # -----------------------------------------------------------------------------------------
    # Recording

    def _maybe_record(self, call: Call, leg: Leg) -> None:
        user = self._directory.user(leg.extension)
        if self._media is None or user is None or user.recording is RecordingMode.NEVER:
            return
        if not call.recording:
            self._media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        call.recorded_extension = leg.extension
        if user.recording is RecordingMode.ALWAYS:
            call.keep_recording = True

    def _request_recording(self, call: Call) -> None:
        call.keep_recording = True
        if call.bridged is not None:
            call.recorded_extension = call.bridged.extension
        if self._media is not None and not call.recording and call.answered:
            self._media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        self._emit(cc.RecordingRequested(call.call_id), call.route)

    def _finish_recording(self, call: Call) -> None:
        if not call.recording or self._recording_sink is None:
            return
        extension = call.recorded_extension
        user = self._directory.user(extension) if extension else None
        self._recording_sink(
            {
                "call_id": call.call_id,
                "caller": call.caller,
                "called": call.called,
                "extension": extension,
                "tenant": user.tenant if user is not None else "demo",
                "keep": call.keep_recording,
            }
        )

    # -----------------------------------------------------------------------------------------
    # re-INVITE (hold/resume) and DTMF

    def _on_reinvite(self, call: Call, leg: Leg | None, ua: Any, event: Any) -> None:
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
        self._emit(hold_event, call.route)
        if (
            leg is not None
            and leg is call.bridged
            and self._media is not None
            and not call.cti_hold
        ):
            # The agent put the caller on hold: the caller hears music until the agent is back
            # (rtpengine forwards the agent's audio again once the player stops).
            if held:
                self._start_music(call)
            else:
                self._stop_media(call)

    def _hold(self, call: Call) -> None:
        leg = call.bridged
        reason = ""
        if self._media is None:
            reason = "no media server configured"
        elif leg is None:
            reason = "no extension is bridged to the caller"
        elif call.cti_hold:
            reason = "the call is on hold already"
        elif leg.held:
            reason = f"the phone of {leg.extension} holds the call already"
        if reason or self._media is None or leg is None:
            self._fail(call, "HoldCall", reason)
            return
        try:
            self._set_held_media(call, True)
            self._start_music(call)
        except NgError:
            with contextlib.suppress(NgError):
                self._set_held_media(call, False)  # nothing changes
            raise
        call.cti_hold = True
        self._emit(cc.CallHeld(call.call_id, leg.leg_id), call.route)

    def _set_held_media(self, call: Call, held: bool) -> None:
        """Block both directions: the agent must not hear the caller, and the caller hears
        only the music (rtpengine's player does not replace forwarded audio, it interleaves)."""
        assert self._media is not None
        change = self._media.block_media if held else self._media.unblock_media
        for tag in (call.caller_tag, str(call.ua.lTag)):
            change(call.call_id, tag)

    def _resume(self, call: Call) -> None:
        leg = call.bridged
        if self._media is None or leg is None or not call.cti_hold:
            self._fail(call, "ResumeCall", "the call is not on hold (HoldCall)")
            return
        self._stop_media(call)
        self._set_held_media(call, False)
        call.cti_hold = False
        self._emit(cc.CallResumed(call.call_id, leg.leg_id), call.route)

    def _play_to_agent(self, call: Call, prompt: str) -> int:
        """Returns the prompt's duration in ms (0: unknown, or refused)."""
        if self._media is None or call.bridged is None:
            self._fail(call, "PlayToAgent", "no extension is bridged to the caller")
            return 0
        # rtpengine plays toward the party of the tag: the monologue facing the agent's leg.
        return self._media.play_media(call.call_id, str(call.ua.lTag), self._prompt_path(prompt))

    def _on_info(self, call: Call, leg: Leg | None, event: Any) -> None:
        body = event.getData()
        if body is None:
            return
        digit = dtmf_from_info(body.getType(), str(body))
        if digit is not None:
            self._digit(call, leg, digit)

    def on_rtp_dtmf(self, call_id: str, source_tag: str, digit: str) -> None:
        """A digit rtpengine decoded from RFC 4733 events (its `--dtmf-log-dest` feed)."""
        call = self.calls.get(call_id)
        if call is None:
            return
        leg = None if source_tag == call.caller_tag else call.bridged
        self._guard(self._digit, call, leg, digit)

    def _digit(self, call: Call, leg: Leg | None, digit: str) -> None:
        leg_id = leg.leg_id if leg is not None else ""
        self._emit(cc.DtmfReceived(call.call_id, digit, leg_id), call.route)
        holder: Leg | Call = leg if leg is not None else call
        holder.digits = (holder.digits + digit)[-len(RECORD_ON_DEMAND_CODE) :]
        if leg is not None and holder.digits == RECORD_ON_DEMAND_CODE:
            holder.digits = ""
            self._request_recording(call)

    # -----------------------------------------------------------------------------------------
    # Supervisor monitoring (docs/pbx.md): the supervisor's phone talks to a conference mixer;
    # `media/monitor_media.py` moves the media, this part does the SIP and the events.

    def _monitor(self, call: Call, command: cc.MonitorCall) -> None:
        current = call.monitor
        if current is not None:
            if current.monitor_id != command.monitor_id:
                reason = f"monitored already ({current.monitor_id} by {current.extension})"
                self._fail(call, "MonitorCall", reason)
                return
            current.mode = command.mode
            if current.state is MonitorState.JOINED:
                self._guard_monitor(self._switch_mode, call, current)
            return
        leg = call.bridged
        if self._media is None:
            self._fail(call, "MonitorCall", "no media server configured")
            return
        if leg is None:
            self._fail(call, "MonitorCall", "no extension is bridged to the caller")
            return
        if self._directory.user(command.extension) is None:
            self._fail(call, "MonitorCall", f"unknown extension {command.extension}")
            return
        busy = self._is_busy(command.extension)
        binding = None if busy else self._locations.lookup(command.extension)
        if binding is None:
            reason = MONITOR_BUSY if busy else MONITOR_NOT_REGISTERED
            self._emit(
                cc.MonitorEnded(call.call_id, command.monitor_id, command.extension, reason),
                call.route,
            )
            return
        try:
            media = MonitorMedia(
                self._media,
                str(self._config["_sip_address"]),
                CallMedia(call.call_id, call.caller_tag, str(call.ua.lTag), call.offer_sdp),
                reoffer_agent=partial(self._reoffer, leg),
                on_failure=partial(self._conference_failed, call),
            )
        except OSError as error:
            self._fail(call, "MonitorCall", f"media: no mixer sockets ({error})")
            return
        ua = UA(self._config, nh_address=(binding.host, binding.port))
        ua.lContact = self._contact()
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
        self._claim(command.extension)
        invite = _TryToBinding(
            (
                SipCallId(),
                call.caller,
                command.extension,
                MsgBody(media.supervisor_offer()),
                None,
                f"monitor {leg.extension}",
            )
        )
        invite.contact = binding.contact
        ua.recvEvent(invite)
        monitor.timer = Timeout(
            partial(self._guard_monitor, self._monitor_not_answered, call, monitor),
            command.ring_timeout,
        )

    def _switch_mode(self, call: Call, monitor: Monitor) -> None:
        monitor.media.apply(monitor.mode, monitor.agent.remote_sdp)
        self._emit(self._monitor_started(call, monitor), call.route)

    def _monitor_started(self, call: Call, monitor: Monitor) -> cc.MonitorStarted:
        return cc.MonitorStarted(call.call_id, monitor.monitor_id, monitor.extension, monitor.mode)

    def _on_monitor_ua_event(self, call: Call, monitor: Monitor, event: Any, _ua: Any) -> None:
        self._guard_monitor(self._on_monitor_event, call, monitor, event)

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
                self._end_monitor(call, reason, supervisor_gone=True)
        elif isinstance(event, CCEventDisconnect):
            self._end_monitor(call, MONITOR_HUNG_UP, supervisor_gone=True)
        elif isinstance(event, CCEventUpdate):
            # The supervisor's phone re-INVITEs (hold, session refresh): its media stays on the
            # mixer socket it was given.
            monitor.ua.recvEvent(CCEventConnect((200, "OK", monitor.ua.lSDP)))

    def _join(self, call: Call, monitor: Monitor, supervisor_sdp: str) -> None:
        self._cancel_monitor_timer(monitor)
        monitor.state = MonitorState.JOINED
        try:
            monitor.media.join(supervisor_sdp, monitor.mode, monitor.agent.remote_sdp)
        except SdpError as error:
            log.warning("cannot monitor %s: %s", call.call_id, error)
            self._end_monitor(call, MONITOR_REJECTED)
            return
        self._emit(self._monitor_started(call, monitor), call.route)

    def _reoffer(self, leg: Leg, sdp: str) -> None:
        if leg.reinviting:
            leg.queued_offer = sdp  # only the latest matters: it says where the media is now
            return
        leg.reoffers += 1
        leg.reinviting = True
        leg.ua.recvEvent(CCEventUpdate(MsgBody(with_version(sdp, leg.reoffers))))

    def _reinvite_done(self, call: Call, leg: Leg) -> None:
        queued, leg.queued_offer = leg.queued_offer, ""
        if not queued:
            leg.reinviting = False
            return
        # On the next tick: sippy sends the ACK of the re-INVITE that just ended after this
        # callback returns, and a new INVITE must not overtake it.
        ED2.callFromThread(self._guard_monitor, self._send_queued_offer, call, leg, queued)

    def _send_queued_offer(self, _call: Call, leg: Leg, sdp: str) -> None:
        leg.reinviting = False
        if leg.state is LegState.BRIDGED:
            self._reoffer(leg, sdp)

    def _reinvite_answered(self, call: Call, leg: Leg, body: Any) -> None:
        self._reinvite_done(call, leg)
        if body is None or leg.state is not LegState.BRIDGED:
            return
        leg.remote_sdp = str(body)
        monitor = call.monitor
        if monitor is not None and monitor.agent is leg:
            monitor.media.agent_answered(leg.remote_sdp)

    def _monitor_not_answered(self, call: Call, monitor: Monitor) -> None:
        monitor.timer = None
        if call.monitor is monitor and monitor.state is MonitorState.RINGING:
            self._end_monitor(call, MONITOR_NO_ANSWER)

    def _conference_failed(self, call: Call, _error: BaseException) -> None:
        """From the mixer's thread: end that monitor in the SIP thread."""
        monitor = call.monitor
        if monitor is not None:
            ED2.callFromThread(
                self._guard_monitor, self._end_monitor_of, call, monitor, MONITOR_FAILED
            )

    def _end_monitor_of(self, call: Call, monitor: Monitor, reason: str) -> None:
        if call.monitor is monitor:
            self._end_monitor(call, reason)

    def _end_monitor(self, call: Call, reason: str, *, supervisor_gone: bool = False) -> None:
        monitor = call.monitor
        if monitor is None:
            return
        call.monitor = None
        self._cancel_monitor_timer(monitor)
        leg = monitor.agent
        try:
            agent_sdp = leg.remote_sdp if leg.state is LegState.BRIDGED else None
            monitor.media.leave(agent_sdp, call_alive=not call.ended)
        finally:
            if not supervisor_gone:
                monitor.ua.recvEvent(CCEventDisconnect())  # CANCEL or BYE
            self._release(monitor.extension)
            self._emit(
                cc.MonitorEnded(call.call_id, monitor.monitor_id, monitor.extension, reason),
                call.route,
            )

    @staticmethod
    def _cancel_monitor_timer(monitor: Monitor) -> None:
        if monitor.timer is not None:
            monitor.timer.cancel()
            monitor.timer = None

    def _guard_monitor(self, func: Callable[..., None], call: Call, *args: Any) -> None:
        """Unlike `_guard`, a failure here ends only the monitor: the monitored conversation
        must go on."""
        try:
            func(call, *args)
        except Exception:
            log.exception("error in monitoring of %s (%s)", call.call_id, func.__name__)
            try:
                self._end_monitor(call, MONITOR_FAILED)
            except Exception:
                log.exception("could not end the monitor of %s cleanly", call.call_id)

    # -----------------------------------------------------------------------------------------
    # Commands from the application

    def execute(self, command: cc.CallCommand) -> None:
        name = type(command).__name__
        if isinstance(command, cc.Dial):
            self._dial.start(command, self._is_busy)
            return
        if command.call_id in self._dial.calls:
            if isinstance(command, cc.Hangup):
                self._dial.hang_up(command.call_id)
            else:
                reason = "only Hangup applies to a click-to-dial call"
                self._emit(cc.CommandFailed(command.call_id, name, reason), None)
            return
        call = self.calls.get(command.call_id)
        if call is None or call.ended:
            self._emit(cc.CommandFailed(command.call_id, name, "no such call"), None)
            return
        try:
            self._execute(call, command)
        except NgError as error:
            self._fail(call, name, f"media: {error}")

    def _execute(self, call: Call, command: cc.CallCommand) -> None:
        match command:
            case cc.Answer():
                self._answer(call)
            case cc.Reject(code=code, reason=reason):
                if not call.answered:
                    self._end_call(call, cc.HangupSide.PBX, code=code, reason=reason)
                elif self._media is not None:
                    for other in list(call.legs.values()):
                        self._drop_leg(call, other)
                    self._play(call, BUSY_TONE, False, then_hang_up=True)
                else:
                    self._end_call(call, cc.HangupSide.PBX, code=code)
            case cc.PlayPrompt(prompt=prompt, then_music=then_music, loop=loop, music=music):
                self._play(call, prompt, then_music, loop=loop, music=music)
            case cc.StartMusicOnHold(music=music):
                self._start_music(call, music)
            case cc.StopMedia():
                self._stop_media(call)
            case cc.SendRinging():
                if not call.answered:
                    call.ua.recvEvent(CCEventRing((180, "Ringing", None)))
                else:
                    self._play(call, RINGBACK_TONE, False, loop=True)
            case cc.OfferCall(
                leg_id=leg_id,
                extension=extension,
                ring_timeout=timeout,
                auto_answer=auto,
                whisper=whisper,
            ):
                self._offer(
                    call, leg_id, extension, timeout, False, auto_answer=auto, whisper=whisper
                )
            case cc.DisconnectLeg(leg_id=leg_id):
                leg = call.legs.get(leg_id)
                if leg is None:
                    self._fail(call, "DisconnectLeg", f"no leg {leg_id}")
                    return
                ringing, bridged = leg.state is LegState.RINGING, leg is call.bridged
                self._drop_leg(call, leg)
                if ringing:
                    failure = cc.OfferFailure.CANCELLED
                    event: cc.CallEvent = cc.OfferFailed(
                        call.call_id, leg_id, leg.extension, failure, 487
                    )
                else:
                    event = cc.LegHungUp(call.call_id, leg_id, leg.extension, cc.HangupSide.PBX)
                self._emit(event, call.route)
                if bridged and call.answered and self._media is not None:
                    self._start_music(call)
            case cc.StopRinging(leg_id=leg_id):
                leg = call.legs.get(leg_id)
                if leg is None or leg.state is not LegState.RINGING:
                    self._fail(call, "StopRinging", f"leg {leg_id} is not ringing")
                    return
                self._drop_leg(call, leg)
                self._emit(
                    cc.OfferFailed(
                        call.call_id, leg_id, leg.extension, cc.OfferFailure.CANCELLED, 487
                    ),
                    call.route,
                )
            case cc.Bridge(leg_id=leg_id):
                leg = call.legs.get(leg_id)
                if leg is None:
                    self._fail(call, "Bridge", f"no leg {leg_id}")
                    return
                self._bridge(call, leg)
            case cc.Transfer(target=target):
                self._transfer(call, target)
            case cc.Hangup(code=code, reason=reason):
                self._end_call(call, cc.HangupSide.PBX, code=code, reason=reason)
            case cc.StartRecording():
                self._request_recording(call)
            case cc.HoldCall():
                self._hold(call)
            case cc.ResumeCall():
                self._resume(call)
            case cc.PlayToAgent(prompt=prompt):
                self._play_to_agent(call, prompt)
            case cc.MonitorCall():
                self._monitor(call, command)
            case cc.StopMonitor(monitor_id=monitor_id):
                if call.monitor is None or call.monitor.monitor_id != monitor_id:
                    self._fail(call, "StopMonitor", f"no monitor {monitor_id} on this call")
                    return
                self._end_monitor(call, MONITOR_STOPPED)

    def _fail(self, call: Call, command: str, reason: str) -> None:
        self._emit(cc.CommandFailed(call.call_id, command, reason), call.route)

    def _guard(self, func: Callable[..., None], *args: Any) -> None:
        """One call's bug or media failure must not take the SIP thread (and every other call)
        down with it: log it and end that call."""
        try:
            func(*args)
        except Exception:
            log.exception("error in call handling (%s)", getattr(func, "__name__", func))
            call = next((a for a in args if isinstance(a, Call)), None)
            if call is not None and not call.ended:
                try:
                    self._end_call(call, cc.HangupSide.PBX, code=500, reason="Server Error")
                except Exception:
                    log.exception("could not end call %s cleanly", call.call_id)
                    self.calls.pop(call.call_id, None)

    def set_directory(self, directory: Directory) -> None:
        self._directory = directory
        self._dial.directory = directory

    def hang_up_all(self) -> None:
        for call_id in list(self.calls):
            self.execute(cc.Hangup(call_id, code=503, reason="Service Unavailable"))
        for call_id in list(self._dial.calls):
            self._dial.hang_up(call_id)

    # -----------------------------------------------------------------------------------------
    # Introspection (tests, metrics)

    def busy_extensions(self) -> dict[str, int]:
        return dict(self._busy)
