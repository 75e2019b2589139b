"""A new INVITE: challenge it, route it (call center, extension, outside number) and start the
call; then the caller's own events (BYE, re-INVITE, INFO)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sippy.CCEvents import CCEventDisconnect, CCEventFail, CCEventInfo, CCEventTry, CCEventUpdate
from sippy.Core.EventDispatcher import ED2
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call
from pbx_core.sip.digest import challenge_header, nonce_is_fresh, verified_user
from pbx_core.sip.direct_numbers import DirectNumbers

log = logging.getLogger(__name__)


class Inbound:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx
        self._direct_numbers = DirectNumbers(ctx)

    def new_invite(self, req: Any, sip_t: Any) -> Any:
        source_host = str(req.getSource()[0])
        if req.countHFs("authorization") == 0 and not self._is_trunk_call(req, source_host):
            # Challenge statelessly: no dialog, no UA, no timer for the first, unauthenticated
            # INVITE of every extension call (half of all INVITEs).
            resp = req.genResponse(401, "Unauthorized")
            resp.appendHeader(challenge_header(self._ctx.realm))
            return (resp, None, None)
        ua = UA(self._ctx.config)
        ua.lContact = self._ctx.contact()
        ua.event_cb = partial(self._on_caller_event, ua, source_host)
        return ua.recvRequest(req, sip_t)

    def _is_trunk_call(self, req: Any, source_host: str) -> bool:
        directory = self._ctx.directory
        called = str(req.getRURI().username or "")
        caller = str(req.getHFBody("from").getUrl().username or "")
        return (
            source_host in directory.trusted_trunk_addresses and directory.is_call_center(called)
        ) or self._direct_numbers.is_carrier_request(source_host, caller, called)

    def _on_caller_event(self, ua: Any, source_host: str, event: Any, _ua: Any) -> None:
        if isinstance(event, CCEventTry):
            # Decide on the next tick: answering inside the INVITE callback would send the
            # final response before 100 Trying (architecture.md, decision 1).
            ED2.callFromThread(self._route_new_call, ua, source_host, event)
            return
        call = self._ctx.calls.get(str(ua.cId))
        if call is None or call.ua is not ua:
            if isinstance(event, CCEventDisconnect):
                ua.event_cb = None  # the caller gave up before routing finished
            return
        self._ctx.guard(self._on_caller_leg_event, call, event)

    def _route_new_call(self, ua: Any, source_host: str, event: Any) -> None:
        if ua.isDead() or ua.event_cb is None:
            return
        try:
            self._route(ua, source_host, event)
        except Exception:
            # Redis or rtpengine gone, or a bug: refuse this call, keep the reactor.
            log.exception("cannot route call %s", ua.cId)
            call = self._ctx.calls.get(str(ua.cId))
            if call is not None and call.ua is ua:
                self._ctx.guard(self._ctx.bridging.end_call, call, cc.HangupSide.PBX)
            elif not ua.isDead():
                ua.recvEvent(CCEventFail((503, "Service Unavailable")))

    def _route(self, ua: Any, source_host: str, event: Any) -> None:
        _call_id, caller, called, body, auth, caller_name = event.getData()
        caller, called = str(caller or ""), str(called or "")
        if body is None:
            ua.recvEvent(CCEventFail((488, "Not Acceptable Here")))
            return
        directory = self._ctx.directory
        trunk = source_host in directory.trusted_trunk_addresses
        if trunk and directory.is_call_center(called):
            self._start_call(ua, cc.CallSource.TRUNK, caller, called, caller_name, body, called)
            return
        if self._direct_numbers.is_carrier_request(source_host, caller, called):
            self._direct_numbers.route(ua, caller, called, caller_name, body, self._start_call)
            return
        if verified_user(directory, auth, "INVITE", caller) is None:
            if auth is None or not nonce_is_fresh(auth):
                fail = CCEventFail((401, "Unauthorized"))
                fail.extra_headers = (challenge_header(self._ctx.realm),)
            else:
                fail = CCEventFail((403, "Forbidden"))
            ua.recvEvent(fail)
            return
        if directory.is_call_center(called):
            self._start_call(ua, cc.CallSource.EXTENSION, caller, called, caller_name, body, called)
            return
        if directory.user(called) is None and not self._ctx.trunks.reaches_outside:
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        call = self._start_call(
            ua, cc.CallSource.EXTENSION, caller, called, caller_name, body, None
        )
        if call is not None:
            ring_timeout = self._ctx.extension_ring_timeout
            self._ctx.offers.offer(call, call.next_leg_id(), called, ring_timeout, True)

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
        if call.call_id in self._ctx.calls:
            ua.recvEvent(CCEventFail((482, "Loop Detected")))
            return None
        caller_sdp = str(body)
        media = self._ctx.media
        if media is not None:
            try:
                call.offer_sdp = media.offer(call.call_id, call.caller_tag, caller_sdp)
            except NgError as error:
                log.warning("rtpengine offer failed for %s: %s", call.call_id, error)
                ua.recvEvent(CCEventFail((503, "Service Unavailable")))
                return None
        else:
            call.offer_sdp = caller_sdp
        self._ctx.calls[call.call_id] = call
        # Extension-to-extension calls (route None) are announced too, to subscribers only, so
        # observers (CTI: "agent busy on an internal call") see who calls whom.
        self._ctx.emit(
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

    def _on_caller_leg_event(self, call: Call, event: Any) -> None:
        if isinstance(event, CCEventDisconnect):
            referred = event.getData()
            if referred is not None:
                log.info("REFER from the caller of %s is treated as a hang-up", call.call_id)
            self._ctx.bridging.end_call(call, cc.HangupSide.CALLER, caller_gone=True)
        elif isinstance(event, CCEventUpdate):
            self._ctx.hold.on_reinvite(call, None, call.ua, event)
        elif isinstance(event, CCEventInfo):
            self._ctx.hold.on_info(call, None, event)
        # CCEventConnect here is the ACK of our 200 or the answer to our re-INVITE: nothing to do.
