"""Custom ringback as the PBX applies it: which users' callers hear which prompt (a tenant's
uploaded announcement, by its prompt name) instead of ringing. Written by the application at
start-up and after each committed change (only users whose profile includes CustomRingbackUser),
read by the SIP thread when a user's phone starts ringing (one dict look-up)."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class RingbackTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[tuple[str, str], str] = {}

    def prompt(self, tenant: str, extension: str) -> str | None:
        return self._by_user.get((tenant, extension))

    def replace_tenant(self, tenant: str, prompts: Iterable[tuple[str, str]]) -> None:
        """(extension, prompt name) of every user of `tenant` with a ringback."""
        fresh = {(tenant, extension): prompt for extension, prompt in prompts}
        with self._lock:
            kept = {k: v for k, v in self._by_user.items() if k[0] != tenant}
            self._by_user = kept | fresh
