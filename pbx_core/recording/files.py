"""The file side of a finished recording: find the call's pcap exactly, encode it for browsers,
and clean up rtpengine's files.

At call end the PBX writes `<recordings_dir>/calls/<call-id>.json` (call id, tenant, extension,
caller, called, call center, end time, `keep`). `encode_finished_call` turns the call's pcap into
Ogg Opus (compressed, seekable, played by every browser) in
`<archive_dir>/<tenant>/<YYYY-MM-DD>/<call-id>.opus` and returns what a catalogue needs; it
deletes nothing, so a job that fails after it can run again. `discard_sources` then removes the
pcap, rtpengine's own metadata file and the PBX's JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pbx_core.recording.pcap_to_wav import SAMPLE_RATE, convert

AUDIO_SUFFIX = ".opus"
AUDIO_MEDIA_TYPE = "audio/ogg"
OPUS_BITRATE_KBPS = "24"
"""Plenty for 8 kHz telephone speech in stereo (one party per channel)."""
RTPENGINE_SUFFIX = re.compile(r"-[0-9a-f]{16}$")
"""rtpengine names a call's files `<url-quoted call-id>-<16 hex digits>`."""


class EncoderMissing(RuntimeError):
    """opusenc (Debian package opus-tools) is not installed."""


@dataclass(frozen=True)
class EncodedRecording:
    metadata: dict[str, Any]
    """The PBX's JSON for the call, as written at call end."""
    audio: Path
    """Relative to the archive directory."""
    duration_seconds: float
    ended_at: datetime


def safe_file_name(name: str) -> str:
    """A call id (or tenant) as a file name: no path separators or odd characters."""
    return "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in name)


def belongs_to_call(stem: str, call_id: str) -> bool:
    """Exactly this call's file: call `1` owns `1-<hex16>`, never `10-...` nor `1-2-<hex16>`."""
    quoted = quote(call_id, safe="")
    return stem.startswith(quoted) and RTPENGINE_SUFFIX.fullmatch(stem[len(quoted) :]) is not None


def pcaps_of_call(recordings_dir: Path, call_id: str) -> list[Path]:
    pcaps = (recordings_dir / "pcaps").glob("*.pcap")
    return sorted(p for p in pcaps if belongs_to_call(p.stem, call_id))


def _rtpengine_metadata_of_call(recordings_dir: Path, call_id: str) -> list[Path]:
    prefix = "rtpengine-meta-"
    files = (recordings_dir / "metadata").glob(f"{prefix}*.txt")
    return [p for p in files if belongs_to_call(p.stem.removeprefix(prefix), call_id)]


def encode_to_opus(wav: Path, target: Path) -> None:
    encoder = shutil.which("opusenc")
    if encoder is None:
        raise EncoderMissing("opusenc is missing: apt-get install opus-tools (make venv does)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    subprocess.run(
        [encoder, "--quiet", "--bitrate", OPUS_BITRATE_KBPS, str(wav), str(partial)],
        check=True,
        capture_output=True,
    )
    partial.replace(target)  # readers never see half a file


def encode_finished_call(metadata_path: Path, archive_dir: Path) -> EncodedRecording | None:
    """None: nothing to keep (on demand without *44, or no audio arrived)."""
    metadata: dict[str, Any] = json.loads(metadata_path.read_text())
    call_id = str(metadata["call_id"])
    pcaps = pcaps_of_call(metadata_path.parent.parent, call_id)
    if not metadata.get("keep") or not pcaps:
        return None
    ended_at = datetime.fromtimestamp(float(metadata["ended_at"]), UTC)
    relative = (
        Path(safe_file_name(str(metadata["tenant"])))
        / ended_at.strftime("%Y-%m-%d")
        / f"{safe_file_name(call_id)}{AUDIO_SUFFIX}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "call.wav"
        samples = convert(pcaps[0], wav)
        encode_to_opus(wav, archive_dir / relative)
    return EncodedRecording(metadata, relative, samples / SAMPLE_RATE, ended_at)


def discard_sources(metadata_path: Path) -> None:
    """Remove what rtpengine and the PBX wrote for the call (audio and all, if not kept)."""
    if not metadata_path.exists():
        return
    call_id = str(json.loads(metadata_path.read_text())["call_id"])
    recordings_dir = metadata_path.parent.parent
    for leftover in (
        *pcaps_of_call(recordings_dir, call_id),
        *_rtpengine_metadata_of_call(recordings_dir, call_id),
    ):
        leftover.unlink(missing_ok=True)
    metadata_path.unlink(missing_ok=True)
