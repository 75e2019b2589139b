"""Keeps the PBX's conference rooms (`PbxService.rooms`) on provisioning: every tenant's rooms
and licence at start-up, a tenant's again after each change to them. Loaded in the thread that
committed the change, before its answer: the admin's next call already finds the room.
Each join and leave is an event on the tenant's group events stream (`publish_moves`)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from common.event_types import EventType
from cti.group_events import GroupEvent
from pbx_core.features.rooms import Participant, Room, RoomMove, RoomsTable
from provisioning.bridge_rooms import RoomView
from provisioning.bridge_rooms_store import ENTITY, LICENCE_ENTITY, BridgeRooms
from provisioning.service import ProvisioningService
from provisioning.unit import Change


def pbx_room(room: RoomView) -> Room:
    return Room(room.number, room.pin, room.moderator_pin, room.max_participants, room.language)


class LiveRooms:
    def __init__(self, service: ProvisioningService, rooms: RoomsTable) -> None:
        self._store = BridgeRooms(service)
        self._service = service
        self._rooms = rooms
        self._lock = threading.Lock()
        """Read and applied together: of two changes at once, the later read is applied last."""
        service.subscribe(self.on_change)

    def load_all(self) -> None:
        for tenant in self._service.tenant_ids():
            self.load(tenant)

    def on_change(self, change: Change) -> None:
        if change.entity in (ENTITY, LICENCE_ENTITY):
            self.load(change.tenant)

    def load(self, tenant: str) -> None:
        with self._lock:
            rooms, licence = self._store.loaded(tenant)
            self._rooms.replace_tenant(tenant, [pbx_room(r) for r in rooms], licence)


def _role(participant: Participant) -> str:
    return "moderator" if participant.moderator else "participant"


def participant_data(participant: Participant) -> dict[str, Any]:
    return {"call_id": participant.call_id, "caller": participant.caller,
            "role": _role(participant), "muted": participant.muted}  # fmt: skip


def room_event(move: RoomMove, now: float) -> GroupEvent:
    """A join or leave as the stream carries it: with the whole room after it (a client's list
    is the latest event's, docs/events.md)."""
    kind = EventType.ROOM_PARTICIPANT_JOINED if move.joined else EventType.ROOM_PARTICIPANT_LEFT
    data = {
        "role": _role(move.who),
        "muted": move.who.muted,
        "participants": [participant_data(p) for p in move.present],
    }
    reason = "joined" if move.joined else "left"
    return GroupEvent(kind, now, move.tenant, move.number, move.who.call_id, move.who.caller,
                      reason, data=data)  # fmt: skip


def publish_moves(
    rooms: RoomsTable, publish: Callable[[GroupEvent], None], loop: asyncio.AbstractEventLoop
) -> None:
    """Joins and leaves (the SIP thread's) onto the group events' stream (the loop's)."""

    def on_move(move: RoomMove) -> None:
        loop.call_soon_threadsafe(publish, room_event(move, time.time()))

    rooms.on_move = on_move
