"""Subscription `queueEvents`: a call center's queue events, resumable after a sequence."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from cti.authorization import may_see_call_center
from cti.graphql_api import fields
from cti.graphql_api.audience import chosen_call_center
from cti.graphql_api.call_centers.types import QueueEvent
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput
from cti.principal import Role
from queueing.events import DomainEvent, EventType


@strawberry.type
class CallCenterSubscriptions:
    @fields.subscription(
        description="Queue events of one call center (or all you may see); with afterSequence, "
        "first the events after it that you missed"
    )
    async def queue_events(
        self,
        info: CtiInfo,
        call_center_id: strawberry.ID | None = None,
        after_sequence: int | None = None,
    ) -> AsyncGenerator[QueueEvent, None]:
        principal = await principal_of(info)
        if after_sequence is not None and after_sequence < -1:
            raise BadInput("afterSequence must be -1 or more")
        services = info.context.services
        if call_center_id is not None:
            visible = {(await chosen_call_center(services, principal, call_center_id)).id}
        else:
            call_centers = await services.snapshots.call_centers(principal.tenant)
            visible = {c.id for c in call_centers if may_see_call_center(principal, c)}
        everything = principal.tenant_wide and call_center_id is None

        follows_membership = principal.role is Role.AGENT and call_center_id is None

        def accepts(event: DomainEvent) -> bool:
            if event.call_center_id is None or event.type is EventType.AGENT_STATE_CHANGED:
                return False
            if follows_membership and event.agent == principal.extension:
                # An agent's view follows the call centers it joins and leaves meanwhile.
                if event.type is EventType.AGENT_JOINED:
                    visible.add(event.call_center_id)
                elif event.type is EventType.AGENT_LEFT:
                    visible.discard(event.call_center_id)
                    return True  # its own AGENT_LEFT is the last event it sees there
            return everything or event.call_center_id in visible

        events = services.fanout.subscribe(
            principal.tenant,
            after_sequence=after_sequence,
            accepts=accepts,
            queue_size=services.settings.subscriber_queue_size,
        )
        try:
            async for event in events:
                yield QueueEvent.of(event)
        finally:
            await events.aclose()  # type: ignore[attr-defined]
