"""Debian's libspandsp2 (0.0.6) through ctypes: one T.30 fax terminal over G.711 audio (no T.38).

A `FaxTerminal` is fed the audio it hears (`hear`, 16-bit linear 8 kHz, any length) and asked
for the audio it says (`say`, the same, exactly as many samples as asked: silence when idle),
so one object is the fax machine at either end of a call: the PBX's receiver (`calling=False`,
answers with CED, DIS, CFR, MCF) and, in the tests, the sending machine (`calling=True`).
spandsp calls back into Python once, at the end (phase E), from inside `hear`/`say`: the same
thread, so no locking. One terminal is used by one thread at a time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from pathlib import Path

LIBRARY = "libspandsp.so.2"
T30_ERR_OK = 0
SAMPLE_WIDTH = 2

_PHASE_E = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_PHASE_BD = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
"""Phase B (the machines agreed on a mode: the other side is a fax) and phase D (a page is
through) handlers; 0 = go on."""
_lib: ctypes.CDLL | None = None


def _library() -> ctypes.CDLL:
    """Loaded once, with every signature declared (a wrong pointer width would crash)."""
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(LIBRARY)
        voidp, c_int = ctypes.c_void_p, ctypes.c_int
        lib.fax_init.restype = voidp
        lib.fax_init.argtypes = [voidp, c_int]
        lib.fax_get_t30_state.restype = voidp
        lib.fax_get_t30_state.argtypes = [voidp]
        lib.fax_rx.restype = c_int
        lib.fax_rx.argtypes = [voidp, voidp, c_int]
        lib.fax_tx.restype = c_int
        lib.fax_tx.argtypes = [voidp, voidp, c_int]
        lib.fax_set_transmit_on_idle.restype = None
        lib.fax_set_transmit_on_idle.argtypes = [voidp, c_int]
        lib.fax_free.restype = c_int
        lib.fax_free.argtypes = [voidp]
        lib.t30_set_rx_file.restype = None
        lib.t30_set_rx_file.argtypes = [voidp, ctypes.c_char_p, c_int]
        lib.t30_set_tx_file.restype = None
        lib.t30_set_tx_file.argtypes = [voidp, ctypes.c_char_p, c_int, c_int]
        lib.t30_set_phase_e_handler.restype = None
        lib.t30_set_phase_e_handler.argtypes = [voidp, _PHASE_E, voidp]
        for name in ("t30_set_phase_b_handler", "t30_set_phase_d_handler"):
            getattr(lib, name).restype = None
            getattr(lib, name).argtypes = [voidp, _PHASE_BD, voidp]
        lib.t30_completion_code_to_str.restype = ctypes.c_char_p
        lib.t30_completion_code_to_str.argtypes = [c_int]
        _lib = lib
    return _lib


def available() -> bool:
    """libspandsp2 is installed (`make system-packages`)."""
    try:
        _library()
    except OSError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Outcome:
    """Phase E: how the fax session ended."""

    ok: bool
    code: int
    reason: str
    """spandsp's words for `code` ("OK", "T1 expired", "Disconnected after permitted retries")."""


class FaxTerminal:
    def __init__(self, *, calling: bool, file: Path) -> None:
        """`calling`: the sending machine, which transmits `file` (a TIFF-F); else the
        answering one, which writes the pages it receives into `file`."""
        lib = self._lib = _library()
        self._state = lib.fax_init(None, 1 if calling else 0)
        if not self._state:
            raise RuntimeError("spandsp could not make a fax terminal")
        t30 = lib.fax_get_t30_state(self._state)
        lib.fax_set_transmit_on_idle(self._state, 1)  # silence, never short buffers
        if calling:
            lib.t30_set_tx_file(t30, str(file).encode(), -1, -1)
        else:
            lib.t30_set_rx_file(t30, str(file).encode(), -1)
        self.outcome: Outcome | None = None
        self.negotiated = False
        """Phase B came: the other side speaks T.30 (a caller that never does is no fax)."""
        self.pages = 0
        """Pages through (phase D), either way."""
        # Kept on the object: spandsp holds only the C pointers, the Python callables must live.
        self._handlers = (
            _PHASE_BD(self._phase_b),
            _PHASE_BD(self._phase_d),
            _PHASE_E(self._phase_e),
        )
        lib.t30_set_phase_b_handler(t30, self._handlers[0], None)
        lib.t30_set_phase_d_handler(t30, self._handlers[1], None)
        lib.t30_set_phase_e_handler(t30, self._handlers[2], None)

    def _phase_b(self, _t30: int | None, _user: int | None, _result: int) -> int:
        self.negotiated = True
        return 0

    def _phase_d(self, _t30: int | None, _user: int | None, _result: int) -> int:
        self.pages += 1
        return 0

    def _phase_e(self, _t30: int | None, _user: int | None, code: int) -> None:
        words = self._lib.t30_completion_code_to_str(code) or b"unknown"
        self.outcome = Outcome(code == T30_ERR_OK, code, words.decode(errors="replace"))

    def hear(self, pcm: bytes) -> None:
        """Audio from the other machine: 16-bit little-endian samples, 8 kHz."""
        if self._state is None or not pcm:
            return
        samples = len(pcm) // SAMPLE_WIDTH
        buffer = ctypes.create_string_buffer(pcm[: samples * SAMPLE_WIDTH], samples * SAMPLE_WIDTH)
        self._lib.fax_rx(self._state, buffer, samples)

    def say(self, samples: int) -> bytes:
        """The next `samples` of this machine's audio (silence when it has nothing to say)."""
        buffer = ctypes.create_string_buffer(samples * SAMPLE_WIDTH)
        if self._state is None:
            return buffer.raw
        made = self._lib.fax_tx(self._state, buffer, samples)
        return buffer.raw[: max(made, 0) * SAMPLE_WIDTH].ljust(samples * SAMPLE_WIDTH, b"\0")

    def close(self) -> None:
        """Frees spandsp's state; the file is complete (spandsp closes it at phase E or here)."""
        if self._state is not None:
            self._lib.fax_free(self._state)
            self._state = None
