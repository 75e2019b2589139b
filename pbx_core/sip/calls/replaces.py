"""Attended transfer: a phone's REFER whose Refer-To carries `Replaces` (RFC 3891, RFC 5589).

The user talks to a caller (call 1: the user's phone is its bridged leg), puts them on hold,
calls a colleague (call 2: the user's phone is its caller) and transfers: the phone REFERs call 1
to the colleague with `Replaces` naming its own dialog of call 2. The PBX then moves the
colleague's leg from call 2 into call 1 (a re-INVITE points the colleague's phone at call 1's
media), bridges it to the caller and ends call 2 for the transferring phone (BYE). Only a call
of the same tenant that the transferring user made is replaced; anything else is the blind
transfer to the Refer-To number it was before.

A phone's INVITE with `Replaces` naming one of the PBX's legs (the dialog a BLF NOTIFY shows)
takes that leg's place: a ringing colleague's (a pickup) or an answered one of its own user's
(the call moves to another device)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sippy.CCEvents import CCEventUpdate
from sippy.MsgBody import MsgBody

from pbx_core import call_control as cc
from pbx_core.media.sdp_rewrite import with_version
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, LegState
from pbx_core.sip.calls.takeover import take_over

log = logging.getLogger(__name__)


def replaced_dialog(referred: Any) -> tuple[str, dict[str, str]] | None:
    """(Call-ID, its parameters: `to-tag`, `from-tag`) of a Refer-To's `Replaces`, if any."""
    headers = referred.getUrl().headers or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "replaces"), None)
    return parse_replaces(str(value)) if value else None


def parse_replaces(value: str) -> tuple[str, dict[str, str]]:
    """`call-id;to-tag=a;from-tag=b` -> (call-id, {"to-tag": "a", "from-tag": "b"})."""
    call_id, *params = value.split(";")
    tags = dict(p.strip().split("=", 1) for p in params if "=" in p)
    return call_id.strip(), {k.lower(): v for k, v in tags.items()}


class AttendedTransfer:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def transfer(self, call: Call, transferor: str, referred: Any) -> bool:
        """`transferor`'s phone (call's leg, gone already) REFERred with Replaces; True when
        the replaced call was found and its callee now talks to `call`'s caller."""
        ctx = self._ctx
        dialog = replaced_dialog(referred)
        if dialog is None:
            return False
        call_id, tags = dialog
        consult = ctx.calls.get(call_id)
        if (
            consult is None
            or consult is call
            or consult.ended
            or consult.tenant != call.tenant  # never across tenants
            or consult.caller != transferor
            or tags.get("from-tag", consult.caller_tag) != consult.caller_tag
            or consult.bridged is None
        ):
            log.info("REFER with Replaces of %s: no call of %s to replace", call_id, transferor)
            return False
        leg = consult.bridged
        ctx.bridging.unbridge(consult)
        del consult.legs[leg.leg_id]
        ctx.bridging.end_call(consult, cc.HangupSide.CALLER)  # BYE to the transferring phone
        leg.leg_id = call.next_leg_id()
        leg.state = LegState.ANSWERED
        leg.auto_bridge = True
        call.legs[leg.leg_id] = leg
        leg.ua.event_cb = partial(ctx.offers.on_leg_ua_event, call, leg)
        # The colleague's phone sends to `call`'s media from now on (a new offer: a new version).
        leg.reoffers += 1
        leg.reinviting = True
        leg.ua.recvEvent(CCEventUpdate(MsgBody(with_version(call.offer_sdp, leg.reoffers))))
        ctx.bridging.bridge(call, leg)
        ctx.emit(cc.CallTransferred(call.call_id, leg.extension), call.route)
        return True

    def replace_by_invite(self, phone: Call, replaces: str, may_pick_up: bool) -> bool:
        """`phone`'s INVITE with `Replaces` names a leg of a call of its tenant (Call-ID, and
        the PBX's tag as `to-tag`): a ringing one (if `may_pick_up`) or its own user's answered
        one; True when `phone` took its place."""
        ctx = self._ctx
        call_id, tags = parse_replaces(replaces)
        for call in list(ctx.calls.values()):
            if call.tenant != phone.tenant or call.ended:
                continue
            for leg in list(call.legs.values()):
                if str(leg.ua.cId) != call_id or tags.get("to-tag") != str(leg.ua.lTag):
                    continue
                ringing = leg.state is LegState.RINGING and leg.auto_bridge and may_pick_up
                own = leg.state is LegState.BRIDGED and leg.extension == phone.caller
                if not (ringing or own):
                    return False
                ctx.bridging.drop_leg(call, leg)
                if ringing:
                    ctx.offers.report_cancelled(call, leg)
                taken = take_over(ctx, call, phone)
                if ringing:
                    picked = cc.CallPickedUp(call.call_id, taken.leg_id, taken.extension,
                                             leg.extension)  # fmt: skip
                    ctx.emit(picked, call.route)
                return True
        return False
