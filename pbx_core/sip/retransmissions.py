"""sippy speaks UDP, so it retransmits a request until it hears an answer (RFC 3261 17.1.1.2,
17.1.2.2: every T1 doubling, up to Timer B/F, 32 s). A stream gateway carries the request over
TCP, TLS or a WebSocket, where the transport is reliable and the client must not retransmit: a
peer that follows the RFC strictly (SIPp over TCP, a carrier) takes the copy for a new request
in the wrong place and fails the call. `Retransmissions` tells the gateway which requests it
already sent down, so it drops sippy's copies (pure; fed a clock)."""

from __future__ import annotations

from collections import OrderedDict

WINDOW_SECONDS = 32.0
"""Timer B/F (64 x T1): sippy gives up retransmitting a request after this long."""


class Retransmissions:
    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._sent: OrderedDict[tuple[str, str], float] = OrderedDict()

    def is_copy(self, branch: str, method: str, now: float) -> bool:
        """Whether the request (`branch` of sippy's Via, `method`) went down within the window;
        else it is noted as sent. ACK is never a copy to drop: the ACK of a retransmitted 2xx
        must reach the peer to stop its retransmissions."""
        while self._sent and next(iter(self._sent.values())) < now - self._window:
            self._sent.popitem(last=False)
        if method == "ACK":
            return False
        key = (branch, method)
        if key in self._sent:
            return True
        self._sent[key] = now
        return False
