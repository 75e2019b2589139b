"""Alternate numbers as the PBX applies them: which further numbers ring which user, and with
which distinctive ring. Written by the application at start-up and after each committed change
(only users whose profile includes AlternateNumbers), read by the SIP thread on a call to a
number no user, call center or room has (one dict look-up; each write replaces the dicts).

The ring is the `Alert-Info` of the INVITE to the user's phone (RFC 3261 20.4), one of the
Bellcore distinctive-ring names desk phones map to patterns, by the number's place in the user's
list; `Bellcore-dr4` is left to the automatic callback (sip/calls/callback.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

RINGS = ("Bellcore-dr2", "Bellcore-dr3", "Bellcore-dr5")


def alternate_info_of(position: int) -> str:
    """The Alert-Info of the user's `position`-th alternate (1-based)."""
    return f"<http://127.0.0.1/{RINGS[(position - 1) % len(RINGS)]}>"


@dataclass(frozen=True, slots=True)
class Alternate:
    tenant: str
    number: str
    extension: str
    """The user it rings."""
    position: int

    @property
    def alert_info(self) -> str:
        return alternate_info_of(self.position)


class AlternatesTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_number: dict[tuple[str, str], Alternate] = {}
        self._direct: dict[str, Alternate] = {}
        """E.164 alternates, for calls from the carrier (platform-wide: blocks are one tenant's)."""

    def get(self, tenant: str, number: str) -> Alternate | None:
        return self._by_number.get((tenant, number))

    def direct(self, e164: str) -> Alternate | None:
        return self._direct.get(e164)

    def replace_tenant(self, tenant: str, alternates: Iterable[Alternate]) -> None:
        fresh = [a for a in alternates if a.tenant == tenant]
        with self._lock:
            kept = {k: v for k, v in self._by_number.items() if k[0] != tenant}
            self._by_number = kept | {(a.tenant, a.number): a for a in fresh}
            direct = {k: v for k, v in self._direct.items() if v.tenant != tenant}
            self._direct = direct | {a.number: a for a in fresh if a.number.startswith("+")}
