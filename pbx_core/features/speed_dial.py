"""Speed dial as the PBX applies it: each user's list (slot -> number, only the slots the user's
profile includes), written by the application at start-up and after each committed change, read
by the SIP thread when a phone dials a slot (one dict look-up, atomic under the GIL; each write
replaces one immutable mapping). The slots and the dialling rule are `common/speed_dial.py`;
what the PBX says around them is here (Dutch or English)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pbx_core.features.phrases import FEATURE_NAMES, digits

EMPTY: Mapping[str, str] = MappingProxyType({})


class SpeedDialTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[tuple[str, str], Mapping[str, str]] = {}

    def number(self, tenant: str, extension: str, slot: str) -> str | None:
        return self._by_user.get((tenant, extension), EMPTY).get(slot)

    def put(self, tenant: str, extension: str, entries: Mapping[str, str]) -> None:
        with self._lock:
            self._by_user[(tenant, extension)] = MappingProxyType(dict(entries))

    def replace_tenant(self, tenant: str, lists: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        """Every user of `tenant` at once (start-up, or after users were added or renumbered)."""
        fresh = {(tenant, ext): MappingProxyType(dict(entries)) for ext, entries in lists}
        with self._lock:
            kept = {key: value for key, value in self._by_user.items() if key[0] != tenant}
            self._by_user = kept | fresh


def empty_slot(slot: str, language: str) -> str:
    at = digits(slot)
    return f"Snelkeuze {at} is leeg." if language == "nl" else f"Speed dial {at} is empty."


def not_included(feature: str, profile: str, language: str) -> str:
    dutch, english = FEATURE_NAMES[feature]
    if language == "nl":
        return f"Snelkeuze kan niet: uw profiel {profile} bevat geen {dutch}."
    return f"Speed dial is refused: your {profile} profile does not include {english}."
