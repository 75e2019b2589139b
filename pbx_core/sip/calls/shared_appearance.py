"""SharedCallAppearance: a call to a user rings every device the user has registered (up to 10,
pbx_core/location.py); the first to answer takes the call, the others are cancelled with
`Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326), so phones do not log a
missed call (docs/phone-features.md, "Several devices per user").

A leg stays one leg to the user (one offer, one busy count, one `OfferFailed`): its `ua` is one
device's dialog, `forks` the others' while it rings. A device that refuses drops out; the leg
fails only when the last one does, so busy/no-answer forwarding and voicemail apply as for one
phone. A device that has said nothing at all `SILENT_DEVICE_SECONDS` after the INVITEs is taken
for gone once no device that did answer is left ringing: the refusal is then the outcome at
once, not the ring timeout. Until then it rings on (a late 180 from a phone on a slow or loaded
link is a phone like any other, and is never cancelled for being late)."""

from __future__ import annotations

from typing import Any

from sippy.CCEvents import (
    CCEventConnect,
    CCEventDisconnect,
    CCEventFail,
    CCEventRedirect,
    CCEventRing,
)
from sippy.SipHeader import SipHeader

from pbx_core.features.diversion import Forwarding
from pbx_core.location import MAX_DEVICES
from pbx_core.sip.calls.model import Leg, LegState

FEATURE = "SharedCallAppearance10"
"""The chapter-7 name (provisioning/profiles.py): several devices per user."""
COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'
BUSY_CODES = (486, 600)
"""A device's refusal that makes the user busy (kept over any other device's refusal)."""
SILENT_DEVICE_SECONDS = 5
"""A device that answers an INVITE with nothing at all (not even 100 Trying) this long is gone
(a softphone closed without unregistering, a phone restarted on another port) as far as the
outcome goes: when every other device has refused, the call fails with their refusal instead
of ringing on the silent one until the ring timeout or its binding's expiry."""


def devices_allowed(services: Forwarding) -> int:
    """How many devices the user may register at once: 10 with SharedCallAppearance; else one,
    and a new registration replaces the old (as a phone that moved)."""
    return MAX_DEVICES if FEATURE in services.features else 1


def on_fork_event(leg: Leg, ua: Any, event: Any) -> Any:
    """An event from one of a ringing leg's devices: the event the leg's usual handling is to
    see (with `leg.ua` the device it came from, when it answered or was the last to refuse),
    or None: handled here, the leg goes on ringing on its other devices."""
    if leg.state is not LegState.RINGING:
        return event
    if ua is not leg.ua and ua not in leg.forks:
        return None  # a device already cancelled
    if ua in leg.silent:
        leg.silent.remove(ua)  # it answered something: not gone
    if not leg.forks:
        return event
    if isinstance(event, CCEventConnect):
        losers = [other for other in (leg.ua, *leg.forks) if other is not ua]
        leg.ua, leg.forks, leg.silent = ua, [], []
        for other in losers:
            _cancel(other, COMPLETED_ELSEWHERE)
        return event
    if isinstance(event, CCEventFail | CCEventRedirect | CCEventDisconnect):
        # This device refused (busy, declined) or is gone: the others ring on.
        if isinstance(event, CCEventFail | CCEventRedirect):
            code, reason = event.getData()[:2]
            if leg.device_refusal is None or code in BUSY_CODES:
                leg.device_refusal = (int(code), str(reason))
        ua.event_cb = None
        if ua is leg.ua:
            leg.ua = leg.forks.pop(0)
        else:
            leg.forks.remove(ua)
        return settle_silent(leg)
    if isinstance(event, CCEventRing):
        return event  # ringing from any device counts once (`ringing_reported`)
    return event if ua is leg.ua else None


def settle_silent(leg: Leg) -> CCEventFail | None:
    """Once `SILENT_DEVICE_SECONDS` are over (`leg.silence_over`): when every device still
    ringing has said nothing at all and another device refused, the silent ones are cancelled
    and that refusal (busy first) is the leg's outcome; else None, the leg rings on."""
    devices = [leg.ua, *leg.forks]
    refusal = leg.device_refusal
    if not leg.silence_over or refusal is None or any(d not in leg.silent for d in devices):
        return None
    leg.forks, leg.silent = [], []
    for device in devices:
        _cancel(device, None)
    return CCEventFail(refusal)


def stop_forks(leg: Leg) -> None:
    """The leg ends while it rings: its other devices stop ringing too."""
    forks, leg.forks = leg.forks, []
    for ua in forks:
        _cancel(ua, None)


def _cancel(ua: Any, reason: str | None) -> None:
    ua.event_cb = None  # its 487 is nobody's business
    event = CCEventDisconnect()
    if reason is not None:
        header = SipHeader(name="reason", bodys=reason)
        invite = ua.tr  # the INVITE client transaction while the device rings
        if invite is not None and invite.cancel is not None:
            # On the INVITE transaction's prepared CANCEL itself: sippy drops an event's extra
            # headers when the device has not answered anything yet and the CANCEL must wait
            # for its first provisional reply (RFC 3261 9.1; `cancelTransaction`'s
            # `cancelPending`), and the phone then logs a missed call after all.
            invite.cancel.appendHeader(header)
        else:
            event.extra_headers = (header,)
    ua.recvEvent(event)
