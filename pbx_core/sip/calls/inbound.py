"""A new INVITE: challenge it, route it (call center, extension, outside number) and start the
call; then the caller's own events (BYE, re-INVITE, INFO).

Tenants: the From domain names the caller's tenant (and the realm it authenticates in), the
Request-URI domain the called tenant; an extension's call stays in its own tenant, a trunk's
call goes to the call center of the tenant whose domain it addresses (docs/pbx.md, "Tenants")."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, assert_never

from sippy.CCEvents import CCEventDisconnect, CCEventFail, CCEventInfo, CCEventTry, CCEventUpdate
from sippy.Core.EventDispatcher import ED2
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.directory import Directory
from pbx_core.features.codes import FEATURE_CODE_ROUTE, is_feature_code, split_inhibitor
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.callback import CANCEL_CODE
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.hold import RECORD_ON_DEMAND_CODE
from pbx_core.sip.calls.model import Call
from pbx_core.sip.digest import DigestRequest, Verdict
from pbx_core.sip.direct_numbers import DirectNumbers
from pbx_core.sip.peer import peer_host
from pbx_core.trunks.anonymity import hides_caller
from pbx_core.trunks.incoming_plan import INTERCEPT_ROUTE
from pbx_core.trunks.routing import HIDE_ONCE

log = logging.getLogger(__name__)

RECORD_PREFIX = RECORD_ON_DEMAND_CODE
"""`*441002` calls 1002 and keeps the call's recording (seed 3.2.8)."""


@dataclass(frozen=True, slots=True)
class Addressing:
    """Whom a new INVITE is from and for."""

    caller_domain: str
    """From: the tenant whose user calls."""
    called_domain: str
    """Request-URI: the tenant whose number is called."""
    request_uri: str
    """What the caller's digest `uri` must name."""
    replaces: str = ""
    """The INVITE's `Replaces` header (RFC 3891): the dialog this call takes the place of."""
    to_user: str = ""
    """To's user: the dialled number of a call to a registered trunk account."""
    privacy: str = ""
    """The Privacy headers' values (RFC 3323), joined with `;`."""

    @classmethod
    def of(cls, req: Any) -> Addressing:
        uri = req.getRURI()
        return cls(
            caller_domain=str(req.getHFBody("from").getUrl().host or ""),
            called_domain=str(uri.host or ""),
            request_uri=str(uri),
            replaces=str(req.getHFBody("replaces")) if req.countHFs("replaces") else "",
            to_user=str(req.getHFBody("to").getUrl().username or ""),
            privacy=";".join(str(body) for body in req.getHFBodys("privacy")),
        )


class Inbound:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx
        self._direct_numbers = DirectNumbers(ctx)

    def new_invite(self, req: Any, sip_t: Any) -> Any:
        source_host = peer_host(req)
        addressing = Addressing.of(req)
        called = str(req.getRURI().username or "")
        if (
            req.countHFs("authorization") == 0
            and self._trunk_tenant(source_host, addressing, called) is None
            and not self._is_carrier_request(req, source_host, addressing)
        ):
            # Challenge statelessly: no dialog, no UA, no timer for the first, unauthenticated
            # INVITE of every extension call (half of all INVITEs).
            resp = req.genResponse(401, "Unauthorized")
            directory = self._ctx.directories.for_domain(addressing.caller_domain)
            resp.appendHeader(self._ctx.auth.challenge(self._ctx.realm(directory), source_host))
            return (resp, None, None)
        ua = UA(self._ctx.config)
        ua.lContact = self._ctx.contact()
        ua.event_cb = partial(self._on_caller_event, ua, source_host, addressing)
        return ua.recvRequest(req, sip_t)

    def _trunk_tenant(self, source_host: str, addressing: Addressing, called: str) -> str | None:
        """The tenant whose call center a trusted trunk calls, if this is such a call."""
        directories = self._ctx.directories
        if not directories.is_trunk(source_host):
            return None
        directory = directories.for_domain(addressing.called_domain)
        if directory is None or not directory.is_call_center(called):
            return None
        return directory.tenant

    def _is_carrier_request(self, req: Any, source_host: str, addressing: Addressing) -> bool:
        called = str(req.getRURI().username or "")
        caller = str(req.getHFBody("from").getUrl().username or "")
        return self._direct_numbers.is_carrier_request(
            source_host, addressing.caller_domain, addressing.called_domain, caller, called
        )

    def _on_caller_event(
        self, ua: Any, source_host: str, addressing: Addressing, event: Any, _ua: Any
    ) -> None:
        if isinstance(event, CCEventTry):
            # Decide on the next tick: answering inside the INVITE callback would send the
            # final response before 100 Trying (architecture.md, decision 1).
            ED2.callFromThread(self._route_new_call, ua, source_host, addressing, event)
            return
        call = self._ctx.calls.get(str(ua.cId))
        if call is None or call.ua is not ua:
            if isinstance(event, CCEventDisconnect):
                ua.event_cb = None  # the caller gave up before routing finished
            return
        self._ctx.guard(self._on_caller_leg_event, call, event)

    def on_taken_over_event(self, event: Any, ua: Any) -> None:
        """The events of a caller's dialog rebuilt after a restart (`dialog_takeover.py`)."""
        call = self._ctx.calls.get(str(ua.cId))
        if call is not None and call.ua is ua:
            self._ctx.guard(self._on_caller_leg_event, call, event)

    def _route_new_call(
        self, ua: Any, source_host: str, addressing: Addressing, event: Any
    ) -> None:
        if ua.isDead() or ua.event_cb is None:
            return
        try:
            self._route(ua, source_host, addressing, event)
        except Exception:
            # Redis or rtpengine gone, or a bug: refuse this call, keep the reactor.
            log.exception("cannot route call %s", ua.cId)
            call = self._ctx.calls.get(str(ua.cId))
            if call is not None and call.ua is ua:
                self._ctx.guard(self._ctx.bridging.end_call, call, cc.HangupSide.PBX)
            elif not ua.isDead():
                ua.recvEvent(CCEventFail((503, "Service Unavailable")))

    def _route(self, ua: Any, source_host: str, addressing: Addressing, event: Any) -> None:
        _call_id, caller, called, body, auth, caller_name = event.getData()
        caller, called = str(caller or ""), str(called or "")
        if body is None:
            ua.recvEvent(CCEventFail((488, "Not Acceptable Here")))
            return
        start = partial(self._start_call, ua, caller=caller, called=called, body=body)
        trunk_tenant = self._trunk_tenant(source_host, addressing, called)
        if trunk_tenant is not None:
            trunks = self._ctx.trunks
            refused = trunks.incoming(trunk_tenant, None, caller)
            if trunk_tenant in trunks.intercepted:
                start(cc.CallSource.TRUNK, trunk_tenant, caller_name, INTERCEPT_ROUTE)
            elif refused is not None:
                ua.recvEvent(CCEventFail((refused.code, refused.reason)))
            elif not self._ctx.offers.refuse_over_capacity(ua, trunk_tenant, caller, called):
                start(cc.CallSource.TRUNK, trunk_tenant, caller_name, called)
            return
        if self._direct_numbers.is_carrier_request(
            source_host, addressing.caller_domain, addressing.called_domain, caller, called
        ):
            carrier_start = partial(self._start_call, ua)
            number = self._direct_numbers.dialled(source_host, called, addressing.to_user)
            hidden = hides_caller(caller, addressing.caller_domain, addressing.privacy)
            self._direct_numbers.route(
                ua, caller, number, caller_name, body, carrier_start, hidden=hidden
            )
            return
        directories = self._ctx.directories
        directory = directories.for_domain(addressing.caller_domain)
        if not self._authenticated(ua, source_host, addressing, directory, caller, auth):
            return
        assert directory is not None  # nobody authenticates in no tenant
        called_directory = directories.for_domain(addressing.called_domain)
        if called_directory is not None and called_directory.tenant != directory.tenant:
            log.info(
                "%s@%s may not call %s@%s: another tenant",
                caller,
                addressing.caller_domain,
                called,
                addressing.called_domain,
            )
            ua.recvEvent(CCEventFail((403, "Forbidden")))
            return
        tenant = directory.tenant
        if self._ctx.hoteling.idle_host_may_not_call(tenant, caller, called):
            ua.recvEvent(CCEventFail((403, "Hoteling Host: Sign In First")))
            return
        guest = self._ctx.hoteling.presented(tenant, caller, called)
        if guest != caller:  # a hoteling host's call is its guest's (features/hoteling.py)
            user = directory.user(guest)
            caller, caller_name = guest, user.display_name if user is not None else guest
        if addressing.replaces:  # the phone takes over a call of its tenant (call_handling.py)
            phone = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if phone is not None:
                self._ctx.call_handling.replace(phone, addressing.replaces)
            return
        recorded = called.startswith(RECORD_PREFIX) and len(called) > len(RECORD_PREFIX)
        if recorded:  # *44<number> (seed 3.2.8): this call is recorded and kept
            if not self._ctx.caller_media.licensed(tenant, caller):
                ua.recvEvent(CCEventFail((403, "Recording Not Licensed")))
                return
            called = called.removeprefix(RECORD_PREFIX)
        start = partial(self._start_call, ua, caller=caller, called=called, body=body)
        if directory.is_call_center(called):
            call = start(cc.CallSource.EXTENSION, tenant, caller_name, called)
            if call is not None and recorded:
                self._ctx.caller_media.record_on_request_of_caller(call)
            return
        called, inhibited = split_inhibitor(called)
        start = partial(self._start_call, ua, caller=caller, called=called, body=body)
        if self._ctx.voicemail.is_portal(called):
            # `*62` (Owner.VOICEMAIL in features/codes.py) is the PBX's own voice portal: it
            # never reaches FEATURE_CODE_ROUTE, so the portal answers it exactly once.
            portal = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if portal is not None:
                self._ctx.voicemail.start_portal(portal)
            return
        room = self._ctx.bridge_rooms.room(tenant, called)
        if room is not None:  # a conference bridge room (sip/calls/bridge_rooms.py)
            meeting = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if meeting is not None:
                self._ctx.bridge_rooms.start(meeting, room)
            return
        if self._ctx.call_handling.takes(called):  # pickup and park: the PBX's own
            phone = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if phone is not None:
                self._ctx.call_handling.dial(phone)
            return
        if called == CANCEL_CODE:  # `#8`: the automatic callback's camps end (callback.py)
            phone = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if phone is not None:
                self._ctx.callback.cancel_all(phone)
            return
        if self._ctx.speed_dial.takes(called):  # `2`, `#07`: sip/calls/speed_dial.py
            phone = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
            if phone is not None:
                self._ctx.speed_dial.dial(phone)
            return
        # *67<number> (Owner.TRUNKS) is the PBX's own: the carrier leg hides the caller's number.
        hide_once = called.startswith(HIDE_ONCE) and self._ctx.trunks.reaches_outside
        if is_feature_code(called) and not hide_once:  # features/codes.py: the application's
            start(cc.CallSource.EXTENSION, tenant, caller_name, FEATURE_CODE_ROUTE)
            return
        # A user's alternate number rings that user (features/alternates.py), last of all.
        alternate = None if directory.user(called) else self._ctx.alternates.get(tenant, called)
        target = alternate.extension if alternate is not None else called
        if directory.user(target) is None and not self._ctx.trunks.reaches_outside:
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        refused = self._ctx.trunks.incoming(tenant, target, None)
        if directory.user(target) is not None and refused is not None:
            log.info("%s may not call %s: %s (incoming plan)", caller, target, refused.reason)
            ua.recvEvent(CCEventFail((refused.code, refused.reason)))
            return
        call = start(cc.CallSource.EXTENSION, tenant, caller_name, None)
        if call is not None and recorded:
            self._ctx.caller_media.record_on_request_of_caller(call)
        if call is not None:  # forwarding and do-not-disturb decide whether the user rings
            call.alternate = alternate
            self._ctx.call_handling.dialled(call, called)  # for *66
            self._ctx.forwarding.ring(call, target, inhibited=inhibited)

    def _authenticated(
        self,
        ua: Any,
        source_host: str,
        addressing: Addressing,
        directory: Directory | None,
        caller: str,
        auth: Any,
    ) -> bool:
        """The caller's digest answer is good; otherwise it has been refused (401 or 403)."""
        ctx = self._ctx
        realm = ctx.realm(directory)
        if auth is None:
            verdict = Verdict.STALE  # no answer yet: a challenge, as for an old nonce
        else:
            asked = DigestRequest("INVITE", addressing.request_uri, source_host, realm, caller)
            verdict = ctx.auth.check(directory, auth, asked)
        match verdict:
            case Verdict.OK:
                return True
            case Verdict.STALE:
                fail = CCEventFail((401, "Unauthorized"))
                challenge = ctx.auth.challenge(realm, source_host, stale=auth is not None)
                fail.extra_headers = (challenge,)
                ua.recvEvent(fail)
            case Verdict.FAILED:
                log.info(
                    "INVITE from %s@%s (%s) refused", caller, addressing.caller_domain, source_host
                )
                if not ctx.directories.is_trunk(source_host):
                    ctx.throttle.failed(source_host, f"INVITE {caller}@{addressing.caller_domain}")
                ua.recvEvent(CCEventFail((403, "Forbidden")))
            case _:
                assert_never(verdict)
        return False

    def _start_call(
        self,
        ua: Any,
        source: cc.CallSource,
        tenant: str,
        caller_name: Any,
        route: str | None,
        *,
        caller: str,
        called: str,
        body: Any,
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
            tenant=tenant,
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
                tenant=tenant,
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
