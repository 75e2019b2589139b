"""Calls from the carrier to direct numbers: which requests are the carrier's, and where the
number they are addressed to goes (a user's phone rings, a call center queues the call).

A request is the carrier's when it comes from a trunk address and neither its From nor its
Request-URI is one of our extensions: our own phones share the demo's trunk address (127.0.0.1),
and a phone always calls from its extension (docs/trunks.md, "Who is the carrier").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sippy.CCEvents import CCEventFail

from pbx_core import call_control as cc
from pbx_core.trunks.numbering import to_e164

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

StartCall = Callable[[Any, cc.CallSource, str, str, Any, Any, "str | None"], "Call | None"]
"""`Inbound._start_call`: (ua, source, caller, called, caller_name, body, route)."""

ANONYMOUS_CALLERS = frozenset({"", "anonymous", "restricted", "unavailable"})
"""From users of a call that hides its number (RFC 3323 `anonymous`, and carriers' usual
spellings)."""
_LOGGED_CHARS = 64
"""A Request-URI user part is the sender's text: logged with repr and cut short."""


class DirectNumbers:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def is_carrier_request(self, source_host: str, caller: str, called: str) -> bool:
        directory = self._ctx.directory
        trunk = source_host in directory.trusted_trunk_addresses
        return (
            (trunk or source_host in self._ctx.trunks.inbound_addresses)
            and directory.user(caller) is None
            and directory.user(called) is None
            and not directory.is_call_center(called)
        )

    def route(
        self, ua: Any, caller: str, called: str, caller_name: Any, body: Any, start: StartCall
    ) -> None:
        ctx = self._ctx
        number = ctx.trunks.inbound(called)
        if number is None:
            log.warning("call from the carrier to %r: nobody's number, 404", called[:_LOGGED_CHARS])
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        destination = number.destination
        user = ctx.directory.user(destination)
        if ctx.directory.is_call_center(destination):
            route: str | None = destination
        elif user is not None and user.tenant == number.tenant:
            route = None  # the PBX rings the user's phone itself
            rejecting = (number.tenant, destination) in ctx.trunks.rejecting_anonymous
            if rejecting and caller.lower() in ANONYMOUS_CALLERS:
                log.info("anonymous call to %s refused (433): its user rejects them", number.number)
                ua.recvEvent(CCEventFail((433, "Anonymity Disallowed")))
                return
        else:
            log.warning("direct number %s routes to %s, which this PBX does not serve: 404",
                        number.number, destination)  # fmt: skip
            ua.recvEvent(CCEventFail((404, "Not Found")))
            return
        # The caller's number as E.164 whatever form the carrier wrote it in (screen pop, CDRs).
        caller_number = to_e164(caller) or caller
        call = start(ua, cc.CallSource.TRUNK, caller_number, destination, caller_name, body, route)
        if call is not None and route is None:
            ring_timeout = ctx.extension_ring_timeout
            ctx.offers.offer(call, call.next_leg_id(), destination, ring_timeout, True)
