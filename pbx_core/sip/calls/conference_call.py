"""Three-way and N-way calls (ch. 7 ThreeWayCall, NWayCall): a user in a call keys the in-call
code (`*31`, pbx_core/features/codes.py) and every other call they are in joins this one: each
party hears all the others (docs/phone-features.md).

The usual way: in a call with B, the user holds it, calls C, and keys `*31` to C: B, C and the
user talk together. Keyed again in a further call (to D...), that call joins too, up to the
profile's cap (2 others for ThreeWayCall, 15 for NWayCall). Every joined call is moved onto one
conference mixer as a barge is (`media/mixed_call.py`): the mixer stands in for both its ends.
The user is heard and hears through the call the code was last keyed in (its "live" end); the
user's ends in the other calls are on the mixer but silent and deaf, so the held dialogs on the
user's phone carry nothing. When that live call ends (the user hangs up) the other calls end
too, as BroadWorks' three-way call does; when another party leaves, the rest go on.
Runs in the SIP thread; only the mixer has its own thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

from sippy.Core.EventDispatcher import ED2

from pbx_core import call_control as cc
from pbx_core.features.codes import CONFERENCE_CODE
from pbx_core.features.table import ServicesTable
from pbx_core.media import mixer
from pbx_core.media.conference import Conference
from pbx_core.media.mixed_call import CallMedia, MixedCall
from pbx_core.media.ng_client import NgError
from pbx_core.media.sdp_rewrite import SdpError
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg, LegState

log = logging.getLogger(__name__)

NOT_IN_PROFILE_PROMPT = "conference_not_in_profile_nl"
FULL_PROMPT = "conference_full_nl"


@dataclass(eq=False)
class _Joined:
    """One call in a conference: its two ends on the mixer, and which one is the user's."""

    call: Call
    media: MixedCall
    user_end: str
    other_end: str


@dataclass(eq=False)
class _Conference:
    tenant: str
    user: str
    """The extension that joined the calls (the only one who may add more)."""
    mixer: Conference
    calls: dict[str, _Joined] = field(default_factory=dict)
    live: str = ""
    """The call id whose user end is heard and hears."""

    def routes(self) -> dict[str, frozenset[str]]:
        talking = [joined.other_end for joined in self.calls.values()]
        if self.live in self.calls:
            talking.append(self.calls[self.live].user_end)
        return mixer.everyone_else(talking)


class ConferenceCalls:
    def __init__(self, ctx: CallContext, services: ServicesTable) -> None:
        self._ctx = ctx
        self._services = services
        self._digits: dict[tuple[str, str], str] = {}
        """(call id, leg id or "" for the caller) -> the last digits keyed there."""
        self._of_call: dict[str, _Conference] = {}

    # -----------------------------------------------------------------------------------------
    # The code, keyed in a call

    def on_digit(self, call: Call, leg: Leg | None, digit: str) -> None:
        key = (call.call_id, leg.leg_id if leg is not None else "")
        keyed = (self._digits.get(key, "") + digit)[-len(CONFERENCE_CODE) :]
        self._digits[key] = keyed
        if keyed != CONFERENCE_CODE:
            return
        del self._digits[key]
        if leg is not None:
            self.join(call, leg.extension)
        elif call.source is cc.CallSource.EXTENSION:  # never a trunk caller
            self.join(call, call.caller)

    def join(self, call: Call, user: str) -> None:
        """`user`, a party of `call`, joins their other calls into it."""
        ctx = self._ctx
        media = ctx.media
        if media is None or call.bridged is None or not call.answered:
            log.info("conference of %s in %s: no media or no conversation", user, call.call_id)
            return
        conference = self._of_call.get(call.call_id)
        others = [c for c in self._calls_of(call.tenant, user) if c is not call]
        if conference is None:
            joined = [self._of_call[c.call_id] for c in others if c.call_id in self._of_call]
            conference = joined[0] if joined else None
        if (conference is not None and conference.user != user) or not self._joinable(call):
            log.info("conference: %s may not join calls into %s", user, call.call_id)
            return
        joining = [
            c
            for c in [call, *others]
            if (conference is None or c.call_id not in conference.calls) and self._joinable(c)
        ]
        parties = len(joining) + (len(conference.calls) if conference is not None else 0)
        allowed = self._services.get(call.tenant, user).conference_others
        if allowed == 0:
            self._say(call, user, NOT_IN_PROFILE_PROMPT)
            return
        if parties < 2 and conference is None:
            return  # no other call to join
        if parties > allowed:
            self._say(call, user, FULL_PROMPT)
            return
        if conference is None:
            conference = _Conference(
                call.tenant,
                user,
                Conference(str(ctx.config["_sip_address"]), (), self._mixer_failed),
            )
            conference.mixer.start()
        for joined_call in joining:
            self._add(conference, joined_call, user)
        conference.live = call.call_id
        conference.mixer.set_routes(conference.routes())

    def _calls_of(self, tenant: str, user: str) -> list[Call]:
        """The conversations `user` is in, by the order they began."""
        return [
            c
            for c in self._ctx.calls.values()
            if c.tenant == tenant and not c.ended and c.bridged is not None and _user_end(c, user)
        ]

    @staticmethod
    def _joinable(call: Call) -> bool:
        # A monitored or CTI-held call has its own media arrangement; a whisper still plays.
        return call.monitor is None and not call.cti_hold and call.bridged is not None

    def _add(self, conference: _Conference, call: Call, user: str) -> None:
        ctx = self._ctx
        leg = call.bridged
        assert ctx.media is not None and leg is not None
        if call.playing:  # music on hold while the user held it from the leg's side
            ctx.caller_media.stop_media(call)
        caller_end, leg_end = f"{call.call_id}:caller", f"{call.call_id}:leg"
        conference.mixer.add(caller_end)
        conference.mixer.add(leg_end)
        mixed = MixedCall(
            ctx.media,
            conference.mixer,
            CallMedia(call.call_id, call.caller_tag, str(call.ua.lTag), call.offer_sdp),
            (caller_end, leg_end),
            partial(ctx.monitoring.reoffer, leg),
        )
        user_end = _user_end(call, user)
        ends = (caller_end, leg_end) if user_end == "caller" else (leg_end, caller_end)
        conference.calls[call.call_id] = _Joined(call, mixed, *ends)
        self._of_call[call.call_id] = conference
        try:
            mixed.insert(leg.remote_sdp)
        except (SdpError, NgError):
            log.exception("conference: %s could not join", call.call_id)
            self._remove(conference, call)

    def _say(self, call: Call, user: str, prompt: str) -> None:
        media = self._ctx.media
        if media is None:
            return
        # rtpengine plays toward the party of the tag: the caller's, or the one facing the leg.
        tag = call.caller_tag if _user_end(call, user) == "caller" else str(call.ua.lTag)
        try:
            media.play_media(call.call_id, tag, self._ctx.prompt_path(prompt))
        except NgError:
            log.exception("conference: could not say %s", prompt)

    def has(self, call: Call) -> bool:
        """`call` is in a three-way or N-way call (its media is on a conference mixer)."""
        return call.call_id in self._of_call

    # -----------------------------------------------------------------------------------------
    # Calls leaving

    def leg_answered(self, call: Call, leg: Leg) -> None:
        """The leg's phone answered a re-INVITE: the mixer follows it if it moved."""
        conference = self._of_call.get(call.call_id)
        if conference is not None and call.call_id in conference.calls:
            conference.calls[call.call_id].media.leg_answered(leg.remote_sdp)

    def left(self, call: Call) -> None:
        """The call's bridged leg is gone (a hang-up, a transfer): it leaves its conference;
        if it carried the user, the others end too."""
        self._digits = {k: v for k, v in self._digits.items() if k[0] != call.call_id}
        conference = self._of_call.get(call.call_id)
        if conference is None:
            return
        self._remove(conference, call)
        if call.call_id == conference.live:
            for joined in list(conference.calls.values()):
                self._ctx.bridging.end_call(joined.call, cc.HangupSide.PBX)
        else:
            conference.mixer.set_routes(conference.routes())

    def _remove(self, conference: _Conference, call: Call) -> None:
        joined = conference.calls.pop(call.call_id, None)
        self._of_call.pop(call.call_id, None)
        if joined is not None:
            conference.mixer.remove(joined.user_end)
            conference.mixer.remove(joined.other_end)
        if not conference.calls:
            conference.mixer.close()

    def _mixer_failed(self, _error: BaseException) -> None:
        """From the mixer's thread: the conferences' calls end in the SIP thread (they have no
        audio path any more)."""
        ED2.callFromThread(self._end_failed)

    def _end_failed(self) -> None:
        for conference in {id(c): c for c in self._of_call.values()}.values():
            if not conference.mixer.running():
                for joined in list(conference.calls.values()):
                    self._ctx.guard(self._ctx.bridging.end_call, joined.call, cc.HangupSide.PBX)


def _user_end(call: Call, user: str) -> str:
    """ "caller", "leg", or "" : where `user` is in `call`."""
    if call.source is cc.CallSource.EXTENSION and call.caller == user:
        return "caller"
    leg = call.bridged
    if leg is not None and leg.extension == user and leg.state is LegState.BRIDGED:
        return "leg"
    return ""
