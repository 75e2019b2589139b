"""The media of one supervisor monitor: the mixer, and where rtpengine and the agent's phone send.

Listening, rtpengine sends the mixer copies of both parties' audio (`subscribe request`) and the
call's own path (caller - rtpengine - agent) is not touched. Barging, the mixer takes the agent's
place toward rtpengine (re-answer, as a bridge does) and the agent's phone is re-offered the
mixer, so each party hears the other two. docs/pbx.md has the decision and its limits. Runs in
the SIP thread; only the mixer has its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import assert_never

from pbx_core.call_control import MonitorMode
from pbx_core.media import sdp_rewrite
from pbx_core.media.conference import Conference
from pbx_core.media.ng_client import NgClient

CALLER = "caller"
"""Barging: the mixer's side toward rtpengine, where the caller's audio comes from and goes to."""
AGENT = "agent"
"""Barging: the agent's phone."""
SUPERVISOR = "supervisor"
TAP_CALLER = "tap-caller"
"""Listening: rtpengine's copy of the caller's audio (receive only)."""
TAP_AGENT = "tap-agent"
ROUTES: dict[MonitorMode, dict[str, tuple[str, ...]]] = {
    MonitorMode.LISTEN: {SUPERVISOR: (TAP_CALLER, TAP_AGENT)},
    MonitorMode.BARGE: {
        CALLER: (AGENT, SUPERVISOR),
        AGENT: (CALLER, SUPERVISOR),
        SUPERVISOR: (CALLER, AGENT),
    },
}
"""listener -> whom it hears, per mode."""


@dataclass(frozen=True)
class CallMedia:
    """What rtpengine knows of the monitored call."""

    call_id: str
    caller_tag: str
    agent_side_tag: str
    """The PBX's own tag toward the caller: rtpengine's participant on the agent's side."""
    offer_sdp: str
    """rtpengine's agent-facing SDP, as the agent's phone was offered it."""


class MonitorMedia:
    def __init__(
        self,
        media: NgClient,
        host: str,
        call: CallMedia,
        reoffer_agent: Callable[[str], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """`reoffer_agent(sdp)` re-INVITEs the agent's phone; `on_failure` is called from the
        mixer's thread if it stops. Raises OSError when no mixer sockets can be opened."""
        self._media = media
        self._call = call
        self._reoffer_agent = reoffer_agent
        self._conference = Conference(
            host, (CALLER, AGENT, SUPERVISOR, TAP_CALLER, TAP_AGENT), on_failure
        )
        self._tap_tag = ""
        self._anchored = False
        """rtpengine's agent side points at the mixer."""
        self._agent_moved = False
        """The agent's phone was re-offered the mixer."""

    def supervisor_offer(self) -> str:
        return sdp_rewrite.offer(self._conference.address(SUPERVISOR))

    def join(self, supervisor_sdp: str, mode: MonitorMode, agent_sdp: str) -> None:
        """The supervisor's phone answered with `supervisor_sdp` (SdpError if it is unusable)."""
        address, codec = sdp_rewrite.audio_endpoint(supervisor_sdp)
        self._conference.connect(SUPERVISOR, address, codec)
        self._conference.pair_events(CALLER, AGENT)
        self._conference.start()
        self.apply(mode, agent_sdp)

    def apply(self, mode: MonitorMode, agent_sdp: str) -> None:
        match mode:
            case MonitorMode.BARGE:
                self._untap()
                if not self._anchored:
                    self._insert(agent_sdp)
            case MonitorMode.LISTEN:
                self._take_out(agent_sdp)
                if not self._tap_tag:
                    self._tap()
            case _:
                assert_never(mode)
        self._conference.set_routes(ROUTES[mode])

    def agent_answered(self, agent_sdp: str) -> None:
        """The agent's phone answered a re-INVITE: follow it if it moved while on the mixer."""
        if self._agent_moved:
            address, codec = sdp_rewrite.audio_endpoint(agent_sdp)
            self._conference.connect(AGENT, address, codec)

    def agent_refused(self) -> None:
        """The agent's phone refused the re-INVITE: it still sends where it did."""
        self._agent_moved = False

    def leave(self, agent_sdp: str | None, *, call_alive: bool) -> None:
        """Back to the plain bridge (`agent_sdp` None: no agent left to restore) and close."""
        try:
            if call_alive:
                self._take_out(agent_sdp)
                self._untap()
        finally:
            self._conference.close()

    def _tap(self) -> None:
        call = self._call
        tags = [call.caller_tag, call.agent_side_tag]
        offer, self._tap_tag = self._media.subscribe_request(call.call_id, tags)
        codecs = sdp_rewrite.audio_codecs(offer)
        if len(codecs) != len(tags):
            raise sdp_rewrite.SdpError(f"{len(codecs)} streams offered for {len(tags)} tags")
        answer = sdp_rewrite.receive_only_answer(
            [
                (self._conference.address(TAP_CALLER), codecs[0]),
                (self._conference.address(TAP_AGENT), codecs[1]),
            ]
        )
        self._media.subscribe_answer(call.call_id, self._tap_tag, answer)

    def _untap(self) -> None:
        tag, self._tap_tag = self._tap_tag, ""
        if tag:
            self._media.unsubscribe(self._call.call_id, tag)

    def _insert(self, agent_sdp: str) -> None:
        call = self._call
        agent, agent_codec = sdp_rewrite.audio_endpoint(agent_sdp)
        engine, _ = sdp_rewrite.audio_endpoint(call.offer_sdp)
        # The mixer stands in for the agent toward rtpengine, in the codec the agent chose, and
        # feeds the agent's phone at once; the re-INVITE only moves where the phone sends to.
        self._conference.connect(CALLER, engine, agent_codec)
        self._conference.connect(AGENT, agent, agent_codec)
        self._anchored = True
        # The same re-answer as a bridge (port latching keeps the caller's port): the caller is
        # told nothing.
        self._media.answer(
            call.call_id,
            call.caller_tag,
            call.agent_side_tag,
            sdp_rewrite.moved(agent_sdp, self._conference.address(CALLER)),
            latching=True,
        )
        self._agent_moved = True
        self._reoffer_agent(sdp_rewrite.moved(call.offer_sdp, self._conference.address(AGENT)))

    def _take_out(self, agent_sdp: str | None) -> None:
        """rtpengine sends to the agent's phone again, then the phone is told to send to
        rtpengine again."""
        anchored, agent_moved = self._anchored, self._agent_moved
        self._anchored = self._agent_moved = False
        self._conference.disconnect(CALLER)
        self._conference.disconnect(AGENT)
        if agent_sdp is None:
            return
        call = self._call
        if anchored:
            self._media.answer(
                call.call_id, call.caller_tag, call.agent_side_tag, agent_sdp, latching=True
            )
        if agent_moved:
            self._reoffer_agent(call.offer_sdp)
