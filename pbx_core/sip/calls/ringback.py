"""Custom ringback (CustomRingbackUser): while a user's phone rings, the caller hears the user's
chosen announcement instead of ringing: a `183 Session Progress` with rtpengine's SDP (early
media, RFC 3960) and the prompt played into the caller's stream, looped. When the phone answers,
`Bridging.bridge` stops the prompt and answers with the same rtpengine ports, so the 200's SDP
is the 183's. Without rtpengine, or with the announcement's file gone, the caller gets the usual
180. Runs in the SIP thread; `offers.py` asks `ring` when a leg reports ringing."""

from __future__ import annotations

import logging
from pathlib import Path

from sippy.CCEvents import CCEventRing
from sippy.MsgBody import MsgBody

from pbx_core.features.ringback import RingbackTable
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.caller_media import MUSIC_REPEAT_TIMES
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg
from pbx_core.sip.sdp import PLACEHOLDER_SDP

log = logging.getLogger(__name__)


class CustomRingback:
    def __init__(self, ctx: CallContext, table: RingbackTable) -> None:
        self._ctx = ctx
        self._table = table

    def ring(self, call: Call, leg: Leg) -> bool:
        """`leg`'s phone rings for the unanswered `call`: True when its caller now hears the
        user's ringback (the 183 is sent), False for the usual 180."""
        ctx, media = self._ctx, self._ctx.media
        name = self._table.prompt(call.tenant, leg.extension)
        if media is None or name is None or call.answered or call.playing:
            return False
        path = ctx.prompt_path(name)
        if not Path(path).is_file():
            log.warning("ringback %s of %s/%s is missing: 180", name, call.tenant, leg.extension)
            return False
        try:
            sdp = media.answer(
                call.call_id, call.caller_tag, str(call.ua.lTag), PLACEHOLDER_SDP, latching=True
            )
            call.ua.recvEvent(CCEventRing((183, "Session Progress", MsgBody(sdp))))
            media.play_media(call.call_id, call.caller_tag, path, repeat_times=MUSIC_REPEAT_TIMES)
        except NgError:
            log.exception("ringback for %s/%s: 180 instead", call.tenant, leg.extension)
            return False
        call.playing = True
        call.looping = path
        return True
