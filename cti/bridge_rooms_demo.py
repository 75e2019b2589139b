"""The demo company's conference room (docs/conference.md): 8100 "Demo meeting room", PIN 1234,
moderator PIN 9999, 10 places, Dutch prompts, and its direct number +31201230081. Made through
provisioning like an admin's room, once, when the tenant has no rooms; an admin's later changes
stay."""

from __future__ import annotations

import logging

from provisioning.bridge_rooms import RoomView
from provisioning.bridge_rooms_store import BridgeRooms
from provisioning.errors import ProvisioningError
from provisioning.service import ProvisioningService

log = logging.getLogger(__name__)

DEMO_ROOM = RoomView("8100", "Demo meeting room", "1234", "9999", 10, "nl")
DEMO_ROOM_NUMBER = "+31201230081"


def seed_demo_rooms(service: ProvisioningService, tenant: str, actor: str) -> None:
    rooms = BridgeRooms(service)
    if rooms.all(tenant):
        return
    try:
        rooms.create(actor, tenant, DEMO_ROOM)
        if all(n.number != DEMO_ROOM_NUMBER for n in service.numbers(tenant)):
            service.assign_number(actor, tenant, DEMO_ROOM_NUMBER, DEMO_ROOM.number)
    except ProvisioningError as error:  # an admin's own use of 8100 or of the number
        log.warning("demo conference room not (all) made: %s", error)
