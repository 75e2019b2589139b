"""The conference rooms of a tenant and its licence in SQL (provisioning/bridge_rooms.py has the
table and the rules): create, update, delete, the operator's licence; each change audited and
heard by the listeners (cti/bridge_rooms_live.py loads the tenant's rooms into the PBX)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from provisioning.bridge_rooms import (
    DEFAULT_LICENCE,
    MAX_LICENCE,
    RoomView,
    bridge_licences,
    bridge_rooms,
    check_room,
)
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.service import ProvisioningService
from provisioning.telephony_store import refuse_routed
from provisioning.user_store import taken_numbers, tenant_row

ENTITY = "bridge_room"
LICENCE_ENTITY = "bridge_licence"
"""The audit log's and the listeners' names of a change here (cti/bridge_rooms_live.py)."""


def _view(row: Any) -> RoomView:
    return RoomView(
        row.number, row.name, row.pin, row.moderator_pin, row.max_participants, row.language
    )


def _licence(connection: Connection, tenant: str) -> int:
    query = select(bridge_licences.c.participants).where(bridge_licences.c.tenant == tenant)
    found = connection.execute(query).scalar_one_or_none()
    return DEFAULT_LICENCE if found is None else int(found)


def _row(connection: Connection, tenant: str, number: str) -> Any:
    row = connection.execute(
        select(bridge_rooms).where(bridge_rooms.c.tenant == tenant, bridge_rooms.c.number == number)
    ).one_or_none()
    if row is None:
        raise NotFound("number", f"no conference room {number} in {tenant!r}")
    return row


def _rooms(connection: Connection, tenant: str) -> list[RoomView]:
    query = select(bridge_rooms).where(bridge_rooms.c.tenant == tenant)
    return [_view(r) for r in connection.execute(query.order_by(bridge_rooms.c.number))]


class BridgeRooms:
    """Beside `ProvisioningService`, in its transactions (audit log, listeners)."""

    def __init__(self, provisioning: ProvisioningService) -> None:
        self._tx = provisioning.transactions

    def all(self, tenant: str) -> list[RoomView]:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            return _rooms(connection, tenant)

    def get(self, tenant: str, number: str) -> RoomView:
        with self._tx.engine.connect() as connection:
            return _view(_row(connection, tenant, number))

    def licence(self, tenant: str) -> int:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            return _licence(connection, tenant)

    def loaded(self, tenant: str) -> tuple[list[RoomView], int]:
        """The rooms and the licence together, as the PBX applies them."""
        with self._tx.engine.connect() as connection:
            return _rooms(connection, tenant), _licence(connection, tenant)

    def create(self, actor: str, tenant: str, room: RoomView) -> RoomView:
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            tenant_row(connection, tenant)
            check_room(room, _licence(connection, tenant))
            if room.number in taken_numbers(connection, tenant):
                raise Conflict("number", f"{room.number} is in use in tenant {tenant!r}")
            connection.execute(insert(bridge_rooms).values(tenant=tenant, **asdict(room)))
            unit.record(ENTITY, room.number, "create", None, _audit(room))
            return room

    def update(self, actor: str, tenant: str, room: RoomView) -> RoomView:
        """Everything but the number; a meeting in progress keeps its callers."""
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            old = _row(connection, tenant, room.number)
            check_room(room, _licence(connection, tenant))
            fields = {k: v for k, v in asdict(room).items() if k != "number"}
            connection.execute(
                update(bridge_rooms).where(bridge_rooms.c.id == old.id).values(fields)
            )
            unit.record(ENTITY, room.number, "update", _audit(_view(old)), _audit(room))
            return room

    def delete(self, actor: str, tenant: str, number: str) -> None:
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            row = _row(connection, tenant, number)
            refuse_routed(connection, tenant, number)
            connection.execute(delete(bridge_rooms).where(bridge_rooms.c.id == row.id))
            unit.record(ENTITY, number, "delete", _audit(_view(row)), None)

    def set_licence(self, actor: str, tenant: str, participants: int) -> int:
        """The operator's: refused below a room's cap (lower the room first)."""
        if not 2 <= participants <= MAX_LICENCE:
            raise Invalid("participants", f"2-{MAX_LICENCE}")
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            tenant_row(connection, tenant)
            above = [
                r.number for r in _rooms(connection, tenant) if r.max_participants > participants
            ]
            if above:
                raise Conflict("participants", f"room {above[0]} has a higher cap")
            old = _licence(connection, tenant)
            connection.execute(delete(bridge_licences).where(bridge_licences.c.tenant == tenant))
            connection.execute(
                insert(bridge_licences).values(tenant=tenant, participants=participants)
            )
            unit.record(LICENCE_ENTITY, tenant, "update", {"participants": old},
                        {"participants": participants})  # fmt: skip
            return participants


def _audit(room: RoomView) -> dict[str, Any]:
    """The PINs are secrets: the audit log says that they changed, never what they are."""
    return {**asdict(room), "pin": "***", "moderator_pin": "***"}
