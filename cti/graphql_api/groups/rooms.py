"""Subscription `conferenceRoom(number)`: a conference room's participant list, live
(docs/conference.md). The list now (asked of the PBX), then again after each join or leave: the
room's `ROOM_PARTICIPANT_*` events on the tenant's group events stream carry the whole room.

For the tenant's supervisors and admins, and for a user who is in the room (dialled in from their
own extension): theirs ends with the list they left.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from common.event_types import ROOM_EVENTS
from cti.bridge_rooms_live import participant_data
from cti.graphql_api import fields
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import Forbidden, NotFound
from cti.graphql_api.groups.subscriptions import WATCHERS
from cti.group_events import follow, position
from pbx_core.service import PbxService


@strawberry.type
class RoomParticipant:
    call_id: strawberry.ID
    caller: str
    """The number or extension that dialled in."""
    role: str
    """`moderator` or `participant`."""
    muted: bool


@strawberry.type
class ConferenceRoomState:
    number: str
    participants: list[RoomParticipant]


def _state(number: str, listed: list[dict[str, Any]]) -> ConferenceRoomState:
    return ConferenceRoomState(
        number=number,
        participants=[
            RoomParticipant(
                call_id=strawberry.ID(str(p["call_id"])),
                caller=str(p["caller"]),
                role=str(p["role"]),
                muted=bool(p["muted"]),
            )
            for p in listed
        ],
    )


def _in_room(extension: str | None, listed: list[dict[str, Any]]) -> bool:
    return extension is not None and any(p["caller"] == extension for p in listed)


@strawberry.type
class RoomSubscriptions:
    @fields.subscription(
        "A conference room's participants now, then after each join or leave (supervisors, "
        "admins, and users in the room)",
        name="conferenceRoom",
    )
    async def conference_room(
        self, info: CtiInfo, number: str
    ) -> AsyncGenerator[ConferenceRoomState, None]:
        principal = await principal_of(info)
        request = info.context.request
        pbx: PbxService | None = getattr(request.app.state, "pbx", None) if request else None
        if pbx is None or pbx.rooms.get(principal.tenant, number) is None:
            raise NotFound(f"no conference room {number}")
        services = info.context.services
        redis, prefix = services.redis, services.settings.key_prefix
        # The stream's position before asking the PBX: a join in between is not missed.
        since = await position(redis, prefix, principal.tenant)
        found = await pbx.bridge_participants(principal.tenant, number)
        listed = [participant_data(p) for p in found]
        watcher = principal.role in WATCHERS
        if not watcher and not _in_room(principal.extension, listed):
            raise Forbidden("supervisors, admins and the room's participants follow a room")
        yield _state(number, listed)
        events = follow(redis, prefix, principal.tenant, since)
        try:
            async for event in events:
                if event.type not in ROOM_EVENTS or event.group != number:
                    continue
                listed = list(event.data.get("participants", []))
                yield _state(number, listed)
                if not watcher and not _in_room(principal.extension, listed):
                    return  # the user left the room
        finally:
            await events.aclose()  # type: ignore[attr-defined]
