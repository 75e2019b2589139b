"""DirectedCallPickupwithBargein (`*33<ext>`, BroadWorks' default code): the colleague's phone
rings, and the user picks the call up as with `*97<ext>`; the colleague is in a call, and the
user joins it as a third party, all three hearing one another (the monitoring mixer in barge
mode, sip/calls/monitoring.py). A party of that call who is exempt (BargeinExempt in the profile
and `barge_in_exempt` chosen, features/intercom.py) cannot be barged in on: a spoken refusal.
docs/phone-features.md, "Call handling"."""

from __future__ import annotations

from pbx_core import call_control as cc
from pbx_core.features.call_handling_phrases import Outcome
from pbx_core.features.table import ServicesTable
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call
from pbx_core.sip.calls.pickup import CallPickup

EXEMPT_FEATURE = "BargeinExempt"


class BargeIn:
    def __init__(self, ctx: CallContext, table: ServicesTable, pickup: CallPickup) -> None:
        self._ctx = ctx
        self._table = table
        self._pickup = pickup

    def dial(self, phone: Call, target: str) -> Outcome | None:
        """`phone` (the user's call to `*33<target>`) picks up or barges in; else why not."""
        ctx = self._ctx
        if target == phone.caller or ctx.user(phone, target) is None:
            return Outcome.NO_SUCH_EXTENSION  # another tenant's extension as an unknown one
        if self._pickup.pick_up(phone, target):
            return None
        call = self._in_call(phone.tenant, target)
        if call is None:
            return Outcome.NOTHING_TO_BARGE
        if any(self._exempt(call.tenant, party) for party in _parties(call)):
            return Outcome.BARGE_IN_EXEMPT
        offered = phone.ua.rSDP
        sdp = str(offered) if offered is not None else ""
        if not ctx.monitoring.barge_in(call, phone.caller, phone.ua, sdp):
            return Outcome.NOTHING_TO_BARGE
        # The phone's own call is over: its dialog is the barging party's now.
        ctx.calls.pop(phone.call_id, None)
        phone.ended = True
        if ctx.media is not None:
            ctx.media.delete(phone.call_id)
        ctx.emit(cc.CallHungUp(phone.call_id, cc.HangupSide.PBX, 200), phone.route)
        return None

    def _in_call(self, tenant: str, extension: str) -> Call | None:
        """The PBX's own call (not a call center's) in which `extension` talks, with nobody
        monitoring it and not part of a three-way call."""
        ctx = self._ctx
        for call in ctx.calls.values():
            if (
                call.tenant == tenant
                and not call.ended
                and call.route is None
                and call.bridged is not None
                and call.monitor is None
                and not ctx.conference_calls.has(call)
                and extension in _parties(call)
            ):
                return call
        return None

    def _exempt(self, tenant: str, extension: str) -> bool:
        entitled = EXEMPT_FEATURE in self._table.get(tenant, extension).features
        return entitled and self._ctx.intercom.barge_in_exempt(tenant, extension)


def _parties(call: Call) -> tuple[str, ...]:
    """The call's users: its caller (a user's own call) and the bridged extension."""
    bridged = (call.bridged.extension,) if call.bridged is not None else ()
    caller = (call.caller,) if call.source is cc.CallSource.EXTENSION else ()
    return caller + bridged
