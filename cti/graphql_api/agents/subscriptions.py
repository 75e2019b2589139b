"""Subscription `agentStateChanged`, resumable after a sequence."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import assert_never

import strawberry

from cti.graphql_api import fields
from cti.graphql_api.agents.types import AgentStateEvent
from cti.graphql_api.audience import chosen_call_center
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput, Forbidden
from cti.principal import Principal, Role
from queueing.events import DomainEvent, EventType


def _audience(principal: Principal, one_call_center: bool) -> tuple[str | None, bool]:
    """(the only agent whose changes pass, or None; whether only members of the call centers
    in scope pass). An agent sees its own changes; naming a call center of its own, it sees its
    colleagues there (the agent client's "colleagues' availability", live). A supervisor sees
    the members of the call centers it supervises; an admin, API token or operator its tenant."""
    match principal.role:
        case Role.AGENT:
            if principal.extension is None:
                # Without an extension it has no state of its own and no colleagues: the old
                # filter, keyed on that missing extension, let every agent's change through.
                raise Forbidden("you have no extension")
            return (None if one_call_center else principal.extension), one_call_center
        case Role.SUPERVISOR:
            return None, True
        case Role.ADMIN | Role.API | Role.OPERATOR:
            return None, one_call_center
        case _:
            assert_never(principal.role)


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
        own, scoped = _audience(principal, call_center_id is not None)
        # Membership changes while we listen: AGENT_JOINED/LEFT events keep it current.
        members: dict[str, set[str]] = {c.id: set(c.members) for c in scope}

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
