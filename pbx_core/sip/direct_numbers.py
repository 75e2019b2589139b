"""Calls from the carrier to direct numbers: which requests are the carrier's, and where the
number they are addressed to goes (a user's phone rings, a call center queues the call, a
conference room asks for its PIN).

A request is the carrier's when it comes from a trunk address and neither its From nor its
Request-URI is one of our extensions: our own phones share the demo's trunk address (127.0.0.1),
and a phone always calls from its extension (docs/trunks.md, "Who is the carrier").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from sippy.CCEvents import CCEventFail

from common.number_destinations import voicemail_box
from pbx_core import call_control as cc
from pbx_core.trunks.incoming_plan import INTERCEPT_ROUTE
from pbx_core.trunks.numbering import to_e164
from pbx_core.trunks.routing import DirectNumber

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

StartCall = Callable[..., "Call | None"]
"""`Inbound._start_call` bound to the caller's UA: (source, tenant, caller_name, route, *,
caller, called, body)."""

_LOGGED_CHARS = 64
"""A Request-URI user part is the sender's text: logged with repr and cut short."""


class DirectNumbers:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def is_carrier_request(
        self, source_host: str, caller_domain: str, called_domain: str, caller: str, called: str
    ) -> bool:
        """From a trunk address, and neither From nor Request-URI one of ours: From is not a user
        of the tenant of its domain, the Request-URI not a user or call center of its domain's.
        Or from a registering trunk's address to the account it registered."""
        ctx = self._ctx
        directories = ctx.directories
        account = ctx.trunks.registered_account(source_host, called)
        trusted = directories.is_trunk(source_host) or source_host in ctx.trunks.inbound_addresses
        if not (trusted or account):
            return False
        calling = directories.for_domain(caller_domain)
        if calling is not None and calling.user(caller) is not None:
            return False
        if account:
            return True
        target = directories.for_domain(called_domain)
        return target is None or (target.user(called) is None and not target.is_call_center(called))

    def dialled(self, source_host: str, called: str, to_user: str) -> str:
        """The number a carrier's request is for: its Request-URI user, or its To user when the
        Request-URI is the account a registering trunk at `source_host` registered."""
        return to_user if self._ctx.trunks.registered_account(source_host, called) else called

    def _to_voicemail(
        self,
        ua: Any,
        tenant: str,
        box: str,
        caller: str,
        caller_name: Any,
        body: Any,
        start: StartCall,
        number: str,
    ) -> None:
        """A number whose destination is a user's voicemail: the caller hears the user's
        greeting and leaves a message, the user's phone never rings."""
        ctx = self._ctx
        deposit = ctx.forwarding.voicemail
        if deposit is None or not ctx.forwarding.has_voicemail(tenant, box):
            log.warning("direct number %s routes to the voicemail of %s, which has none here: 404",
                        number, box)  # fmt: skip
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        if ctx.offers.refuse_over_capacity(ua, tenant, caller, number):
            return
        call = start(
            cc.CallSource.TRUNK, tenant, caller_name, None,
            caller=to_e164(caller) or caller, called=box, body=body,
        )  # fmt: skip
        if call is not None:
            deposit(call, box, "unavailable")

    def route(
        self,
        ua: Any,
        caller: str,
        called: str,
        caller_name: Any,
        body: Any,
        start: StartCall,
        *,
        hidden: bool = False,
    ) -> None:
        """The direct number's tenant owns the call: its user rings (forwarding and do-not-disturb
        apply) or its call center queues it; never another tenant's extension of that name.
        `hidden`: the caller withholds its identity (`trunks/anonymity.py`)."""
        ctx = self._ctx
        number = ctx.trunks.inbound(called)
        # Not a routed direct number: maybe a user's alternate number (features/alternates.py).
        alternate = None if number is not None else ctx.alternates.direct(to_e164(called) or "")
        if alternate is not None:
            number = DirectNumber(alternate.number, alternate.tenant, alternate.extension)
        if number is None:
            log.warning("call from the carrier to %r: nobody's number, 404", called[:_LOGGED_CHARS])
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        destination, tenant = number.destination, number.tenant
        # The caller's number as E.164 whatever form the carrier wrote it in (screen pop, CDRs).
        caller_number = to_e164(caller) or caller
        call = partial(start, cc.CallSource.TRUNK, tenant, caller_name,
                       caller=caller_number, called=destination, body=body)  # fmt: skip
        if tenant in ctx.trunks.intercepted:  # InterceptGroup: the message, whoever is called
            call(INTERCEPT_ROUTE)
            return
        directory = ctx.directories.of_tenant(tenant)
        box = voicemail_box(destination)
        if box is not None:
            self._to_voicemail(ua, tenant, box, caller, caller_name, body, start, number.number)
            return
        user = directory.user(destination) if directory is not None else None
        refused = ctx.trunks.incoming(tenant, destination if user is not None else None, caller)
        if refused is not None:
            log.info("call from outside to %s refused (%d %s): incoming calling plan",
                     number.number, refused.code, refused.reason)  # fmt: skip
            ua.recvEvent(CCEventFail((refused.code, refused.reason)))
            return
        room = ctx.bridge_rooms.room(tenant, destination)
        if room is not None:  # a conference room: its PIN dialogue (sip/calls/bridge_rooms.py)
            meeting = call(None)
            if meeting is not None:
                ctx.bridge_rooms.start(meeting, room)
            return
        if directory is not None and directory.is_call_center(destination):
            route: str | None = destination
        elif user is not None:
            route = None  # the PBX rings the user's phone itself
            rejecting = (tenant, destination) in ctx.trunks.rejecting_anonymous
            if rejecting and hidden:
                log.info("anonymous call to %s refused (433): its user rejects them", number.number)
                ua.recvEvent(CCEventFail((433, "Anonymity Disallowed")))
                return
        else:
            log.warning("direct number %s routes to %s, which this PBX does not serve: 404",
                        number.number, destination)  # fmt: skip
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        if ctx.offers.refuse_over_capacity(ua, tenant, caller, number.number):
            return
        started = call(route)
        if started is not None and route is None:  # forwarding and do-not-disturb decide
            started.alternate = alternate
            ctx.forwarding.ring(started, destination, private=hidden)
