"""Attended transfer: a phone's REFER whose Refer-To carries `Replaces` (RFC 3891, RFC 5589).

The user talks to a caller (call 1: the user's phone is its bridged leg), puts them on hold,
calls a colleague (call 2: the user's phone is its caller) and transfers: the phone REFERs call 1
to the colleague with `Replaces` naming its own dialog of call 2. The PBX then moves the
colleague's leg from call 2 into call 1 (a re-INVITE points the colleague's phone at call 1's
media), bridges it to the caller and ends call 2 for the transferring phone (BYE). Only a call
of the same tenant that the transferring user made is replaced; anything else is the blind
transfer to the Refer-To number it was before."""

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

log = logging.getLogger(__name__)


def replaced_dialog(referred: Any) -> tuple[str, dict[str, str]] | None:
    """(Call-ID, its parameters: `to-tag`, `from-tag`) of a Refer-To's `Replaces`, if any."""
    headers = referred.getUrl().headers or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "replaces"), None)
    if not value:
        return None
    call_id, *params = str(value).split(";")
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
