"""Subscription `agentStateChanged`, resumable after a sequence."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from cti.graphql_api import fields
from cti.graphql_api.agents.types import AgentStateEvent
from cti.graphql_api.audience import chosen_call_center
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput
from cti.principal import Role
from queueing.events import DomainEvent, EventType


@strawberry.type
class AgentSubscriptions:
    @fields.subscription(
        description="State changes of the agents you may see, optionally of one call center's "
        "members (agents: their own, or their colleagues' in a call center they belong to)"
    )
    async def agent_state_changed(
        self,
        info: CtiInfo,
        call_center_id: strawberry.ID | None = None,
        after_sequence: int | None = None,
    ) -> AsyncGenerator[AgentStateEvent, None]:
        principal = await principal_of(info)
        if after_sequence is not None and after_sequence < -1:
            raise BadInput("afterSequence must be -1 or more")
        services = info.context.services
        if call_center_id is not None:
            scope = [await chosen_call_center(services, principal, call_center_id)]
        else:
            scope = await services.snapshots.call_centers(principal.tenant)
            if principal.role is Role.SUPERVISOR:
                scope = [c for c in scope if c.id in principal.call_centers]
        scoped = call_center_id is not None or principal.role is Role.SUPERVISOR
        # Membership changes while we listen: AGENT_JOINED/LEFT events keep it current.
        members: dict[str, set[str]] = {c.id: set(c.members) for c in scope}
        # An agent sees its own changes; with a call center of its own it also sees its
        # colleagues there (the agent client's "colleagues' availability", live).
        own = (
            principal.extension if principal.role is Role.AGENT and call_center_id is None else None
        )

        def accepts(event: DomainEvent) -> bool:
            if event.type is EventType.AGENT_JOINED and event.call_center_id in members:
                members[event.call_center_id].add(event.agent or "")
            elif event.type is EventType.AGENT_LEFT and event.call_center_id in members:
                members[event.call_center_id].discard(event.agent or "")
            if event.type is not EventType.AGENT_STATE_CHANGED:
                return False
            if own is not None and event.agent != own:
                return False
            if scoped:
                return any(event.agent in m for m in members.values())
            return True

        events = services.fanout.subscribe(
            principal.tenant,
            after_sequence=after_sequence,
            accepts=accepts,
            queue_size=services.settings.subscriber_queue_size,
        )
        try:
            async for event in events:
                yield AgentStateEvent.of(event)
        finally:
            await events.aclose()  # type: ignore[attr-defined]
