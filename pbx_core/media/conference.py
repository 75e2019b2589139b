"""A conference's RTP shell: one UDP socket per participant, G.711 in and out, a 20 ms clock;
the mixing itself is `mixer.py` (numpy, every party at once).

rtpengine 10.5 relays one-to-one and cannot mix several sources into the single stream a
plain phone expects (docs/pbx.md, supervisor monitoring), so the PBX mixes monitored calls,
three-way and N-way calls itself. Each participant's audio goes into its own sample buffer (a
playout margin against jitter); every 20 ms each participant with a known address gets the sum
of the buffers it is routed to hear (or silence, so the far end keeps a steady stream), encoded
in its own payload type, with its own SSRC. Other payload types (RFC 4733 telephone-events) are
passed on unchanged to a paired participant, so DTMF detection in rtpengine keeps working
through the mixer.

One thread per conference. Routes and addresses may be changed from another thread at any time
(whole-object assignments); participants added or removed after `start` are handed to the
mixer thread, which alone touches the selector and the participant set.
"""

from __future__ import annotations

import logging
import queue
import secrets
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from pbx_core.media import g711, mixer
from pbx_core.media.mixer import FRAME_SAMPLES

log = logging.getLogger(__name__)

FRAME_BYTES = FRAME_SAMPLES * g711.SAMPLE_WIDTH
FRAME_SECONDS = 0.02
PLAYOUT_BYTES = 2 * FRAME_BYTES
"""A talker is mixed in once 40 ms of it are buffered (again after each time it ran dry):
packets arrive with jitter around the mixer's tick, and without this margin a talker would
alternate between an empty and a double frame (choppy audio)."""
MAX_BUFFERED_BYTES = 4 * FRAME_BYTES
"""A talker whose clock runs fast loses its oldest audio beyond 80 ms instead of drifting."""
_RTP_HEADER = struct.Struct("!BBHII")


@dataclass(eq=False)
class _Participant:
    name: str
    sock: socket.socket
    remote: tuple[str, int] | None = None
    payload_type: int = g711.PCMU
    buffer: bytearray = field(default_factory=bytearray)
    """Its audio not mixed yet, linear PCM (`g711`)."""
    playing: bool = False
    """Its buffer is being played out (it was filled to `PLAYOUT_BYTES` since it ran dry)."""
    event_peer: str = ""
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    sequence: int = field(default_factory=lambda: secrets.randbits(16))
    timestamp: int = field(default_factory=lambda: secrets.randbits(32))
    sent: int = 0


@dataclass(frozen=True)
class _Layout:
    """The participants in a fixed order and who hears whom, as the mixer thread uses them;
    rebuilt only when the participants or the routes change."""

    parties: tuple[_Participant, ...]
    routes: Mapping[str, frozenset[str]]
    hears: mixer.Hears


class Conference:
    def __init__(
        self,
        host: str,
        names: Iterable[str],
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Binds one UDP socket per name on `host` (free ports). `on_failure` is called from
        the mixer thread if it stops on an error."""
        self._host = host
        self._participants: dict[str, _Participant] = {}
        self._selector = selectors.DefaultSelector()
        self._on_failure = on_failure
        self._routes: Mapping[str, frozenset[str]] = {}
        self._layout = _Layout((), {}, np.zeros((0, 0), dtype=np.int32))
        self._changes: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            for name in names:
                participant = self._bind(name)
                self._participants[name] = participant
                self._watch(participant)
        except OSError:
            self.close()
            raise

    def address(self, name: str) -> tuple[str, int]:
        host, port = self._participants[name].sock.getsockname()
        return str(host), int(port)

    def names(self) -> frozenset[str]:
        return frozenset(self._participants)

    def add(self, name: str) -> tuple[str, int]:
        """A new participant (hearing nobody until the routes say so); its socket's address.
        Raises ValueError for a name taken, OSError when no socket can be opened."""
        if name in self._participants:
            raise ValueError(f"participant {name} is in the conference already")
        participant = self._bind(name)
        self._participants = {**self._participants, name: participant}
        self._change(lambda: self._watch(participant))
        return self.address(name)

    def remove(self, name: str) -> None:
        """`name` leaves: its socket is closed, nobody hears it any more."""
        participant = self._participants.get(name)
        if participant is not None:
            self._participants = {
                other: each for other, each in self._participants.items() if other != name
            }
            self._change(lambda: self._close_socket(participant))

    def feed(self, name: str, pcm: bytes) -> None:
        """Linear PCM played as if `name` had sent it (a tone); `name` sends nothing itself."""
        participant = self._participants[name]
        self._change(lambda: participant.buffer.extend(pcm))

    def connect(self, name: str, remote: tuple[str, int], payload_type: int) -> None:
        """Where `name`'s mixed audio goes, and in which G.711 payload type."""
        if payload_type not in g711.PAYLOAD_TYPES:
            raise ValueError(f"payload type {payload_type} is not G.711")
        participant = self._participants[name]
        participant.payload_type = payload_type
        participant.remote = remote

    def disconnect(self, name: str) -> None:
        """`name` gets nothing any more (what it sends is still mixed for others)."""
        self._participants[name].remote = None

    def pair_events(self, first: str, second: str) -> None:
        """Non-G.711 packets from either one go to the other unchanged (telephone-events)."""
        self._participants[first].event_peer = second
        self._participants[second].event_peer = first

    def set_routes(self, routes: Mapping[str, Iterable[str]]) -> None:
        """listener -> the participants it hears; a listener not named hears silence."""
        self._routes = {listener: frozenset(talkers) for listener, talkers in routes.items()}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="conference-mixer", daemon=True)
        self._thread.start()

    def running(self) -> bool:
        """The mixer thread runs (it stops on `close` or an error)."""
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._selector.close()
        for participant in self._participants.values():
            participant.sock.close()

    def _bind(self, name: str) -> _Participant:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self._host, 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return _Participant(name, sock)

    def _change(self, change: Callable[[], None]) -> None:
        """Runs `change` in the mixer thread (now, if that does not run)."""
        if self._thread is None or not self._thread.is_alive():
            change()
        else:
            self._changes.put(change)

    def _watch(self, participant: _Participant) -> None:
        self._selector.register(participant.sock, selectors.EVENT_READ, participant)

    def _close_socket(self, participant: _Participant) -> None:
        self._selector.unregister(participant.sock)
        participant.sock.close()

    # -----------------------------------------------------------------------------------------
    # The mixer thread

    def _run(self) -> None:
        try:
            next_tick = time.monotonic()
            while not self._closed.is_set():
                for key, _ in self._selector.select(max(0.0, next_tick - time.monotonic())):
                    self._drain(key.data)
                while not self._changes.empty():
                    self._changes.get_nowait()()
                now = time.monotonic()
                if now >= next_tick:
                    self._tick()
                    # After a stall (a loaded machine) start afresh rather than burst.
                    next_tick = max(next_tick + FRAME_SECONDS, now - 5 * FRAME_SECONDS)
        except Exception as error:
            if self._closed.is_set():
                return  # closed under our feet: sockets gone, nothing to report
            log.exception("conference mixer stopped")
            if self._on_failure is not None:
                self._on_failure(error)

    def _drain(self, participant: _Participant) -> None:
        while True:
            try:
                packet = participant.sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue  # an ICMP error for one of our sends; the next datagram may be fine
            self._receive(participant, packet)

    def _receive(self, participant: _Participant, packet: bytes) -> None:
        payload_type, payload = _rtp_payload(packet)
        if payload_type in g711.PAYLOAD_TYPES:
            buffer = participant.buffer
            buffer.extend(mixer.decode(payload_type, payload).tobytes())
            if len(buffer) > MAX_BUFFERED_BYTES:
                del buffer[: len(buffer) - MAX_BUFFERED_BYTES]
        elif payload_type is not None and participant.event_peer:
            peer = self._participants.get(participant.event_peer)
            remote = peer.remote if peer is not None else None  # read once: may change
            if peer is not None and remote is not None:
                _send_to(peer.sock, packet, remote)

    def _current_layout(self) -> _Layout:
        layout, routes = self._layout, self._routes
        parties = tuple(self._participants.values())
        if layout.routes is not routes or layout.parties != parties:
            names = [party.name for party in parties]
            layout = _Layout(parties, routes, mixer.hears_matrix(names, names, routes))
            self._layout = layout
        return layout

    def _tick(self) -> None:
        layout = self._current_layout()
        frames = np.zeros((len(layout.parties), FRAME_SAMPLES), dtype=np.int16)
        for row, participant in enumerate(layout.parties):
            buffer = participant.buffer
            participant.playing = bool(buffer) and (
                participant.playing or len(buffer) >= PLAYOUT_BYTES
            )
            if participant.playing:
                frame = np.frombuffer(bytes(buffer[:FRAME_BYTES]), dtype=np.int16)
                frames[row, : len(frame)] = frame  # a short last frame ends in silence
                del buffer[:FRAME_BYTES]
        mixed = mixer.mix(frames, layout.hears)
        for row, participant in enumerate(layout.parties):
            remote = participant.remote  # read once: another thread may disconnect it meanwhile
            if remote is not None:
                payload = mixer.encode(participant.payload_type, mixed[row])
                self._send(participant, remote, payload)

    @staticmethod
    def _send(participant: _Participant, remote: tuple[str, int], payload: bytes) -> None:
        marker = 0x80 if participant.sent == 0 else 0
        header = _RTP_HEADER.pack(
            0x80,
            marker | participant.payload_type,
            participant.sequence,
            participant.timestamp,
            participant.ssrc,
        )
        participant.sequence = (participant.sequence + 1) & 0xFFFF
        participant.timestamp = (participant.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        if _send_to(participant.sock, header + payload, remote):
            participant.sent += 1


def _send_to(sock: socket.socket, packet: bytes, remote: tuple[str, int]) -> bool:
    try:
        sock.sendto(packet, remote)
    except OSError as error:  # the far end is gone for a moment: keep mixing for the others
        log.debug("RTP to %s failed: %s", remote, error)
        return False
    return True


def _rtp_payload(packet: bytes) -> tuple[int | None, bytes]:
    """(payload type, payload) of an RTP packet; (None, b"") for anything else (RTCP, junk)."""
    if len(packet) < _RTP_HEADER.size or packet[0] >> 6 != 2:
        return None, b""
    payload_type = packet[1] & 0x7F
    if 72 <= payload_type <= 76:  # RTCP sent to the RTP port (rtcp-mux)
        return None, b""
    start = _RTP_HEADER.size + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:  # header extension
        if len(packet) < start + 4:
            return None, b""
        start += 4 + 4 * int.from_bytes(packet[start + 2 : start + 4], "big")
    end = len(packet)
    if packet[0] & 0x20 and end > start:  # padding: the last octet says how much
        end -= packet[-1]
    if end < start:
        return None, b""
    return payload_type, packet[start:end]
