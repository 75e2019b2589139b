"""Calls that survive a PBX crash (issue 20): the caller's dialog of a call an application drives
is kept in Redis from the PBX's answer to the call's end (`pbx_core/sip/dialog_store.py`), and a
restarted PBX rebuilds sippy's UA from it in the confirmed state, with the B2BUA's `Call` around
it, before it serves anything: the caller's BYE, re-INVITE or DTMF finds the call, and the
application's commands (offer to an agent, bridge, hang up) work on it as before the crash.

The caller's dialog is kept from the answer on, and with it the dialog of the leg bridged to
the caller (a connected call: rewritten on each bridge and unbridge, and on the application's
hold and resume, so a held call is rebuilt held); a leg still ringing is not
(the engine offers the call again). Requests we send in a rebuilt dialog start well above the
stored CSeq (a change after the last write is never seen again), and any CSeq of the far side's
is accepted once (sippy checks that they increase).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from sippy.MsgBody import MsgBody
from sippy.SipCallId import SipCallId
from sippy.SipContact import SipContact
from sippy.SipFrom import SipFrom
from sippy.SipRoute import SipRoute
from sippy.SipTo import SipTo
from sippy.SipURL import SipURL
from sippy.UA import UA
from sippy.UaStateConnected import UaStateConnected

from pbx_core import call_control as cc
from pbx_core.sip.calls.model import Call, Leg, LegState
from pbx_core.sip.dialog_store import DialogStore, SipDialog, StoredDialog, StoredLeg

log = logging.getLogger(__name__)

CSEQ_MARGIN = 1000
"""How far above the stored CSeq a rebuilt dialog's requests start: more than the PBX ever
sends in one call between two writes."""


def stored_dialog(call: Call, token: int) -> StoredDialog | None:
    """The call's dialogs as they are now; None for calls that are not kept (no application
    drives them, or the caller's dialog is not confirmed)."""
    caller = sip_dialog(call.ua) if call.route is not None else None
    if call.route is None or caller is None:
        return None
    leg = call.bridged
    leg_dialog = sip_dialog(leg.ua) if leg is not None and leg.state is LegState.BRIDGED else None
    return StoredDialog(
        call_id=call.call_id,
        tenant=call.tenant,
        caller=call.caller,
        called=call.called,
        caller_name=call.caller_name,
        source=call.source.value,
        route=call.route,
        caller_tag=call.caller_tag,
        offer_sdp=call.offer_sdp,
        leg_counter=call.leg_counter,
        dialog=caller,
        bridged=StoredLeg(leg.leg_id, leg.extension, leg.remote_sdp, leg_dialog)
        if leg is not None and leg_dialog is not None
        else None,
        token=token,
        cti_hold=call.cti_hold and leg_dialog is not None,
    )


def sip_dialog(ua: Any) -> SipDialog | None:
    """A confirmed dialog of sippy's UA; None while it is not (ringing, updating, gone)."""
    if ua.state is None or not ua.state.connected or ua.rTarget is None or ua.lCSeq is None:
        return None
    (host, port), transport = ua.rAddr
    return SipDialog(
        call_id=str(ua.cId),
        local_tag=str(ua.lTag),
        local_uri=str(ua.lUri),
        remote_uri=str(ua.rUri),
        remote_target=str(ua.rTarget),
        routes=tuple(str(route) for route in ua.routes or ()),
        remote_host=str(host),
        remote_port=int(port),
        transport=str(transport),
        local_contact=str(ua.lContact),
        local_cseq=int(ua.lCSeq),
        local_sdp=str(ua.lSDP) if ua.lSDP is not None else "",
        remote_sdp=str(ua.rSDP) if ua.rSDP is not None else "",
    )


def rebuilt_ua(global_config: dict[str, Any], dialog: SipDialog, origin: str) -> Any:
    """sippy's UA of a dialog, confirmed, registered for its Call-ID's requests. `origin`:
    "caller" for the caller's dialog (we are its UAS), "callee" for a leg (we are its UAC)."""
    ua = UA(global_config, ltag=dialog.local_tag)
    ua.origin = origin
    ua.cId = SipCallId(body=dialog.call_id)
    ua.lUri = _parsed(SipFrom(body=dialog.local_uri))
    ua.rUri = _parsed(SipTo(body=dialog.remote_uri))
    ua.rTarget = SipURL(url=dialog.remote_target)
    ua.routes = [_parsed(SipRoute(body=route)) for route in dialog.routes]
    ua.rAddr = ua.rAddr0 = ((dialog.remote_host, dialog.remote_port), dialog.transport)
    ua.lContact = _parsed(SipContact(body=dialog.local_contact))
    ua.lCSeq = dialog.local_cseq + CSEQ_MARGIN
    ua.rCSeq = None  # whatever the far side sends next is newer than what we kept
    ua.lSDP = MsgBody(dialog.local_sdp) if dialog.local_sdp else None
    ua.rSDP = MsgBody(dialog.remote_sdp) if dialog.remote_sdp else None
    ua.state = UaStateConnected(ua)
    global_config["_sip_tm"].regConsumer(ua, dialog.call_id)
    return ua


def rebuilt_call(
    global_config: dict[str, Any],
    stored: StoredDialog,
    on_caller_event: Callable[[Any, Any], None],
    on_leg_event: Callable[[Call, Leg, Any, Any], None],
) -> Call:
    """The B2BUA's call around the rebuilt UAs: answered, and either bridged to its leg (a
    connected call) or with music (or a prompt) playing."""
    ua = rebuilt_ua(global_config, stored.dialog, "caller")
    ua.event_cb = on_caller_event
    call = Call(
        call_id=stored.call_id,
        ua=ua,
        caller=stored.caller,
        called=stored.called,
        caller_name=stored.caller_name,
        source=cc.CallSource(stored.source),
        route=stored.route,
        caller_tag=stored.caller_tag,
        tenant=stored.tenant,
        offer_sdp=stored.offer_sdp,
        answered=True,
        leg_counter=stored.leg_counter,
        # rtpengine kept playing to a waiting caller, and to a held one (with both directions
        # blocked): the next prompt, bridge or resume stops it first.
        playing=stored.bridged is None or stored.cti_hold,
        cti_hold=stored.bridged is not None and stored.cti_hold,
    )
    if stored.bridged is not None:
        kept = stored.bridged
        leg_ua = rebuilt_ua(global_config, kept.dialog, "callee")
        leg = Leg(
            leg_id=kept.leg_id,
            extension=kept.extension,
            tenant=stored.tenant,
            ua=leg_ua,
            auto_bridge=False,
            state=LegState.BRIDGED,
            remote_sdp=kept.remote_sdp,
        )
        leg_ua.event_cb = partial(on_leg_event, call, leg)
        call.legs[leg.leg_id] = leg
        call.bridged = leg
    return call


class DialogKeeper:
    """The SIP thread's side: keeps the store current for the calls it answers and ends."""

    def __init__(self, store: DialogStore | None, token: int) -> None:
        self._store = store
        self.token = token

    def save(self, call: Call) -> bool:
        """False: a node that started later holds this call's dialog (this one is stale)."""
        if self._store is None:
            return True
        dialog = stored_dialog(call, self.token)
        return dialog is None or self._store.save(dialog)

    def forget(self, call: Call) -> None:
        if self._store is not None and call.route is not None and call.answered:
            self._store.forget(call.call_id, self.token)


def check_dialog(ua: Any, answered: Callable[[int], None]) -> None:
    """An in-dialog OPTIONS: does the far side still know the dialog? `answered(code)` with the
    final status (481: it does not; 408: no answer within sippy's transaction timeout)."""

    def on_response(resp: Any) -> None:
        code = int(resp.getSCode()[0])
        if code >= 200:
            answered(code)

    ua.newTransaction(ua.genRequest("OPTIONS"), resp_cb=on_response)


def _parsed(header: Any) -> Any:
    header.parse()
    return header
