"""PushToTalk (intercom) as the PBX applies it (docs/phone-features.md, "Intercom"): whether a
user accepts intercom calls, and from whom; and whether they are exempt from barge-in
(BargeinExempt, `*33<ext>`). Written by the application (at start-up and after
each change), read by the SIP thread on every `*55<ext>` (one dict look-up, atomic under the
GIL; each write replaces the dict). No SIP here, so the application imports it freely."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntercomSetting:
    """A user's own choice; the default accepts intercom calls from every colleague."""

    accept: bool = True
    allowed: frozenset[str] = frozenset()
    """When not empty: only these extensions' intercom calls are accepted."""
    barge_in_exempt: bool = False
    """Nobody barges in on this user's calls (with BargeinExempt in the profile)."""

    def accepts(self, caller: str) -> bool:
        return self.accept and (not self.allowed or caller in self.allowed)


ACCEPT_ALL = IntercomSetting()


class IntercomTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: dict[tuple[str, str], IntercomSetting] = {}

    def replace_tenant(self, tenant: str, settings: Iterable[tuple[str, IntercomSetting]]) -> None:
        """`settings`: (extension, its setting) of every user who changed the default."""
        fresh = {(tenant, extension): setting for extension, setting in settings}
        with self._lock:
            kept = {k: v for k, v in self._settings.items() if k[0] != tenant}
            self._settings = kept | fresh

    def accepts(self, tenant: str, callee: str, caller: str) -> bool:
        return self._settings.get((tenant, callee), ACCEPT_ALL).accepts(caller)

    def barge_in_exempt(self, tenant: str, extension: str) -> bool:
        return self._settings.get((tenant, extension), ACCEPT_ALL).barge_in_exempt
