"""Supervisor actions on call centers and their waiting calls."""

from __future__ import annotations

import strawberry

from common.priorities import MAX_PRIORITY, MIN_PRIORITY, is_priority
from cti.authorization import may_retrieve_to, supervises
from cti.graphql_api import fields
from cti.graphql_api.commands import CommandAccepted, run_command
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput, Forbidden, NotFound
from cti.principal import Principal

EXTENSION_MAX = 32


async def _call_in_supervised_queue(info: CtiInfo, call_id: str) -> tuple[Principal, str]:
    """The waiting call's call center, once we know the caller supervises it."""
    principal = await principal_of(info)
    found = await info.context.services.snapshots.find_waiting_call(principal.tenant, call_id)
    if found is None:
        raise NotFound(f"no waiting call {call_id!r}")
    call_center, _ = found
    if not supervises(principal, call_center.id):
        raise Forbidden("you do not supervise this call's call center")
    return principal, call_center.id


async def _supervised_call_center(info: CtiInfo, call_center_id: str) -> Principal:
    principal = await principal_of(info)
    snapshots = info.context.services.snapshots
    if await snapshots.call_center(principal.tenant, call_center_id) is None:
        raise NotFound(f"no call center {call_center_id!r}")
    if not supervises(principal, call_center_id):
        raise Forbidden("you do not supervise this call center")
    return principal


@strawberry.type
class CallCenterMutations:
    @fields.mutation(description="Move a waiting call to another call center's queue")
    async def move_call(
        self, info: CtiInfo, call_id: strawberry.ID, to_call_center_id: strawberry.ID
    ) -> CommandAccepted:
        principal, _ = await _call_in_supervised_queue(info, call_id)
        await _supervised_call_center(info, to_call_center_id)
        control = info.context.control()
        return await run_command(
            control.move_call(principal.tenant, call_id, to_call_center_id, by=principal.username)
        )

    @fields.mutation(
        description=f"Change a waiting call's priority ({MIN_PRIORITY}-{MAX_PRIORITY}, higher is"
        " served first)"
    )
    async def promote_call(
        self, info: CtiInfo, call_id: strawberry.ID, priority: int
    ) -> CommandAccepted:
        if not is_priority(priority):
            raise BadInput(
                f"priority must be a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}"
                f" (got {priority})"
            )
        principal, _ = await _call_in_supervised_queue(info, call_id)
        control = info.context.control()
        return await run_command(
            control.promote_call(principal.tenant, call_id, priority, by=principal.username)
        )

    @fields.mutation(description="Move a waiting call to a position within its priority")
    async def reorder_call(
        self, info: CtiInfo, call_id: strawberry.ID, position: int
    ) -> CommandAccepted:
        if position < 1:
            raise BadInput("position is 1-based")
        principal, _ = await _call_in_supervised_queue(info, call_id)
        control = info.context.control()
        return await run_command(
            control.reorder_call(principal.tenant, call_id, position, by=principal.username)
        )

    @fields.mutation(
        description="Take a waiting call out of the queue to your own phone or an agent's"
    )
    async def retrieve_call(
        self, info: CtiInfo, call_id: strawberry.ID, extension: str
    ) -> CommandAccepted:
        if not extension or len(extension) > EXTENSION_MAX:
            raise BadInput("extension required")
        principal, _ = await _call_in_supervised_queue(info, call_id)
        agent = await info.context.services.snapshots.agent(principal.tenant, extension)
        if not may_retrieve_to(principal, agent, extension):
            raise NotFound(f"no agent {extension!r} and not your own phone")
        control = info.context.control()
        return await run_command(
            control.retrieve_call(principal.tenant, call_id, extension, by=principal.username)
        )

    @fields.mutation(description="Force night service on/off, or null to follow the schedule")
    async def set_night_service_override(
        self, info: CtiInfo, call_center_id: strawberry.ID, override: bool | None
    ) -> CommandAccepted:
        principal = await _supervised_call_center(info, call_center_id)
        control = info.context.control()
        return await run_command(
            control.set_night_service_override(
                principal.tenant, call_center_id, override, by=principal.username
            )
        )

    @fields.mutation(description="Forward every new call of a call center somewhere else")
    async def set_forced_forwarding(
        self,
        info: CtiInfo,
        call_center_id: strawberry.ID,
        enabled: bool,
        destination: str | None = None,
    ) -> CommandAccepted:
        if enabled and not destination:
            raise BadInput("forced forwarding needs a destination")
        principal = await _supervised_call_center(info, call_center_id)
        control = info.context.control()
        return await run_command(
            control.set_forced_forwarding(
                principal.tenant, call_center_id, enabled, destination, by=principal.username
            )
        )
