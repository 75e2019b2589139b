"""Voicemail's RTP endpoint: one UDP socket per recording, G.711 in, a WAV file out. The one
recorder of everything a caller speaks into the PBX: messages left (`deposit.py`), and the
greetings and announcements recorded in the voice portal (`portal.py`), both via `record_caller`.

rtpengine keeps the caller anchored (prompts, DTMF detection); once the greeting (or prompt) and
the beep have played, the caller's audio is pointed at one of these sockets (docs/voicemail.md,
"Media").
One thread serves every socket with a selector (media/socket_thread.py), so 50 callers at once
cost one thread.
Packets are written in arrival order as they come (a LAN's reordering is rare and a message is
speech, not data); sequence gaps are counted as lost packets for the benchmark and the logs.
"""

from __future__ import annotations

import socket
import struct
import threading
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pbx_core.media import g711
from pbx_core.media.socket_thread import SocketThread

if TYPE_CHECKING:  # the B2BUA imports this module: no import back at run time
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

SAMPLE_RATE = 8000
_RTP_HEADER = struct.Struct("!BBHII")
_SELECT_SECONDS = 0.05
"""How long the thread waits before it looks at sockets added or removed meanwhile."""


@dataclass(eq=False)
class Recording:
    """One message being recorded; its counters are written by the recorder thread only."""

    path: Path
    max_samples: int
    sock: socket.socket
    writer: wave.Wave_write
    samples: int = 0
    packets: int = 0
    lost: int = 0
    last_sequence: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def __str__(self) -> str:
        return str(self.path)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def duration_seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def take(self, packet: bytes) -> None:
        if len(packet) <= _RTP_HEADER.size or self.closed:
            return  # too short for RTP, or arriving after the message ended
        first, marker_type, sequence, _timestamp, _ssrc = _RTP_HEADER.unpack_from(packet)
        payload_type = marker_type & 0x7F
        if first >> 6 != 2 or payload_type not in g711.PAYLOAD_TYPES:
            return  # not RTP, or RFC 4733 events (rtpengine reports those digits itself)
        if self.last_sequence is not None:
            gap = (sequence - self.last_sequence) & 0xFFFF
            if 1 < gap < 0x8000:
                self.lost += gap - 1
        self.last_sequence = sequence
        self.packets += 1
        room = self.max_samples - self.samples
        if room <= 0:
            return
        pcm = g711.decode(payload_type, packet[_RTP_HEADER.size :])[: room * g711.SAMPLE_WIDTH]
        with self.lock:
            if not self.closed:
                self.writer.writeframesraw(pcm)
                self.samples += len(pcm) // g711.SAMPLE_WIDTH


class MessageRecorder(SocketThread[Recording]):
    """Opens recordings (from any thread) and feeds them from its own thread."""

    def __init__(self, host: str) -> None:
        super().__init__("voicemail-rtp", _SELECT_SECONDS)
        self._host = host

    def open(self, path: Path, max_seconds: float) -> Recording:
        """A socket on a free port, and the WAV file it writes (made with its folders)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self._host, 0))
            sock.setblocking(False)
            writer = wave.open(str(path), "wb")  # noqa: SIM115 - closed by close()
        except OSError:
            sock.close()
            raise
        writer.setnchannels(1)
        writer.setsampwidth(g711.SAMPLE_WIDTH)
        writer.setframerate(SAMPLE_RATE)
        recording = Recording(path, int(max_seconds * SAMPLE_RATE), sock, writer)
        self.add(sock, recording)
        return recording

    def close(self, recording: Recording) -> None:
        """Stop taking audio and finish the WAV file (its header gets the real length)."""
        with recording.lock:
            if recording.closed:
                return
            recording.closed = True
            recording.writer.close()
        self.remove(recording.sock, recording)

    def packet(self, item: Recording, data: bytes, source: tuple[str, int]) -> None:
        item.take(data)


def record_caller(
    ctx: CallContext, call: Call, recorder: MessageRecorder, path: Path, max_seconds: float
) -> Recording:
    """Point the answered caller's audio (anchored in rtpengine) at a new recording into `path`:
    rtpengine is re-answered with the recorder socket's SDP, `port latching` as a bridge does
    (the caller is told nothing). The caller still hears what rtpengine plays to it."""
    assert ctx.media is not None
    recording = recorder.open(path, max_seconds)
    host = ctx.config["_sip_address"]
    sdp = recorder_sdp(host, recording.port)
    ctx.media.answer(call.call_id, call.caller_tag, str(call.ua.lTag), sdp, latching=True)
    return recording


def recorder_sdp(host: str, port: int) -> str:
    """The recorder's side toward rtpengine: G.711 either law, RFC 4733 events accepted."""
    return (
        "v=0\r\n"
        f"o=- 1 1 IN IP4 {host}\r\n"
        "s=voicemail\r\n"
        f"c=IN IP4 {host}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\n"
        "a=sendrecv\r\n"
    )
