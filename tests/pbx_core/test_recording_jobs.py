"""A finished call's recording files: pcap -> WAV -> Ogg Opus, the call's own files found exactly,
and rtpengine's leftovers removed."""

from __future__ import annotations

import json
import struct
import subprocess
import time
import wave
from pathlib import Path

from pbx_core.recording.files import (
    belongs_to_call,
    discard_sources,
    encode_finished_call,
    pcaps_of_call,
)
from pbx_core.recording.pcap_to_wav import convert
from tests.components import require_executable


def _rtp_frame(src_port: int, seq: int, payload_type: int, payload: bytes) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, payload_type, seq, seq * 160, 0x1234 + src_port) + payload
    udp = struct.pack("!HHHH", src_port, 40000, 8 + len(rtp), 0) + rtp
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]),
        bytes([127, 0, 0, 1]),
    )  # fmt: skip
    return ip + udp


def write_pcap(path: Path, streams: dict[int, tuple[int, bytes]], packets: int = 10) -> None:
    """Two parties, 20 ms PCMU/PCMA packets each, in rtpengine's raw-IP pcap format."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for seq in range(packets):
        for port, (payload_type, byte) in streams.items():
            frame = _rtp_frame(port, seq, payload_type, byte * 160)
            when = 1000.0 + seq * 0.02
            out += struct.pack("<IIII", int(when), round(when % 1 * 1e6), len(frame), len(frame))
            out += frame
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def test_pcap_becomes_stereo_wav_with_one_party_per_channel(tmp_path: Path) -> None:
    pcap = tmp_path / "call.pcap"
    write_pcap(pcap, {30000: (0, b"\x00"), 30002: (8, b"\xd5")})
    wav_path = tmp_path / "call.wav"
    samples = convert(pcap, wav_path)
    assert samples == 10 * 160
    with wave.open(str(wav_path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 1600)
        left, right = struct.unpack("<hh", wav.readframes(1))
    assert (left, right) == (-32124, 8)  # mu-law 0x00, A-law 0xD5


def _finished_call(recordings: Path, call_id: str, keep: bool) -> Path:
    quoted = call_id.replace("@", "%40")
    write_pcap(recordings / "pcaps" / f"{quoted}-0123456789abcdef.pcap", {1: (0, b"\x10")})
    rtpengine_meta = recordings / "metadata" / f"rtpengine-meta-{quoted}-0123456789abcdef.txt"
    rtpengine_meta.parent.mkdir(parents=True, exist_ok=True)
    rtpengine_meta.write_text("pcap path\n")
    meta = recordings / "calls" / f"{call_id}.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(
        json.dumps({"call_id": call_id, "tenant": "demo", "keep": keep, "ended_at": time.time()})
    )
    return meta


def test_a_calls_files_are_matched_exactly_not_by_prefix() -> None:
    assert belongs_to_call("1-0123456789abcdef", "1")
    assert belongs_to_call("1-7%40127.0.0.1-0123456789abcdef", "1-7@127.0.0.1")
    assert not belongs_to_call("10-0123456789abcdef", "1")
    assert not belongs_to_call("1-2-0123456789abcdef", "1")
    assert not belongs_to_call("1-0123456789abcdef", "1-0123456789abcdef")


def test_another_calls_pcap_is_left_alone(tmp_path: Path) -> None:
    recordings = tmp_path / "rec"
    mine = _finished_call(recordings, "1", keep=False)
    other = _finished_call(recordings, "1-2", keep=True)
    assert [p.name for p in pcaps_of_call(recordings, "1")] == ["1-0123456789abcdef.pcap"]
    discard_sources(mine)
    assert [p.name for p in pcaps_of_call(recordings, "1-2")] == ["1-2-0123456789abcdef.pcap"]
    assert len(list((recordings / "metadata").iterdir())) == 1
    assert other.exists() and not mine.exists()


def test_on_demand_recording_not_asked_for_is_not_encoded(tmp_path: Path) -> None:
    meta = _finished_call(tmp_path / "rec", "1-9@127.0.0.1", keep=False)
    assert encode_finished_call(meta, tmp_path / "archive") is None
    discard_sources(meta)
    assert not list((tmp_path / "rec" / "pcaps").iterdir())
    assert not list((tmp_path / "rec" / "metadata").iterdir())
    assert not meta.exists()
    assert not (tmp_path / "archive").exists()


def test_kept_recording_becomes_ogg_opus_in_the_tenants_archive(tmp_path: Path) -> None:
    require_executable("opusenc")
    meta = _finished_call(tmp_path / "rec", "1-7@127.0.0.1", keep=True)
    encoded = encode_finished_call(meta, tmp_path / "archive")
    assert encoded is not None
    assert encoded.audio.parts[0] == "demo" and encoded.audio.suffix == ".opus"
    assert encoded.duration_seconds == 10 * 160 / 8000
    audio = tmp_path / "archive" / encoded.audio
    assert audio.read_bytes()[:4] == b"OggS"
    info = subprocess.run(["opusinfo", str(audio)], capture_output=True, text=True, check=True)
    assert "Channels: 2" in info.stdout
    assert meta.exists(), "the sources stay until the catalogue has the recording"
