"""The GraphQL schema: per-feature roots merged, with limits against abusive documents."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types

from cti.graphql_api.agents.mutations import AgentMutations
from cti.graphql_api.agents.queries import AgentQueries
from cti.graphql_api.agents.subscriptions import AgentSubscriptions
from cti.graphql_api.call_centers.mutations import CallCenterMutations
from cti.graphql_api.call_centers.queries import CallCenterQueries
from cti.graphql_api.call_centers.subscriptions import CallCenterSubscriptions
from cti.graphql_api.calls.mutations import CallMutations
from cti.graphql_api.calls.queries import CallQueries
from cti.graphql_api.calls.subscriptions import CallSubscriptions
from cti.graphql_api.groups.rooms import RoomSubscriptions
from cti.graphql_api.groups.subscriptions import GroupSubscriptions
from cti.graphql_api.guards import MaskInternalErrors, MaxDocumentLength

Query = merge_types("Query", (CallCenterQueries, AgentQueries, CallQueries))
Mutation = merge_types("Mutation", (AgentMutations, CallCenterMutations, CallMutations))
Subscription = merge_types(
    "Subscription",
    (
        CallCenterSubscriptions,
        AgentSubscriptions,
        CallSubscriptions,
        GroupSubscriptions,
        RoomSubscriptions,
    ),
)


def build_schema(
    max_depth: int,
    max_aliases: int,
    max_tokens: int,
    *,
    max_document_chars: int,
    introspection: bool,
) -> strawberry.Schema:
    """`introspection`: development only; in production the schema is what docs/cti.md says,
    not something to map out for an attacker."""
    # Factories, so each request gets fresh extension instances. The length check comes first:
    # nothing else should look at a document that is too long.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxDocumentLength(max_document_chars),
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        MaskInternalErrors,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )
