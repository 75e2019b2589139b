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

import json
from typing import Any

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)

from cti.authorization import may_see_call_center
from cti.graphql_api.errors import ApiError, Forbidden, NotFound
from cti.graphql_api.shared import GroupKey, parse_cached
from cti.principal import Principal
from cti.services import CtiServices
from cti.snapshots import CallCenterSnapshot

CALL_CENTER_ARGUMENT = "callCenterId"
CALL_CENTER_STREAMS = frozenset({"queueEvents", "agentStateChanged"})
"""Root subscription fields whose stream, given a call center, is the same for every caller."""


async def chosen_call_center(
    services: CtiServices, principal: Principal, call_center_id: str
) -> CallCenterSnapshot:
    """The call center a subscription names, when the caller may see it."""
    call_center = await services.snapshots.call_center(principal.tenant, call_center_id)
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
    """The group a live subscription joins; None when the caller may not have it.

    None leaves the subscription to run on its own, so its resolver reports the error (not
    found, forbidden) exactly as it would unshared.
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
        except ApiError:
            return None
        scope = (CALL_CENTER_ARGUMENT, call_center_id)
    return (
        principal.tenant,
        *scope,
        query,
        json.dumps(variables or {}, sort_keys=True, default=str),
        operation_name,
    )
