"""Keeps the PBX's conference rooms (`PbxService.rooms`) on provisioning: every tenant's rooms
and licence at start-up, a tenant's again after each change to them. Loaded in the thread that
committed the change, before its answer: the admin's next call already finds the room."""

from __future__ import annotations

import threading

from pbx_core.features.rooms import Room, RoomsTable
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
