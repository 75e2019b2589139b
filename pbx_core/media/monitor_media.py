"""The media of one supervisor monitor: the mixer, and where rtpengine and the agent's phone send.

Listening, rtpengine sends the mixer copies of both parties' audio (`subscribe request`) and the
call's own path (caller - rtpengine - agent) is not touched. Barging, whispering and consulting, the
mixer takes the agent's place toward rtpengine (re-answer, as a bridge does) and the agent's phone
is re-offered the mixer: barging, each party hears the other two; whispering, the caller hears only
the agent; consulting, agent and supervisor hear each other alone (the caller's music is
rtpengine's). docs/pbx.md has the decision and its limits. Runs in the SIP thread; only the mixer
has its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from pbx_core.call_control import MonitorMode
from pbx_core.media import sdp_rewrite
from pbx_core.media.conference import Conference
from pbx_core.media.mixed_call import CallMedia, MixedCall
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
    MonitorMode.WHISPER: {
        CALLER: (AGENT,),
        AGENT: (CALLER, SUPERVISOR),
        SUPERVISOR: (CALLER, AGENT),
    },
    MonitorMode.CONSULT: {AGENT: (SUPERVISOR,), SUPERVISOR: (AGENT,)},
}
"""listener -> whom it hears, per mode."""


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
        self._conference = Conference(
            host, (CALLER, AGENT, SUPERVISOR, TAP_CALLER, TAP_AGENT), on_failure
        )
        self._barge = MixedCall(media, self._conference, call, (CALLER, AGENT), reoffer_agent)
        self._tap_tag = ""

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
            case MonitorMode.BARGE | MonitorMode.WHISPER | MonitorMode.CONSULT:
                # Each puts the mixer in the agent's place; only who hears whom differs.
                self._untap()
                if not self._barge.anchored:
                    self._barge.insert(agent_sdp)
            case MonitorMode.LISTEN:
                self._barge.take_out(agent_sdp)
                if not self._tap_tag:
                    self._tap()
            case _:
                assert_never(mode)
        self._conference.set_routes(ROUTES[mode])

    def agent_answered(self, agent_sdp: str) -> None:
        """The agent's phone answered a re-INVITE: follow it if it moved while on the mixer."""
        self._barge.leg_answered(agent_sdp)

    def agent_refused(self) -> None:
        """The agent's phone refused the re-INVITE: it still sends where it did."""
        self._barge.leg_refused()

    def leave(self, agent_sdp: str | None, *, call_alive: bool) -> None:
        """Back to the plain bridge (`agent_sdp` None: no agent left to restore) and close."""
        try:
            if call_alive:
                self._barge.take_out(agent_sdp)
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
