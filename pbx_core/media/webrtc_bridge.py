"""Media of browser phones: rtpengine turns their DTLS-SRTP/ICE/Opus into plain RTP/G.711.

The WebSocket gateway (`sip/ws_transport.py`) calls this for every SDP that crosses it, so
the PBX behind it (its B2BUA, its own rtpengine anchoring, prompts, recording, conferences,
supervisor listen) only ever sees plain RTP/AVP with G.711, for every call path at once.
Each call through the gateway is a call of its own in rtpengine (the SIP Call-ID of the
browser's dialog), beside the PBX's: the classic "WebRTC edge" (Kamailio + rtpengine) done
in-process.

    offer toward the browser   ICE=force, DTLS=passive, UDP/TLS/RTP/SAVPF, rtcp-mux, Opus
                               first (transcoded from/to G.711 by rtpengine)
    offer from the browser     ICE=remove, DTLS=off, RTP/AVP, G.711 only toward the PBX
    answers                    rtpengine gives each side the profile it offered

One instance per gateway, used only in the gateway's thread (the NG client blocks, briefly).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pbx_core.media.ng_client import NgClient, NgError

log = logging.getLogger(__name__)

WEBRTC_PROFILE = "UDP/TLS/RTP/SAVPF"
BROWSER_CODECS = ("opus/48000/2",)
"""Offered to the browser in place of G.711: Opus is what WebRTC speaks best (rtpengine
transcodes with libavcodec's libopus; `rtpengine --codecs` lists it as fully supported)."""
PHONE_CODECS = ("PCMU", "PCMA")
"""What the PBX side is offered, whatever the browser offered."""
_REPLACE = ["origin", "session-connection"]
EDGE_CALL_PREFIX = "webrtc-edge-"
"""Before the browser dialog's Call-ID in rtpengine: the PBX anchors a call that a browser
places under that same Call-ID and the browser's from-tag, in the same rtpengine, and the two
must stay two calls (sharing one, the PBX's offer overwrote the edge's browser side and the
browser got a plain RTP/AVP answer: "Bad Media Description")."""


CHALLENGE_WAIT_S = 32.0
"""How long the media of a browser's challenged INVITE waits for the retry with credentials
(SIP's Timer B, 64*T1; JsSIP retries at once). Then it goes: a browser that gave up would
otherwise hold its rtpengine ports until rtpengine's own timeouts."""


class MediaBridgeError(RuntimeError):
    """rtpengine refused or did not answer: the message cannot cross with usable media."""


class WebrtcMediaBridge:
    def __init__(
        self, ng: NgClient, *, opus: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`opus`: offer the browser Opus (transcoded); False: G.711, which every WebRTC
        browser also speaks, with no transcoding cost."""
        self._ng = ng
        self._opus = opus
        self._clock = clock
        self._answered: set[str] = set()
        """Call-IDs with an answered initial offer (a failed re-INVITE keeps their media)."""
        self._challenged: dict[str, float] = {}
        """Call-IDs whose initial INVITE was challenged, and when: waiting for the retry."""

    def close(self) -> None:
        self._ng.close()

    def offer_to_browser(self, call_id: str, from_tag: str, sdp: str) -> str:
        self._challenged.pop(call_id, None)
        codec: dict[str, Any] = {}
        if self._opus:
            codec = {"mask": list(PHONE_CODECS), "transcode": list(BROWSER_CODECS)}
        return self._request(
            "offer",
            call_id=EDGE_CALL_PREFIX + call_id,
            from_tag=from_tag,
            sdp=sdp,
            ICE="force",
            DTLS="passive",
            SDES=["off"],
            transport_protocol=WEBRTC_PROFILE,
            rtcp_mux=["offer"],
            codec=codec,
            replace=_REPLACE,
        )

    def offer_from_browser(self, call_id: str, from_tag: str, sdp: str) -> str:
        self._challenged.pop(call_id, None)  # the retry: a re-offer on the same ports
        return self._request(
            "offer",
            call_id=EDGE_CALL_PREFIX + call_id,
            from_tag=from_tag,
            sdp=sdp,
            ICE="remove",
            DTLS="off",
            transport_protocol="RTP/AVP",
            rtcp_mux=["demux"],
            codec={"mask": ["all"], "transcode": [*PHONE_CODECS, "telephone-event"]},
            replace=_REPLACE,
        )

    def answer(self, call_id: str, from_tag: str, to_tag: str, sdp: str) -> str:
        """The answer to an offer either way (`from_tag`: the offerer's)."""
        answered = self._request(
            "answer",
            call_id=EDGE_CALL_PREFIX + call_id,
            from_tag=from_tag,
            to_tag=to_tag,
            sdp=sdp,
            replace=_REPLACE,
        )
        self._answered.add(call_id)
        return answered

    def failed(self, call_id: str) -> None:
        """A final failure to an INVITE: the call's media goes unless an earlier offer was
        answered (then it was a re-INVITE, and the call goes on as it was)."""
        if call_id not in self._answered:
            self.delete(call_id)

    def challenged(self, call_id: str) -> None:
        """A digest challenge (401/407) to an initial INVITE: its media stays for the retry
        with credentials, which offers the same again (sip/ws_transport.py, `_CHALLENGES`, for
        why it must not be made anew), for `CHALLENGE_WAIT_S` at most."""
        self._sweep()
        if call_id not in self._answered:
            self._challenged[call_id] = self._clock()

    def delete(self, call_id: str) -> None:
        self._answered.discard(call_id)
        self._challenged.pop(call_id, None)
        self._ng.delete(EDGE_CALL_PREFIX + call_id)

    def _sweep(self) -> None:
        """Deletes the media of challenges never retried; run with each request (no timer:
        the gateway's thread only runs when messages come, and a leftover costs only ports)."""
        too_old = self._clock() - CHALLENGE_WAIT_S
        for call_id in [c for c, at in self._challenged.items() if at < too_old]:
            self.delete(call_id)

    def _request(self, command: str, **params: Any) -> str:
        self._sweep()
        try:
            reply = self._ng.request(command, **params)
        except (NgError, OSError) as error:
            raise MediaBridgeError(str(error)) from error
        return str(reply["sdp"])
