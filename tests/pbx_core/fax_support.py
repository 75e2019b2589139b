"""A sending fax machine for the tests: a TIFF-F made here (no image library needed) and spandsp's
T.30 transmitter behind a test phone's RTP endpoint, the caller's side of a fax call over G.711."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

from pbx_core.fax.spandsp import FaxTerminal
from pbx_core.media import g711
from tests.pbx_core.rtp_phone import FRAME, RtpPhone

WIDTH = 1728
"""A fax line's pixels (A4 at 204 dpi)."""
_SHORT, _LONG, _RATIONAL = 3, 4, 5


def fax_tiff(path: Path, pages: int, rows: int = 400) -> Path:
    """An uncompressed bilevel TIFF of `pages` pages of black and white bars, 204x196 dpi: what
    a fax machine's scanner gives (spandsp codes it as T.4 for the line)."""
    out = bytearray(b"II*\0\0\0\0\0")
    directories = []
    for page in range(pages):
        image = b"".join(
            (b"\xff" if (row // 20 + page) % 3 == 0 else b"\x00") * (WIDTH // 8)
            for row in range(rows)
        )
        image_at = len(out)
        out += image
        resolution_at = len(out)
        out += struct.pack("<IIII", 204, 1, 196, 1)
        tags = [
            (256, _SHORT, WIDTH), (257, _SHORT, rows), (258, _SHORT, 1), (259, _SHORT, 1),
            (262, _SHORT, 0), (266, _SHORT, 1), (273, _LONG, image_at), (277, _SHORT, 1),
            (278, _SHORT, rows), (279, _LONG, len(image)), (282, _RATIONAL, resolution_at),
            (283, _RATIONAL, resolution_at + 8), (284, _SHORT, 1), (296, _SHORT, 2),
            (297, _SHORT, page | pages << 16),
        ]  # fmt: skip
        directories.append(len(out))
        out += struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            count = 2 if tag == 297 else 1
            out += struct.pack("<HHII", tag, kind, count, value)
        out += b"\0\0\0\0"  # the next directory: filled in below
    struct.pack_into("<I", out, 4, directories[0])
    for this, following in itertools.pairwise(directories):
        (entries,) = struct.unpack_from("<H", out, this)
        struct.pack_into("<I", out, this + 2 + 12 * entries, following)
    path.write_bytes(bytes(out))
    return path


class FaxSender(RtpPhone):
    """spandsp's transmitter (`fax_init(NULL, TRUE)`) sending `tiff` as a fax machine on a call:
    an `RtpPhone` (symmetric RTP, PCMU every 20 ms) whose ear and mouth are the T.30 terminal."""

    def __init__(self, tiff: Path) -> None:
        super().__init__(None)
        self.terminal = FaxTerminal(calling=True, file=tiff)

    def hear(self, now: float, pcm: bytes) -> None:
        self.terminal.hear(pcm)

    def say(self) -> bytes | None:
        return g711.encode(g711.PCMU, self.terminal.say(FRAME))

    async def close(self) -> None:
        await super().close()
        self.terminal.close()
