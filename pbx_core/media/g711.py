"""G.711 (PCMU/PCMA) to 16-bit linear and back, through lookup tables built once.

`audioop` is deprecated (gone in Python 3.13), and the mixer only ever needs these two codecs.
"""

from __future__ import annotations

from collections.abc import Sequence

PCMU = 0
PCMA = 8
PAYLOAD_TYPES = (PCMU, PCMA)

_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def _ulaw_to_linear(code: int) -> int:
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    sample = ((((code & 0x0F) << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return -sample if code & 0x80 else sample


def _alaw_to_linear(code: int) -> int:
    code ^= 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    base = (mantissa << 4) + 8
    sample = base if exponent == 0 else (base + 0x100) << (exponent - 1)
    return sample if code & 0x80 else -sample


def _linear_to_ulaw(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _ULAW_CLIP) + _ULAW_BIAS
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _linear_to_alaw(sample: int) -> int:
    sign = 0 if sample < 0 else 0x80
    magnitude = min(-sample if sample < 0 else sample, 32767)
    if magnitude < 256:
        exponent, mantissa = 0, (magnitude >> 4) & 0x0F
    else:
        exponent = magnitude.bit_length() - 8
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (sign | (exponent << 4) | mantissa) ^ 0x55


def _signed(index: int) -> int:
    return index - 0x10000 if index & 0x8000 else index


_DECODE: dict[int, tuple[int, ...]] = {
    PCMU: tuple(_ulaw_to_linear(code) for code in range(256)),
    PCMA: tuple(_alaw_to_linear(code) for code in range(256)),
}
# Indexed by the sample's 16-bit two's complement pattern (`sample & 0xFFFF`).
_ENCODE: dict[int, bytes] = {
    PCMU: bytes(_linear_to_ulaw(_signed(index)) for index in range(0x10000)),
    PCMA: bytes(_linear_to_alaw(_signed(index)) for index in range(0x10000)),
}


def decode(payload_type: int, payload: bytes) -> list[int]:
    table = _DECODE[payload_type]
    return [table[code] for code in payload]


def encode(payload_type: int, samples: Sequence[int]) -> bytes:
    table = _ENCODE[payload_type]
    return bytes(table[sample & 0xFFFF] for sample in samples)


def mix(frames: Sequence[Sequence[int]]) -> list[int]:
    """Sum equally long frames sample by sample, clipped to 16 bits."""
    if len(frames) == 1:
        return list(frames[0])
    return [max(-32768, min(32767, sum(column))) for column in zip(*frames, strict=True)]
