"""Hoteling (Flexplek, seed 3.2.1) as the PBX applies it: which guest sits at which host phone.
Written by the application (at start-up and after each sign-in, sign-out or host change), read
by the SIP thread on every call (one dict look-up, atomic under the GIL; each write replaces the
dicts). No SIP here, so the application imports it freely.

While a guest is signed in on a host:
- calls to the guest's extension ring the host phone's registration *instead of* the guest's
  own phone (the guest sits at the host; docs/hoteling.md);
- calls from the host phone are the guest's calls: caller, name, profile, calling plan,
  forwarding codes, redial are the guest's (the hoteling codes themselves stay the host's).
A host with no guest may call only the hoteling codes, the voice portal and the emergency
numbers (seed 3.2.1: "uitsluitend het alarmnummer 112 ... en/of de voice portal").
A session ends at its `expires_at` by itself: the table checks the time on each look-up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from pbx_core.features.codes import HOTELING_CODES, VOICE_PORTAL_CODE

EMERGENCY_NUMBERS = frozenset({"112", "911"})


@dataclass(frozen=True, slots=True)
class Seat:
    host: str
    guest: str
    expires_at: float
    """Unix time the session ends (its maximum, or the end of the tenant's day)."""


class HotelingTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: frozenset[tuple[str, str]] = frozenset()
        self._by_host: dict[tuple[str, str], Seat] = {}
        self._by_guest: dict[tuple[str, str], Seat] = {}

    def replace_tenant(self, tenant: str, hosts: Iterable[str], seats: Iterable[Seat]) -> None:
        fresh = list(seats)
        with self._lock:
            self._hosts = frozenset(h for h in self._hosts if h[0] != tenant) | {
                (tenant, host) for host in hosts
            }
            by_host = {k: v for k, v in self._by_host.items() if k[0] != tenant}
            by_guest = {k: v for k, v in self._by_guest.items() if k[0] != tenant}
            self._by_host = by_host | {(tenant, seat.host): seat for seat in fresh}
            self._by_guest = by_guest | {(tenant, seat.guest): seat for seat in fresh}

    def is_host(self, tenant: str, extension: str) -> bool:
        return (tenant, extension) in self._hosts

    def guest_at(self, tenant: str, host: str, now: float | None = None) -> str | None:
        seat = self._by_host.get((tenant, host))
        return seat.guest if seat is not None and _open(seat, now) else None

    def rings_at(self, tenant: str, extension: str, now: float | None = None) -> str:
        """The extension whose registration rings for `extension`: its host while signed in."""
        seat = self._by_guest.get((tenant, extension))
        return seat.host if seat is not None and _open(seat, now) else extension

    def presented(self, tenant: str, caller: str, called: str, now: float | None = None) -> str:
        """Whose call this is: the guest's when `caller` is a host with a guest (not for the
        hoteling codes, which act on the host)."""
        if called.startswith(HOTELING_CODES):
            return caller
        return self.guest_at(tenant, caller, now) or caller

    def idle_host_may_not_call(
        self, tenant: str, caller: str, called: str, now: float | None = None
    ) -> bool:
        """A host with nobody signed in calls only hoteling codes, the portal, emergency."""
        if not self.is_host(tenant, caller) or self.guest_at(tenant, caller, now) is not None:
            return False
        allowed = called in EMERGENCY_NUMBERS or called == VOICE_PORTAL_CODE
        return not (allowed or called.startswith(HOTELING_CODES))


def _open(seat: Seat, now: float | None) -> bool:
    return (time.time() if now is None else now) < seat.expires_at
