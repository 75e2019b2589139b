"""Forwarding and do-not-disturb on the PBX's extension calls (runs in the SIP thread): asks
`diversion` what to do when a call reaches a user and when the user does not take it, and does it
(ring, ring another user or a call center, end the call with the reason).

The call path calls `ring` instead of offering the called user directly, and `after_failure`
before it gives a caller the busy or unavailable reply. Calls a call center offers to its agents
never come here: an agent's availability is the ACD state, not do-not-disturb.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, assert_never

from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader

from pbx_core import call_control as cc
from pbx_core.features.criteria import CallerId, CallNotice, screen
from pbx_core.features.diversion import (
    Decision,
    Divert,
    Failure,
    Refuse,
    Ring,
    ToVoicemail,
    on_arrival,
    on_failure,
)
from pbx_core.features.manager_assistant import FilteredCall
from pbx_core.features.table import ServicesTable
from pbx_core.sip.calls.model import Call, Leg, LegState
from pbx_core.trunks.incoming_plan import INTERCEPT_USER_ROUTE

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext

log = logging.getLogger(__name__)

VoicemailDeposit = Callable[[Call, str, str], None]
"""(call, extension, reason): the voicemail part takes the unanswered call into the box of
`extension`."""

_FAILURES = {
    cc.OfferFailure.BUSY: Failure.BUSY,
    cc.OfferFailure.NO_ANSWER: Failure.NO_ANSWER,
    cc.OfferFailure.NOT_REGISTERED: Failure.NOT_REACHABLE,
}


@dataclass
class _Diversions:
    history: tuple[str, ...]
    """The caller, then the users the call was for, in order; the last is the one ringing now."""
    inhibited: bool
    private: bool = False
    """The caller withholds its identity (selective services' "any private number")."""
    reasons: tuple[str, ...] = ()
    """The reason of each diversion so far (`history[i + 1]` forwarded for `reasons[i]`)."""
    filtered_for: str = ""
    """The manager whose call this is, once it rang its assistants instead (manager_assistant)."""
    ringing: set[str] = field(default_factory=set)
    """The assistants still ringing with the manager's call (the first to answer takes it)."""


class CallForwarding:
    def __init__(self, ctx: CallContext, table: ServicesTable) -> None:
        self._ctx = ctx
        self._table = table
        self._calls: weakref.WeakKeyDictionary[Call, _Diversions] = weakref.WeakKeyDictionary()
        self.voicemail: VoicemailDeposit | None = None
        """Set by the voicemail part (the integrator's one line): None, no user has a box."""
        self.has_voicemail: Callable[[str, str], bool] = lambda _tenant, _extension: False
        self.clock: Callable[[], float] = time.time
        """Selective services' rules hold by the time of day."""

    def ring(
        self, call: Call, extension: str, *, inhibited: bool = False, private: bool = False
    ) -> None:
        """A caller dialled user `extension` (with `*80` before it: `inhibited`, honoured when
        the caller's profile has DiversionInhibitor; `private`: the caller hides its number)."""
        caller = self._ctx.user(call, call.caller)
        may_inhibit = caller is not None and self._table.get(caller.tenant, caller.extension)
        inhibited = inhibited and bool(may_inhibit and may_inhibit.may_inhibit)
        self._calls[call] = _Diversions((call.caller, extension), inhibited, private)
        self._reach(call, extension)

    def after_failure(self, call: Call, extension: str, failure: cc.OfferFailure) -> bool:
        """The PBX's own ring of `extension` failed; True when forwarding or voicemail took the
        call, False to give the caller today's reply."""
        filtering = self._calls.get(call)
        if filtering is not None and extension in filtering.ringing:
            filtering.ringing.discard(extension)
            if filtering.ringing:
                return True  # the other assistants ring on
            # No assistant took the manager's call: the manager's own handling of that case
            # (its forward, else its voicemail), never the assistant's.
            extension = filtering.filtered_for
        kind = _FAILURES.get(failure)
        user = self._ctx.user(call, extension)
        if kind is None or user is None or call.answered:
            return False
        state = self._calls.setdefault(call, _Diversions((call.caller, extension), False))
        decision = on_failure(
            self._table.get(user.tenant, extension),
            kind,
            state.history,
            inhibited=state.inhibited,
            voicemail_available=self._voicemail_for(user.tenant, extension),
        )
        if decision is None:
            return False
        self._apply(call, extension, decision)
        return True

    def intercepted(self, call: Call, extension: str, *, transferred: bool = False) -> bool:
        """InterceptUser comes before everything else on a call to a user (selective services,
        assistants, do-not-disturb, forwarding): the intercept message takes the call
        (cti/intercept_calls.py), the user's phone never rings. True: handed on."""
        ctx = self._ctx
        user = ctx.user(call, extension)
        if user is None or (user.tenant, extension) not in ctx.trunks.intercepted_users:
            return False
        log.info("call %s for %s intercepted (InterceptUser)", call.call_id, extension)
        self._to_application(call, INTERCEPT_USER_ROUTE, extension, transferred=transferred)
        return True

    def _reach(self, call: Call, extension: str) -> None:
        if self.intercepted(call, extension):
            return
        user = self._ctx.user(call, extension)
        state = self._calls[call]
        if user is None:
            # An outside number (a forward to a mobile): through the outbound trunk, the one
            # place outbound calls leave the PBX; without a trunk the caller gets 404.
            self._ctx.offers.offer(
                call, call.next_leg_id(), extension, self._ctx.extension_ring_timeout, True
            )
            return
        services = self._table.get(user.tenant, extension)
        caller = CallerId(call.caller, state.private)
        screening = screen(services.selective, caller, self.clock())
        if screening.refused is None:
            if screening.notify is not None:
                notice = CallNotice(user.tenant, extension, call.caller, call.caller_name or "",
                                    screening.notify, services.language)  # fmt: skip
                self._table.call_notify(notice)
            # A call the user's selective services refuse never reaches their assistants.
            if self._ring_assistant(call, extension, state):
                return
        decision = on_arrival(
            services,
            state.history,
            inhibited=state.inhibited,
            voicemail_available=self._voicemail_for(user.tenant, extension),
            screening=screening,
        )
        self._apply(call, extension, decision)

    def _ring_assistant(self, call: Call, manager: str, state: _Diversions) -> bool:
        """A manager's filtered call rings all its opted-in assistants at once instead, once
        per call and never back to someone it was for (True: they ring)."""
        ctx = self._ctx
        internal = ctx.user(call, call.caller) is not None
        table = ctx.manager_assistant
        rung = table.ring_assistants(call.tenant, manager, call.caller, internal)
        assistants = tuple(a for a in rung if a not in state.history)
        if state.filtered_for or not assistants:
            return False
        log.info("call %s for manager %s rings assistants %s", call.call_id, manager, assistants)
        state.filtered_for = manager
        state.history += (assistants[0],)
        state.reasons += ("deflection",)  # RFC 5806: the assistants' phones show for whom
        state.ringing = set(assistants)  # before the first offer, which may fail at once
        table.filtered(
            FilteredCall(call.tenant, call.call_id, manager, assistants, call.caller,
                         call.caller_name or "")
        )  # fmt: skip
        for assistant in assistants:
            if call.ended or assistant not in state.ringing:
                break  # every assistant failed at once: the manager's handling took the call
            ctx.offers.offer(call, call.next_leg_id(), assistant, ctx.extension_ring_timeout, True)
        return True

    def answered(self, call: Call, leg: Leg) -> None:
        """The manager's call was answered at `leg` (one of the assistants, or a colleague who
        picked up an assistant's ringing phone): the assistants still ringing stop."""
        state = self._calls.get(call)
        if state is None or not state.ringing:
            return
        ringing, state.ringing = state.ringing, set()
        for other in list(call.legs.values()):
            if other is not leg and other.extension in ringing and other.state is LegState.RINGING:
                self._ctx.bridging.drop_leg(call, other)
                self._ctx.offers.report_cancelled(call, other)

    def transferred(self, call: Call) -> None:
        """The call moves on (put through, diverted): no assistant rings for it any more."""
        state = self._calls.get(call)
        if state is not None:
            state.ringing = set()

    def filtered_for(self, call: Call) -> str:
        """The manager whose filtered call this is ("" for any other call)."""
        state = self._calls.get(call)
        return state.filtered_for if state is not None else ""

    def _apply(self, call: Call, extension: str, decision: Decision) -> None:
        ctx = self._ctx
        match decision:
            case Ring(ring_seconds):
                timeout = ring_seconds or ctx.extension_ring_timeout
                ctx.offers.offer(call, call.next_leg_id(), extension, timeout, True)
            case Divert(destination, reason):
                log.info("call %s for %s forwarded (%s) to %s", call.call_id, extension, reason,
                         destination)  # fmt: skip
                state = self._calls[call]
                state.history += (destination,)
                state.reasons += (reason,)
                self._divert(call, destination)
            case ToVoicemail(reason):
                assert self.voicemail is not None  # has_voicemail said yes
                self.voicemail(call, extension, reason)
            case Refuse(code, reason):
                log.info("call %s for %s ends: %s %s", call.call_id, extension, code, reason)
                ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code, reason=reason)
            case _:
                assert_never(decision)

    def _divert(self, call: Call, destination: str) -> None:
        ctx = self._ctx
        if not ctx.directories.is_call_center(call.tenant, destination):
            self._reach(call, destination)
            return
        # The call center's handler takes it from here, as with a transfer to a call center.
        self._to_application(call, destination, destination)

    def _to_application(
        self, call: Call, route: str, called: str, *, transferred: bool = False
    ) -> None:
        """The handler of `route` takes the call (a call center, the intercept message)."""
        call.route = route
        call.called = called
        offered = cc.CallOffered(
            call_id=call.call_id,
            caller=call.caller,
            called=called,
            source=call.source,
            caller_name=call.caller_name,
            transferred=transferred,
            tenant=call.tenant,
        )
        self._ctx.emit(offered, route)

    def diversion_headers(self, call: Call) -> tuple[SipHeader, ...]:
        """RFC 5806 `Diversion` headers for an INVITE of `call`, the latest diversion first, so
        the forwarded phone can show on whose behalf it rings."""
        state = self._calls.get(call)
        if state is None:
            return ()
        host = self._ctx.realm(self._ctx.directories.tenants.get(call.tenant))
        values = [
            f"<sip:{diverted}@{host}>;reason={reason};counter=1"
            for diverted, reason in zip(state.history[1:], state.reasons, strict=False)
        ]
        return tuple(
            SipHeader(name="diversion", body=SipGenericHF(value, "Diversion"))
            for value in reversed(values)
        )

    def _voicemail_for(self, tenant: str, extension: str) -> bool:
        return self.voicemail is not None and self.has_voicemail(tenant, extension)
