"""The conference bridge's rooms as the PBX applies them (sip/calls/bridge_rooms.py): written by
the application, read by the SIP thread on each call (one dict look-up, atomic under the GIL;
each write replaces the dict), and who is in a room, as the API shows it. No SIP here, so the
application imports it freely."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Room:
    number: str
    """Dialled by an extension of the tenant (its extension-like number)."""
    pin: str
    """The participants' PIN (digits)."""
    moderator_pin: str
    max_participants: int
    """The room's cap, within the tenant's licence (seed 3.3.4); the moderators count too."""
    language: str = "nl"
    """Of the prompts: `nl` or `en` (pbx_core/media/prompts.py has both)."""


class RoomsTable:
    """Every tenant's rooms: written by the application, read by the SIP thread (one dict
    look-up, atomic under the GIL; each write replaces the dict)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rooms: dict[tuple[str, str], Room] = {}
        self._licences: dict[str, int] = {}
        self.on_move: Callable[[RoomMove], None] | None = None
        """The application's listener of joins and leaves, called in the SIP thread (it must
        hand over to its own thread); set before the PBX starts."""

    def get(self, tenant: str, number: str) -> Room | None:
        return self._rooms.get((tenant, number))

    def licence(self, tenant: str) -> int | None:
        """Places in all of the tenant's rooms together (seed 3.3.4); None: each room's cap."""
        return self._licences.get(tenant)

    def replace_tenant(
        self, tenant: str, rooms: Iterable[Room], licence: int | None = None
    ) -> None:
        fresh = {(tenant, room.number): room for room in rooms}
        with self._lock:
            kept = {key: room for key, room in self._rooms.items() if key[0] != tenant}
            self._rooms = kept | fresh
            others = {t: n for t, n in self._licences.items() if t != tenant}
            self._licences = others if licence is None else others | {tenant: licence}


@dataclass(frozen=True, slots=True)
class Participant:
    call_id: str
    caller: str
    moderator: bool
    muted: bool


@dataclass(frozen=True, slots=True)
class RoomMove:
    """Someone joined (after the PIN) or left a room: who, and who is in the room now."""

    tenant: str
    number: str
    joined: bool
    who: Participant
    present: tuple[Participant, ...]
