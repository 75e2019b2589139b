"""The fax receiver's RTP endpoint: one UDP socket per fax call toward rtpengine, G.711 both ways,
a spandsp T.30 terminal in between (spandsp.py).

T.30 over audio is two-way (the receiver says CED, DIS, CFR, MCF): every 20 ms each line sends
160 samples of the terminal's audio (silence when it has nothing to say) to where the caller's
audio comes from (symmetric RTP, in the caller's own G.711 law), and feeds what arrives to the
terminal at once. spandsp's T.30 timers run on the audio it hears, so a caller that falls silent
is heard as silence: its timers (T1, T2...) still end the session.
One thread with a selector serves every fax call, as for the voicemail recorder (SocketThread).
"""

from __future__ import annotations

import logging
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from pbx_core.fax.spandsp import FaxTerminal, Outcome
from pbx_core.media import g711
from pbx_core.media.socket_thread import SocketThread

log = logging.getLogger(__name__)

PACKET_SAMPLES = 160
PACKET_SECONDS = 0.02
SILENT_AFTER = 3.0
"""No packet for this long: the caller is heard as silence (T.30's timers go on). Long: a fax
machine sends audio without a break, and silence heard while its packets are only late (a
loaded machine) would be spliced into its modem signal and spoil the page."""
MAX_CATCH_UP = 5
"""Packets sent at once when the thread fell behind (a loaded machine); older ones are lost."""
_RTP_HEADER = struct.Struct("!BBHII")
_SILENCE = bytes(PACKET_SAMPLES * g711.SAMPLE_WIDTH)


@dataclass(eq=False)
class FaxLine:
    """One fax call's socket and terminal; touched by the line thread only, but `outcome`
    (set once) and `closed`."""

    path: Path
    sock: socket.socket
    terminal: FaxTerminal
    remote: tuple[str, int] | None = None
    payload_type: int = g711.PCMA
    packets_in: int = 0
    last_heard: float = field(default_factory=time.monotonic)
    next_send: float = 0.0
    sequence: int = field(default_factory=lambda: random.randrange(0x10000))
    timestamp: int = field(default_factory=lambda: random.randrange(1 << 32))
    ssrc: int = field(default_factory=lambda: random.randrange(1 << 32))
    closed: bool = False

    def __str__(self) -> str:
        return self.path.name

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def outcome(self) -> Outcome | None:
        return self.terminal.outcome

    def take(self, packet: bytes, source: tuple[str, int]) -> None:
        if len(packet) <= _RTP_HEADER.size:
            return
        first, marker_type, _sequence, _timestamp, _ssrc = _RTP_HEADER.unpack_from(packet)
        payload_type = marker_type & 0x7F
        if first >> 6 != 2 or payload_type not in g711.PAYLOAD_TYPES:
            return  # not RTP, or not G.711 (comfort noise, events): a fax is G.711 only
        self.remote = source
        self.payload_type = payload_type
        self.packets_in += 1
        self.last_heard = time.monotonic()
        self.terminal.hear(g711.decode(payload_type, packet[_RTP_HEADER.size :]))

    def tick(self, now: float) -> None:
        """Send the packets due by `now` (hearing silence meanwhile if the caller sends none)."""
        if self.remote is None:
            self.next_send = now  # nobody to talk to yet: the caller's first packet tells
            return
        if now < self.next_send:
            return
        if now - self.next_send > MAX_CATCH_UP * PACKET_SECONDS:
            self.next_send = now - (MAX_CATCH_UP - 1) * PACKET_SECONDS
        while self.next_send <= now:
            if now - self.last_heard > SILENT_AFTER:
                self.terminal.hear(_SILENCE)
            pcm = self.terminal.say(PACKET_SAMPLES)
            header = _RTP_HEADER.pack(0x80, self.payload_type, self.sequence, self.timestamp,
                                      self.ssrc)  # fmt: skip
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.timestamp = (self.timestamp + PACKET_SAMPLES) & 0xFFFFFFFF
            self.next_send += PACKET_SECONDS
            try:
                self.sock.sendto(header + g711.encode(self.payload_type, pcm), self.remote)
            except OSError as error:
                log.warning("fax %s: RTP not sent: %s", self.path.name, error)


class FaxLines(SocketThread[FaxLine]):
    """Opens lines (from any thread) and runs them in its own thread."""

    def __init__(self, host: str) -> None:
        super().__init__("fax-rtp")
        self._host = host
        self._lines: set[FaxLine] = set()
        """The lines the thread runs (the thread's own)."""

    def open(self, path: Path, remote: tuple[str, int] | None, payload_type: int) -> FaxLine:
        """A socket on a free port and a T.30 receiver writing the pages into `path`; it talks
        to `remote` (rtpengine's side toward us) in `payload_type` until the caller's own
        packets say otherwise."""
        path.parent.mkdir(parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self._host, 0))
            sock.setblocking(False)
            line = FaxLine(path, sock, FaxTerminal(calling=False, file=path), remote, payload_type)
        except (OSError, RuntimeError):
            sock.close()
            raise
        self.add(sock, line)
        return line

    def close(self, line: FaxLine) -> None:
        """The call is over: the thread frees the terminal (which finishes the TIFF file)."""
        line.closed = True
        self.remove(line.sock, line)

    def packet(self, item: FaxLine, data: bytes, source: tuple[str, int]) -> None:
        item.take(data, source)

    def added(self, item: FaxLine) -> None:
        self._lines.add(item)

    def wait_seconds(self) -> float:
        now = time.monotonic()
        due = min((line.next_send for line in self._lines if line.remote), default=now + 1.0)
        return due - now

    def ticked(self) -> None:
        now = time.monotonic()
        for line in self._lines:
            try:
                line.tick(now)
            except Exception:  # one line's failure must not stop the others
                log.exception("fax line %s failed", line)

    def released(self, item: FaxLine) -> None:
        self._lines.discard(item)
        item.terminal.close()


def line_sdp(host: str, port: int, payload_type: int) -> str:
    """The fax line's side toward rtpengine: G.711 only (T.30 in audio, no T.38, no events),
    the caller's own law first (no transcoding)."""
    other = g711.PCMU if payload_type == g711.PCMA else g711.PCMA
    return (
        "v=0\r\n"
        f"o=- 1 1 IN IP4 {host}\r\n"
        "s=fax\r\n"
        f"c=IN IP4 {host}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP {payload_type} {other}\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=ptime:20\r\n"
        "a=sendrecv\r\n"
    )
