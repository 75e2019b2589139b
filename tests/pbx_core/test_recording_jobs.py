"""Recording jobs: pcap -> WAV conversion (through a real rq worker) and the retention purge."""

from __future__ import annotations

import json
import os
import struct
import time
import uuid
import wave
from pathlib import Path

from redis import Redis
from rq import Queue, SimpleWorker

from pbx_core.recording.jobs import (
    convert_finished_call,
    enqueue_conversion,
    purge_expired_recordings,
)
from pbx_core.recording.pcap_to_wav import convert
from tests.pbx_core.conftest import REDIS_URL


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
    write_pcap(
        recordings / "pcaps" / f"{call_id.replace('@', '%40')}-abc123.pcap", {1: (0, b"\x10")}
    )
    meta = recordings / "calls" / f"{call_id}.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"call_id": call_id, "tenant": "demo", "keep": keep}))
    return meta


def test_on_demand_recording_not_asked_for_is_deleted(tmp_path: Path) -> None:
    meta = _finished_call(tmp_path / "rec", "1-9@127.0.0.1", keep=False)
    assert convert_finished_call(str(meta), str(tmp_path / "archive")) is None
    assert not list((tmp_path / "rec" / "pcaps").iterdir())
    assert not meta.exists()
    assert not (tmp_path / "archive").exists()


def test_conversion_runs_as_rq_job(tmp_path: Path) -> None:
    redis = Redis.from_url(REDIS_URL)
    queue = Queue(f"test-recordings-{uuid.uuid4().hex[:8]}", connection=redis)
    try:
        meta = _finished_call(tmp_path / "rec", "1-7@127.0.0.1", keep=True)
        job = enqueue_conversion(queue, meta, tmp_path / "archive")
        SimpleWorker([queue], connection=redis).work(burst=True)
        job.refresh()
        wav = Path(job.return_value())
        assert wav.exists() and wav.parent.parent.name == "demo"
        assert not meta.exists()
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
        redis.close()


def test_retention_purge_follows_each_tenants_days(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    now = time.time()
    for tenant in ("short", "long"):
        for age_days in (10, 100, 400):
            wav = archive / tenant / "2026-01-01" / f"{age_days}.wav"
            wav.parent.mkdir(parents=True, exist_ok=True)
            wav.write_bytes(b"RIFF")
            os.utime(wav, (now - age_days * 86400, now - age_days * 86400))
    removed = purge_expired_recordings(str(archive), {"short": 90, "long": 365}, now=now)
    left = sorted(str(p.relative_to(archive)) for p in archive.rglob("*.wav"))
    assert left == ["long/2026-01-01/10.wav", "long/2026-01-01/100.wav", "short/2026-01-01/10.wav"]
    assert len(removed) == 3
