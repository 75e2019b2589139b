"""G.711 (PCMU/PCMA) to 16-bit linear PCM and back, stereo WAV frames: the one implementation
for the recordings' conversion and the conference mixer's lookup tables (`mixer.py`).

The per-sample work runs in C: the standard library's `audioop` up to Python 3.12, and the
`audioop-lts` package (the same module, kept up) from 3.13, where the standard library dropped
it. PCM here is bytes of signed 16-bit samples in the machine's byte order (audioop's format).
Decoding gives exactly the G.711 values (tests/pbx_core/test_conference.py); A-law encoding
is the ITU-T G.191 reference's, mu-law encoding Sun's reference (CPython's) (docs/pbx.md).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

with warnings.catch_warnings():
    # Python 3.11-3.12 warn that audioop leaves the standard library; from 3.13 the
    # audioop-lts package (a dependency there, pyproject.toml) provides it without a warning.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import audioop

PCMU = 0
PCMA = 8
PAYLOAD_TYPES = (PCMU, PCMA)
SAMPLE_WIDTH = 2
"""Bytes per linear sample."""

_DECODERS: dict[int, Callable[[bytes, int], bytes]] = {
    PCMU: audioop.ulaw2lin,
    PCMA: audioop.alaw2lin,
}
_ENCODERS: dict[int, Callable[[bytes, int], bytes]] = {
    PCMU: audioop.lin2ulaw,
    PCMA: audioop.lin2alaw,
}


def decode(payload_type: int, payload: bytes) -> bytes:
    """G.711 octets of `payload_type` to PCM."""
    return _DECODERS[payload_type](payload, SAMPLE_WIDTH)


def encode(payload_type: int, pcm: bytes) -> bytes:
    """PCM to G.711 octets of `payload_type`."""
    return _ENCODERS[payload_type](pcm, SAMPLE_WIDTH)


def stereo_wav_frames(left: bytes, right: bytes) -> bytes:
    """Two equally long PCM channels as the frames of a stereo WAV file (interleaved,
    little-endian)."""
    frames = audioop.add(
        audioop.tostereo(left, SAMPLE_WIDTH, 1, 0),
        audioop.tostereo(right, SAMPLE_WIDTH, 0, 1),
        SAMPLE_WIDTH,
    )
    return audioop.byteswap(frames, SAMPLE_WIDTH) if sys.byteorder == "big" else frames
