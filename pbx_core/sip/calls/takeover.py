"""A phone's own call (to `*98`, `*97<ext>`, `*88<slot>`) becomes a leg of another call: the
phone is answered with what that call offers its legs, and bridged to its caller. Pickup and the
retrieve of a parked call both end this way (docs/phone-features.md, "Call handling")."""

from __future__ import annotations

from sippy.CCEvents import CCEventConnect
from sippy.MsgBody import MsgBody

from pbx_core import call_control as cc
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg, LegState


def take_over(ctx: CallContext, call: Call, phone: Call) -> Leg:
    """`phone` (a call the PBX has not answered yet) joins `call` as its bridged leg; `phone`'s
    own call is over (`CallHungUp`), its dialog lives on as the leg's."""
    ctx.calls.pop(phone.call_id, None)
    phone.ended = True
    if ctx.media is not None:
        ctx.media.delete(phone.call_id)  # the phone's audio goes through `call`'s session now
    offered = phone.ua.rSDP
    leg = Leg(
        leg_id=call.next_leg_id(),
        extension=phone.caller,
        tenant=call.tenant,
        ua=phone.ua,
        auto_bridge=True,
        state=LegState.ANSWERED,
        remote_sdp=str(offered) if offered is not None else "",
    )
    phone.ua.event_cb = lambda event, ua: ctx.offers.on_leg_ua_event(call, leg, event, ua)
    call.legs[leg.leg_id] = leg
    ctx.claim(call.tenant, leg.extension)
    # The phone offered its SDP: the answer is the far side every leg of `call` is offered.
    phone.ua.recvEvent(CCEventConnect((200, "OK", MsgBody(call.offer_sdp))))
    ctx.emit(cc.CallHungUp(phone.call_id, cc.HangupSide.PBX, 200), phone.route)
    ctx.emit(cc.CallAnswered(call.call_id, leg.leg_id, leg.extension), call.route)
    ctx.forwarding.answered(call, leg)  # a manager's call ringing at its assistants: they stop
    ctx.bridging.bridge(call, leg)
    return leg
