"""One call's two ends moved onto a conference mixer and back: the barge of supervisor
monitoring, and each call joined into a three-way or N-way call.

In: rtpengine's side toward the leg is re-answered with the leg's SDP moved to the mixer's
`caller_end` socket (`port latching`, as a bridge does: the caller is told nothing), and the
leg's phone is re-offered rtpengine's SDP moved to the `leg_end` socket (the mixer feeds it at
once; the re-INVITE moves where it sends). Out: the same two steps back. docs/pbx.md has the
decision and its limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pbx_core.media import sdp_rewrite
from pbx_core.media.conference import Conference
from pbx_core.media.ng_client import NgClient


@dataclass(frozen=True)
class CallMedia:
    """What rtpengine knows of a call."""

    call_id: str
    caller_tag: str
    agent_side_tag: str
    """The PBX's own tag toward the caller: rtpengine's participant on the leg's side."""
    offer_sdp: str
    """rtpengine's leg-facing SDP, as the leg's phone was offered it."""


class MixedCall:
    def __init__(
        self,
        media: NgClient,
        conference: Conference,
        call: CallMedia,
        ends: tuple[str, str],
        reoffer_leg: Callable[[str], None],
    ) -> None:
        """`ends`: the mixer participants (caller's end, leg's end), added already;
        `reoffer_leg(sdp)` re-INVITEs the leg's phone."""
        self._media = media
        self._conference = conference
        self._call = call
        self._caller_end, self._leg_end = ends
        self._reoffer_leg = reoffer_leg
        self.anchored = False
        """rtpengine's leg side points at the mixer."""
        self._leg_moved = False
        """The leg's phone was re-offered the mixer."""

    def insert(self, leg_sdp: str) -> None:
        call = self._call
        leg, leg_codec = sdp_rewrite.audio_endpoint(leg_sdp)
        engine, _ = sdp_rewrite.audio_endpoint(call.offer_sdp)
        # The mixer stands in for the leg toward rtpengine, in the codec the leg chose.
        self._conference.connect(self._caller_end, engine, leg_codec)
        self._conference.connect(self._leg_end, leg, leg_codec)
        self.anchored = True
        self._media.answer(
            call.call_id,
            call.caller_tag,
            call.agent_side_tag,
            sdp_rewrite.moved(leg_sdp, self._conference.address(self._caller_end)),
            latching=True,
        )
        self._leg_moved = True
        self._reoffer_leg(
            sdp_rewrite.moved(call.offer_sdp, self._conference.address(self._leg_end))
        )

    def leg_answered(self, leg_sdp: str) -> None:
        """The leg's phone answered a re-INVITE: follow it if it moved while on the mixer."""
        if self._leg_moved:
            address, codec = sdp_rewrite.audio_endpoint(leg_sdp)
            self._conference.connect(self._leg_end, address, codec)

    def leg_refused(self) -> None:
        """The leg's phone refused the re-INVITE: it still sends where it did."""
        self._leg_moved = False

    def take_out(self, leg_sdp: str | None) -> None:
        """rtpengine sends to the leg's phone again, then the phone is told to send to rtpengine
        again (`leg_sdp` None: no leg left to restore)."""
        anchored, leg_moved = self.anchored, self._leg_moved
        self.anchored = self._leg_moved = False
        self._conference.disconnect(self._caller_end)
        self._conference.disconnect(self._leg_end)
        if leg_sdp is None:
            return
        call = self._call
        if anchored:
            self._media.answer(
                call.call_id, call.caller_tag, call.agent_side_tag, leg_sdp, latching=True
            )
        if leg_moved:
            self._reoffer_leg(call.offer_sdp)
