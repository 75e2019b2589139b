"""Call pickup (`*98`) and directed call pickup (`*97<ext>`): a user answers a colleague's ringing
phone from their own.

`*98` picks up in the user's pickup group (features/pickup_groups.py; the users in no group
form the tenant's default group), `*97<ext>` any ringing user of the tenant; never a phone of
another tenant. Only calls the PBX rings itself are picked up (a colleague's
extension call, a forwarded or transferred call); a call center's offer to its agent belongs to
the queue engine, which decides which agent gets the call."""

from __future__ import annotations

from pbx_core import call_control as cc
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg, LegState
from pbx_core.sip.calls.takeover import take_over


class CallPickup:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def ringing(self, tenant: str, picker: str, extension: str | None) -> tuple[Call, Leg] | None:
        """The longest-ringing call at `extension` (None: at any user of the group) that
        `picker` may take: not their own, not one they make themselves."""
        ctx = self._ctx
        for call in ctx.calls.values():  # in arrival order: the oldest call first
            if call.tenant != tenant or call.ended or call.caller == picker:
                continue
            for leg in call.legs.values():
                if (
                    leg.state is LegState.RINGING
                    and leg.auto_bridge
                    and leg.extension != picker
                    and (
                        leg.extension == extension
                        if extension is not None
                        else ctx.pickup_groups.together(tenant, picker, leg.extension)
                    )
                    and ctx.user(call, leg.extension) is not None
                ):
                    return call, leg
        return None

    def pick_up(self, phone: Call, extension: str | None) -> bool:
        """`phone` (the picker's call to the code) takes the ringing call; False: none rings."""
        found = self.ringing(phone.tenant, phone.caller, extension)
        if found is None:
            return False
        call, ringing = found
        ctx = self._ctx
        ctx.bridging.drop_leg(call, ringing)  # CANCEL to the ringing phone
        ctx.offers.report_cancelled(call, ringing)
        leg = take_over(ctx, call, phone)
        picked = cc.CallPickedUp(call.call_id, leg.leg_id, leg.extension, ringing.extension)
        ctx.emit(picked, call.route)
        return True
