"""Conference mixing in numpy: every party's 20 ms frame at once, each listener the clipped sum of
whom it hears, G.711 in and out through lookup tables. The one mixing code for supervisor
listen/barge, three-way and N-way calls and the conference bridge (`conference.py` is its socket
and clock shell).

Per 20 ms tick the work is a few numpy operations on an (N, 160) array, whatever N is, so a
16-party conference costs a small share of a core (bench/conference.py); no Python loop runs per
sample. The tables are built from `g711`, so decoding and encoding are exactly its values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from pbx_core.media import g711

FRAME_SAMPLES = 160
"""20 ms at 8 kHz."""

Frames = npt.NDArray[np.int16]
"""(parties, FRAME_SAMPLES) linear samples."""
Hears = npt.NDArray[np.int32]
"""(listeners, talkers) 1 where the listener hears the talker, else 0."""

_CODES = bytes(range(256))
_DECODE: dict[int, npt.NDArray[np.int16]] = {
    pt: np.frombuffer(g711.decode(pt, _CODES), dtype=np.int16).copy() for pt in g711.PAYLOAD_TYPES
}
"""payload type -> linear value of each of the 256 codes."""
_EVERY_SAMPLE = np.arange(-32768, 32768, dtype=np.int16)
_ENCODE: dict[int, npt.NDArray[np.uint8]] = {
    pt: np.roll(
        np.frombuffer(g711.encode(pt, _EVERY_SAMPLE.tobytes()), dtype=np.uint8).copy(), -32768
    )
    for pt in g711.PAYLOAD_TYPES
}
"""payload type -> code of each linear value, indexed by the sample's bits as uint16 (the roll
puts 0 at index 0, -1 at 65535)."""


def decode(payload_type: int, payload: bytes) -> npt.NDArray[np.int16]:
    """G.711 octets of `payload_type` (PCMU or PCMA) to linear samples."""
    return _DECODE[payload_type][np.frombuffer(payload, dtype=np.uint8)]


def encode(payload_type: int, samples: npt.NDArray[np.int16]) -> bytes:
    """Linear samples to G.711 octets of `payload_type`."""
    return _ENCODE[payload_type][samples.view(np.uint16)].tobytes()


def mix(frames: Frames, hears: Hears) -> Frames:
    """Row l: the sum of the frames listener l hears, clipped to 16 bits once at the end (a
    loud pair does not cut a third talker off the way clipping each partial sum would)."""
    summed = hears @ frames.astype(np.int32)
    return np.clip(summed, -32768, 32767).astype(np.int16)


def hears_matrix(
    listeners: Sequence[str], talkers: Sequence[str], routes: Mapping[str, Iterable[str]]
) -> Hears:
    """`routes` (listener -> whom it hears) as the matrix `mix` takes; a listener not in
    `routes` hears nobody (silence), a talker not in `talkers` is ignored."""
    column = {talker: index for index, talker in enumerate(talkers)}
    matrix = np.zeros((len(listeners), len(talkers)), dtype=np.int32)
    for row, listener in enumerate(listeners):
        for talker in routes.get(listener, ()):
            if talker in column:
                matrix[row, column[talker]] = 1
    return matrix


def tones(*steps: tuple[int, float]) -> bytes:
    """(hertz, seconds) beeps one after another as linear PCM, at a quarter of full scale (a
    conference's join and leave tones)."""
    parts = [
        (8192 * np.sin(2 * np.pi * hertz * np.arange(int(seconds * 8000)) / 8000)).astype(np.int16)
        for hertz, seconds in steps
    ]
    return np.concatenate(parts).tobytes()


def everyone_else(names: Iterable[str], muted: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """The routes of a conference: each party hears all others (N-1), nobody hears the muted."""
    parties = frozenset(names)
    talking = parties - frozenset(muted)
    return {name: talking - {name} for name in parties}
