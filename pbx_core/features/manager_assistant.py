"""Manager/Assistant (seed 3.2.2) as the PBX applies it: which calls to a manager ring an
assistant first (docs/manager-assistant.md). Written by the application (at start-up and after
each change of a tenant's managers), read by the SIP thread on every call to a user (one dict
look-up, atomic under the GIL; each write replaces the dict). No SIP here, so the application
imports it freely.

The application hears each filtered call (`on_filtered`, called in the SIP thread: it must only
hop to its own loop) and may give the call a whisper for the manager (`set_whisper`: "a call
from ..."), played when the call is put through to the manager.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from common.manager_assistant import Manager, ring_assistants


@dataclass(frozen=True, slots=True)
class FilteredCall:
    tenant: str
    call_id: str
    manager: str
    assistants: tuple[str, ...]
    """Every assistant rung (at once), in the manager's order."""
    caller: str
    caller_name: str


class ManagerAssistantTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._managers: dict[tuple[str, str], Manager] = {}
        self._whispers: dict[str, str] = {}
        self.on_filtered: Callable[[FilteredCall], None] | None = None
        """The application's ear (SIP thread): set once before the PBX starts."""

    def replace_tenant(self, tenant: str, managers: Iterable[Manager]) -> None:
        fresh = {(tenant, m.extension): m for m in managers}
        with self._lock:
            kept = {k: v for k, v in self._managers.items() if k[0] != tenant}
            self._managers = kept | fresh

    def ring_assistants(
        self, tenant: str, called: str, caller: str, internal: bool
    ) -> tuple[str, ...]:
        """The assistants a call from `caller` to user `called` rings at once instead, or ()."""
        manager = self._managers.get((tenant, called))
        return () if manager is None else ring_assistants(manager, caller, internal)

    def filtered(self, call: FilteredCall) -> None:
        if self.on_filtered is not None:
            self.on_filtered(call)

    def set_whisper(self, call_id: str, prompt: str) -> None:
        self._whispers[call_id] = prompt

    def whisper(self, call_id: str) -> str | None:
        """What the manager hears before a filtered call is put through (None: not spoken
        yet, the manager's phone shows the caller)."""
        return self._whispers.get(call_id)

    def forget(self, call_id: str) -> None:
        self._whispers.pop(call_id, None)
