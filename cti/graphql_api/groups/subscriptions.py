"""Subscription `groupCalls`: the tenant's hunt-group and auto-attendant call events
(cti/group_events.py), and the PBX's pickups and parks (cti/call_handling_events.py), for its
supervisors and admins; optionally one group's (or extension's, or park slot's)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON

from cti.graphql_api import fields
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.enums import QueueEventType
from cti.graphql_api.errors import Forbidden
from cti.group_events import GroupEvent, follow
from cti.principal import Role

WATCHERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.API})
"""Who may follow a tenant's group calls (the callers' numbers are in them)."""


@strawberry.type
class GroupCallEvent:
    type: QueueEventType
    timestamp: float
    group: str
    """The hunt group's or auto attendant's number."""
    call_id: strawberry.ID
    caller: str
    reason: str
    member: str | None
    data: JSON

    @classmethod
    def of(cls, event: GroupEvent) -> GroupCallEvent:
        return cls(
            type=QueueEventType[event.type.name],
            timestamp=event.timestamp,
            group=event.group,
            call_id=strawberry.ID(event.call_id),
            caller=event.caller,
            reason=event.reason,
            member=event.member,
            data=JSON(event.data),
        )


@strawberry.type
class GroupSubscriptions:
    @fields.subscription(
        "Hunt-group and menu call events of your tenant from now on (offered, member rung, "
        "answered, abandoned, forwarded), and the PBX's pickups and parks (`group` the "
        "extension that rang or the park slot); `group`: one group's only",
        name="groupCalls",
    )
    async def group_calls(
        self, info: CtiInfo, group: str | None = None
    ) -> AsyncGenerator[GroupCallEvent, None]:
        principal = await principal_of(info)
        if principal.role not in WATCHERS:
            raise Forbidden("supervisors and admins follow group calls")
        services = info.context.services
        events = follow(services.redis, services.settings.key_prefix, principal.tenant)
        try:
            async for event in events:
                if group is None or event.group == group:
                    yield GroupCallEvent.of(event)
        finally:
            await events.aclose()  # type: ignore[attr-defined]
