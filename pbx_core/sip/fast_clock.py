"""Replace sippy's ctypes `clock_gettime` wrappers with the standard library's.

sippy reads the clock through ctypes for every timer and every message (`MonoTime`); in the
benchmark profile that was ~9% of the PBX's CPU. `time.clock_gettime` asks the same clocks
(sippy's own clock ids are passed through unchanged), without the ctypes round trip.
"""

from __future__ import annotations

import time

import sippy.Security.SipNonce as sip_nonce
import sippy.Time.clock_dtime as clock_dtime
import sippy.Time.MonoTime as mono_time


def clock_getdtime(clock_id: int) -> float:
    return time.clock_gettime(clock_id)


def clock_getntime(clock_id: int) -> int:
    return time.clock_gettime_ns(clock_id)


def install() -> None:
    for module in (clock_dtime, mono_time):
        module.clock_getdtime = clock_getdtime
    for module in (clock_dtime, sip_nonce):
        module.clock_getntime = clock_getntime
