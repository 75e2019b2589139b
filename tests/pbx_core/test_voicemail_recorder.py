"""The recorder's socket under bad input: junk, short packets, RTP of another version, DTMF
events and a sequence gap; only G.711 audio lands in the WAV, gaps count as lost, nothing
crashes its thread (real UDP on loopback)."""

from __future__ import annotations

import socket
import struct
import time
import wave
from pathlib import Path

from pbx_core.media import g711
from pbx_core.voicemail.recorder import MessageRecorder

FRAME = bytes([0xFF]) * 160  # PCMU silence


def rtp(sequence: int, payload_type: int = g711.PCMU, version: int = 2) -> bytes:
    return struct.pack("!BBHII", version << 6, payload_type, sequence, sequence * 160, 7) + FRAME


def test_junk_is_ignored_and_gaps_are_counted(tmp_path: Path) -> None:
    recorder = MessageRecorder("127.0.0.1")
    recording = recorder.open(tmp_path / "box" / "m.wav", max_seconds=0.1)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            target = ("127.0.0.1", recording.port)
            for packet in (
                b"",
                b"\x80",
                b"junk" * 100,
                rtp(1, version=1),
                rtp(2, payload_type=101),
                rtp(10),
                rtp(11),
                rtp(14),  # 12 and 13 never came
                *(rtp(n) for n in range(15, 30)),  # beyond max_seconds: counted, not written
            ):
                sender.sendto(packet, target)
            for _ in range(100):
                if recording.packets == 18:
                    break
                time.sleep(0.02)
    finally:
        recorder.close(recording)
        recorder.stop()
    assert (recording.packets, recording.lost) == (18, 2)
    with wave.open(str(recording.path), "rb") as wav:
        assert wav.getnframes() == 800  # 0.1 s at 8 kHz: the longest message, no more
