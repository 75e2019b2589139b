"""The chaos harness's ear on the waiting callers' music (docs/chaos.md, "music" column).

A batch's SIPp callers all name one RTP port in their SDP (`media_port`), and send nothing:
what arrives there is what rtpengine plays to them, music on hold (connected callers hear their
agent's phone, which sends nothing either). rtpengine sends each call's RTP from the call's own
port, so the number of distinct source ports in a short window is the number of callers hearing
music then: in the second before the fault, and in a second `AFTER_SECONDS` after it. A fault
that silences music (rtpengine's restart, were the PBX not to play it again) shows as fewer
afterwards.
"""

from __future__ import annotations

import socket
import threading
import time

from tests.ports import free_port

WINDOW_SECONDS = 1.0
"""A caller hearing music gets 50 packets a second: any one in the window counts it."""
SETTLE_SECONDS = 8.0
"""The `rtpengine` fault comes this much later than the others, once every caller of the batch
has heard 7003's entrance message and position (about 6 s) and hears only music: a prompt
rtpengine drops is followed by music anyway (the PBX's timer of the prompt's end starts it), so
only a fault during the music tells whether the music comes back."""
AFTER_SECONDS = 5.0
"""The second window ends this long after the fault: a restarted rtpengine has answered and the
PBX has noticed it (about a second each), and the batch's first callers (12 s of hold after the
last one arrived) have not hung up yet."""


class MusicEar:
    """Listens on one UDP port in a thread of its own until `stop`."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", free_port(socket.SOCK_DGRAM)))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._arrivals: list[tuple[float, int]] = []
        """(time.monotonic(), source port) of each RTP packet; appended by the thread only."""
        self._running = True
        self._thread = threading.Thread(target=self._listen, name="chaos-music", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while self._running:
            try:
                packet, source = self._sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(packet) > 12 and packet[0] >> 6 == 2:  # RTP version 2
                self._arrivals.append((time.monotonic(), source[1]))

    def hearing(self, until: float, seconds: float = WINDOW_SECONDS) -> int:
        """Callers that got music in the `seconds` before `until` (a `time.monotonic()`)."""
        arrivals = list(self._arrivals)  # a copy: the thread appends meanwhile
        return len({port for at, port in arrivals if until - seconds <= at < until})

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._sock.close()
