"""Who receives exactly the same live stream: the key of a shared subscription's group.

By default the audience is the caller's whole authorization scope (tenant, role, supervised
call centers, extension): two callers with different scopes may be filtered differently.

A subscription that names a call center (`queueEvents` / `agentStateChanged` with
`callCenterId`) streams that call center's events the same way for everyone allowed to see it:
its resolver's filter then depends on nothing else of the caller, and no field of the event
types depends on the caller either. So its audience is (tenant, call center), once each
subscriber has been checked here with the resolver's own check (`chosen_call_center`). That is
what lets the 500 agents of one call center, each watching its colleagues' states, share one
GraphQL execution and one JSON serialization per event instead of 500.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from redis.exceptions import RedisError

from cti.authorization import may_see_call_center
from cti.graphql_api.errors import ApiError, Forbidden, NotFound
from cti.graphql_api.shared import GroupKey, parse_cached
from cti.principal import Principal
from cti.services import CtiServices
from cti.snapshots import CallCenterSnapshot, SnapshotStore

CALL_CENTER_ARGUMENT = "callCenterId"
CALL_CENTER_STREAMS = frozenset({"queueEvents", "agentStateChanged"})
"""Root subscription fields whose stream, given a call center, is the same for every caller."""


_ReadKey = tuple[SnapshotStore, str, str]
_reads: dict[_ReadKey, asyncio.Future[CallCenterSnapshot | None]] = {}


async def _read_call_center(
    store: SnapshotStore, tenant: str, call_center_id: str
) -> CallCenterSnapshot | None:
    """Concurrent subscribers to one call center share one snapshot read.

    When a call center's agents all (re)subscribe at once, after a restart or a network blip,
    one read each would take more connections than the Redis pool has ("Too many connections"
    failed the subscriptions of a 500-agent call center). A read is shared only while it is in
    flight, so nobody is checked against an older snapshot than it would otherwise be.
    """
    key = (store, tenant, call_center_id)
    read = _reads.get(key)
    if read is None:
        read = _reads[key] = asyncio.ensure_future(store.call_center(tenant, call_center_id))
        read.add_done_callback(lambda _: _reads.pop(key, None))
    # Shielded: one subscriber giving up must not cancel the others' read.
    return await asyncio.shield(read)


async def chosen_call_center(
    services: CtiServices, principal: Principal, call_center_id: str
) -> CallCenterSnapshot:
    """The call center a subscription names, when the caller may see it."""
    call_center = await _read_call_center(services.snapshots, principal.tenant, call_center_id)
    if call_center is None:
        raise NotFound(f"no call center {call_center_id!r}")
    if not may_see_call_center(principal, call_center):
        raise Forbidden("you may not see this call center")
    return call_center


def _named_call_center(
    query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> str | None:
    """The `callCenterId` of a one-field subscription on a call-center stream, if it names one."""
    document = parse_cached(query)
    if document is None:
        return None
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(operations) != 1:
        return None
    selections = operations[0].selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    field = selections[0]
    if field.name.value not in CALL_CENTER_STREAMS:
        return None
    for argument in field.arguments or ():
        if argument.name.value == CALL_CENTER_ARGUMENT:
            return _string(argument.value, variables or {})
    return None


def _string(value: ValueNode, variables: dict[str, Any]) -> str | None:
    if isinstance(value, VariableNode):
        bound = variables.get(value.name.value)
        return None if bound is None else str(bound)
    if isinstance(value, StringValueNode):
        return value.value
    raw = getattr(value, "value", None)  # an ID may be written as an int literal
    return None if raw is None else str(raw)


async def audience_key(
    principal: Principal,
    services: CtiServices,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> GroupKey | None:
    """The group a live subscription joins; None when the caller may not have it (or the
    snapshot cannot be read to tell).

    None leaves the subscription to run on its own, so its resolver reports the error (not
    found, forbidden, Redis down) exactly as it would unshared.
    """
    call_center_id = _named_call_center(query, variables, operation_name)
    scope: tuple[Any, ...]
    if call_center_id is None:
        scope = (
            principal.role.value,
            tuple(sorted(principal.call_centers)),
            principal.extension,
        )
    else:
        try:
            await chosen_call_center(services, principal, call_center_id)
        except (ApiError, RedisError):
            return None
        scope = (CALL_CENTER_ARGUMENT, call_center_id)
    return (
        principal.tenant,
        *scope,
        query,
        json.dumps(variables or {}, sort_keys=True, default=str),
        operation_name,
    )
