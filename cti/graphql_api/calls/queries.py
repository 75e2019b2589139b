"""Queries `myCalls` and `myCallHistory` for the signed-in agent."""

from __future__ import annotations

import strawberry

from cti.call_history import recent_calls
from cti.graphql_api import fields
from cti.graphql_api.calls.types import CallHistoryItem, MyCall
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.errors import BadInput, Forbidden

HISTORY_MAX = 200


@strawberry.type
class CallQueries:
    @fields.field(description="Your calls now: ringing, connected or held")
    async def my_calls(self, info: CtiInfo) -> list[MyCall]:
        principal = await principal_of(info)
        if principal.extension is None:
            return []
        calls = await info.context.services.snapshots.calls(principal.tenant)
        return [MyCall.of(c) for c in calls if c.agent == principal.extension]

    @fields.field(description="Calls you answered recently, newest first")
    async def my_call_history(self, info: CtiInfo, limit: int = 50) -> list[CallHistoryItem]:
        principal = await principal_of(info)
        if not 1 <= limit <= HISTORY_MAX:
            raise BadInput(f"limit must be between 1 and {HISTORY_MAX}")
        if principal.extension is None:
            raise Forbidden("you have no extension")
        services = info.context.services
        entries = await recent_calls(
            services.redis,
            services.event_log,
            principal.tenant,
            principal.extension,
            limit=limit,
            scan=services.settings.history_scan_limit,
        )
        return [CallHistoryItem.of(e) for e in entries]
