"""An uploaded WAV or MP3 into what the media path plays (8 kHz mono 16-bit WAV), with sox.

The format is told by the file's first bytes, never by a name or a Content-Type the client
chose; sox then has to decode it, and anything it cannot decode is "not audio". The output is
cut just past the limit, so a small file claiming hours of audio costs no more than the limit.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from provisioning.announcements import MAX_SECONDS, PLAYED_RATE
from provisioning.errors import Invalid

SOX_TIMEOUT_SECONDS = 60
BYTES_PER_SECOND = PLAYED_RATE * 2
WAV_HEADER_BYTES = 44


@dataclass(frozen=True, slots=True)
class PlayableAudio:
    wav: bytes
    seconds: float


def audio_type(data: bytes) -> str:
    """sox's name of the format `data` starts as: `wav` or `mp3`; else refused as not audio."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    # An MP3 starts with an ID3 tag or directly with a frame (11 sync bits set).
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    raise Invalid("audio", "not audio: upload a WAV or MP3 file")


def to_playable(data: bytes) -> PlayableAudio:
    """`data` (a WAV or MP3 file) as an 8 kHz mono 16-bit WAV; refuses what is not audio,
    is empty, or lasts longer than `MAX_SECONDS`."""
    kind = audio_type(data)
    with tempfile.TemporaryDirectory(prefix="announcement-") as tmp:
        source, target = Path(tmp) / f"upload.{kind}", Path(tmp) / "played.wav"
        source.write_bytes(data)
        played = ["-r", str(PLAYED_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
        cut = ["trim", "0", str(MAX_SECONDS + 1)]
        command = ["sox", "-t", kind, str(source), *played, str(target), *cut]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=SOX_TIMEOUT_SECONDS)
        except subprocess.CalledProcessError:
            raise Invalid("audio", f"not audio: sox could not decode it as {kind}") from None
        except subprocess.TimeoutExpired:
            raise Invalid("audio", "not audio: decoding took too long") from None
        wav = target.read_bytes()
    seconds = (len(wav) - WAV_HEADER_BYTES) / BYTES_PER_SECOND
    if seconds <= 0:
        raise Invalid("audio", "the file holds no sound")
    if seconds > MAX_SECONDS:
        raise Invalid("audio", f"too long: at most {MAX_SECONDS} seconds")
    return PlayableAudio(wav, round(seconds, 2))
