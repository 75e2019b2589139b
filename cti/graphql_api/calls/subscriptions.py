"""Subscription `myCalls`: the signed-in agent's own call events, with the screen-pop record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Sequence

import strawberry

from cti.graphql_api import fields
from cti.graphql_api.calls.types import MyCallEvent
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput, Forbidden
from cti.screen_pop import ScreenPopLookup, ScreenPopRecord, lookup_as
from queueing.events import DomainEvent, EventType

# The CRM is asked when a call is offered: that is when the agent's browser pops the record.
_POP_ON = frozenset({EventType.CALL_OFFERED})
LOOKUP_TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)


async def _lookup(
    lookup: ScreenPopLookup, tenant: str, username: str, number: str
) -> Sequence[ScreenPopRecord]:
    """A CRM that is down or slow must not end the agent's subscription: pop nothing."""
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
            return await lookup_as(lookup, tenant, username, number)
    except Exception:
        log.warning("screen-pop lookup for %s failed", number, exc_info=True)
        return ()


@strawberry.type
class CallSubscriptions:
    @fields.subscription(
        "Events of your own calls; CALL_OFFERED carries the caller's CRM records",
        name="myCalls",
    )
    async def my_call_events(
        self, info: CtiInfo, after_sequence: int | None = None
    ) -> AsyncGenerator[MyCallEvent, None]:
        principal = await principal_of(info)
        if after_sequence is not None and after_sequence < -1:
            raise BadInput("afterSequence must be -1 or more")
        extension = principal.extension
        if extension is None:
            raise Forbidden("you have no extension")
        services = info.context.services

        def accepts(event: DomainEvent) -> bool:
            return event.agent == extension and event.call_id is not None

        events = services.fanout.subscribe(
            principal.tenant,
            after_sequence=after_sequence,
            accepts=accepts,
            queue_size=services.settings.subscriber_queue_size,
        )
        try:
            async for event in events:
                records: Sequence[ScreenPopRecord] = ()
                if event.type in _POP_ON and event.caller:
                    records = await _lookup(
                        services.screen_pop, principal.tenant, principal.username, event.caller
                    )
                yield MyCallEvent.of(event, records)
        finally:
            await events.aclose()  # type: ignore[attr-defined]
